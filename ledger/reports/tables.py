"""Reports per artwork, artist, beneficiary, channel or in total, for any period.

Rows carry exact integers in the asset's smallest unit; ``render`` formats them. A beneficiary
row only has routed, disbursed and outstanding: pledged and received belong to sales, not to
recipients. An artwork with several artists counts under each of them, so the artist rows can
add up to more than the total (the total row never double counts).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Account, Artwork, Beneficiary
from ledger.reports.figures import Figures, sum_flows
from ledger.reports.flows import Flow, FlowKind, iter_flows


class Dimension(enum.StrEnum):
    TOTAL = "total"
    ARTWORK = "artwork"
    ARTIST = "artist"
    BENEFICIARY = "beneficiary"
    CHANNEL = "channel"


@dataclass(frozen=True)
class ReportRow:
    key: str  # a stable key (artwork key, beneficiary key, channel), "-" for none
    label: str
    asset: str
    figures: Figures
    is_recipient: bool = False  # beneficiary rows: pledged and received do not apply


@dataclass(frozen=True)
class Report:
    dimension: Dimension
    start: datetime | None
    end: datetime | None
    rows: list[ReportRow]


def _title(text: object, lang: str, fallback: Sequence[str]) -> str:
    shown = getattr(text, "show", None)
    found = shown(lang, fallback) if shown else None
    return found.text if found is not None else "?"


def get_grouping(
    session: Session,
    dimension: Dimension,
    *,
    lang: str = "en",
    fallback: Sequence[str] = ("kk", "ru", "en"),
) -> tuple[Callable[[Flow], Iterable[str]], dict[str, str]]:
    """Return the keys a flow counts under for ``dimension``, and each key's label."""
    labels: dict[str, str] = {}
    key_fn: Callable[[Flow], Iterable[str]]
    if dimension == Dimension.TOTAL:
        key_fn = lambda flow: ["total"]  # noqa: E731
        labels["total"] = "Total"
    elif dimension == Dimension.CHANNEL:
        key_fn = lambda flow: [flow.attr.channel or "-"]  # noqa: E731
    elif dimension in (Dimension.ARTWORK, Dimension.ARTIST):
        artworks = {a.id: a for a in session.scalars(select(Artwork))}
        for artwork in artworks.values():
            labels[artwork.key] = _title(artwork.title, lang, fallback)
            for artist in artwork.artists:
                labels[artist.key] = _title(artist.name, lang, fallback)

        def key_fn(flow: Flow) -> Iterable[str]:
            artwork = artworks.get(flow.attr.artwork_id or -1)
            if artwork is None:
                return ["-"]
            if dimension == Dimension.ARTWORK:
                return [artwork.key]
            return [artist.key for artist in artwork.artists] or ["-"]
    else:
        owners = {
            name: ben_id
            for name, ben_id in session.execute(select(Account.name, Account.beneficiary_id))
        }
        beneficiaries = {b.id: b for b in session.scalars(select(Beneficiary))}
        for ben in beneficiaries.values():
            labels[ben.key] = _title(ben.name, lang, fallback)

        def key_fn(flow: Flow) -> Iterable[str]:
            if flow.kind not in (FlowKind.ROUTED, FlowKind.DISBURSED) or flow.recipient is None:
                return []
            ben = beneficiaries.get(owners.get(flow.recipient) or -1)
            return [ben.key if ben else flow.recipient]

    return key_fn, labels


def label_of(labels: dict[str, str], key: str) -> str:
    return labels.get(key, "(no artwork)" if key == "-" else key)


def build_report(
    session: Session,
    dimension: Dimension,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    lang: str = "en",
    fallback: Sequence[str] = ("kk", "ru", "en"),
) -> Report:
    """Sum the journal's flows in [start, end) by ``dimension``."""
    flows = list(iter_flows(session, until=end))
    key_fn, labels = get_grouping(session, dimension, lang=lang, fallback=fallback)
    sums = sum_flows(flows, key_fn, start=start, end=end)
    rows = []
    for key in sorted(sums, key=lambda k: (k == "-", k)):
        for asset in sums[key].assets():
            rows.append(
                ReportRow(
                    key,
                    label_of(labels, key),
                    asset,
                    sums[key].by_asset[asset],
                    is_recipient=dimension == Dimension.BENEFICIARY,
                )
            )
    return Report(dimension, start, end, rows)
