"""A public ledger brought up to date with only the new entries (``update_flow_book``, as the
web app's ``LedgerCache`` does after each change) is identical to one built from scratch,
after sales, a payout, a reversal, a consent withdrawal, a late routing and a backdated sale,
on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.audit import Actor
from ledger.catalogue.edit import withdraw_consent
from ledger.demo.load import load_demo
from ledger.journal import open_account, reverse_entry
from ledger.reports.flows import FlowBook, iter_flows, update_flow_book
from ledger.reports.public import build_public_ledger, get_ledger_version
from ledger.routing.route import route_pending
from tests.factories import attributed_cash_sale, bank_payout_to_crisis_centre
from web.transparency import LedgerCache

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
FALLBACK = ("kk", "ru", "en")


def _check(session: Session, book: FlowBook | None, cache: LedgerCache) -> tuple[FlowBook, bool]:
    """Update ``book`` and the cache; both must equal a build from scratch."""
    session.flush()
    book, is_extended = update_flow_book(session, book)
    assert book.flows == list(iter_flows(session))
    for lang in ("en", "ru"):
        fresh = build_public_ledger(session, lang, FALLBACK)
        assert build_public_ledger(session, lang, FALLBACK, flow_book=book) == fresh
        assert cache.get(session, lang, FALLBACK, get_ledger_version(session)) == fresh
    return book, is_extended


def test_a_ledger_updated_with_new_entries_equals_a_full_build(
    session: Session, tmp_path: Path
) -> None:
    load_demo(session)
    for name in (bank_account(), sales_account("Exhibition")):
        open_account(session, name)
    documents = tmp_path / "documents"
    cache = LedgerCache()
    book, _ = _check(session, None, cache)

    first = attributed_cash_sale(session, "cash-1", 100_000, "venera", T0)
    attributed_cash_sale(session, "cash-2", 70_000, "alina", T0 + timedelta(hours=1))
    route_pending(session)
    book, is_extended = _check(session, book, cache)
    assert is_extended  # new routed sales after everything else: only they were applied

    bank_payout_to_crisis_centre(session, documents, "PP-1", 30_000, T0 + timedelta(days=1))
    book, is_extended = _check(session, book, cache)
    assert is_extended

    reverse_entry(session, first, effective_at=T0 + timedelta(days=2), description="refund")
    book, is_extended = _check(session, book, cache)
    assert is_extended

    withdraw_consent(session, Actor.cli(), "venera")
    book, is_extended = _check(session, book, cache)
    assert is_extended  # nothing in the journal changed

    # A sale posted, seen, and routed only afterwards: its receipt was applied unattributed,
    # so the journal is replayed.
    attributed_cash_sale(session, "cash-3", 20_000, "venera", T0 + timedelta(days=3))
    book, is_extended = _check(session, book, cache)
    route_pending(session)
    book, is_extended = _check(session, book, cache)
    assert not is_extended

    # A sale dated before what was applied changes the first-in-first-out order: replayed.
    attributed_cash_sale(session, "cash-early", 5_000, "alina", T0 - timedelta(days=1))
    route_pending(session)
    book, is_extended = _check(session, book, cache)
    assert not is_extended

    bank_payout_to_crisis_centre(session, documents, "PP-2", 10_000, T0 + timedelta(days=4))
    book, is_extended = _check(session, book, cache)
    assert is_extended
