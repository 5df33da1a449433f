"""What a QR code opens: the counted short URL, the artwork page, and the QR downloads."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from ledger.catalogue.scans import get_scan_counts, record_scan
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory
from ledger.labels.qr import QUIET_ZONE_MODULES, compute_qr_modules
from ledger.models import Artwork, ConsentStatus, ScanCount

VENERA = "zvcp7r"
ALINA = "xv7849"
VISITOR_AGENT = "Mozilla/5.0 (VisitorPhone; trace-me-7f3a)"
VISITOR_IP = "203.0.113.77"


@pytest.fixture
def db(demo_app: Flask, settings: Settings) -> Iterator[Session]:
    """A session on the demo app's database, to look behind the pages. A reader: on SQLite a
    writer would hold the write lock and block the app's own scan counter."""
    engine = engine_from_settings(settings)
    session = make_session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


def _today(settings: Settings) -> object:
    return datetime.now(settings.tz).date()


def test_short_url_counts_the_scan_and_redirects_to_the_artwork_page(
    client: FlaskClient, db: Session, settings: Settings
) -> None:
    response = client.get(f"/a/{VENERA}")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == f"/artworks/{VENERA}"
    assert response.headers["Cache-Control"] == "no-store"
    client.get(f"/a/{VENERA}")
    client.get(f"/a/{ALINA}")
    assert get_scan_counts(db, VENERA) == {_today(settings): 2}
    assert get_scan_counts(db, ALINA) == {_today(settings): 1}
    assert client.get("/a/nosuch").status_code == 404


def test_a_scan_stores_nothing_about_the_visitor(
    client: FlaskClient, db: Session, demo_app: Flask
) -> None:
    response = client.get(
        f"/a/{VENERA}",
        headers={"User-Agent": VISITOR_AGENT, "Accept-Language": "ru"},
        environ_base={"REMOTE_ADDR": VISITOR_IP},
    )
    assert "Set-Cookie" not in response.headers
    assert {c["name"] for c in inspect(db.get_bind()).get_columns("scan_count")} == {
        "artwork_id",
        "day",
        "count",
    }
    # Nothing anywhere in the database mentions the visitor.
    for table in inspect(db.get_bind()).get_table_names():
        for row in db.execute(text(f'SELECT * FROM "{table}"')):
            dumped = repr(tuple(row))
            assert VISITOR_IP not in dumped and "trace-me" not in dumped, table


def test_scans_are_counted_per_artwork_and_day(db: Session) -> None:
    first, second = datetime(2026, 3, 8).date(), datetime(2026, 3, 9).date()
    assert record_scan(db, VENERA, first) and record_scan(db, VENERA, first)
    assert record_scan(db, VENERA, second)
    assert not record_scan(db, "nosuch", first)
    db.flush()
    assert get_scan_counts(db, VENERA) == {first: 2, second: 1}
    assert db.scalars(select(ScanCount.count)).all() == [2, 1]
    db.rollback()


def test_artwork_page_shows_the_work_editions_and_the_story_after_a_content_note(
    client: FlaskClient,
) -> None:
    html = client.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    assert "<h1>Venera</h1>" in html
    assert "Moldir Sagyndykova" in html and "160 x 130 cm" in html
    note = html.index('class="content-note"')
    story = html.index("A businesswoman and mother of three")
    assert (
        note < html.index("<details>") < story
    )  # the note comes first; the story opens on request
    assert html.count("Edition ") == 10 and "available" in html
    assert "age 39" not in html  # private notes never leave the ledger
    for word in ("Pledged", "Received", "Routed", "Disbursed"):
        assert f"<dt>{word}</dt>" in html


def test_page_title_and_urls_are_neutral(client: FlaskClient) -> None:
    for lang in ("kk", "ru", "en"):
        html = client.get(f"/artworks/dzk4tb?lang={lang}").get_data(as_text=True)
        title = html[html.index("<title>") : html.index("</title>")].lower()
        for word in ("violence", "насили", "зорлық", "beat", "бьёшь", "ұрсаң"):
            assert word not in title
    assert client.get("/").get_data(as_text=True).count('href="/artworks/') == 7


def test_fallback_content_carries_its_lang_and_responses_vary(client: FlaskClient) -> None:
    response = client.get(f"/artworks/{VENERA}?lang=kk")
    html = response.get_data(as_text=True)
    assert '<html lang="kk">' in html and "<h1>Венера</h1>" in html
    assert '<span lang="ru">акрил, холст, оргстекло</span>' in html
    assert "Туынды" in html  # UI string from the kk catalogue
    vary = response.headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


def test_artwork_page_is_cacheable_with_a_validator(client: FlaskClient) -> None:
    first = client.get(f"/artworks/{VENERA}?lang=en")
    etag = first.headers["ETag"]
    assert etag and first.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/artworks/{VENERA}?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get(f"/artworks/{VENERA}?lang=ru", headers={"If-None-Match": etag})
    assert other.status_code == 200  # another language is another page
    assert client.get("/artworks/nosuch").status_code == 404


def test_withdrawn_consent_hides_the_story_at_once(client: FlaskClient, db: Session) -> None:
    first = client.get(f"/artworks/{VENERA}?lang=en")
    assert "A businesswoman and mother of three" in first.get_data(as_text=True)
    artwork = db.scalars(select(Artwork).where(Artwork.public_code == VENERA)).one()
    assert artwork.story is not None
    artwork.story.consent_status = ConsentStatus.WITHDRAWN
    artwork.story.consent_withdrawn_at = datetime.now(UTC)
    db.commit()
    again = client.get(
        f"/artworks/{VENERA}?lang=en", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200  # the cached copy is not valid any more
    html = again.get_data(as_text=True)
    assert "<h1>Venera</h1>" in html
    for gone in ("A businesswoman", "content-note", "Read the story", "with her consent"):
        assert gone not in html


def test_qr_downloads_as_png_and_svg(client: FlaskClient, settings: Settings) -> None:
    url = f"{settings.web.public_base_url}/a/{VENERA}"
    size = len(compute_qr_modules(url)) + 2 * QUIET_ZONE_MODULES
    png = client.get(f"/a/{VENERA}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png.data[16:20], "big") == size * 10
    assert f'filename="qr-{VENERA}.png"' in png.headers["Content-Disposition"]
    svg = client.get(f"/a/{VENERA}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert f'viewBox="0 0 {size} {size}"' in svg.get_data(as_text=True)
    assert client.get("/a/nosuch/qr.svg").status_code == 404


def test_qr_downloads_do_not_count_as_scans(client: FlaskClient, db: Session) -> None:
    client.get(f"/a/{VENERA}/qr.png")
    client.get(f"/a/{VENERA}/qr.svg")
    assert get_scan_counts(db, VENERA) == {}
