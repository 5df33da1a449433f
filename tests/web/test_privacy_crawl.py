"""No private value reaches any public URL, proved with canaries.

A unique canary string goes into every private column of every row (ledger.privacy), into every
conditional story field whose flag is off, and into every field of a story whose consent is
withdrawn. Then every public URL is crawled in kk, ru and en (tests/web/crawl.py: every public
GET route from the URL map with its arguments filled in, plus every same-origin link, redirect,
script, stylesheet and image), and any canary in any body or header fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Session

from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry
from ledger.models import (
    Artwork,
    Base,
    Beneficiary,
    BeneficiaryUpdate,
    ConsentStatus,
    Document,
    Gift,
    Person,
    PersonContact,
    Story,
    TextSet,
    TextVariant,
)
from ledger.models.text import VariantStatus
from ledger.privacy import CONDITIONAL_COLUMNS, NOT_PERSONAL_COLUMNS, PRIVATE_COLUMNS
from tests.web.crawl import (
    NON_NEUTRAL_WORDS,
    NOT_FOUND_PATH,
    Page,
    crawl,
    expand_public_routes,
)

LANGUAGES = ("kk", "ru", "en")


class Canaries:
    """Unique strings, each remembering which value it stands in for."""

    def __init__(self) -> None:
        self.where: dict[str, str] = {}
        # A control in a public field: the crawl must find it, or it proves nothing.
        self.control = "CONTROLPUBLIC7X"

    def new(self, where: str) -> str:
        # "X" ends each one, so CANARY0001X is never found inside CANARY00010X.
        canary = f"CANARY{len(self.where):04d}X"
        self.where[canary] = where
        return canary

    def found_in(self, text: str) -> list[str]:
        return [f"{c} ({where})" for c, where in self.where.items() if c in text]


def _text_columns() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String | Text)
    }


def _fill_text_set(
    session: Session, text_set: TextSet | None, canaries: Canaries, where: str
) -> TextSet:
    """Put a canary into every language of ``text_set`` (created when there is none)."""
    if text_set is None:
        text_set = TextSet()
        session.add(text_set)
    by_lang = {variant.lang: variant for variant in text_set.variants}
    for lang in LANGUAGES:
        variant = by_lang.get(lang)
        if variant is None:
            variant = TextVariant(lang=lang)
            text_set.variants.append(variant)
        variant.status = VariantStatus.REVIEWED
        variant.text = canaries.new(f"{where} [{lang}]")
    return text_set


def seed_canaries(session: Session) -> Canaries:
    """Write canaries into every private value of the demo catalogue; return them."""
    canaries = Canaries()
    # Someone who bought or gave: contact details exist only in person_contact.
    person = Person(ref="p_canary", contact=PersonContact())
    session.add(person)
    # A gift with its receipt code, a stored document and a beneficiary's report back: the
    # demo catalogue has none of these, so the canaries need rows to live in.
    for name in ("Assets:Cash:Exhibition", "Income:Sales:Exhibition"):
        open_account(session, name)
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key="canary-gift",
            effective_at=datetime.now(UTC),
            description="a cash sale at the exhibition",
            postings=[
                PostingSpec("Assets:Cash:Exhibition", "KZT", 100),
                PostingSpec("Income:Sales:Exhibition", "KZT", -100),
            ],
        ),
    )
    session.flush()
    session.add(Gift(entry_id=entry.id, person_id=person.id, receipt_code="placeholder"))
    document = Document(sha256="ab" * 32, filename="placeholder", size=1)
    session.add(document)
    beneficiary = session.scalars(select(Beneficiary)).first()
    assert beneficiary is not None
    session.add(
        BeneficiaryUpdate(
            beneficiary_id=beneficiary.id,
            reported_on=datetime.now(UTC).date(),
            language="en",
            text="placeholder",
            used_for="placeholder",
            document_sha256=document.sha256,
        )
    )
    session.flush()
    for table_name, column_name in sorted(PRIVATE_COLUMNS):
        table = Base.metadata.tables[table_name]
        (key,) = table.primary_key.columns
        ids = list(session.scalars(select(key)))
        assert ids, f"the demo has no {table_name} row to hold a canary"
        for row_id in ids:
            canary = canaries.new(f"{table_name}.{column_name} id={row_id}")
            session.execute(update(table).where(key == row_id).values({column_name: canary}))

    session.execute(update(Artwork).values(dimensions_text=canaries.control))

    stories = list(session.scalars(select(Story).join(Artwork).order_by(Artwork.key)))
    assert len(stories) >= 3
    flags_off, withdrawn, summary_hidden = stories[:3]
    # A shown story whose other public flags are off: those fields stay hidden.
    for (table_name, column_name), flag in CONDITIONAL_COLUMNS.items():
        assert table_name == "story"
        setattr(flags_off, flag, False)
        setattr(flags_off, column_name, canaries.new(f"story.{column_name} with {flag} off"))
    # A story whose summary is not public: nothing of it is shown, whatever the other flags say.
    # A story whose consent is withdrawn: every flag on, and still nothing of it is shown.
    withdrawn.consent_status = ConsentStatus.WITHDRAWN
    withdrawn.consent_withdrawn_at = datetime.now(UTC)
    for story, why in ((summary_hidden, "summary not public"), (withdrawn, "consent withdrawn")):
        for (_table, column_name), flag in CONDITIONAL_COLUMNS.items():
            setattr(story, flag, True)
            setattr(story, column_name, canaries.new(f"story.{column_name}, {why}"))
        story.is_summary_public = story is withdrawn
        story.public_summary = _fill_text_set(
            session, story.public_summary, canaries, f"story.public_summary, {why}"
        )
        story.content_note = _fill_text_set(
            session, story.content_note, canaries, f"story.content_note, {why}"
        )
    return canaries


@pytest.fixture
def canaries(demo_app: Flask, settings: Settings) -> Iterator[Canaries]:
    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        seeded = seed_canaries(session)
    engine.dispose()
    yield seeded


def _seeds(app: Flask, settings: Settings) -> list[str]:
    engine = engine_from_settings(settings)
    with make_session_factory(engine)() as session:
        routes = expand_public_routes(app, session)
    engine.dispose()
    return ["/", *routes, NOT_FOUND_PATH]


def _crawl_all(app: Flask, settings: Settings, lang: str) -> list[Page]:
    return list(crawl(app.test_client(), lang, _seeds(app, settings), settings.web.public_base_url))


def test_every_text_column_is_classified() -> None:
    """A new text column must be placed in ledger/privacy.py before the suite passes."""
    placed = PRIVATE_COLUMNS | NOT_PERSONAL_COLUMNS | set(CONDITIONAL_COLUMNS)
    assert not (PRIVATE_COLUMNS & NOT_PERSONAL_COLUMNS)
    assert not (set(CONDITIONAL_COLUMNS) & (PRIVATE_COLUMNS | NOT_PERSONAL_COLUMNS))
    unplaced = sorted(_text_columns() - placed)
    assert unplaced == [], f"classify these columns in ledger/privacy.py: {unplaced}"
    assert sorted(placed - _text_columns()) == [], (
        "ledger/privacy.py names columns that do not exist"
    )


def test_every_public_route_is_crawled(demo_app: Flask, settings: Settings) -> None:
    seeds = _seeds(demo_app, settings)
    for expected in ("/", "/browser-history", "/artworks/zvcp7r", "/a/zvcp7r", "/a/zvcp7r/qr.png"):
        assert expected in seeds
    visited = {page.url for page in _crawl_all(demo_app, settings, "en")}
    assert {"/static/site.css", "/static/quick-exit.js", NOT_FOUND_PATH} <= visited


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_private_value_reaches_any_public_url(
    demo_app: Flask, settings: Settings, canaries: Canaries, lang: str
) -> None:
    pages = _crawl_all(demo_app, settings, lang)
    assert len(pages) > 10
    leaks = {}
    for page in pages:
        found = canaries.found_in(page.body) + canaries.found_in(repr(page.headers))
        if found:
            leaks[page.url] = found
    assert leaks == {}
    # Not vacuous: the pages read the seeded database, and public stories are on them.
    assert any(canaries.control in page.body for page in pages)
    assert sum('class="story"' in page.body for page in pages) >= 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_public_page_carries_the_safety_layer(
    demo_app: Flask, settings: Settings, lang: str
) -> None:
    exit_url = settings.safety.exit_url
    html_pages = [
        p
        for p in _crawl_all(demo_app, settings, lang)
        if p.content_type.startswith("text/html") and not 300 <= p.status < 400
    ]
    assert any(p.status == 404 for p in html_pages)
    for page in html_pages:
        where = f"{page.url} ({lang}, {page.status})"
        # The quick exit is the first link in the page, and the script that drives it is ours.
        assert page.links[:3] == ["/static/site.css", "/static/quick-exit.js", exit_url], where
        assert 'class="safety-notice"' in page.body, where
        assert 'href="/browser-history"' in page.body, where
        assert 'class="hotlines"' in page.body and 'href="tel:111"' in page.body, where
        assert 'class="emergency"' in page.body, where
        # No inline script or style: the CSP would block them, so none may be relied on.
        assert "<script>" not in page.body and "<style" not in page.body, where
        assert " style=" not in page.body and " onclick=" not in page.body, where
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'"), where
        # Nothing in a tab title or a URL says what the site is about.
        for word in NON_NEUTRAL_WORDS:
            assert word not in (page.title or "").lower(), f"{where}: title {page.title!r}"
            assert word not in page.url.lower(), where
