"""Sales booked into a console app's database (committed): two artworks, two months, one gift
with a receipt code and a donor whose name must never leave the console's private pages."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.db import session_scope
from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry
from ledger.models import Artwork, Gift, Person, PersonContact
from ledger.rates import add_rate
from ledger.routing.attribute import Attribution
from ledger.routing.route import record_attribution, route_pending

DONOR_NAME = "CANARY-DONOR-NAME"
RECEIPT_CODE = "RCPT-CONSOLE-1"
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def _sale(session: Session, key: str, artwork: str, amount: int, at: datetime) -> int:
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=at,
            description="a sale at the exhibition",
            postings=[
                PostingSpec(bank_account(), "KZT", amount),
                PostingSpec(sales_account("Exhibition"), "KZT", -amount),
            ],
        ),
    )
    artwork_id = session.scalars(select(Artwork.id).where(Artwork.key == artwork)).one()
    record_attribution(session, entry, Attribution("Exhibition", artwork_id=artwork_id))
    return entry.id


def book_sales(app: Flask) -> None:
    """KZT sales: venera 1 000 000.00 (March, with a gift), and 250 000.50 (April) for the
    artwork listed second; all routed; a KZT->USD rate from 1 March."""
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        book_sales_into(session)


def book_sales_into(session: Session) -> None:
    """The sales of :func:`book_sales`, in ``session`` (the demo catalogue loaded)."""
    for name in (bank_account(), sales_account("Exhibition")):
        open_account(session, name)
    second = session.scalars(
        select(Artwork.key).where(Artwork.key != "venera").order_by(Artwork.position)
    ).first()
    assert second is not None
    gift_entry = _sale(session, "console-sale-1", "venera", 100_000_000, MARCH)
    _sale(session, "console-sale-2", second, 25_000_050, APRIL)
    donor = Person(ref="p_console_donor", contact=PersonContact(name=DONOR_NAME))
    session.add(donor)
    session.flush()
    session.add(Gift(entry_id=gift_entry, person_id=donor.id, receipt_code=RECEIPT_CODE))
    route_pending(session)
    add_rate(session, base="KZT", quote="USD", rate="1/500", source="test bank",
             observed_at=datetime(2026, 3, 1, tzinfo=UTC))
