"""`paperbell doctor`: everything the bot depends on, checked in a few seconds, one line each.

A newcomer's first failure is a wrong token, a database that does not answer or a
firewall in front of arXiv, and the bot's logs bury each of them among retries. Every
check here makes the one request that proves the dependency works and, when it does not,
says what to change. Platform checks live in their adapter modules (`doctor_check`), so
this module stays free of platform libraries and a new platform brings its own.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import openai
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

import handlers
from bot.source.arxiv_calendar import public_at
from bot.source.arxiv_source import ArxivError, ArxivSource
from bot.store import Store, migrate
from bot.support.checks import CheckResult, PlatformCheck
from bot.support.clock import utcnow
from bot.support.config import ConfigError, Settings, load_settings
from bot.support.logs import configure_logging

PROBE_PAPER = "2508.08189"
PROBE_CATEGORY = "cs.AI"
DATABASE_TIMEOUT = 10.0


def main(echo: Callable[[str], None] = print) -> int:
    """Print one line per check; if any failed, say which on stderr (one line, for logs that
    keep only stderr) and exit 1."""
    failed = [result.name for result in _check_all(echo) if result.status == "fail"]
    if failed:
        print(f"paperbell doctor: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _check_all(echo: Callable[[str], None]) -> list[CheckResult]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        result = CheckResult.failed("settings", str(exc), "correct it in .env (see .env.example)")
        echo(result.line())
        return [result]
    configure_logging(settings, one_shot=True)
    echo(CheckResult.ok("settings", "environment and .env read").line())
    return asyncio.run(diagnose(settings, echo))


async def diagnose(settings: Settings, echo: Callable[[str], None]) -> list[CheckResult]:
    """Run every check in turn, printing each line as soon as it is known."""
    results: list[CheckResult] = []

    def report(result: CheckResult) -> None:
        results.append(result)
        echo(result.line())

    report(await check_database(settings))
    report(await check_mailings(settings))
    for result in await check_arxiv(settings):
        report(result)
    platforms = []
    for check in platform_checks():
        platforms.append(await check(settings))
        report(platforms[-1])
    if all(result.status == "skip" for result in platforms):
        report(
            CheckResult.failed(
                "chat platforms",
                "none is configured, so `paperbell run` has nowhere to post",
                "set TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN (see .env.example)",
            )
        )
    report(await check_llm(settings))
    return results


async def check_mailings(settings: Settings, now: datetime | None = None) -> CheckResult:
    """Whether the newest arXiv mailing arrived: overdue is degraded, not a failure."""
    name = "arXiv mailings"
    now = now or utcnow()
    after = timedelta(minutes=settings.MAILING_OVERDUE_MINUTES)
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        return CheckResult.skipped(name, "no database yet")
    store = Store.connect(settings.DATABASE_URL)
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            overdue = await store.overdue_mailing(now, after)
            newest = await store.newest_settled_mailing()
    except Exception as exc:
        return CheckResult.skipped(name, f"the database cannot tell ({_first_line(exc)})")
    finally:
        await store.close()
    if overdue is not None:
        late = int((now - public_at(overdue)).total_seconds() // 60)
        return CheckResult.degraded(
            name,
            f"the mailing of {overdue} is overdue: not seen {late} min after its announcement "
            f"(limit MAILING_OVERDUE_MINUTES={settings.MAILING_OVERDUE_MINUTES})",
            "check https://status.arxiv.org and the log; the catch-up query fetches it "
            "once arXiv's API lists it",
        )
    if newest is None:
        return CheckResult.ok(name, "none seen yet (nothing followed, or not polled yet)")
    return CheckResult.ok(name, f"the newest, of {newest}, is in")


def platform_checks() -> list[PlatformCheck]:
    """Each adapter module's `doctor_check`, found the way `bot.app` finds adapters."""
    checks = []
    for name in handlers.ADAPTER_MODULES:
        check: PlatformCheck | None = getattr(importlib.import_module(name), "doctor_check", None)
        if check is not None:
            checks.append(check)
    return checks


async def check_database(settings: Settings) -> CheckResult:
    name = "database"
    url = make_url(settings.DATABASE_URL)
    shown = url.render_as_string(hide_password=True)
    path = settings.sqlite_path()
    if path is not None:
        problem = _sqlite_problem(path)
        if problem is not None:
            return CheckResult.failed(
                name, problem, "make it writable by this user or set DATABASE_URL"
            )
        if not path.exists():
            return CheckResult.ok(name, f"{path} does not exist yet; `paperbell run` creates it")
    store = Store.connect(url)
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            await store.ping()
    except Exception as exc:
        return CheckResult.failed(
            name,
            f"{shown} does not answer: {_first_line(exc)}",
            "check DATABASE_URL and that the database server runs and accepts this user",
        )
    finally:
        await store.close()
    current = await asyncio.to_thread(migrate.current, url)
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    known = [revision.revision for revision in script.walk_revisions()]  # newest first
    if current is None:
        return CheckResult.ok(name, f"{shown} answers; empty: `paperbell run` creates the schema")
    if current not in known:
        return CheckResult.failed(
            name,
            f"{shown} is at migration {current}, newer than this paperbell knows ({known[0]})",
            "run the paperbell version that migrated it, or restore a backup",
        )
    pending = known.index(current)
    if pending:
        return CheckResult.ok(
            name,
            f"{shown} answers; at migration {current}, {pending} to apply "
            "(`paperbell run` and `paperbell db upgrade` apply them)",
        )
    return CheckResult.ok(name, f"{shown} answers; at the latest migration ({current})")


def _sqlite_problem(path: Path) -> str | None:
    """Why SQLite could not write the file (the usual cause: a volume owned by root)."""
    if path.exists():
        return None if os.access(path, os.W_OK) else f"{path} is not writable"
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    return f"cannot create {path}: {folder} is not writable"


async def check_arxiv(settings: Settings) -> list[CheckResult]:
    """One metadata query and one feed request, each tried once: doctor must not hang."""
    source = ArxivSource(
        settings.ARXIV_API_URL,
        settings.ARXIV_REQUEST_INTERVAL,
        settings.ARXIV_TIMEOUT,
        rss_url=settings.ARXIV_RSS_URL,
        max_retries=0,
    )
    fix = "check the network (proxy, firewall, DNS) and"
    results = []
    try:
        await source.fetch([PROBE_PAPER])
    except ArxivError as exc:
        results.append(CheckResult.failed("arXiv API", str(exc), f"{fix} ARXIV_API_URL"))
    else:
        results.append(CheckResult.ok("arXiv API", f"{settings.ARXIV_API_URL} answers"))
    try:
        await source.fetch_rss([PROBE_CATEGORY])
    except ArxivError as exc:
        results.append(CheckResult.failed("arXiv feed", str(exc), f"{fix} ARXIV_RSS_URL"))
    else:
        results.append(CheckResult.ok("arXiv feed", f"{settings.ARXIV_RSS_URL} answers"))
    return results


async def check_llm(settings: Settings) -> CheckResult:
    """A one-word chat completion: it proves the URL, the key and the model at once."""
    name = "LLM"
    base_url, model = settings.LLM_BASE_URL, settings.LLM_MODEL
    if base_url is None and model is None:
        return CheckResult.skipped(name, "not configured; cards use the offline summarizer")
    if base_url is None or model is None:
        missing = "LLM_BASE_URL" if base_url is None else "LLM_MODEL"
        return CheckResult.failed(
            name, f"{missing} is empty, so cards use the offline summarizer", f"set {missing}"
        )
    key = settings.LLM_API_KEY.get_secret_value() if settings.LLM_API_KEY else ""
    client = openai.AsyncOpenAI(
        base_url=base_url, api_key=key or "none", timeout=settings.LLM_TIMEOUT, max_retries=0
    )
    try:
        await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Answer with one word: OK"}]
        )
    except openai.AuthenticationError:
        return CheckResult.failed(
            name, f"{base_url} refused the API key (HTTP 401)", "set LLM_API_KEY to a valid key"
        )
    except openai.NotFoundError:
        return CheckResult.failed(
            name,
            f"{base_url} has no model {model!r} (HTTP 404)",
            "set LLM_MODEL to a model this endpoint serves, spelled as it spells it",
        )
    except openai.APIStatusError as exc:
        detail = _first_line(exc).replace(key, "***") if key else _first_line(exc)
        return CheckResult.failed(
            name, f"{base_url} answered HTTP {exc.status_code}: {detail}", "check LLM_* settings"
        )
    except (openai.APIConnectionError, TimeoutError) as exc:
        return CheckResult.failed(
            name,
            f"{base_url} does not answer: {_first_line(exc)}",
            "check LLM_BASE_URL (it ends in /v1 for most servers) and the network",
        )
    finally:
        await client.close()
    return CheckResult.ok(name, f"{model} answers at {base_url}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
