"""Exchange rates in the database and reports converted with them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.demo.load import load_demo
from ledger.errors import RateError
from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry
from ledger.models import ExchangeRate
from ledger.rates import add_rate, get_rate_book, import_rates_csv
from ledger.reports.convert import build_converted_report
from ledger.reports.flows import FlowKind
from ledger.reports.render import render_csv, render_json, render_text
from ledger.reports.tables import Dimension
from ledger.routing.route import route_pending

TZ = ZoneInfo("Asia/Almaty")
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
WALLET = "Assets:Wallet:Test"
DECIMALS = {"BNB": 18, "WBNB": 18, "USDT": 18, "KZT": 2, "USD": 2}


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    for name in (bank_account(), sales_account("Exhibition"), WALLET, sales_account("Test")):
        open_account(session, name)
    return session


def _sale(session: Session, key: str, account: str, asset: str, amount: int, at: datetime) -> None:
    post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=at,
            description=f"sale {key}",
            postings=[
                PostingSpec(account, asset, amount),
                PostingSpec(sales_account("Test"), asset, -amount),
            ],
        ),
    )


def test_a_rate_is_recorded_once_and_a_contradiction_is_refused(demo: Session) -> None:
    first, is_new = add_rate(
        demo, base="BNB", quote="KZT", rate="250000.5", source="nbk", observed_at=T0
    )
    assert is_new and first.rate == "250000.5"
    again, is_new = add_rate(
        demo, base="BNB", quote="KZT", rate="250000.50", source="nbk", observed_at=T0
    )
    assert (again.id, is_new) == (first.id, False)
    with pytest.raises(RateError, match=r"already 250000\.5"):
        add_rate(demo, base="BNB", quote="KZT", rate="1", source="nbk", observed_at=T0)
    for bad in (
        {"base": "BNB", "quote": "EUR"},
        {"base": "XYZ", "quote": "KZT"},
        {"base": "KZT", "quote": "KZT"},
    ):
        with pytest.raises(RateError):
            add_rate(demo, rate="1", source="x", observed_at=T0, **bad)
    with pytest.raises(RateError, match="time zone"):
        add_rate(
            demo, base="BNB", quote="KZT", rate="1", source="x", observed_at=datetime(2024, 1, 1)
        )


def test_a_rates_file_is_all_or_nothing_and_names_the_bad_line(demo: Session) -> None:
    good = "base,quote,rate,source,observed_at\nBNB,KZT,250000,nbk,2024-03-01\nUSD,KZT,1/0.0021,nbk,2024-03-01T10:00:00+05:00\n"
    done = import_rates_csv(demo, good, TZ)
    assert (done.added, done.already_known) == (2, 0)
    assert import_rates_csv(demo, good, TZ).already_known == 2
    stored = {r.base.code: r for r in demo.scalars(select(ExchangeRate))}
    assert stored["BNB"].observed_at == datetime(2024, 2, 29, 19, tzinfo=UTC)  # local midnight
    with pytest.raises(RateError, match="line 3"):
        import_rates_csv(
            demo,
            "base,quote,rate,source,observed_at\nWBNB,USD,2,x,2024-03-01\nWBNB,USD,1.5e3,x,2024-03-02\n",
            TZ,
        )
    with pytest.raises(RateError, match="lacks column"):
        import_rates_csv(demo, "base,quote,rate\nBNB,KZT,1\n", TZ)


def test_a_converted_report_uses_the_rate_in_force_and_lists_what_it_could_not_convert(
    demo: Session,
) -> None:
    # 1.5 BNB before any rate, 1 BNB under the first rate, 2 BNB under the second, 10 KZT.
    _sale(demo, "early", WALLET, "BNB", 15 * 10**17, T0 - timedelta(days=10))
    _sale(demo, "one", WALLET, "BNB", 10**18, T0 + timedelta(hours=1))
    _sale(demo, "two", WALLET, "BNB", 2 * 10**18, T0 + timedelta(days=5))
    _sale(demo, "tenge", bank_account(), "KZT", 1_000, T0 + timedelta(days=5))
    _sale(demo, "usdt", WALLET, "USDT", 10**18, T0 + timedelta(days=5))  # never has a rate
    add_rate(demo, base="BNB", quote="KZT", rate="250000.01", source="nbk", observed_at=T0)
    add_rate(
        demo, base="BNB", quote="KZT", rate="1/3", source="odd", observed_at=T0 + timedelta(days=4)
    )
    route_pending(demo)
    report, conversion = build_converted_report(
        demo, Dimension.TOTAL, get_rate_book(demo, "KZT"), DECIMALS
    )
    (row,) = report.rows
    assert row.asset == "KZT"
    # 250000.01 KZT + 2/3 KZT (rounded once, after summing: 25000001 + 66.67 tiyn) + 10 KZT.
    assert row.figures.pledged == 0
    assert row.figures.received == 25_000_001 + 67 + 1_000
    assert [(r.base, r.rate) for r in conversion.rates_used] == [
        ("BNB", "250000.01"),
        ("BNB", "1/3"),
    ]
    missing = {(u.asset, u.kind, u.amount) for u in conversion.unconverted}
    assert (("BNB", FlowKind.RECEIVED, 15 * 10**17)) in missing
    assert (("USDT", FlowKind.RECEIVED, 10**18)) in missing
    assert all(u.asset in ("BNB", "USDT") for u in conversion.unconverted)
    text = render_text(report, DECIMALS, TZ, conversion)
    assert "1 BNB = 1/3 KZT from 2024-03-05T17:00:00+05:00 (odd)" in text
    assert "received 1.5 BNB" in text
    document = json.loads(render_json(report, DECIMALS, TZ, conversion))
    assert document["conversion"]["quote"] == "KZT"
    assert {u["amount_units"] for u in document["conversion"]["unconverted"]} >= {str(15 * 10**17)}
    assert "# Rates used:" in render_csv(report, DECIMALS, TZ, conversion)


def test_with_no_rates_nothing_but_the_quote_itself_is_converted(demo: Session) -> None:
    _sale(demo, "one", WALLET, "BNB", 10**18, T0)
    _sale(demo, "tenge", bank_account(), "KZT", 1_000, T0)
    report, conversion = build_converted_report(
        demo, Dimension.TOTAL, get_rate_book(demo, "USD"), DECIMALS
    )
    assert report.rows == []
    assert conversion.rates_used == []
    assert {u.asset for u in conversion.unconverted} == {"BNB", "KZT"}
