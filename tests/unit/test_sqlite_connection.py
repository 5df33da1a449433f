"""The embedded database is shared by the web app and the sync worker: WAL and a busy timeout."""

from pathlib import Path

from sqlalchemy import text

from ledger.db import make_engine


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", sqlite_busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 4321
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(
            text(
                "SELECT ledger_exact_sum(v) FROM (SELECT '1' AS v UNION ALL SELECT '115792089237316195423570985008687907853269984665640564039457584007913129639935')"
            )
        ).scalar() == str(2**256)
    engine.dispose()
