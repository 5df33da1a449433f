"""How each chain's sync stands, from what is stored: the cursor, the last passes, the logs.

The sync records each pass as it ends (:func:`record_sync_run`, one small row in its own
transaction); :func:`get_chain_status` reads those rows and the cursor without calling any node,
so a status page costs no RPC request. See docs/sync.md ("Status").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.models import ChainLog, SyncCursor, SyncRun

# Runs kept per chain: enough for an hour of `ledger watch` at its default poll interval.
KEPT_RUNS = 1000
RATE_WINDOW = timedelta(hours=1)
MAX_ERROR_LENGTH = 2000

_URL = re.compile(r"(https?)://([^/\s?#@]*@)?([^/\s?#]+)[^\s'\")]*")


class PassReport(Protocol):
    """What a pass reports (ledger.chain.sync.SyncReport has these)."""

    head: int
    final: int
    logs_stored: int
    entries_posted: int


def redact_urls(text: str) -> str:
    """Cut every http(s) URL in ``text`` to its scheme and host: RPC URLs carry API keys."""
    return _URL.sub(lambda m: f"{m.group(1)}://{m.group(3)}/***", text)


def record_sync_run(
    sessions: sessionmaker[Session],
    chain_id: int,
    started_at: datetime,
    duration_s: float,
    report: PassReport | None,
    error: BaseException | None = None,
) -> None:
    """Store one pass's outcome in its own transaction, and forget runs beyond ``KEPT_RUNS``."""
    message = None
    if error is not None:
        message = redact_urls(f"{type(error).__name__}: {error}")[:MAX_ERROR_LENGTH]
    with sessions() as session:
        row = SyncRun(
            chain_id=chain_id,
            started_at=started_at,
            duration_ms=max(int(duration_s * 1000), 0),
            head=report.head if report is not None else None,
            final=report.final if report is not None else None,
            logs_stored=report.logs_stored if report is not None else 0,
            entries_posted=report.entries_posted if report is not None else 0,
            error=message,
        )
        session.add(row)
        session.flush()
        session.execute(
            delete(SyncRun).where(SyncRun.chain_id == chain_id, SyncRun.id <= row.id - KEPT_RUNS)
        )
        session.commit()


@dataclass(frozen=True)
class ChainStatus:
    chain_id: int
    booked_to: int | None  # the cursor: last block booked as final
    fetched_to: int | None  # last block read (final or pending)
    cursor_updated_at: datetime | None
    halted_reason: str | None
    head: int | None  # as the last successful pass saw them
    final: int | None
    seen_at: datetime | None  # when that pass started
    last_run_at: datetime | None
    last_run_failed: bool
    last_error: str | None
    last_error_at: datetime | None
    events_last_hour: int
    events_per_minute: Decimal  # logs stored per minute over the last hour
    booked_logs: int
    pending_logs: int
    pending_from: int | None  # the lowest block with a log pending finality
    pending_to: int | None

    @property
    def lag(self) -> int | None:
        """Final blocks not booked yet (as of the last pass that saw the chain)."""
        if self.final is None or self.booked_to is None:
            return None
        return max(self.final - self.booked_to, 0)


def _counts(session: Session, chain_id: int) -> tuple[int, int, int | None, int | None]:
    rows = session.execute(
        select(
            ChainLog.is_booked,
            func.count(),
            func.min(ChainLog.block_number),
            func.max(ChainLog.block_number),
        )
        .where(ChainLog.chain_id == chain_id)
        .group_by(ChainLog.is_booked)
    ).all()
    booked = pending = 0
    low = high = None
    for is_booked, count, lowest, highest in rows:
        if is_booked:
            booked = count
        else:
            pending, low, high = count, lowest, highest
    return booked, pending, low, high


def get_chain_status(session: Session, now: datetime) -> list[ChainStatus]:
    """Return the stored status of every chain the sync has a cursor or a run for."""
    cursors = {c.chain_id: c for c in session.scalars(select(SyncCursor))}
    chains = set(cursors) | set(session.scalars(select(SyncRun.chain_id).distinct()))
    out = []
    for chain_id in sorted(chains):
        cursor = cursors.get(chain_id)
        runs = (
            select(SyncRun)
            .where(SyncRun.chain_id == chain_id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        )
        last = session.scalars(runs.limit(1)).first()
        seen = session.scalars(runs.where(SyncRun.head.is_not(None)).limit(1)).first()
        failed = session.scalars(runs.where(SyncRun.error.is_not(None)).limit(1)).first()
        events = (
            session.scalar(
                select(func.coalesce(func.sum(SyncRun.logs_stored), 0)).where(
                    SyncRun.chain_id == chain_id, SyncRun.started_at >= now - RATE_WINDOW
                )
            )
            or 0
        )
        minutes = Decimal(int(RATE_WINDOW.total_seconds()) // 60)
        booked, pending, low, high = _counts(session, chain_id)
        out.append(
            ChainStatus(
                chain_id=chain_id,
                booked_to=cursor.booked_to if cursor else None,
                fetched_to=cursor.fetched_to if cursor else None,
                cursor_updated_at=cursor.updated_at if cursor else None,
                halted_reason=cursor.halted_reason if cursor else None,
                head=seen.head if seen else None,
                final=seen.final if seen else None,
                seen_at=seen.started_at if seen else None,
                last_run_at=last.started_at if last else None,
                last_run_failed=bool(last and last.error),
                last_error=failed.error if failed else None,
                last_error_at=failed.started_at if failed else None,
                events_last_hour=int(events),
                events_per_minute=(Decimal(int(events)) / minutes).quantize(
                    Decimal("0.1"), ROUND_HALF_EVEN
                ),
                booked_logs=booked,
                pending_logs=pending,
                pending_from=low,
                pending_to=high,
            )
        )
    return out
