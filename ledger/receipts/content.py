"""What a receipt says, read from the journal: the gift's entry, its artwork and its routing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import artist_payable_account, is_proceeds_account
from ledger.errors import NotFoundError
from ledger.models import (
    Artist,
    Artwork,
    Beneficiary,
    Gift,
    JournalEntry,
    Person,
    RoutingRecord,
    RoutingStatus,
)
from ledger.reports.render import format_units


@dataclass(frozen=True)
class Allocation:
    recipient: str
    amount: str  # exact decimal
    asset: str


@dataclass(frozen=True)
class ReceiptContent:
    receipt_code: str
    date: str  # local date in the configured time zone
    artwork: str | None
    amounts: tuple[tuple[str, str], ...]  # (exact decimal, asset): what the gift paid
    status: RoutingStatus | None
    allocations: tuple[Allocation, ...]


def _shown(text: object, lang: str, fallback: Sequence[str]) -> str:
    show = getattr(text, "show", None)
    found = show(lang, fallback) if show else None
    return found.text if found is not None else "?"


def _paid(entry: JournalEntry) -> dict[str, int]:
    """What the gift paid per asset: the credits to its proceeds accounts (the gross price)."""
    paid: dict[str, int] = defaultdict(int)
    for posting in entry.postings:
        if is_proceeds_account(posting.account.name) and posting.amount < 0:
            paid[posting.asset.code] -= posting.amount
    return dict(paid)


def _receipt(
    session: Session, gift: Gift, tz: ZoneInfo, lang: str, fallback: Sequence[str]
) -> ReceiptContent:
    entry = session.get(JournalEntry, gift.entry_id)
    assert entry is not None  # a foreign key
    record = session.scalars(
        select(RoutingRecord).where(RoutingRecord.entry_id == entry.id)
    ).one_or_none()
    artwork = None
    if record is not None and record.artwork_id is not None:
        found = session.get(Artwork, record.artwork_id)
        artwork = _shown(found.title, lang, fallback) if found else None
    allocations: list[Allocation] = []
    if record is not None and record.routing_entry_id is not None:
        routing = session.get(JournalEntry, record.routing_entry_id)
        assert routing is not None
        beneficiaries = {b.id: b for b in session.scalars(select(Beneficiary))}
        artists = {artist_payable_account(a.key): a for a in session.scalars(select(Artist))}
        for posting in routing.postings:
            if posting.amount >= 0:
                continue
            account = posting.account
            if account.beneficiary_id in beneficiaries:
                name = _shown(beneficiaries[account.beneficiary_id].name, lang, fallback)
            elif account.name in artists:
                name = _shown(artists[account.name].name, lang, fallback)
            else:
                name = account.name
            allocations.append(
                Allocation(
                    name,
                    format_units(-posting.amount, posting.asset.decimals),
                    posting.asset.code,
                )
            )
    decimals = {p.asset.code: p.asset.decimals for p in entry.postings}
    return ReceiptContent(
        receipt_code=gift.receipt_code,
        date=entry.effective_at.astimezone(tz).date().isoformat(),
        artwork=artwork,
        amounts=tuple(
            (format_units(amount, decimals[asset]), asset)
            for asset, amount in sorted(_paid(entry).items())
        ),
        status=record.status if record else None,
        allocations=tuple(allocations),
    )


def build_receipts(
    session: Session,
    *,
    tz: ZoneInfo,
    lang: str,
    fallback: Sequence[str] = ("kk", "ru", "en"),
    receipt_code: str | None = None,
    person_ref: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ReceiptContent]:
    """One receipt for the gift with ``receipt_code``, or one per gift of ``person_ref`` whose
    entry is dated in [start, end), oldest first.

    Raises NotFoundError for an unknown code or person, or a person with no gift in the period.
    """
    query = select(Gift).join(JournalEntry, JournalEntry.id == Gift.entry_id)
    if receipt_code is not None:
        query = query.where(Gift.receipt_code == receipt_code)
    elif person_ref is not None:
        person = session.scalars(select(Person).where(Person.ref == person_ref)).one_or_none()
        if person is None:
            raise NotFoundError(f"no person {person_ref!r}")
        query = query.where(Gift.person_id == person.id)
        if start is not None:
            query = query.where(JournalEntry.effective_at >= start)
        if end is not None:
            query = query.where(JournalEntry.effective_at < end)
    else:
        raise NotFoundError("name a receipt code or a person")
    gifts = list(session.scalars(query.order_by(JournalEntry.effective_at, Gift.id)))
    if not gifts:
        raise NotFoundError("no gift matches (check the code, or the person and the dates)")
    return [_receipt(session, gift, tz, lang, fallback) for gift in gifts]


def build_period_receipts(
    session: Session,
    *,
    tz: ZoneInfo,
    lang: str,
    fallback: Sequence[str] = ("kk", "ru", "en"),
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[ReceiptContent]:
    """One receipt per gift (of anyone) whose entry is dated in [start, end), oldest first.

    Each receipt carries its gift's receipt code, the donor's private key to it: callers give
    this to admins only. Raises NotFoundError when no gift is dated in the period.
    """
    query = select(Gift).join(JournalEntry, JournalEntry.id == Gift.entry_id)
    if start is not None:
        query = query.where(JournalEntry.effective_at >= start)
    if end is not None:
        query = query.where(JournalEntry.effective_at < end)
    gifts = list(session.scalars(query.order_by(JournalEntry.effective_at, Gift.id)))
    if not gifts:
        raise NotFoundError("no gift is dated in this period")
    return [_receipt(session, gift, tz, lang, fallback) for gift in gifts]
