"""The reconciliation inbox page: manual entries and a bank disbursement with evidence from the
console, bulk actions over a selection (one CSRF form), match and undo from the item page,
filters, the discrepancies, and an auditor who can look but not act."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cli.main import main
from ledger.db import session_scope
from ledger.models import AuditLog, Disbursement, ItemState, JournalEntry, ReconcileItem
from tests.console.conftest import Account, csrf_token, login

PDF = b"%PDF-1.4 payment order"


def _items(app: Flask) -> dict[str, ReconcileItem]:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        rows = session.execute(
            select(JournalEntry.idempotency_key, ReconcileItem).join(
                JournalEntry, ReconcileItem.entry_id == JournalEntry.id
            )
        ).all()
        session.expunge_all()
        return {key: item for key, item in rows}


def _entry(client: FlaskClient, reference: str, amount: str, **extra: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/console/reconcile/entry"),
        "kind": "cash-sale", "reference": reference, "artwork": "venera", "asset": "KZT",
        "amount": amount, "on": "2024-03-01", "channel": "Exhibition", **extra,
    }
    return client.post("/console/reconcile/entry", data=data, content_type="multipart/form-data")


def test_manual_entries_bulk_actions_and_undo(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    assert _entry(client, "R-1", "100 000", document=(io.BytesIO(PDF), "receipt.pdf")).status_code == 302
    assert _entry(client, "R-2", "50000").status_code == 302
    bad = _entry(client, "R-3", "1,000")  # a decimal or a thousands separator? asked
    assert bad.status_code == 400 and "could be a decimal" in bad.get_data(as_text=True)
    svg = _entry(client, "R-4", "10", document=(io.BytesIO(b"<svg onload=x>"), "r.pdf"))
    assert svg.status_code == 400 and "PDF, PNG or JPEG" in svg.get_data(as_text=True)
    items = _items(console_app)
    one, two = items["manual:cash-sale:R-1"], items["manual:cash-sale:R-2"]
    assert {one.state, two.state} == {ItemState.PENDING}

    page = client.get("/console/reconcile/?state=pending").get_data(as_text=True)
    assert f'name="item" value="{one.id}"' in page and "1,000.00 KZT" not in page
    token = csrf_token(client, "/console/reconcile/")
    response = client.post("/console/reconcile/bulk", data={
        "csrf_token": token, "action": "hold", "reason": "", "item": [str(one.id), str(two.id)],
        "back": "/console/reconcile/?state=pending"})
    assert response.status_code == 302 and response.headers["Location"].endswith("?state=pending")
    assert {i.state for k, i in _items(console_app).items() if k.startswith("manual:")} == {
        ItemState.ON_HOLD}
    client.post("/console/reconcile/bulk", data={
        "csrf_token": token, "action": "fail", "reason": "missing_evidence", "item": [str(two.id)]})
    client.post("/console/reconcile/bulk", data={
        "csrf_token": token, "action": "match", "reason": "", "item": [str(one.id)]})
    items = _items(console_app)
    assert items["manual:cash-sale:R-2"].state == ItemState.FAILED
    assert items["manual:cash-sale:R-1"].state == ItemState.MATCHED
    filtered = client.get("/console/reconcile/?state=failed").get_data(as_text=True)
    assert "missing evidence" in filtered and f'name="item" value="{one.id}"' not in filtered

    item_page = client.get(f"/console/reconcile/items/{one.id}").get_data(as_text=True)
    assert "Undo the match" in item_page
    client.post(f"/console/reconcile/items/{one.id}/unmatch",
                data={"csrf_token": csrf_token(client, f"/console/reconcile/items/{one.id}")})
    assert _items(console_app)["manual:cash-sale:R-1"].state == ItemState.PENDING
    with session_scope(console_app.extensions["ledger.session_factory"]) as session:
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"entry.cash-sale", "reconcile.on_hold", "reconcile.failed", "reconcile.match",
            "reconcile.unmatch"} <= actions


def test_a_bank_disbursement_with_evidence_from_the_console(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    _entry(client, "S-1", "100000")
    form = {
        "csrf_token": csrf_token(client, "/console/reconcile/disbursement"),
        "beneficiary": "crisis-centre-almaty", "asset": "KZT", "amount": "60000",
        "reference": "BANK-1", "paid_on": "2024-03-05",
    }
    missing = client.post("/console/reconcile/disbursement", data=form,
                          content_type="multipart/form-data")
    assert missing.status_code == 400 and "needs its document" in missing.get_data(as_text=True)
    done = client.post("/console/reconcile/disbursement",
                       data={**form, "document": (io.BytesIO(PDF), "order.pdf")},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    with session_scope(console_app.extensions["ledger.session_factory"]) as session:
        payout = session.scalars(select(Disbursement)).one()
        assert (payout.reference, payout.amount) == ("BANK-1", 6_000_000)  # KZT has two decimals
        assert payout.document_sha256
        assert session.scalars(select(AuditLog).where(AuditLog.action == "disbursement.bank")).one()
    too_much = client.post("/console/reconcile/disbursement",
                           data={**form, "reference": "BANK-2", "amount": "999999",
                                 "document": (io.BytesIO(PDF), "order.pdf")},
                           content_type="multipart/form-data")
    assert too_much.status_code == 400 and "not yet paid" in too_much.get_data(as_text=True)
    page = client.get("/console/reconcile/").get_data(as_text=True)
    assert "Open discrepancies" in page


def test_payouts_of_one_day_from_the_console_and_the_cli_get_the_same_instant(
    console_app: Flask, accounts: dict[str, Account], instance_dir: Path,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """Both stamp the statement's day the same way (noon, local, as manual entries and imported
    files do), so payouts of the same day sort and report alike whichever way they came in."""
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    _entry(client, "S-1", "100000")
    form = {
        "csrf_token": csrf_token(client, "/console/reconcile/disbursement"),
        "beneficiary": "crisis-centre-almaty", "asset": "KZT", "amount": "50000",
        "reference": "BANK-1", "paid_on": "2024-03-05", "document": (io.BytesIO(PDF), "order.pdf"),
    }
    assert client.post("/console/reconcile/disbursement", data=form,
                       content_type="multipart/form-data").status_code == 302
    order = tmp_path / "order.pdf"
    order.write_bytes(PDF)
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    result = CliRunner().invoke(main, [
        "disburse", "--beneficiary", "crisis-centre-almaty", "--asset", "KZT",
        "--amount", "1000000", "--reference", "BANK-2", "--document", str(order),
        "--date", "2024-03-05",
    ])
    assert result.exit_code == 0, result.output
    with session_scope(console_app.extensions["ledger.session_factory"]) as session:
        stamps = {
            payout.reference: session.get(JournalEntry, payout.entry_id).effective_at  # type: ignore[union-attr]
            for payout in session.scalars(select(Disbursement))
        }
    assert set(stamps) == {"BANK-1", "BANK-2"}
    assert stamps["BANK-1"] == stamps["BANK-2"]  # the same day, the same instant (noon, local)
    bad = CliRunner().invoke(main, [
        "disburse", "--beneficiary", "crisis-centre-almaty", "--asset", "KZT",
        "--amount", "1", "--reference", "BANK-9", "--document", str(order), "--date", "5.3.2024",
    ])
    assert bad.exit_code != 0 and "--date" in bad.output


def test_an_auditor_sees_the_inbox_but_cannot_act(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    organiser = console_app.test_client()
    login(console_app, organiser, accounts["organiser"])
    _entry(organiser, "A-1", "1000")
    item = _items(console_app)["manual:cash-sale:A-1"]
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    page = client.get("/console/reconcile/").get_data(as_text=True)
    assert "A-1" in page and 'name="item"' not in page and "Apply to the selected" not in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"csrf_token": token.group(1) if token else "", "action": "ignore",
            "item": [str(item.id)]}
    assert client.post("/console/reconcile/bulk", data=data).status_code == 403
    assert client.post(f"/console/reconcile/items/{item.id}/match", data=data).status_code == 403
    assert client.get(f"/console/reconcile/items/{item.id}").status_code == 200
    assert _items(console_app)["manual:cash-sale:A-1"].state == ItemState.PENDING
