"""The `paperbell` command: run | poll | preview | db | doctor | export-favorites.

Expected failures (a bad ID, arXiv down, a bad setting, a database that does not answer
or refuses the credentials) end in one line and an exit code, never a traceback.

`--help` and a mistyped argument must answer at once, so only the standard library is
imported up here: each command imports what it needs (SQLAlchemy, the platform SDKs,
arxiv, the LLM client) when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.source.ids import ArxivId
    from bot.support.config import Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2

SETUP_SCREEN = """\
paperbell has nothing to connect to yet: no chat platform token is set.

Put at least one of these in the environment or in a .env file here
(see .env.example for every setting):

  TELEGRAM_BOT_TOKEN=123456:ABC...    from @BotFather (/newbot)
  SLACK_BOT_TOKEN=xoxb-...            from your Slack app's "OAuth & Permissions"
  SLACK_APP_TOKEN=xapp-...            for Socket Mode (or SLACK_SIGNING_SECRET for HTTP)

Optional:
  DATABASE_URL=postgresql://user@host/db   default: SQLite in ./data/
  DEFAULT_LANGUAGE=en|zh                   card language for new chats

Try it without any setup:   paperbell preview 2508.08189
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperbell",
        description="Self-hosted arXiv notifications for Telegram and Slack.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("run", help="run the bot (chat adapters and scheduler)")
    commands.add_parser(
        "poll", help="one cycle: fetch new arXiv papers, deliver them, wait for the sends, exit"
    )
    preview = commands.add_parser(
        "preview", help="print the summary card of one paper (no configuration needed)"
    )
    preview.add_argument("arxiv_id", metavar="ID", help="arXiv ID or URL, e.g. 2508.08189")
    preview.add_argument("--lang", choices=("en", "zh"), default=None, help="card language")
    preview.add_argument(
        "--format", choices=("text", "telegram", "slack"), default="text", help="output format"
    )
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("upgrade", help="apply pending migrations")
    db_commands.add_parser("current", help="show the applied migration")
    commands.add_parser(
        "doctor", help="check settings, database, arXiv, tokens and the LLM, one line each"
    )
    commands.add_parser(
        "export-favorites", help="print every user's favorites as JSON (to move databases)"
    )
    return parser


def _say(line: str) -> None:
    print(f"paperbell: {line}", file=sys.stderr)


def _settings() -> Settings | None:
    from bot.support.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        _say(f"bad setting: {exc}")
        return None


def _preview_command(raw_id: str, language: str | None, fmt: str) -> int:
    """The ID is checked before anything heavy is imported: a typo answers at once."""
    from bot.source.ids import InvalidArxivId, parse_arxiv_id

    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        _say(str(exc))
        return EXIT_USAGE
    settings = _settings()
    if settings is None:
        return EXIT_USAGE
    from bot.support.logs import configure_logging

    configure_logging(settings, one_shot=True)
    return asyncio.run(_preview(settings, arxiv_id, language or settings.DEFAULT_LANGUAGE, fmt))


async def _preview(settings: Settings, arxiv_id: ArxivId, language: str, fmt: str) -> int:
    import json

    from bot.cards.cards import build_card
    from bot.render.slack_blocks import render_slack
    from bot.render.telegram_html import render_telegram
    from bot.render.text import render_text
    from bot.source.arxiv_source import ArxivError, ArxivSource
    from bot.summarize import make_summarizer

    source = ArxivSource.from_settings(settings)
    try:
        paper = await source.fetch_one(arxiv_id)
    except ArxivError as exc:
        _say(str(exc))
        return EXIT_FAILURE
    if paper is None:
        _say(f"arXiv has no paper {arxiv_id}.")
        return EXIT_FAILURE
    summarizer = make_summarizer(settings)
    try:
        summary = await summarizer.summarize(paper, language)  # type: ignore[arg-type]
    finally:
        await summarizer.aclose()
    card = build_card(paper, summary)
    if fmt == "telegram":
        print(render_telegram(card).html)
    elif fmt == "slack":
        message = render_slack(card)
        print(json.dumps({"text": message.text, "blocks": message.blocks}, ensure_ascii=False))
    else:
        print(render_text(card))
    return 0


def _run_alone(settings: Settings) -> int:
    """`paperbell run`: one process per SQLite file; PostgreSQL takes any number (replicas)."""
    from bot.store.single_run import DatabaseInUse, only_run_on

    try:
        with only_run_on(settings.DATABASE_URL):
            return asyncio.run(_run(settings))
    except DatabaseInUse as exc:
        print(f"paperbell: {exc}", file=sys.stderr)
        return EXIT_FAILURE


async def _run(settings: Settings) -> int:
    """Wait for the database (it may start after the bot), then run until stopped."""
    from bot import app
    from bot.store.reach import wait_for_database

    bound = timedelta(seconds=settings.DATABASE_WAIT_SECONDS)
    failures: list[str] = []

    def say(line: str) -> None:
        failures.append(line)
        _say(line)

    await wait_for_database(settings.DATABASE_URL, bound, say)
    trouble = failures[0].partition("; trying again")[0] if failures else None
    await app.run(settings, database_trouble=trouble)
    return 0


async def _poll(settings: Settings) -> int:
    """One poll cycle for cron and Kubernetes CronJobs: exit 0 once everything due is sent,
    1 if arXiv could not be asked (what was queued before still goes out)."""
    from bot import app
    from bot.schedule.scheduler import Poller

    async with app.open_core(settings) as core:
        adapters = app.load_adapters(core)
        if not adapters:
            print("paperbell: no chat platform is configured; papers are queued, not sent.")
        poller = Poller.build(
            core.store, core.source, core.library, adapters, settings, ranker=core.service.ranker
        )
        try:
            report = await poller.cycle()
        finally:
            for adapter in adapters:
                await adapter.stop()
    if report.error:
        _say(str(report.error))
        return EXIT_FAILURE
    return 0


async def _export_favorites(settings: Settings) -> int:
    import json

    from bot.ops import backup
    from bot.store import Store

    store = Store.connect(settings.DATABASE_URL)
    try:
        exported = await backup.export_favorites(store)
    finally:
        await store.close()
    print(json.dumps(exported, ensure_ascii=False, indent=2))
    return 0


def _db(settings: Settings, action: str) -> int:
    from bot.store import migrate

    if action == "upgrade":
        migrate.upgrade(settings.DATABASE_URL)
        print(f"database is at migration {migrate.head()}")
    else:
        print(migrate.current(settings.DATABASE_URL) or "no migration applied")
    return 0


def _on_database(settings: Settings, command: Callable[[], int]) -> int:
    """Run a command that uses the database; its failing to answer is one line, exit 1."""
    from bot.store.reach import UNREACHABLE, DatabaseUnreachable, describe

    try:
        return command()
    except DatabaseUnreachable as exc:
        _say(str(exc))
    except UNREACHABLE as exc:
        _say(describe(settings.DATABASE_URL, exc))
    except OSError as exc:  # e.g. the SQLite file's folder cannot be created
        _say(str(exc))
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "preview":
        return _preview_command(args.arxiv_id, args.lang, args.format)
    if args.command == "doctor":
        from bot import doctor

        return doctor.main()
    settings = _settings()
    if settings is None:
        return EXIT_USAGE
    if args.command == "run" and not (settings.TELEGRAM_BOT_TOKEN or settings.SLACK_BOT_TOKEN):
        print(SETUP_SCREEN, file=sys.stderr)
        return EXIT_USAGE
    from bot.support.logs import configure_logging

    configure_logging(settings)
    commands: dict[str, Callable[[], int]] = {
        "run": lambda: _run_alone(settings),
        "poll": lambda: asyncio.run(_poll(settings)),
        "export-favorites": lambda: asyncio.run(_export_favorites(settings)),
        "db": lambda: _db(settings, args.db_command),
    }
    return _on_database(settings, commands[args.command])
