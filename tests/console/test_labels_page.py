"""The labels page: the completeness check per language and the PDF, refused while the check
fails unless forced; every download recorded."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from ledger.db import session_scope
from ledger.labels import DEFAULT_PRESET, PRESETS
from ledger.models import AuditLog
from tests.console.conftest import Account, csrf_token, login


@pytest.fixture
def client(console_app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    return client


def _downloads(app: Flask) -> list[AuditLog]:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == "labels.download")))


def test_the_check_lists_what_each_language_lacks(client: FlaskClient) -> None:
    assert "labels are complete" in client.get("/console/labels/?lang=en").get_data(as_text=True)
    html = client.get("/console/labels/?lang=kk").get_data(as_text=True)
    assert "problem" in html and "no kk text" in html
    for name in PRESETS:
        assert f'value="{name}"' in html
    assert client.get("/console/labels/?lang=xx").status_code == 400


def test_a_complete_language_downloads_as_a_pdf_on_the_record(
    console_app: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client, "/console/labels/")
    response = client.post("/console/labels/pdf", data={
        "csrf_token": token, "lang": "en", "preset": "a4-8", "per": "artwork",
    })
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert len(PdfReader(io.BytesIO(response.data)).pages) >= 1
    (row,) = _downloads(console_app)
    assert row.actor == "organiser"
    assert json.loads(row.after or "{}")["preset"] == "a4-8"


def test_an_incomplete_language_needs_force(console_app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client, "/console/labels/")
    form = {"csrf_token": token, "lang": "kk", "preset": DEFAULT_PRESET, "per": "artwork"}
    refused = client.post("/console/labels/pdf", data=form)
    assert refused.status_code == 400
    assert "fix them, or tick this box" in refused.get_data(as_text=True)
    assert not _downloads(console_app)
    forced = client.post("/console/labels/pdf", data={**form, "force": "y"})
    assert forced.status_code == 200 and forced.mimetype == "application/pdf"
    assert json.loads(_downloads(console_app)[0].after or "{}")["forced"] is True


def test_an_unknown_preset_is_refused(client: FlaskClient) -> None:
    token = csrf_token(client, "/console/labels/")
    response = client.post("/console/labels/pdf", data={
        "csrf_token": token, "lang": "en", "preset": "letter-99", "per": "artwork",
    })
    assert response.status_code == 400
