"""The reports page: exact figures per artwork, beneficiary and channel for any period,
conversion with the rates named, SVG charts the CSP allows, and downloads on the record."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from ledger.db import session_scope
from ledger.models import AuditLog
from ledger.reports.charts import BarChart, render_bar_chart
from tests.console.conftest import Account, csrf_token, login
from tests.console.sales import DONOR_NAME, RECEIPT_CODE, book_sales


@pytest.fixture
def client(console_app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    book_sales(console_app)
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    return client


def _audit(app: Flask, action: str) -> list[AuditLog]:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_figures_per_artwork_are_exact_and_per_asset(client: FlaskClient) -> None:
    html = client.get("/console/reports/?by=artwork&lang=en").get_data(as_text=True)
    assert "Venera" in html
    assert "1000000" in html and "250000.5" in html  # exact decimals of KZT (2 places)
    assert "Outstanding" in html


@pytest.mark.parametrize("by", ["beneficiary", "channel", "artist", "total"])
def test_every_dimension_renders(client: FlaskClient, by: str) -> None:
    response = client.get(f"/console/reports/?by={by}")
    assert response.status_code == 200
    if by == "channel":
        assert "Exhibition" in response.get_data(as_text=True)


def test_a_period_in_local_days_keeps_only_its_sales(client: FlaskClient) -> None:
    html = client.get("/console/reports/?by=artwork&start=2026-04-01&end=2026-04-30").get_data(
        as_text=True
    )
    assert "250000.5" in html and "1000000" not in html


def test_a_bad_period_is_refused_with_the_reason(client: FlaskClient) -> None:
    response = client.get("/console/reports/?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 400
    assert "before the first" in response.get_data(as_text=True)
    assert client.get("/console/reports/?start=yesterday").status_code == 400


def test_conversion_names_the_rates_used(client: FlaskClient) -> None:
    html = client.get("/console/reports/?by=total&convert=USD").get_data(as_text=True)
    assert "1 KZT = 1/500 USD" in html and "test bank" in html
    # Received: 1 250 000.50 KZT / 500 = 2500.001 USD, rounded once to cents.
    assert re.search(r'<td class="num">2500</td>', html)


def test_charts_are_inline_svg_without_style_and_with_a_table(client: FlaskClient) -> None:
    html = client.get("/console/reports/").get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2  # raised over time (KZT) and by artwork (KZT)
    for svg in svgs:
        assert "style" not in svg and "<script" not in svg
        assert "<title id=" in svg and "<desc id=" in svg and 'role="img"' in svg
    assert "Received per month, KZT" in html and "2026-03" in html and "2026-04" in html
    assert "Received by artwork, KZT" in html
    assert html.count('class="data chart-data"') == 2


def test_chart_bars_scale_in_whole_pixels_and_labels_are_escaped() -> None:
    svg = render_bar_chart(BarChart("c", "T <b>", "D", [("<script>", 10), ("b", 5), ("c", -3)],
                                    show_value=str))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "T &lt;b&gt;" in svg
    heights = [int(h) for h in re.findall(r'height="(\d+)"/>', svg)]
    assert heights[0] == 2 * heights[1] and heights[2] == 0


def test_report_download_is_an_attachment_and_on_the_record(
    console_app: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client, "/console/reports/")
    response = client.post("/console/reports/download", data={
        "csrf_token": token, "by": "artwork", "start": "", "end": "", "convert": "",
        "fmt": "csv",
    })
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    assert "venera" in body and "100000000" in body
    response = client.post("/console/reports/download", data={
        "csrf_token": token, "by": "total", "convert": "USD", "fmt": "json",
    })
    document = json.loads(response.get_data(as_text=True))
    assert document["conversion"]["rates_used"][0]["rate"] == "1/500"
    (first, second) = _audit(console_app, "report.download")
    assert first.actor == "auditor" and json.loads(second.after or "{}")["format"] == "json"


@pytest.mark.parametrize("fmt", ["csv", "json", "beancount"])
def test_journal_exports_carry_no_personal_data(
    console_app: Flask, client: FlaskClient, fmt: str
) -> None:
    token = csrf_token(client, "/console/reports/")
    response = client.post("/console/reports/export",
                           data={"csrf_token": token, "export-fmt": fmt})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    assert "console-sale-1" in body
    assert DONOR_NAME not in body and RECEIPT_CODE not in body
    assert _audit(console_app, "export.download")


def test_an_empty_download_form_is_refused_and_nothing_recorded(
    console_app: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client, "/console/reports/")
    assert client.post("/console/reports/export", data={"csrf_token": token}).status_code == 400
    assert client.post("/console/reports/download", data={"csrf_token": token}).status_code == 400
    assert not _audit(console_app, "export.download")


def test_a_receipt_by_code_is_a_pdf_and_the_audit_keeps_the_code_out(
    console_app: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client, "/console/reports/")
    response = client.post("/console/reports/receipt", data={
        "csrf_token": token, "receipt-code": RECEIPT_CODE, "receipt-lang": "en",
    })
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert RECEIPT_CODE in text and DONOR_NAME not in text
    (row,) = _audit(console_app, "receipt.download")
    assert RECEIPT_CODE not in f"{row.summary}{row.after}{row.target_id}"
    missing = client.post("/console/reports/receipt", data={
        "csrf_token": token, "receipt-code": "NOPE", "receipt-lang": "en",
    })
    assert missing.status_code == 404 and "no gift matches" in missing.get_data(as_text=True)


def test_receipts_for_a_period_are_for_admins_only(
    console_app: Flask, client: FlaskClient, accounts: dict[str, Account]
) -> None:
    form = {"period-start": "2026-03-01", "period-end": "2026-03-31", "period-lang": "ru"}
    token = csrf_token(client, "/console/reports/")
    assert "Every receipt in a period" not in client.get("/console/reports/").get_data(
        as_text=True
    )
    assert client.post("/console/reports/receipts",
                       data={**form, "csrf_token": token}).status_code == 403
    admin = console_app.test_client()
    login(console_app, admin, accounts["admin"])
    token = csrf_token(admin, "/console/reports/")
    response = admin.post("/console/reports/receipts", data={**form, "csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    (row,) = _audit(console_app, "receipts.download")
    assert row.actor == "admin" and json.loads(row.after or "{}")["receipts"] == 1
    empty = admin.post("/console/reports/receipts", data={
        **form, "period-start": "2025-01-01", "period-end": "2025-01-31", "csrf_token": token})
    assert empty.status_code == 404
