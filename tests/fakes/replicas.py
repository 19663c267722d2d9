"""`paperbell run` replicas as real processes, for the replica tests and `bench/replicas.py`.

Each replica's log goes to a file (a pipe nobody reads would fill and stall it); the
database says who holds which lease.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.fakes.outbox import execute


class Replica:
    """One `paperbell run` process, its log in a file (a pipe nobody reads would fill)."""

    def __init__(self, env: dict[str, str], folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{name}.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def name(self) -> str:
        """The replica name it takes in leases (host:pid)."""
        return f"{os.uname().nodename}:{self.process.pid}"

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log()


async def holder(database_url: str, lease: str) -> str | None:
    rows = await execute(
        database_url,
        "SELECT holder FROM cluster_leases WHERE name = :name AND expires_at > :now",
        name=lease,
        now=datetime.now(UTC),
    )
    return rows[0][0] if rows else None
