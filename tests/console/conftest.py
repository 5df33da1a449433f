"""Console fixtures: the demo catalogue, one user per role (the admin with a second factor),
and a login helper that goes through the real forms (password, then the TOTP code)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ledger import migrate, users
from ledger.audit import Actor
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.demo.load import load_demo
from ledger.models import ConsoleUser, Role
from web import create_app
from web.translations_build import compile_translations

PASSWORD = "correct horse battery staple"
SETUP = Actor(name="test-setup", via="cli")


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    password: str
    totp_secret: str | None


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    compile_translations()


def make_users(app: Flask) -> dict[str, Account]:
    """admin (with TOTP), organiser, auditor, and 'someone' (a target for admin actions)."""
    factory = app.extensions["ledger.session_factory"]
    accounts: dict[str, Account] = {}
    with session_scope(factory) as session:
        for role, name in ((Role.ADMIN, "admin"), (Role.ORGANISER, "organiser"),
                           (Role.AUDITOR, "auditor"), (Role.ORGANISER, "someone")):
            user = users.create_user(session, name, role, PASSWORD, actor=SETUP)
            secret = None
            if role is Role.ADMIN:
                secret = users.start_totp_enrolment(user)
                user.totp_confirmed_at = datetime.now(UTC)
            accounts[name] = Account(name, role, PASSWORD, secret)
    return accounts


@pytest.fixture
def console_app(settings: Settings, instance_dir: Path) -> Iterator[Flask]:
    engine = engine_from_settings(settings, writer=True)
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    app = create_app(settings=settings, test_config={"TESTING": True})
    yield app


@pytest.fixture
def accounts(console_app: Flask) -> dict[str, Account]:
    return make_users(console_app)


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def next_code(app: Flask, account: Account) -> str:
    """The TOTP code for the earliest step the server still accepts (codes are single-use)."""
    assert account.totp_secret
    totp = pyotp.TOTP(account.totp_secret)
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        last = session.scalar(
            select(ConsoleUser.totp_last_step).where(ConsoleUser.username == account.username)
        )
    # The current step, not the earliest accepted one: the server still takes it for the whole
    # next step too, so a slow machine has at least 30 s between this and the check (the
    # earliest step left 0-30 s, and a code crossing its boundary was refused, seen in CI).
    step = totp.timecode(datetime.now(UTC))
    if last is not None and last + 1 > step:
        step = last + 1
        # Codes are single-use: a step ahead of the server's window waits until it opens.
        while totp.timecode(datetime.now(UTC)) + 1 < step:
            time.sleep(0.2)
    return totp.generate_otp(step)


def login(app: Flask, client: FlaskClient, account: Account, *, csrf: bool = True) -> None:
    """Log in through the forms; assert the console's first page answers."""
    data = {"username": account.username, "password": account.password}
    if csrf:
        data["csrf_token"] = csrf_token(client, "/console/login")
    response = client.post("/console/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    if account.totp_secret:
        assert response.headers["Location"].endswith("/console/login/code")
        data = {"code": next_code(app, account)}
        if csrf:
            data["csrf_token"] = csrf_token(client, "/console/login/code")
        response = client.post("/console/login/code", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert client.get("/console/").status_code == 200
