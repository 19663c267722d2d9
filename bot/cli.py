"""The `paperbell` command: run | poll | preview | db.

Expected failures (a bad ID, arXiv down, a bad setting) end in one line and an exit
code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot import app
from bot.cards.cards import build_card
from bot.ops import backup, doctor
from bot.render.slack_blocks import render_slack
from bot.render.telegram_html import render_telegram
from bot.render.text import render_text
from bot.schedule.scheduler import Poller
from bot.source.arxiv_source import ArxivError, ArxivSource
from bot.source.ids import InvalidArxivId, parse_arxiv_id
from bot.store import Store, migrate
from bot.store.single_run import DatabaseInUse, only_run_on
from bot.summarize import make_summarizer
from bot.support.config import ConfigError, Settings, load_settings
from bot.support.logs import configure_logging

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


async def _preview(settings: Settings, raw_id: str, language: str, fmt: str) -> int:
    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        print(f"paperbell: {exc}", file=sys.stderr)
        return EXIT_USAGE
    source = ArxivSource.from_settings(settings)
    try:
        paper = await source.fetch_one(arxiv_id)
    except ArxivError as exc:
        print(f"paperbell: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if paper is None:
        print(f"paperbell: arXiv has no paper {arxiv_id}.", file=sys.stderr)
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


def _run(settings: Settings) -> int:
    if settings.TELEGRAM_BOT_TOKEN is None and settings.SLACK_BOT_TOKEN is None:
        print(SETUP_SCREEN, file=sys.stderr)
        return EXIT_USAGE
    try:
        with only_run_on(settings.DATABASE_URL):
            asyncio.run(app.run(settings))
    except DatabaseInUse as exc:
        print(f"paperbell: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


async def _poll(settings: Settings) -> int:
    """One poll cycle for cron and Kubernetes CronJobs: exit 0 once everything due is sent,
    1 if arXiv could not be asked (what was queued before still goes out)."""
    async with app.open_core(settings) as core:
        adapters = app.load_adapters(core)
        if not adapters:
            print("paperbell: no chat platform is configured; papers are queued, not sent.")
        poller = Poller.build(core.store, core.source, core.library, adapters)
        try:
            report = await poller.cycle()
        finally:
            for adapter in adapters:
                await adapter.stop()
    if report.error:
        print(f"paperbell: {report.error}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


async def _export_favorites(settings: Settings) -> int:
    store = Store.connect(settings.DATABASE_URL)
    try:
        exported = await backup.export_favorites(store)
    except SQLAlchemyError as exc:
        detail = " ".join(str(exc.__cause__ or exc).split())
        print(f"paperbell: cannot read the database: {detail}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        await store.close()
    print(json.dumps(exported, ensure_ascii=False, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        return doctor.main()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"paperbell: bad setting: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings, one_shot=args.command == "preview")
    if args.command == "preview":
        language = args.lang or settings.DEFAULT_LANGUAGE
        return asyncio.run(_preview(settings, args.arxiv_id, language, args.format))
    if args.command == "db":
        if args.db_command == "upgrade":
            migrate.upgrade(settings.DATABASE_URL)
            print(f"database is at migration {migrate.head()}")
        else:
            print(migrate.current(settings.DATABASE_URL) or "no migration applied")
        return 0
    if args.command == "export-favorites":
        return asyncio.run(_export_favorites(settings))
    if args.command == "poll":
        return asyncio.run(_poll(settings))
    return _run(settings)
