"""The public home page lists the catalogue in the visitor's language."""

import re

from flask.testing import FlaskClient

from web.security import CONTENT_SECURITY_POLICY


def _html(client: FlaskClient, url: str = "/", **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lists_the_seven_artworks_with_artist_and_medium(client: FlaskClient) -> None:
    html = _html(client, "/?lang=en")
    assert html.count('class="artwork"') == 7
    for expected in (
        "Venera",
        "Moldir Sagyndykova",
        "acrylic on canvas, plexiglass",
        "Stool",
        "I am five thousand years old",
        "Tatyana Kim",
    ):
        assert expected in html


def test_language_from_query_then_cookie_then_accept_language(client: FlaskClient) -> None:
    response = client.get("/?lang=ru")
    assert "lang=ru" in response.headers["Set-Cookie"]
    assert '<html lang="ru">' in response.get_data(as_text=True)
    assert '<html lang="ru">' in _html(client, "/", **{"Accept-Language": "en"})  # cookie wins
    fresh = client.application.test_client()
    assert '<html lang="en">' in _html(fresh, "/", **{"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="kk">' in _html(
        fresh, "/", **{"Accept-Language": "de"}
    )  # configured default
    assert '<html lang="en">' in _html(
        fresh, "/?lang=xx", **{"Accept-Language": "en"}
    )  # unknown ignored


def test_responses_vary_by_language_inputs(client: FlaskClient) -> None:
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


def test_fallback_text_carries_its_own_lang(client: FlaskClient) -> None:
    html = _html(client, "/?lang=kk")
    assert "Орындық" in html  # kk title exists
    # The medium has no kk variant: it falls back to ru, marked as Russian.
    assert '<span lang="ru">инсталляция: распиленный деревянный табурет</span>' in html
    assert "Туындылар" in html  # UI string from the kk catalogue


def test_demo_banner_and_hotlines_on_the_page(client: FlaskClient) -> None:
    html = _html(client, "/?lang=en")
    assert 'class="demo-banner"' in html and "Demo data." in html
    assert 'href="tel:111"' in html and "checked 2026-11-21" in html


def test_each_help_line_states_its_hours_once(client: FlaskClient) -> None:
    # The hours come from the line's own field; a name that repeated them printed "(24/7) (24/7)".
    for lang in ("kk", "ru", "en"):
        html = _html(client, f"/?lang={lang}")
        assert html.count("24/7") == 4, lang  # 111, 150, 112 and 102
        assert "(24/7)" in html and "24/7, " not in html


def test_no_private_story_field_and_no_third_party_reference(client: FlaskClient) -> None:
    # The one link that leaves the site is the quick exit's (a link, never loaded by the page).
    exit_url = client.application.extensions["ledger.settings"].safety.exit_url
    for lang in ("kk", "ru", "en"):
        html = _html(client, f"/?lang={lang}")
        assert "at publication" not in html and "age 39" not in html
        external = [
            u
            for u in re.findall(r'(?:src|href)="([^"]+)"', html)
            if u.startswith(("http:", "https:", "//"))
        ]
        assert external == [exit_url]


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_nul_character_anywhere_is_a_clear_400(client) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses NUL in text: no public lookup may turn one into a server error."""
    assert client.get("/ledger/tx?hash=0x%00").status_code == 400
    assert client.post("/receipt", data={"code": "a\x00b"}).status_code == 400
