"""The catalogue file format and loading it, with the demo catalogue as the main example."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.catalogue import load_catalogue, parse_catalogue
from ledger.demo.load import load_demo, read_demo_catalogue_text
from ledger.errors import CatalogueError
from ledger.journal import compute_journal_checksum
from ledger.models import (
    Account,
    Artwork,
    Beneficiary,
    Hotline,
    NftEdition,
    SplitRule,
    Story,
    TextVariant,
    VariantStatus,
    Wallet,
)


def _counts(session: Session) -> dict[str, int]:
    models = (
        Artwork,
        NftEdition,
        Beneficiary,
        Hotline,
        SplitRule,
        Story,
        TextVariant,
        Wallet,
        Account,
    )
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models}


def test_demo_loads_the_seven_works_and_loading_twice_changes_nothing(session: Session) -> None:
    first = load_demo(session)
    assert first.has_changes
    counts = _counts(session)
    assert counts["Artwork"] == 7
    assert counts["NftEdition"] == 50
    assert counts["Story"] == 5
    checksum = compute_journal_checksum(session)
    second = load_demo(session)
    assert not second.has_changes, second.updated
    assert _counts(session) == counts
    assert compute_journal_checksum(session) == checksum


def test_missing_kk_variants_stay_missing(session: Session) -> None:
    load_demo(session)
    art = session.scalars(select(Artwork).where(Artwork.key == "five-thousand-years")).one()
    kk = art.title.variant("kk")
    assert kk is not None and kk.status == VariantStatus.MISSING and kk.text is None
    assert art.title.missing_languages() == ["kk"]
    shown = art.title.show("kk", ["kk", "ru", "en"])
    assert shown is not None and shown.lang == "ru" and shown.is_fallback
    venera = session.scalars(select(Artwork).where(Artwork.key == "venera")).one()
    assert venera.title.text_in("kk") == "Венера"


def test_demo_shares_become_the_first_split_rule(session: Session) -> None:
    load_demo(session)
    rule = session.scalars(select(SplitRule)).one()
    assert rule.version == 1 and rule.scope.value == "initiative"
    assert sorted(s.bps for s in rule.shares) == [4000, 6000]
    remainder = session.get(Beneficiary, rule.remainder_beneficiary_id)
    assert remainder is not None and remainder.key == "legal-aid-fund"


def test_stories_keep_private_fields_private(session: Session) -> None:
    load_demo(session)
    story = session.scalars(select(Story).join(Artwork).where(Artwork.key == "venera")).one()
    assert story.private_notes == "age 39 at publication"
    assert story.is_summary_public and story.is_subject_name_public
    assert story.is_publishable


def _demo_with(old: str, new: str) -> str:
    text = read_demo_catalogue_text()
    assert old in text
    return text.replace(old, new, 1)


def test_a_changed_text_is_an_update_not_a_copy(session: Session) -> None:
    load_demo(session)
    changed = parse_catalogue(
        _demo_with(
            'medium = { en = "ceramic, glaze"',
            'medium = { kk = { text = "керамика", status = "draft" }, en = "ceramic, glaze"',
        )
    )
    report = load_catalogue(session, changed)
    assert report.updated == ["artwork anara.medium: kk changed"]
    art = session.scalars(select(Artwork).where(Artwork.key == "anara")).one()
    assert art.medium is not None
    kk = art.medium.variant("kk")
    assert kk is not None and kk.status == VariantStatus.DRAFT


def test_public_codes_and_rule_versions_are_immutable(session: Session) -> None:
    load_demo(session)
    with pytest.raises(CatalogueError, match="public code"):
        load_catalogue(session, parse_catalogue(_demo_with('code = "zvcp7r"', 'code = "zzzzzz"')))
    with pytest.raises(CatalogueError, match="rule versions are never changed"):
        load_catalogue(
            session,
            parse_catalogue(
                _demo_with(
                    'bps = 6000 },\n  { beneficiary = "legal-aid-fund", bps = 4000',
                    'bps = 5000 },\n  { beneficiary = "legal-aid-fund", bps = 5000',
                )
            ),
        )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'artists = ["moldir-sagyndykova"]',
            'artists = ["nobody"]',
            "artworks[0] (venera).artists: unknown artist 'nobody'",
        ),
        (
            'year = 2022\nmedium = { en = "wool',
            'year = 22\nmedium = { en = "wool',
            "artworks[1] (alina).year",
        ),
        ("bps = 6000", "bps = 6001", "shares sum to 10001 basis points"),
        (
            'title = { en = "Venera", ru = "Венера", kk = "Венера" }',
            'title = "Venera"',
            "artworks[0] (venera).title",
        ),
        (
            'last_checked = 2026-11-21\nsource = "published',
            'last_checked = "yesterday"\nsource = "published',
            "hotlines[1].last_checked",
        ),
        ("format = 1", "format = 2", "format"),
    ],
)
def test_bad_files_name_the_place(old: str, new: str, message: str) -> None:
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(_demo_with(old, new))
    assert message in str(err.value)
