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
