"""One `paperbell run` per SQLite file.

SQLite serializes writers, but it cannot coordinate replicas: it has no `SKIP LOCKED`, no
shared rate-limit budget worth the name, and two pollers on one file would each believe
they lead. So a second process on the same file is refused with one line pointing to
PostgreSQL. The lock is an OS file lock beside the database: the kernel drops it when the
process ends however it ends, so a restart after `kill -9` is never refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url


class DatabaseInUse(Exception):
    """Another `paperbell run` holds this SQLite file; the message says what to do."""


@contextlib.contextmanager
def only_run_on(database_url: str) -> Iterator[None]:
    """Hold the SQLite file for this process; a no-op for PostgreSQL, which takes replicas."""
    url = make_url(database_url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.run-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(
                f"another `paperbell run` is already using {database} (DATABASE_URL); "
                "SQLite allows one process per file — for replicas, point DATABASE_URL "
                "at PostgreSQL (postgresql://user:pass@host/db)"
            ) from None
        yield
    finally:
        os.close(descriptor)
