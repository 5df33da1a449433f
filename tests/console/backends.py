"""The console on every database backend: an app over a fresh copy of the demo database
(SQLite and PostgreSQL), its users, and helpers shared by the catalogue and people tests.

Import the fixtures into a test module to use them (``app`` and ``accounts`` there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.config import load_settings
from ledger.db import session_scope
from ledger.models import AuditLog
from tests.console.conftest import Account, login, make_users
from web import create_app


@pytest.fixture(name="app")
def any_backend_app(fresh_database_url: str, instance_dir: Path) -> Iterator[Flask]:
    settings = load_settings(
        overrides={"paths": {"instance": str(instance_dir)},
                   "database": {"url": fresh_database_url}},
        environ={},
    )
    app = create_app(settings=settings, test_config={"TESTING": True})
    yield app
    app.extensions["ledger.session_factory"].kw["bind"].dispose()


@pytest.fixture(name="accounts")
def any_backend_accounts(app: Flask) -> dict[str, Account]:
    return make_users(app)


def _visitor(app: Flask) -> FlaskClient:
    """A public visitor reading English (the texts the tests change are the English ones)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _client(app: Flask, account: Account) -> FlaskClient:
    client = _visitor(app)
    login(app, client, account)
    return client


def _db(app: Flask) -> AbstractContextManager[Session]:
    return session_scope(app.extensions["ledger.session_factory"])


def _audit(app: Flask, action: str) -> list[AuditLog]:
    with _db(app) as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.action == action)
                                    .order_by(AuditLog.id)))
        session.expunge_all()
        return rows
