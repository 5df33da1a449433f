"""The public ledger's language-independent core, built once and localised per language: the
titles and names it picks are the ones the catalogue shows (``TextSet.show``) in every language,
and a localised ledger equals one built for that language directly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db import make_engine
from ledger.models import Artwork, Beneficiary
from ledger.reports.public import build_public_core, build_public_ledger, localise_public_ledger

FALLBACK = ("kk", "ru", "en")


def test_each_language_gets_the_catalogues_titles_from_one_build(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            core = build_public_core(session)
            artworks = session.scalars(select(Artwork)).all()
            beneficiaries = session.scalars(select(Beneficiary)).all()
            assert artworks and beneficiaries
            for lang in ("kk", "ru", "en"):
                ledger = localise_public_ledger(core, lang, FALLBACK)
                for artwork in artworks:
                    shown = artwork.title.show(lang, FALLBACK)
                    assert ledger.artworks[artwork.id].title == (shown.text if shown else "?")
                    assert ledger.artworks[artwork.id].public_code == artwork.public_code
                for beneficiary in beneficiaries:
                    shown = beneficiary.name.show(lang, FALLBACK)
                    assert ledger.beneficiary_names[beneficiary.key] == (
                        shown.text if shown else "?"
                    )
                assert list(ledger.artworks) == [
                    a.id for a in sorted(artworks, key=lambda a: a.key)
                ]
                assert ledger == build_public_ledger(session, lang, FALLBACK)
    finally:
        engine.dispose()


def test_a_core_extended_with_new_sales_equals_a_fresh_one_and_leaves_the_old_one_alone(
    fresh_database_url: str,
) -> None:
    import copy
    from datetime import UTC, datetime

    from ledger.accounts import bank_account, sales_account
    from ledger.journal import open_account
    from ledger.reports.flows import update_flow_book
    from ledger.routing.route import route_pending
    from tests.factories import attributed_cash_sale

    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            for name in (bank_account(), sales_account("Exhibition")):
                open_account(session, name)
            attributed_cash_sale(session, "cash-a", 100_000, "venera", datetime(2024, 3, 1, tzinfo=UTC))
            route_pending(session)
            book, _ = update_flow_book(session, None)
            before = build_public_core(session, flow_book=book)
            kept = copy.deepcopy(before.ledger)
            attributed_cash_sale(session, "cash-b", 70_000, "alina", datetime(2024, 3, 2, tzinfo=UTC))
            attributed_cash_sale(session, "cash-c", 30_000, "venera", datetime(2024, 3, 3, tzinfo=UTC))
            route_pending(session)
            book, is_extended = update_flow_book(session, book)
            assert is_extended
            after = build_public_core(session, flow_book=book, previous=before)
            assert after.ledger == build_public_core(session).ledger
            assert len(after.ledger.sales) == len(before.ledger.sales) + 2
            # Extended, not rebuilt: the earlier sales are the previous core's own objects.
            assert before.ledger.sales
            assert all(a is b for a, b in zip(before.ledger.sales, after.ledger.sales, strict=False))
            assert before.ledger == kept  # the previous core (other languages' ledgers) as was
    finally:
        engine.dispose()
