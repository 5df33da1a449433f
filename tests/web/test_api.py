"""The public JSON API: same data as the pages, no personal data, an OpenAPI document that
schemathesis fuzzes (in-process, bounded: fixed seed, few examples) without a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ledger.config import Settings
from tests.web.test_transparency import BANK_REF, BUYER_WALLET, RECEIPT, SALE_TX, VENERA, add_sales


@pytest.fixture
def sold_app(demo_app: Flask, settings: Settings, tmp_path: Path) -> Flask:
    add_sales(settings, tmp_path / "documents")
    return demo_app


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_api_fuzz_finds_no_server_error_and_matches_its_schema(sold_app: Flask) -> None:
    """Every operation of the OpenAPI document, a bounded number of generated cases each."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", sold_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()


def test_api_serves_the_public_figures_and_nothing_personal(sold_app: Flask) -> None:
    client = sold_app.test_client()
    totals = client.get("/api/v1/totals").get_json()
    kzt = next(t for t in totals["totals"] if t["asset"] == "KZT")
    assert (kzt["received"], kzt["disbursed"], kzt["outstanding_units"]) == (
        "1500",
        "300",
        "120000",
    )
    art = client.get(f"/api/v1/artworks/{VENERA}").get_json()
    assert any(e["tx_hash"] == SALE_TX for e in art["entries"])
    assert client.get("/api/v1/artworks/nosuch").status_code == 404
    found = client.get(f"/api/v1/entries?tx_hash={SALE_TX}").get_json()["entries"]
    assert [e["asset"] for e in found] == ["BNB"]
    assert client.get("/api/v1/pending").get_json()["pending"][0]["status"] == "pending"
    everything = "".join(
        json.dumps(client.get(f"/api/v1/{path}").get_json())
        for path in ("totals", "beneficiaries", "artworks", "entries", "pending")
    )
    assert BANK_REF in everything
    for private in (RECEIPT, "p_donor", BUYER_WALLET[2:]):
        assert private not in everything
