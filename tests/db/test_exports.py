"""Exports of the journal: exact amounts, explorer links, no personal data, and a Beancount
file that Beancount's own loader accepts with the same balances as ours."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from beancount.core.amount import CURRENCY_RE
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import (
    bank_account,
    marketplace_fees_account,
    sales_account,
    wallet_account,
)
from ledger.demo.load import load_demo
from ledger.exports import (
    ExportData,
    commodity_name,
    get_export_data,
    render_beancount,
    render_csv,
    render_json,
)
from ledger.journal import (
    EntrySpec,
    Evidence,
    PostingSpec,
    get_balances,
    get_entry_by_key,
    open_account,
    post_entry,
    reverse_entry,
)
from ledger.models import Artwork, Gift, Wallet, WalletRole
from ledger.routing.attribute import Attribution
from ledger.routing.route import record_attribution, route_pending
from ledger.types import UINT256_MAX
from tests.beancount_check import load_beancount_balances
from tests.canaries import seed_canaries

EXPLORER = {"56": "https://bscscan.com/tx/{hash}"}
TX = "0x" + "ab12" * 16
T0 = datetime(2024, 3, 1, 20, 30, tzinfo=UTC)  # 2024-03-02 in Almaty (UTC+5 then)


def _export(session: Session) -> ExportData:
    return get_export_data(
        session,
        tz=ZoneInfo("Asia/Almaty"),
        explorer_tx_url=EXPLORER,
        operating_currency="KZT",
        generated_at=datetime(2024, 6, 1, tzinfo=UTC),
    )


def _sale(
    session: Session, key: str, postings: list[PostingSpec], evidence: Evidence | None = None
) -> None:
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=T0,
            description=f"sale {key}",
            postings=postings,
            evidence=evidence or Evidence.manual(),
        ),
    )
    artwork = session.scalars(select(Artwork.id).where(Artwork.key == "venera")).one()
    record_attribution(session, entry, Attribution("Exhibition", artwork_id=artwork))


@pytest.fixture
def books(session: Session) -> Session:
    """The demo catalogue with a cash sale, a chain sale with a fee, routing and a reversal."""
    load_demo(session)
    treasury = session.scalars(select(Wallet).where(Wallet.role == WalletRole.TREASURY)).first()
    assert treasury is not None
    wallet = wallet_account(treasury)
    for name in (
        bank_account(),
        sales_account("Exhibition"),
        sales_account("PancakeSwap"),
        marketplace_fees_account("PancakeSwap"),
        wallet,
    ):
        open_account(session, name)
    _sale(
        session,
        "cash-1",
        [
            PostingSpec(bank_account(), "KZT", 1_250_001),
            PostingSpec(sales_account("Exhibition"), "KZT", -1_250_001),
        ],
    )
    _sale(
        session,
        "chain-1",
        [
            PostingSpec(wallet, "WBNB", 123_456_789_012_345_678_901 - 2_000_000_000_000_000_003),
            PostingSpec(
                marketplace_fees_account("PancakeSwap"),
                "WBNB",
                2_000_000_000_000_000_003,
                memo="2 % fee",
            ),
            PostingSpec(sales_account("PancakeSwap"), "WBNB", -123_456_789_012_345_678_901),
        ],
        evidence=Evidence.chain_log(56, 1234, "0x" + "cd" * 32, 7, TX),
    )
    _sale(
        session,
        "cash-2",
        [
            PostingSpec(bank_account(), "KZT", 5_00),
            PostingSpec(sales_account("Exhibition"), "KZT", -5_00),
        ],
    )
    route_pending(session)
    # A correction: the second cash sale is reversed (and its allocation with it).
    cash_2 = get_entry_by_key(session, "cash-2")
    assert cash_2 is not None
    reverse_entry(session, cash_2.id, effective_at=T0 + timedelta(days=1), description="typo")
    route_pending(session)
    return session


def test_csv_has_a_settings_header_exact_amounts_and_explorer_links(books: Session) -> None:
    text = render_csv(_export(books))
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert "# reports.timezone: Asia/Almaty (local_date column; effective_at is UTC)" in header
    assert any(
        line.startswith("# chain.explorer_tx_url: 56=https://bscscan.com/tx/{hash}")
        for line in header
    )
    assert any(line.startswith("# rates: none used") for line in header)
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("# ")))
    chain = [r for r in rows if r["key"] == "chain-1"]
    assert {r["explorer_url"] for r in chain} == {f"https://bscscan.com/tx/{TX}"}
    assert {r["local_date"] for r in chain} == {"2024-03-02"}
    gross = next(r for r in chain if r["account"] == sales_account("PancakeSwap"))
    assert (gross["amount_units"], gross["amount"]) == (
        "-123456789012345678901",
        "-123.456789012345678901",
    )
    fee = next(r for r in chain if r["account"].startswith("Expenses:"))
    assert (fee["amount"], fee["memo"]) == ("2.000000000000000003", "2 % fee")
    # Every posting's decimal is its integer, exactly.
    decimals = _export(books).decimals
    for row in rows:
        assert Decimal(row["amount"]).scaleb(decimals[row["asset"]]) == Decimal(row["amount_units"])
    # Routing entries, the reversal and the entries' sums are all there.
    assert {r["evidence_kind"] for r in rows} >= {"chain_log", "manual", "reversal"}
    assert sum(int(r["amount_units"]) for r in rows if r["asset"] == "KZT") == 0


def test_json_amounts_are_strings(books: Session) -> None:
    document = json.loads(render_json(_export(books)))
    assert document["settings"]["reports.timezone"] == "Asia/Almaty"
    assert document["rates"] == []
    postings = [p for e in document["entries"] for p in e["postings"]]
    assert postings and all(isinstance(p["amount_units"], str) for p in postings)
    assert all(isinstance(p["amount"], str) for p in postings)
    chain = next(e for e in document["entries"] if e["key"] == "chain-1")
    assert chain["explorer_url"] == f"https://bscscan.com/tx/{TX}"


def test_uint256_max_survives_csv_and_json_exactly(session: Session) -> None:
    load_demo(session)
    for name in ("Assets:Wallet:Big", "Income:Sales:Big"):
        open_account(session, name)
    post_entry(
        session,
        EntrySpec(
            idempotency_key="big",
            effective_at=T0,
            description="the largest amount a uint256 holds",
            postings=[
                PostingSpec("Assets:Wallet:Big", "WBNB", UINT256_MAX),
                PostingSpec("Income:Sales:Big", "WBNB", -UINT256_MAX),
            ],
        ),
    )
    whole, fraction = divmod(UINT256_MAX, 10**18)
    decimal = f"{whole}.{fraction:018d}".rstrip("0")
    data = _export(session)
    rows = list(
        csv.DictReader(line for line in render_csv(data).splitlines() if not line.startswith("# "))
    )
    big = {r["account"]: r for r in rows if r["key"] == "big"}
    assert big["Assets:Wallet:Big"]["amount_units"] == str(UINT256_MAX)
    assert big["Assets:Wallet:Big"]["amount"] == decimal
    assert big["Income:Sales:Big"]["amount_units"] == str(-UINT256_MAX)
    assert big["Income:Sales:Big"]["amount"] == "-" + decimal
    entry = next(e for e in json.loads(render_json(data))["entries"] if e["key"] == "big")
    assert [(p["amount_units"], p["amount"]) for p in entry["postings"]] == [
        (str(UINT256_MAX), decimal),
        (str(-UINT256_MAX), "-" + decimal),
    ]


def test_beancount_accepts_the_file_and_its_balances_equal_ours(
    books: Session, tmp_path: Path
) -> None:
    data = _export(books)
    path = tmp_path / "ledger.beancount"
    path.write_text(render_beancount(data), encoding="utf-8")
    theirs = load_beancount_balances(path, data.decimals)
    ours = get_balances(books)
    assert theirs == ours
    assert len(ours) >= 6


def test_no_private_value_reaches_any_export_format(session: Session) -> None:
    load_demo(session)
    canaries = seed_canaries(session)
    gift = session.scalars(select(Gift)).one()
    # The gift's sale names its donor in the journal (by opaque id): still nothing exported.
    assert gift.receipt_code.startswith("CANARY")
    session.flush()
    data = _export(session)
    assert data.entries, "the canaries' gift entry must be exported, or this proves nothing"
    for render in (render_csv, render_json, render_beancount):
        text = render(data)
        assert "a cash sale at the exhibition" in text
        assert canaries.found_in(text) == [], render.__name__


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("BNB", "BNB"),
        ("usdt", "USDT"),
        ("1INCH", "X1INCH"),
        ("K", "KX"),
        ("a.b_", "A.B"),
        ("Ξ", "XX"),
    ],
)
def test_commodity_names_are_valid_for_beancount(code: str, name: str) -> None:
    assert commodity_name(code) == name
    assert re.fullmatch(CURRENCY_RE, name)
