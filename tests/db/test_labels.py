"""Labels read from a real catalogue: the completeness check and what a label may say."""

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.demo.load import load_demo
from ledger.labels import PRESETS, LabelContent, LabelUnit, build_labels, check_labels
from ledger.labels.pdf import write_labels_pdf
from ledger.models import Artwork, ConsentStatus, Hotline

FALLBACK = ("kk", "ru", "en")
BASE = "https://art.example.kz"


def _artwork(session: Session, key: str) -> Artwork:
    return session.scalars(select(Artwork).where(Artwork.key == key)).one()


def _labels(
    session: Session,
    lang: str = "en",
    unit: LabelUnit = LabelUnit.ARTWORK,
    codes: list[str] | None = None,
) -> list[LabelContent]:
    return build_labels(
        session,
        lang=lang,
        fallback=FALLBACK,
        public_base_url=BASE,
        word_limit=40,
        unit=unit,
        codes=codes,
    )


def test_demo_is_complete_in_english_and_russian(session: Session) -> None:
    load_demo(session)
    assert check_labels(session, "en") == []
    assert check_labels(session, "ru") == []


def test_demo_lists_every_missing_kazakh_variant(session: Session) -> None:
    load_demo(session)
    problems = [str(p) for p in check_labels(session, "kk")]
    assert "five-thousand-years (/a/dxbdcn): title: no kk text" in problems
    assert "venera (/a/zvcp7r): artist moldir-sagyndykova: no kk text" in problems
    assert "venera (/a/zvcp7r): medium: no kk text" in problems
    assert "venera (/a/zvcp7r): short text (description): no kk text" in problems
    assert not any("anara (/a/dzk4tb): title" in p for p in problems)  # kk title exists
    # Seven artworks, each missing its artist, medium and description in kk, and one title.
    assert len(problems) == 7 * 3 + 1


def test_missing_help_line_and_consent_statement_are_listed(session: Session) -> None:
    load_demo(session)
    for line in session.scalars(select(Hotline)):
        line.is_emergency = True  # no line left that labels could print
    story = _artwork(session, "venera").story
    assert story is not None
    story.consent_statement = None
    session.flush()
    problems = [str(p) for p in check_labels(session, "en")]
    assert "venera (/a/zvcp7r): story has no consent statement" in problems
    assert sum("no help line to print" in p for p in problems) == 7


def test_a_withdrawn_story_needs_no_consent_statement_and_never_reaches_a_label(
    session: Session,
) -> None:
    load_demo(session)
    story = _artwork(session, "venera").story
    assert story is not None
    story.consent_status = ConsentStatus.WITHDRAWN
    story.consent_withdrawn_at = datetime.now(UTC)
    story.consent_statement = None
    session.flush()
    assert check_labels(session, "en") == []
    buffer = io.BytesIO()
    write_labels_pdf(_labels(session), PRESETS["a4-8"], buffer, title="t")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(buffer.getvalue())).pages)
    assert "Venera" in text  # the work is still labelled
    for private in ("businesswoman", "beatings", "consent", "age 39"):
        assert private not in text


def test_labels_carry_the_short_url_the_word_limit_and_a_help_line(session: Session) -> None:
    load_demo(session)
    labels = _labels(session)
    assert [label.url for label in labels][:2] == [f"{BASE}/a/zvcp7r", f"{BASE}/a/xv7849"]
    venera = labels[0]
    assert venera.title == "Venera" and venera.artists == "Moldir Sagyndykova"
    assert venera.details == ("2022", "acrylic on canvas, plexiglass", "160 x 130 cm")
    assert len(venera.text.split()) <= 40
    assert venera.help_line == (
        "If you need help: 111 – Unified contact centre for victims of domestic violence and "
        "bullying, free of charge (24/7)"
    )


def test_one_label_per_edition_and_selection_by_code(session: Session) -> None:
    load_demo(session)
    labels = _labels(session, unit=LabelUnit.EDITION, codes=["zvcp7r"])
    assert len(labels) == 10
    assert labels[2].edition == "NFT edition 3 of 10"
    assert {label.url for label in labels} == {f"{BASE}/a/zvcp7r"}


def test_kazakh_labels_fall_back_with_force(session: Session) -> None:
    load_demo(session)
    labels = _labels(session, "kk")
    assert labels[0].title == "Венера"  # kk variant
    assert labels[0].details[1] == "акрил, холст, оргстекло"  # falls back to ru
