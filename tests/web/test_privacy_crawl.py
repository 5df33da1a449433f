"""No private value reaches any public URL, proved with canaries.

A unique canary string goes into every private column of every row (ledger.privacy), into every
conditional story field whose flag is off, and into every field of a story whose consent is
withdrawn. Then every public URL is crawled in kk, ru and en (tests/web/crawl.py: every public
GET route from the URL map with its arguments filled in, plus every same-origin link, redirect,
script, stylesheet and image), and any canary in any body or header fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.privacy import CONDITIONAL_COLUMNS, NOT_PERSONAL_COLUMNS, PRIVATE_COLUMNS
from tests.canaries import LANGUAGES, Canaries, seed_canaries, text_columns
from tests.web.crawl import (
    NON_NEUTRAL_WORDS,
    NOT_FOUND_PATH,
    Page,
    crawl,
    expand_public_routes,
)


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
    unplaced = sorted(text_columns() - placed)
    assert unplaced == [], f"classify these columns in ledger/privacy.py: {unplaced}"
    assert sorted(placed - text_columns()) == [], (
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
