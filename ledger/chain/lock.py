"""One sync writer per database: a second one waits or stops with a clear message.

PostgreSQL: a session-level advisory lock held on a connection of its own; SQLite: an exclusive
``flock`` on a file beside the database (``ledger.sqlite3.sync-lock``). Both are released by the
operating system or the server when the holder dies, so a killed writer never leaves a lock that
blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ledger.errors import LedgerError

# An arbitrary constant shared by every ledger process: "ledger sync" as a 63-bit integer.
ADVISORY_KEY = 0x6C65_6467_6572_5359


class SyncLockedError(LedgerError):
    """Another sync process holds the writer lock."""


def _lock_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise SyncLockedError("the sync needs a file or server database, not an in-memory one")
    return Path(f"{database}.sync-lock")


@contextmanager
def hold_sync_lock(engine: Engine, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock for the block; wait up to ``wait_s`` seconds for it.

    Raises SyncLockedError when another process holds it after the wait.
    """
    deadline = time.monotonic() + wait_s
    message = (
        "another `ledger sync` or `ledger watch` is writing to this database; "
        "wait for it to finish (or pass --wait SECONDS)"
    )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            while not conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar_one():
                conn.rollback()
                if time.monotonic() >= deadline:
                    raise SyncLockedError(message)
                time.sleep(0.2)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
        return
    path = _lock_file(engine)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncLockedError(message) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
