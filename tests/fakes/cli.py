"""`paperbell` as a person runs it: `python -m bot` in a subprocess, with a clean environment.

Settings this test process inherited are dropped, so each test passes exactly the ones it
means; `PYTHONPATH` makes the checkout under test win over any installed copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.support.config import Settings

ROOT = Path(__file__).resolve().parents[2]
HEAVY_LIBRARIES = (
    "telegram",
    "slack_sdk",
    "slack_bolt",
    "sqlalchemy",
    "alembic",
    "openai",
    "yake",
    "arxiv",
    "aiohttp",
    "httpx",
    "apscheduler",
    "prometheus_client",
)
"""What `paperbell --help` and a mistyped argument must not wait for."""


def clean_environment(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    clean.update(PYTHONPATH=str(ROOT), ARXIV_REQUEST_INTERVAL="0", **env)
    return clean


def paperbell(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


_IMPORTED_BY = """
import runpy, sys
sys.argv = ["paperbell", *sys.argv[1:]]
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
heavy = {heavy!r}
print("imported:", *sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy)), file=sys.stderr)
"""


def heavy_imports(*args: str, cwd: Path, **env: str) -> list[str]:
    """The heavy libraries `paperbell ARGS` imported, read from the finished process itself."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTED_BY.format(heavy=HEAVY_LIBRARIES), *args],
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    (report,) = [line for line in result.stderr.splitlines() if line.startswith("imported:")]
    return report.split()[1:]
