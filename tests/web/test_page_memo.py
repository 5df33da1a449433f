"""The artwork page answered from memory before Flask runs (``web.memo``): the same response
as Flask's, never older than the database, and only for plain visits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from ledger.db import session_scope
from ledger.models import Artwork, ConsentStatus
from web.memo import ResponseMemo

CODE_OF = select(Artwork.public_code).where(Artwork.key == "venera")


@pytest.fixture
def counted_app(demo_app: Flask) -> Iterator[Flask]:
    """The demo app, counting the requests that reach Flask's dispatch."""
    demo_app.extensions["test.dispatched"] = 0

    @demo_app.before_request
    def _count() -> None:
        demo_app.extensions["test.dispatched"] += 1

    yield demo_app


def _dispatched(app: Flask) -> int:
    count: int = app.extensions["test.dispatched"]
    return count


def _page(app: Flask) -> str:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        code = session.scalar(CODE_OF)
    assert code
    return f"/artworks/{code}"


def _withdraw_consent(app: Flask) -> None:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        artwork = session.scalars(select(Artwork).where(Artwork.key == "venera")).one()
        assert artwork.story is not None
        artwork.story.consent_status = ConsentStatus.WITHDRAWN
        artwork.story.consent_withdrawn_at = datetime.now(UTC)


def test_a_plain_repeat_visit_is_answered_from_memory_with_flasks_response(
    counted_app: Flask,
) -> None:
    path = _page(counted_app)
    first = counted_app.test_client().get(path, headers={"Accept-Language": "ru"})
    assert first.status_code == 200 and _dispatched(counted_app) == 1
    again = counted_app.test_client().get(path, headers={"Accept-Language": "ru"})
    assert _dispatched(counted_app) == 1  # not through Flask
    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert sorted(again.headers.items()) == sorted(first.headers.items())
    assert again.headers["Content-Security-Policy"] and again.headers["ETag"]
    assert 'lang="ru"' in again.get_data(as_text=True)


def test_a_change_to_the_database_is_seen_by_the_very_next_visit(counted_app: Flask) -> None:
    path = _page(counted_app)
    client = counted_app.test_client()
    assert "content-note" in client.get(path).get_data(as_text=True)
    assert "content-note" in client.get(path).get_data(as_text=True)
    assert _dispatched(counted_app) == 1
    _withdraw_consent(counted_app)
    after = client.get(path).get_data(as_text=True)
    assert _dispatched(counted_app) == 2
    for gone in ("A businesswoman", "content-note", "Read the story"):
        assert gone not in after


def test_each_language_is_kept_apart_and_chosen_as_flask_chooses(counted_app: Flask) -> None:
    path = _page(counted_app)
    visits = [
        ({"Accept-Language": "kk, ru;q=0.8"}, None, "kk"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, None, "en"),
        ({"Accept-Language": "de"}, None, None),  # the default language
        ({"Accept-Language": "en"}, "ru", "ru"),  # the cookie wins
        ({"Accept-Language": "ru"}, "xx", "ru"),  # a cookie not offered: Accept-Language
    ]
    for round_ in range(2):
        for headers, cookie, lang in visits:
            client = counted_app.test_client()
            if cookie:
                client.set_cookie("lang", cookie)
            body = client.get(path, headers=headers).get_data(as_text=True)
            if lang is not None:
                assert f'<html lang="{lang}"' in body, (headers, body[:200])
        if round_ == 0:
            through_flask = _dispatched(counted_app)
    # The second round came from memory, each visit in its own language.
    assert _dispatched(counted_app) == through_flask


@pytest.mark.parametrize(
    ("query", "cookies", "method"),
    [
        ("lang=kk", {}, "GET"),  # sets the language cookie
        ("", {"session": "abc", "lang": "ru"}, "GET"),  # a signed-in organiser's cookies
        ("", {}, "HEAD"),
        ("utm=x", {}, "GET"),
    ],
)
def test_visits_that_are_not_plain_go_through_flask(
    counted_app: Flask, query: str, cookies: dict[str, str], method: str
) -> None:
    path = _page(counted_app)
    counted_app.test_client().get(path)
    counted_app.test_client().get(path)
    assert _dispatched(counted_app) == 1
    client = counted_app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    response = client.open(path, method=method, query_string=query)
    assert response.status_code == 200
    assert _dispatched(counted_app) == 2


def test_a_revalidation_gets_flasks_304(counted_app: Flask) -> None:
    path = _page(counted_app)
    etag = counted_app.test_client().get(path).headers["ETag"]
    counted_app.test_client().get(path)
    again = counted_app.test_client().get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert _dispatched(counted_app) == 2


def test_a_missing_page_is_never_kept(counted_app: Flask) -> None:
    for _ in range(2):
        assert counted_app.test_client().get("/artworks/nosuchcode").status_code == 404
    assert _dispatched(counted_app) == 2


def test_other_paths_spend_no_fingerprint_read(counted_app: Flask) -> None:
    memo = counted_app.wsgi_app
    assert isinstance(memo, ResponseMemo)
    reads: list[str] = []
    real = memo.read_version

    def counting() -> str:
        reads.append("read")
        return real()

    memo.read_version = counting
    for path in ("/static/site.css", "/browser-history", "/artworks/x/y"):
        counted_app.test_client().get(path)
    assert reads == []
    counted_app.test_client().get(_page(counted_app))
    assert reads == ["read"]


def test_memory_is_bounded(counted_app: Flask) -> None:
    memo = counted_app.wsgi_app
    assert isinstance(memo, ResponseMemo)
    memo.max_bytes = 1_000  # smaller than one page: nothing is kept
    path = _page(counted_app)
    for _ in range(3):
        assert counted_app.test_client().get(path).status_code == 200
    assert _dispatched(counted_app) == 3
