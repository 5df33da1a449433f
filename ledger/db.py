"""Engines and sessions: one place that knows how to open the ledger's database.

SQLite is the embedded default; the web app and the sync worker share its file, so every
connection runs in WAL mode with a busy timeout and enforced foreign keys, and gets the exact-sum
aggregate. PostgreSQL is used as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ledger.config import Settings
from ledger.types import ExactSumAggregate


def _prepare_sqlite_connection(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()
        dbapi_conn.create_aggregate("ledger_exact_sum", 1, ExactSumAggregate)  # type: ignore[arg-type]

    return on_connect


def _begin_sqlite(conn: Any) -> None:
    # Writers (sync worker, CLI) ask for BEGIN IMMEDIATE: it takes the write lock up front, so
    # two writers queue on busy_timeout instead of one failing with "database is locked" when a
    # read transaction is upgraded. Readers (web pages) keep the default deferred BEGIN.
    mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(
    url: str,
    *,
    sqlite_busy_timeout_ms: int = 15000,
    writer: bool = False,
    echo: bool = False,
) -> Engine:
    """Create an engine for ``url`` with the ledger's per-connection settings.

    ``writer`` makes SQLite transactions take the write lock at BEGIN (for CLI and sync).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _prepare_sqlite_connection(sqlite_busy_timeout_ms))
        event.listen(engine, "begin", _begin_sqlite)
        return engine.execution_options(sqlite_immediate=True) if writer else engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_autocommit_engine(engine: Engine, pool_size: int = 5) -> Engine:
    """A second engine on ``engine``'s database for single read statements that need no
    transaction: autocommit (no BEGIN or ROLLBACK round trips) and no pre-ping, so one
    statement is one round trip. Its caller retries once on a dropped connection instead.
    """
    return create_engine(
        engine.url, isolation_level="AUTOCOMMIT", pool_size=pool_size, pool_pre_ping=False
    )


def engine_from_settings(settings: Settings, *, writer: bool = False) -> Engine:
    """Create the engine the settings name (the embedded SQLite file by default)."""
    return make_engine(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.database.sqlite_busy_timeout_ms,
        writer=writer,
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def execute_many(session: Session, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement written in the qmark style ("?") for many rows, at the driver level.

    In the session's transaction. The bulk writes of the sync use it: SQLAlchemy's per-row
    parameter processing cost more than the database's own work there, so callers convert
    values themselves, with the columns' own types (``Amount.bind_converter``, ...).
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    connection.exec_driver_sql(sql, list(rows))


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session and commit once at the end, or roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
