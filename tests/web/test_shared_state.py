"""State shared by app instances: rendered pages, the receipt lookup's and the console login's
rate limits.

In-process by default; with ``[web] redis_url`` several instances (here two apps built from the
same settings, as two hosts would be) share them through a real Redis. Redis tests run when
LEDGER_TEST_REDIS_URL names a server (use a database of its own: it is flushed), and skip
otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from ledger import migrate
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.demo.load import load_demo
from ledger.models import Artwork, ConsentStatus
from web import create_app


def _redis_url() -> str:
    """The configured server (CI: the local one), one database per xdist worker (flushed)."""
    url = os.environ.get("LEDGER_TEST_REDIS_URL", "")
    if not url and os.environ.get("CI", "").lower() == "true":
        url = "redis://127.0.0.1:6379/3"
    if not url:
        return ""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        return url
    return f"{base}/{(int(number) + int(worker or 0)) % 16}"


REDIS_URL = _redis_url()
VENERA = "zvcp7r"
STORY = "A businesswoman and mother of three"
ADDRESS = "203.0.113.77"


def _with_web(settings: Settings, **web: object) -> Settings:
    return settings.model_copy(update={"web": settings.web.model_copy(update=web)})


def _app(settings: Settings) -> Flask:
    return create_app(settings=settings, test_config={"TESTING": True})


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    engine = engine_from_settings(settings, writer=True)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    return settings


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    if not REDIS_URL:
        pytest.skip(
            "Redis not configured (set LEDGER_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/3)"
        )
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but Redis at {REDIS_URL} does not answer: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} does not answer")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _lookup(app: Flask, address: str = ADDRESS) -> int:
    response = app.test_client().post(
        "/receipt?lang=en", data={"code": "rcpt-guess"}, environ_base={"REMOTE_ADDR": address}
    )
    return response.status_code


def test_receipt_lookups_are_limited_per_visitor_in_process(loaded: Settings) -> None:
    app = _app(_with_web(loaded, receipt_lookups=3))
    assert [_lookup(app) for _ in range(4)] == [200, 200, 200, 429]
    assert _lookup(app, "198.51.100.9") == 200  # another visitor has their own count
    assert app.test_client().get("/receipt?lang=en").status_code == 200  # the form still shows


def test_two_instances_share_the_rate_limit_through_redis_and_keep_no_address(
    loaded: Settings, shared_redis: redis.Redis, instance_dir: Path
) -> None:
    settings = _with_web(loaded, redis_url=REDIS_URL, receipt_lookups=3)
    one, two = _app(settings), _app(settings)
    assert [_lookup(one), _lookup(two), _lookup(one), _lookup(two)] == [200, 200, 200, 429]
    stored = b" ".join(
        [key + b" " + (shared_redis.get(key) or b"") for key in shared_redis.scan_iter()]
    )
    assert ADDRESS.encode() not in stored and b"203.0.113" not in stored
    assert all(shared_redis.ttl(key) > 0 for key in shared_redis.scan_iter())  # all expire
    for path in instance_dir.rglob("*"):
        if path.is_file():
            assert ADDRESS.encode() not in path.read_bytes(), path


def test_two_instances_share_the_console_login_limit_through_redis(
    loaded: Settings, shared_redis: redis.Redis
) -> None:
    """20 failed logins from one client across two instances: the 21st is refused by either,
    a right password too; another client is not; no address is stored."""
    from tests.console.conftest import csrf_token

    settings = _with_web(loaded, redis_url=REDIS_URL)
    apps = (_app(settings), _app(settings))

    def attempt(app: Flask, address: str = ADDRESS) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(client, "/console/login")
        data = {"username": "nobody", "password": "x" * 12, "csrf_token": token}
        return client.post("/console/login", data=data).status_code

    statuses = [attempt(apps[i % 2]) for i in range(20)]
    assert statuses == [401] * 20
    assert attempt(apps[0]) == 429 and attempt(apps[1]) == 429
    assert attempt(apps[1], "198.51.100.9") == 401
    stored = b" ".join(
        [key + b" " + (shared_redis.get(key) or b"") for key in shared_redis.scan_iter()]
    )
    assert ADDRESS.encode() not in stored and b"203.0.113" not in stored


def test_two_instances_share_rendered_pages_and_a_withdrawn_consent_shows_at_once(
    loaded: Settings, shared_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.transparency

    settings = _with_web(loaded, redis_url=REDIS_URL)
    one, two = _app(settings), _app(settings)
    first = one.test_client().get(f"/artworks/{VENERA}?lang=en")
    assert STORY in first.get_data(as_text=True)
    assert list(shared_redis.scan_iter("page:artwork:*"))

    builds: list[str] = []
    real = web.transparency.build_public_core

    def counting(*args: object, **kwargs: object) -> object:
        builds.append("built")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(web.transparency, "build_public_core", counting)
    again = two.test_client().get(f"/artworks/{VENERA}?lang=en")
    assert again.get_data() == first.get_data() and builds == []  # rendered by the other host

    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        artwork = session.scalars(select(Artwork).where(Artwork.public_code == VENERA)).one()
        assert artwork.story is not None
        artwork.story.consent_status = ConsentStatus.WITHDRAWN
        artwork.story.consent_withdrawn_at = datetime.now(UTC)
    engine.dispose()
    for app in (one, two):
        html = app.test_client().get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
        assert "<h1>Venera</h1>" in html and STORY not in html


def test_an_edited_title_shows_at_once_on_the_cached_page(loaded: Settings) -> None:
    app = _app(loaded)
    client = app.test_client()
    assert "<h1>Venera</h1>" in client.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    engine = engine_from_settings(loaded, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        artwork = session.scalars(select(Artwork).where(Artwork.public_code == VENERA)).one()
        variant = artwork.title.variant("en")
        assert variant is not None
        variant.text = "Venera (renamed)"
    engine.dispose()
    page = client.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    assert "Venera (renamed)" in page
