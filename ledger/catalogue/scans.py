"""Count QR scans: one number per artwork and day, nothing about the visitor."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, Date, Integer, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ledger.models import Artwork, ScanCount


def record_scan(session: Session, public_code: str, day: date) -> bool:
    """Add one scan of the artwork with ``public_code`` on ``day``; False if no such artwork.

    One statement (insert or increment), so on SQLite the request's first statement takes the
    write lock directly instead of upgrading a read lock.
    """
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    source = select(Artwork.id, literal(day, Date()), literal(1, Integer())).where(
        Artwork.public_code == public_code
    )
    statement = insert(ScanCount).from_select(["artwork_id", "day", "count"], source)
    statement = statement.on_conflict_do_update(
        index_elements=[ScanCount.artwork_id, ScanCount.day],
        set_={"count": ScanCount.count + 1},
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount > 0


def get_scan_counts(session: Session, public_code: str) -> dict[date, int]:
    """Return the artwork's scans per day."""
    rows = session.execute(
        select(ScanCount.day, ScanCount.count)
        .join(Artwork, Artwork.id == ScanCount.artwork_id)
        .where(Artwork.public_code == public_code)
        .order_by(ScanCount.day)
    )
    return {day: count for day, count in rows}
