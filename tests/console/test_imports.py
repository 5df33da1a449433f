"""The Imports page: a bad row is shown by row and column, the fixed file commits once,
re-importing changes nothing, questions are asked instead of guesses, uploads are checked by
content, and an auditor can look but not import."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ledger.db import session_scope
from ledger.models import AuditLog, ImportMapping, JournalEntry, ReconcileItem
from tests.console.conftest import Account, csrf_token, login

HEADER = "date;artwork;buyer_reference;amount;currency;payment_reference\n"
GOOD = (
    HEADER
    + "05.11.2022;venera;p_k7q2xv;1 250 000,00;KZT;Kaspi-0001\n"
    + "06.11.2022;dzk4tb;p_m3zt8a;350 000,50;KZT;Kaspi-0002\n"
)
BAD = GOOD.replace("350 000,50;KZT", "350 000,50;XYZ")


def _count(app: Flask, model: type, *where: object) -> int:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _upload(client: FlaskClient, content: bytes, name: str = "sales.csv", **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf_token(client, "/console/imports/"),
        "mapping": "physical-sales",
        "encoding": "",
        "delimiter": "",
        "file": (io.BytesIO(content), name),
        **extra,
    }
    return client.post("/console/imports/", data=data, content_type="multipart/form-data")


def _staged_fields(page: str) -> dict[str, str]:
    fields = {}
    for name in ("csrf_token", "sha256", "filename"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        assert match, name
        fields[name] = match.group(1)
    return fields


def _imported(app: Flask) -> int:
    return _count(app, JournalEntry, JournalEntry.idempotency_key.startswith("import:"))


def test_bad_row_then_fixed_file_then_commit_once(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    response = _upload(client, BAD.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r"<td class=\"num\">3</td><td>currency</td><td>&#39;XYZ&#39; is not an asset", page)
    assert "Commit the import" not in page
    # Committing the bad file anyway (a forged form) imports nothing.
    fields = _staged_fields(page)
    refused = client.post("/console/imports/commit", data={**fields, "mapping": "physical-sales"})
    assert refused.status_code == 422 and "Nothing was imported" in refused.get_data(as_text=True)
    assert _imported(console_app) == 0

    response = _upload(client, GOOD.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Commit the import" in page
    assert "new: 2" in page
    fields = _staged_fields(page)
    assert fields["sha256"] not in (client.get_cookie("session").value if client.get_cookie("session") else "")
    done = client.post("/console/imports/commit", data={**fields, "mapping": "physical-sales"})
    assert done.status_code == 302
    assert _imported(console_app) == 2
    assert _count(console_app, ReconcileItem) >= 2  # the rows are in the inbox
    assert _count(console_app, AuditLog, AuditLog.action == "import.commit") == 1

    # Re-importing the same file changes nothing: every row is a duplicate.
    page = _upload(client, GOOD.encode()).get_data(as_text=True)
    assert "duplicate: 2" in page and "new: 0" in page
    fields = _staged_fields(page)
    client.post("/console/imports/commit", data={**fields, "mapping": "physical-sales"})
    assert _imported(console_app) == 2


def test_repeated_rows_are_flagged_for_confirmation_not_dropped(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    twice = HEADER + "05.11.2022;venera;p_k7q2xv;100;KZT;\n" * 2
    page = _upload(client, twice.encode()).get_data(as_text=True)
    assert "repeated: 1" in page and "Commit the import" not in page
    page = _upload(client, twice.encode(), confirm_repeats="y").get_data(as_text=True)
    assert "new: 2" in page and "Commit the import" in page


def test_an_undecidable_separator_is_asked_not_guessed(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    mixed = GOOD.replace("date;artwork", "date,artwork", 1)
    response = _upload(client, mixed.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A question before the preview" in page and "separator" in page


def test_uploads_are_checked_by_content(console_app: Flask, accounts: dict[str, Account]) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    for content in (b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>",
                    b"<!DOCTYPE html><html></html>", b"%PDF-1.4 ..."):
        response = _upload(client, content, name="sales.csv")
        assert response.status_code == 400
        assert "Import preview" not in response.get_data(as_text=True)


def test_an_edited_mapping_is_saved_under_a_new_name(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    page = client.get("/console/imports/mappings?name=physical-sales").get_data(as_text=True)
    assert 'name = &#34;physical-sales&#34;' in page or 'name = "physical-sales"' in page
    token = csrf_token(client, "/console/imports/mappings")
    text = (
        'name = "kaspi-sheet"\nkind = "sale"\nchannel = "Exhibition"\n'
        'account = "Assets:Bank:Operating"\nnatural_key = ["ref"]\n'
        'date = { column = "day", format = "date" }\namount = { column = "sum" }\n'
        'currency = { column = "cur" }\nreference = { column = "ref" }\n'
    )
    taken = client.post("/console/imports/mappings",
                        data={"csrf_token": token, "toml": text.replace("kaspi-sheet", "physical-sales")})
    assert taken.status_code == 400 and "give the copy a new name" in taken.get_data(as_text=True)
    saved = client.post("/console/imports/mappings", data={"csrf_token": token, "toml": text})
    assert saved.status_code == 302
    assert _count(console_app, ImportMapping, ImportMapping.name == "kaspi-sheet") == 1
    assert "kaspi-sheet" in client.get("/console/imports/").get_data(as_text=True)
    sheet = "day;sum;cur;ref\n2022-11-05;1000;KZT;K-1\n"
    response = _upload(client, sheet.encode(), mapping="kaspi-sheet")
    assert "new: 1" in response.get_data(as_text=True)


def test_an_auditor_sees_the_page_but_cannot_import(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    page = client.get("/console/imports/")
    assert page.status_code == 200 and 'type="file"' not in page.get_data(as_text=True)
    token = csrf_token(client, "/console/imports/mappings")
    response = client.post(
        "/console/imports/",
        data={"csrf_token": token, "mapping": "physical-sales",
              "file": (io.BytesIO(GOOD.encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert client.post("/console/imports/commit", data={"csrf_token": token}).status_code == 403
    assert _imported(console_app) == 0
