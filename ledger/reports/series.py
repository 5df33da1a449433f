"""Received per calendar month (in the configured time zone) and asset, for the "raised over
time" chart: exact integers, one series per asset (assets are never added together)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ledger.reports.figures import in_period
from ledger.reports.flows import Flow, FlowKind, iter_flows


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def compute_received_by_month(
    flows: Iterable[Flow],
    tz: ZoneInfo,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Sum received flows in [start, end) per asset and local month (``YYYY-MM``), every month
    from an asset's first to its last listed (months with nothing show 0)."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for flow in flows:
        if flow.kind is FlowKind.RECEIVED and in_period(flow.at, start, end):
            sums[flow.asset][flow.at.astimezone(tz).strftime("%Y-%m")] += flow.amount
    out = {}
    for asset in sorted(sums):
        months = sums[asset]
        if not any(months.values()):
            continue
        span = _months_between(min(months), max(months))
        out[asset] = [(m, months.get(m, 0)) for m in span]
    return out


def build_received_by_month(
    session: Session,
    tz: ZoneInfo,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Read the journal's flows and sum what was received per asset and month."""
    return compute_received_by_month(iter_flows(session, until=end), tz, start=start, end=end)
