"""Reports converted into KZT or USD: each flow at the latest rate at or before its entry's
effective date, summed exactly, rounded once per figure to the quote's smallest unit.

A flow with no such rate is never guessed: it is left out of the converted figures and listed
as unconverted, with the rates that were used, so a reader sees exactly what the sums rest on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from ledger.rates import RateBook, RateUsed
from ledger.reports.figures import Figures, in_period
from ledger.reports.flows import FlowKind, iter_flows
from ledger.reports.tables import Dimension, Report, ReportRow, get_grouping, label_of


@dataclass(frozen=True)
class Unconverted:
    """What one entry contributed to one figure in an asset that had no rate at its date."""

    entry_id: int
    at: datetime
    kind: FlowKind
    asset: str
    amount: int


@dataclass(frozen=True)
class Conversion:
    quote: str
    rates_used: list[RateUsed]
    unconverted: list[Unconverted]


def build_converted_report(
    session: Session,
    dimension: Dimension,
    book: RateBook,
    decimals: Mapping[str, int],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    lang: str = "en",
    fallback: Sequence[str] = ("kk", "ru", "en"),
) -> tuple[Report, Conversion]:
    """Sum the flows in [start, end) by ``dimension``, converted into ``book.quote``."""
    key_fn, labels = get_grouping(session, dimension, lang=lang, fallback=fallback)
    sums: dict[str, dict[FlowKind, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    used: set[RateUsed] = set()
    missing_at: dict[tuple[int, FlowKind, str], datetime] = {}
    missing: dict[tuple[int, FlowKind, str], int] = defaultdict(int)
    for flow in iter_flows(session, until=end):
        if not in_period(flow.at, start, end):
            continue
        keys = list(key_fn(flow))
        if not keys:
            continue
        converted = book.convert(flow.amount, flow.asset, decimals[flow.asset], flow.at)
        if converted is None:
            item = (flow.entry_id, flow.kind, flow.asset)
            missing_at.setdefault(item, flow.at)
            missing[item] += flow.amount
            continue
        value, rate = converted
        if rate is not None:
            used.add(rate)
        for key in keys:
            sums[key][flow.kind] += value
    rows = []
    for key in sorted(sums, key=lambda k: (k == "-", k)):
        figures = Figures(**{kind.value: round(total) for kind, total in sums[key].items()})
        if not figures.is_zero():
            rows.append(
                ReportRow(
                    key,
                    label_of(labels, key),
                    book.quote,
                    figures,
                    is_recipient=dimension == Dimension.BENEFICIARY,
                )
            )
    unconverted = [
        Unconverted(entry_id, missing_at[(entry_id, kind, asset)], kind, asset, amount)
        for (entry_id, kind, asset), amount in sorted(
            missing.items(), key=lambda item: (missing_at[item[0]], item[0])
        )
        if amount
    ]
    rates_used = sorted(used, key=lambda r: (r.base, r.observed_at))
    return Report(dimension, start, end, rows), Conversion(book.quote, rates_used, unconverted)
