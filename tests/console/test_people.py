"""Erasing a donor's personal data (console and CLI) and the identity-bearing contact export:
admin only, on the record by opaque reference, and every total and the journal unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from cli.main import main
from ledger.journal import (
    EntrySpec,
    PostingSpec,
    compute_journal_checksum,
    open_account,
    post_entry,
)
from ledger.models import AuditLog, Gift, Person, PersonContact
from tests.console.backends import _audit, _db, _visitor, any_backend_accounts, any_backend_app  # noqa: F401
from tests.console.conftest import Account, csrf_token, login

NAME, EMAIL = "AIGERIM-DONOR-NAME", "aigerim@example.kz"


def _seed_donor(app: Flask) -> None:
    with _db(app) as session:
        for name in ("Assets:Cash:Exhibition", "Income:Sales:Exhibition"):
            open_account(session, name)
        person = Person(ref="p_donor1", contact=PersonContact(name=NAME, email=EMAIL,
                                                              phone="+7 700 000 00 00"))
        session.add(person)
        session.flush()
        entry = post_entry(session, EntrySpec(
            idempotency_key="gift-1", effective_at=datetime.now(UTC),
            description="a cash sale at the exhibition", person_id=person.id,
            postings=[PostingSpec("Assets:Cash:Exhibition", "KZT", 50_000),
                      PostingSpec("Income:Sales:Exhibition", "KZT", -50_000)]))
        session.flush()
        session.add(Gift(entry_id=entry.id, person_id=person.id, receipt_code="r" * 32))


def _figures(app: Flask) -> dict[str, Any]:
    public = _visitor(app)
    with _db(app) as session:
        checksum = compute_journal_checksum(session)
    return {
        "checksum": checksum,
        "totals": json.loads(public.get("/api/v1/totals").data)["totals"],
        "beneficiaries": json.loads(public.get("/api/v1/beneficiaries").data),
        "entries": public.get("/ledger/entries.csv").data,
    }


def test_an_admin_erases_a_donor_and_every_total_stays_the_same(
    app: Flask, accounts: dict[str, Account]
) -> None:
    _seed_donor(app)
    before = _figures(app)
    organiser = _visitor(app)
    login(app, organiser, accounts["organiser"])
    token = csrf_token(organiser, "/console/people/")
    refused = organiser.post("/console/people/p_donor1/erase",
                             data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 403

    admin = _visitor(app)
    login(app, admin, accounts["admin"])
    page = admin.get("/console/people/").get_data(as_text=True)
    assert "p_donor1" in page and NAME not in page and EMAIL not in page
    token = csrf_token(admin, "/console/people/")
    response = admin.post("/console/people/p_donor1/erase",
                          data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302

    with _db(app) as session:
        assert session.scalars(select(PersonContact)).first() is None
        person = session.scalars(select(Person).where(Person.ref == "p_donor1")).one()
        assert person.erased_at is not None
        assert session.scalars(select(Gift)).one().person_id == person.id
    assert _figures(app) == before
    (entry,) = _audit(app, "person.erase")
    assert entry.actor == "admin" and entry.target_id == "p_donor1"
    with _db(app) as session:
        everything = " ".join(
            f"{row.summary} {row.before} {row.after} {row.target_id}"
            for row in session.scalars(select(AuditLog))
        )
    assert NAME not in everything and EMAIL not in everything
    # A second erasure says so instead of pretending.
    again = admin.post("/console/people/p_donor1/erase",
                       data={"csrf_token": token, "confirm": "y"}, follow_redirects=True)
    assert "was erased on" in again.get_data(as_text=True)


def test_the_contact_export_needs_an_admin_and_is_recorded(
    app: Flask, accounts: dict[str, Account]
) -> None:
    _seed_donor(app)
    assert NAME.encode() not in _visitor(app).get("/ledger/entries.csv").data
    organiser = _visitor(app)
    login(app, organiser, accounts["organiser"])
    token = csrf_token(organiser, "/console/people/")
    assert organiser.post("/console/people/export-contacts",
                          data={"csrf_token": token, "confirm": "y"}).status_code == 403
    assert not _audit(app, "person.export_contacts")
    admin = _visitor(app)
    login(app, admin, accounts["admin"])
    token = csrf_token(admin, "/console/people/")
    response = admin.post("/console/people/export-contacts",
                          data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == "ref,name,email,phone,wallet_label,notes"
    assert f"p_donor1,{NAME},{EMAIL},'+7 700 000 00 00" in body  # no formula in a spreadsheet
    (entry,) = _audit(app, "person.export_contacts")
    assert entry.actor == "admin" and NAME not in (entry.after or "")


def test_ledger_people_erase_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instance_dir: Path
) -> None:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    from ledger.config import load_settings
    from ledger.db import engine_from_settings, make_session_factory, session_scope

    engine = engine_from_settings(load_settings(), writer=True)
    with session_scope(make_session_factory(engine)) as session:
        session.add(Person(ref="p_cli", contact=PersonContact(name=NAME)))
    checksum = runner.invoke(main, ["journal", "checksum"]).output
    result = runner.invoke(main, ["people", "erase", "p_cli", "--yes"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["journal", "checksum"]).output == checksum
    with session_scope(make_session_factory(engine)) as session:
        assert session.scalars(select(PersonContact)).first() is None
        (row,) = session.scalars(select(AuditLog).where(AuditLog.action == "person.erase"))
        assert row.via == "cli" and row.target_id == "p_cli"
    engine.dispose()
    missing = runner.invoke(main, ["people", "erase", "p_nobody", "--yes"])
    assert missing.exit_code == 1 and "no person 'p_nobody'" in missing.output
