"""CSV imports: every encoding and separator, the Binance sample, duplicates across and within
files, a malformed row in a large file, and import/reverse/re-import equals importing once."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db import make_engine, make_session_factory
from ledger.demo.load import load_demo
from ledger.imports.book import ImportRejectedError, RowStatus, commit_import, preview_import
from ledger.imports.mapping import load_mapping
from ledger.imports.parse import ImportFileError, parse_decimal
from ledger.journal import get_balances, reverse_entry
from ledger.models import Gift, JournalEntry, Person, RoutingRecord, RoutingStatus
from ledger.routing.route import route_pending
from tests.conftest import sqlite_template

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
TZ = ZoneInfo("Asia/Almaty")
BANK = "Assets:Bank:Operating"
EXCHANGE = "Assets:Exchange:Binance"


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    return session


def test_decimal_marks_and_thousands_separators() -> None:
    assert parse_decimal("1 250 000,00") == parse_decimal("1,250,000.00") == 1_250_000
    assert parse_decimal("1.234.567,5") == parse_decimal("1\u00a0234\u00a0567.5")
    assert parse_decimal("0,25") == parse_decimal("0.250") == parse_decimal("0.25")
    with pytest.raises(ValueError, match="could be a decimal or a thousands separator"):
        parse_decimal("1,250")
    assert parse_decimal("1,250", ",") == parse_decimal("1.25")
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal("12,,3x")


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("physical-sales-utf8.csv", "utf-8", ";"),
        ("physical-sales-utf8-bom.csv", "utf-8-sig", ";"),
        ("physical-sales-cp1251.csv", "windows-1251", ";"),
        ("physical-sales-comma.csv", "utf-8", ","),
        ("physical-sales-comma-cp1251.csv", "windows-1251", ","),
    ],
)
def test_every_encoding_and_separator_gives_the_same_sales(
    demo: Session, tmp_path: Path, name: str, encoding: str, delimiter: str
) -> None:
    data = (FIXTURES / name).read_bytes()
    mapping = load_mapping("physical-sales")
    preview = preview_import(demo, data, mapping, tz=TZ)
    assert (preview.encoding, preview.delimiter) == (encoding, delimiter)
    assert preview.count(RowStatus.NEW) == 3 and not preview.errors
    assert "Каспи-0001" in preview.lines[0].key  # the Cyrillic reference survived decoding
    commit_import(demo, tmp_path, data, name, mapping, tz=TZ)
    balances = get_balances(demo)
    assert balances[(BANK, "KZT")] == 125_000_000 + 35_000_050
    assert balances[(BANK, "USD")] == 9_999
    assert balances[("Equity:Routed", "KZT")] == 125_000_000 + 35_000_050  # routed on receipt
    codes = demo.scalars(select(Gift.receipt_code)).all()
    assert len(codes) == 3 and len(set(codes)) == 3 and all(len(c) >= 22 for c in codes)
    refs = set(demo.scalars(select(Person.ref)))
    assert refs == {"p_k7q2xv", "p_m3zt8a"}
    # The same sales in another file are recognised: by payment reference, and the row without
    # one by the hash of its normalised values (dates and amounts written differently).
    other = "physical-sales-comma.csv" if delimiter == ";" else "physical-sales-utf8.csv"
    again = preview_import(demo, (FIXTURES / other).read_bytes(), mapping, tz=TZ)
    assert again.count(RowStatus.DUPLICATE) == 3 and again.count(RowStatus.NEW) == 0


def test_binance_sample_books_sales_and_royalties_and_ignores_purchases_and_fees(
    demo: Session, tmp_path: Path
) -> None:
    data = (FIXTURES / "binance-nft-sample.csv").read_bytes()
    mapping = load_mapping("binance-nft")
    preview = preview_import(demo, data, mapping, tz=TZ)
    statuses = [line.status for line in preview.lines]
    assert statuses == [RowStatus.NEW] * 3 + [RowStatus.IGNORED] * 2
    assert preview.lines[0].key == "import:binance-nft:9801234567890123"
    commit_import(demo, tmp_path, data, "binance.csv", mapping, tz=TZ)
    b = get_balances(demo)
    bnb_gross = 25 * 10**16 + 125 * 10**14
    assert b[(EXCHANGE, "BNB")] == bnb_gross - bnb_gross // 100
    assert b[("Expenses:MarketplaceFees:Binance", "BNB")] == bnb_gross // 100
    assert b[("Income:Royalties:Binance", "BNB")] == -(125 * 10**14)
    assert b[(EXCHANGE, "USDT")] == 1205 * 10**17 - 1205 * 10**15
    records = demo.scalars(select(RoutingRecord)).all()
    assert {r.status for r in records} == {RoutingStatus.ROUTED}
    assert all(r.artwork_id is not None for r in records)  # token 103 -> Venera, 201 -> Alina
    entry = demo.scalars(
        select(JournalEntry)
        .where(JournalEntry.idempotency_key.startswith("import:"))
        .order_by(JournalEntry.id)  # without an order PostgreSQL may return any of them
    ).first()
    assert (
        entry is not None
        and entry.import_row == 2
        and entry.effective_at == datetime(2022, 11, 1, 10, 53, 20, tzinfo=UTC)
    )
    # A second, overlapping export: every order is a duplicate; nothing new lands.
    again = commit_import(demo, tmp_path, data + b"\n", "again.csv", mapping, tz=TZ)
    assert again.count(RowStatus.DUPLICATE) == 3 and again.count(RowStatus.NEW) == 0
    assert get_balances(demo) == b


def test_identical_rows_in_one_file_are_asked_about_not_dropped(
    demo: Session, tmp_path: Path
) -> None:
    text = (
        "date;artwork;buyer_reference;amount;currency;payment_reference\n"
        "05.11.2022;venera;p_cash01;5000;KZT;\n"
        "05.11.2022;venera;p_cash01;5000;KZT;\n"
    )
    mapping = load_mapping("physical-sales")
    preview = preview_import(demo, text.encode(), mapping, tz=TZ)
    assert [line.status for line in preview.lines] == [RowStatus.NEW, RowStatus.REPEATED]
    with pytest.raises(ImportRejectedError, match="row 3: the same as an earlier row"):
        commit_import(demo, tmp_path, text.encode(), "cash.csv", mapping, tz=TZ)
    assert (BANK, "KZT") not in get_balances(demo)
    commit_import(demo, tmp_path, text.encode(), "cash.csv", mapping, tz=TZ, confirm_repeats=True)
    assert get_balances(demo)[(BANK, "KZT")] == 1_000_000


def test_a_malformed_row_in_a_large_file_rejects_the_whole_file_naming_row_and_column(
    demo: Session, tmp_path: Path
) -> None:
    lines = ["date;artwork;buyer_reference;amount;currency;payment_reference"]
    for i in range(5_000):
        amount = "12,,3" if i == 2_999 else f"{1000 + i},50"
        lines.append(f"05.11.2022;venera;p_bulk{i:05d};{amount};KZT;REF-{i:05d}")
    data = ("\n".join(lines) + "\n").encode()
    with pytest.raises(ImportRejectedError) as caught:
        commit_import(demo, tmp_path, data, "big.csv", load_mapping("physical-sales"), tz=TZ)
    assert caught.value.problems == ["row 3001, column amount: '12,,3' is not a number"]
    assert demo.scalars(select(JournalEntry)).first() is None  # nothing landed
    assert not list(tmp_path.iterdir())  # not even the document


def test_what_cannot_be_decided_is_asked(demo: Session) -> None:
    mapping = load_mapping("physical-sales")
    both = b"date;artwork,buyer_reference;amount;currency;payment_reference\n"
    with pytest.raises(ImportFileError, match="separator"):
        preview_import(demo, both, mapping, tz=TZ)
    text = "date;artwork;buyer_reference;amount;currency;payment_reference\n05.11.2022;café;p_x0001;1;KZT;\n"
    with pytest.raises(ImportFileError, match="--encoding"):
        preview_import(demo, text.encode("utf-16-le"), mapping, tz=TZ)
    with pytest.raises(ImportFileError, match="--encoding"):
        preview_import(demo, text.encode("latin-1").replace(b"\xe9", b"\x98"), mapping, tz=TZ)
    ambiguous = (
        "date;artwork;buyer_reference;amount;currency;payment_reference\n"
        "05.11.2022;venera;p_x0001;1,250;KZT;R1\n"
        "05.11.2022;nosuch;p_x0001;1;KZT;R2\n"
        "05.11.2022;venera;john@example.com;1;KZT;R3\n"
    )
    preview = preview_import(demo, ambiguous.encode(), mapping, tz=TZ)
    assert [str(e) for e in preview.errors] == [
        "row 2, column amount: '1,250' could be a decimal or a thousands separator: set "
        "decimal in the mapping",
        "row 3, column artwork: no artwork 'nosuch' in the catalogue",
        "row 4, column buyer_reference: buyer reference must be an opaque id (letters, "
        "digits, - and _)",
    ]


ROWS = [f"0{day}.11.2022;venera;p_prop{day};{day * 1000};KZT;PR-{day}" for day in range(1, 7)]
HEADER = "date;artwork;buyer_reference;amount;currency;payment_reference\n"


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["import", "reverse"]),
            st.sets(st.integers(0, len(ROWS) - 1), min_size=1),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_property_import_reverse_reimport_equals_importing_the_final_set_once(
    database_urls: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, set[int]]],
) -> None:
    mapping = load_mapping("physical-sales")
    work = tmp_path_factory.mktemp("prop")
    ledgers = []
    for name in ("sequence", "once"):
        path = work / f"{name}.sqlite3"
        shutil.copyfile(sqlite_template(database_urls), path)
        ledgers.append(make_engine(f"sqlite:///{path}"))
    try:
        live: set[int] = set()
        with make_session_factory(ledgers[0])() as session:
            for action, rows in steps:
                if action == "import":
                    data = (HEADER + "\n".join(ROWS[i] for i in sorted(rows)) + "\n").encode()
                    commit_import(session, work / "docs", data, "f.csv", mapping, tz=TZ)
                    live |= rows
                else:
                    for i in sorted(rows & live):
                        entry = session.scalars(
                            select(JournalEntry)
                            .where(
                                JournalEntry.idempotency_key.startswith(
                                    f"import:physical-sales:PR-{i + 1}"
                                )
                            )
                            .order_by(JournalEntry.id.desc())
                        ).first()
                        assert entry is not None
                        reverse_entry(
                            session, entry.id, effective_at=entry.effective_at, description="undo"
                        )
                    route_pending(session)
                    live -= rows
            session.commit()
            sequence = get_balances(session)
        with make_session_factory(ledgers[1])() as session:
            if live:
                data = (HEADER + "\n".join(ROWS[i] for i in sorted(live)) + "\n").encode()
                commit_import(session, work / "docs", data, "final.csv", mapping, tz=TZ)
            session.commit()
            once = get_balances(session)
        assert sequence == once
    finally:
        for engine in ledgers:
            engine.dispose()
