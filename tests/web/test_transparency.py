"""The transparency ledger: the artwork page's figures, /ledger, the search by transaction
hash, receipts by private code, the public downloads; nothing by wallet, pending not counted."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.config import Settings
from ledger.db import engine_from_settings, make_session_factory, session_scope
from ledger.journal import EntrySpec, Evidence, PostingSpec, open_account, post_entry
from ledger.models import Artwork, ChainLog, Gift, Person
from ledger.routing.attribute import Attribution
from ledger.routing.route import record_attribution, route_pending
from tests.factories import bank_payout_to_crisis_centre

VENERA = "zvcp7r"
ALINA = "xv7849"
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
SALE_TX = "0x" + "5a" * 32
PENDING_TX = "0x" + "7e" * 32
BUYER_WALLET = "0x" + "b0" * 20  # a buyer's wallet, as it sits in a raw log's topics
RECEIPT = "rcpt-" + "q" * 30
OTHER_RECEIPT = "rcpt-" + "z" * 30
BANK_REF = "PP-2024-0042"


def _sale(
    session: Session, key: str, amount: int, asset: str, artwork: str, evidence: Evidence
) -> int:
    debit = bank_account() if asset == "KZT" else "Assets:Wallet:TestTreasury"
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=T0,
            description=f"sale {key}",
            postings=[
                PostingSpec(debit, asset, amount),
                PostingSpec(sales_account("Exhibition"), asset, -amount),
            ],
            evidence=evidence,
        ),
    )
    art_id = session.scalars(select(Artwork.id).where(Artwork.key == artwork)).one()
    record_attribution(session, entry, Attribution("Exhibition", artwork_id=art_id))
    return entry.id


def add_sales(settings: Settings, documents: Path) -> None:
    """Two cash sales with receipts, one chain sale, a bank payout and a pending chain log."""
    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        for name in (bank_account(), sales_account("Exhibition"), "Assets:Wallet:TestTreasury"):
            open_account(session, name)
        person = Person(ref="p_donor")
        session.add(person)
        session.flush()
        first = _sale(session, "cash-1", 100_000, "KZT", "venera", Evidence.manual())
        second = _sale(session, "cash-2", 50_000, "KZT", "venera", Evidence.manual())
        session.add(Gift(entry_id=first, person_id=person.id, receipt_code=RECEIPT))
        session.add(Gift(entry_id=second, person_id=person.id, receipt_code=OTHER_RECEIPT))
        chain = Evidence.chain_log(56, 1000, "0x" + "b1" * 32, 3, SALE_TX)
        _sale(session, "chain-1", 10**17, "BNB", "venera", chain)
        route_pending(session)
        bank_payout_to_crisis_centre(session, documents, BANK_REF, 30_000, T0 + timedelta(days=3))
        session.add(
            ChainLog(
                chain_id=56,
                block_number=2000,
                block_hash="0x" + "c2" * 32,
                block_timestamp=int(T0.timestamp()) + 3600,
                tx_hash=PENDING_TX,
                tx_index=0,
                log_index=0,
                address="0x" + "11" * 20,
                topic0="0x" + "22" * 32,
                topic1="0x" + "00" * 12 + BUYER_WALLET[2:],
                data="0x",
                is_booked=False,
            )
        )
    engine.dispose()


@pytest.fixture
def sold(demo_app: Flask, settings: Settings, tmp_path: Path) -> Iterator[FlaskClient]:
    add_sales(settings, tmp_path / "documents")
    yield demo_app.test_client()


def test_artwork_page_shows_its_figures_beneficiaries_proofs_and_pending(
    sold: FlaskClient,
) -> None:
    body = sold.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    assert "The figures for this work will be shown here." not in body
    assert "1500 KZT" in body  # received (KZT has 2 decimals), exact, never converted
    assert "0.1 BNB" in body
    assert "300 KZT" in body  # disbursed
    assert "Almaty crisis centre (demo)" in body
    assert f"https://bscscan.com/tx/{SALE_TX}" in body
    assert BANK_REF in body
    assert "Last verified:" in body
    assert "can be seen by anyone" in body
    # The pending transaction is not attributed to this artwork (it decodes to nothing); it
    # is on the ledger page instead, as pending.
    other = sold.get(f"/artworks/{ALINA}?lang=en").get_data(as_text=True)
    assert "Nothing has been sold or paid out for this work yet." in other


def test_a_pooled_payout_says_how_much_of_it_came_from_the_work_in_view(
    demo_app: Flask, settings: Settings, tmp_path: Path
) -> None:
    # One bank payout of 300 KZT to the crisis centre pays out what two works routed to it
    # (60 % of each sale): Alina's 60 KZT first, then 240 KZT of Venera's 600 KZT. Each work's
    # page lists the payout as proof and says which part of it was that work's money.
    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        open_account(session, bank_account())
        open_account(session, sales_account("Exhibition"))
        _sale(session, "cash-alina", 10_000, "KZT", "alina", Evidence.manual())
        _sale(session, "cash-venera", 100_000, "KZT", "venera", Evidence.manual())
        route_pending(session)
        bank_payout_to_crisis_centre(
            session, tmp_path / "documents", BANK_REF, 30_000, T0 + timedelta(days=3)
        )
    engine.dispose()
    client = demo_app.test_client()
    for code, part in ((VENERA, "240 KZT"), (ALINA, "60 KZT")):
        body = client.get(f"/artworks/{code}?lang=en").get_data(as_text=True)
        assert "300 KZT" in body and BANK_REF in body
        assert f"(of which {part} from this work)" in body, code
    russian = client.get(f"/artworks/{VENERA}?lang=ru").get_data(as_text=True)
    assert "(из них 240 KZT от этой работы)" in russian
    # The full ledger lists the payout once, whole.
    ledger = client.get("/ledger?lang=en").get_data(as_text=True)
    assert "from this work" not in ledger


def test_artwork_page_etag_changes_when_the_figures_change(
    demo_app: Flask, settings: Settings, tmp_path: Path
) -> None:
    client = demo_app.test_client()
    first = client.get(f"/artworks/{VENERA}?lang=en")
    etag = first.headers["ETag"]
    assert (
        client.get(f"/artworks/{VENERA}?lang=en", headers={"If-None-Match": etag}).status_code
        == 304
    )
    add_sales(settings, tmp_path / "documents")
    again = client.get(f"/artworks/{VENERA}?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag


def test_ledger_lists_totals_sales_payouts_and_pending(sold: FlaskClient) -> None:
    response = sold.get("/ledger?lang=en")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache" and "ETag" in response.headers
    for expected in ("1500 KZT", "0.1 BNB", BANK_REF, SALE_TX, PENDING_TX, "pending"):
        assert expected in body, expected
    assert "can be seen by anyone" in body
    assert BUYER_WALLET[2:] not in body.lower()
    assert RECEIPT not in body and "p_donor" not in body


def test_search_by_transaction_hash(sold: FlaskClient) -> None:
    body = sold.get(f"/ledger/tx?hash={SALE_TX.upper().replace('0X', '0x')}&lang=en")
    text = body.get_data(as_text=True)
    assert "0.1 BNB" in text and "No sale or payout" not in text
    pending = sold.get(f"/ledger/tx?hash={PENDING_TX}&lang=en").get_data(as_text=True)
    assert "pending" in pending
    missing = sold.get("/ledger/tx?hash=0xdeadbeef&lang=en").get_data(as_text=True)
    assert "No sale or payout in this ledger has that transaction hash." in missing
    assert sold.get("/ledger/tx?lang=en").status_code == 200


def test_receipt_shows_one_gift_and_where_it_went_and_nothing_else(sold: FlaskClient) -> None:
    form = sold.get("/receipt?lang=en").get_data(as_text=True)
    assert 'method="post"' in form
    response = sold.post("/receipt?lang=en", data={"code": RECEIPT})
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "1000 KZT" in body
    assert "Almaty crisis centre (demo)" in body and "600 KZT" in body
    # Nothing that links this gift to the donor's other gift or to the donor.
    assert "500 KZT" not in body and OTHER_RECEIPT not in body
    assert RECEIPT not in body and "p_donor" not in body
    wrong = sold.post("/receipt?lang=en", data={"code": "nope"}).get_data(as_text=True)
    assert "No receipt has this code." in wrong


def test_downloads_hold_every_entry_and_no_personal_data(sold: FlaskClient) -> None:
    csv_response = sold.get("/ledger/entries.csv")
    assert csv_response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_response.get_data(as_text=True))))
    data = json.loads(sold.get("/ledger/entries.json").get_data(as_text=True))
    assert len(rows) == len(data["entries"]) == 4  # three sales and one payout
    kinds = sorted(r["kind"] for r in rows)
    assert kinds == ["disbursement", "sale", "sale", "sale"]
    assert {r["tx_hash"] for r in rows} >= {SALE_TX}
    assert any(r["bank_reference"] == BANK_REF for r in rows)
    raw = csv_response.get_data(as_text=True) + json.dumps(data)
    for private in (RECEIPT, OTHER_RECEIPT, "p_donor", BUYER_WALLET[2:], "statement.pdf"):
        assert private not in raw


def test_ledger_pages_are_translated(sold: FlaskClient) -> None:
    for lang, heading, note in (
        ("ru", "Открытый реестр", "может увидеть любой"),
        ("kk", "Ашық тізілім", "кез келген адам көре алады"),
    ):
        body = sold.get(f"/ledger?lang={lang}").get_data(as_text=True)
        assert heading in body and note in body, lang
        page = sold.get(f"/artworks/{VENERA}?lang={lang}").get_data(as_text=True)
        assert note in page, lang


def test_the_built_ledger_is_reused_until_the_database_changes(
    demo_app: Flask, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.transparency

    builds: list[str] = []
    real = web.transparency.build_public_core

    def counting(*args: object, **kwargs: object) -> object:
        builds.append("built")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(web.transparency, "build_public_core", counting)
    client = demo_app.test_client()
    for _ in range(3):
        client.get("/ledger?lang=en")
    client.get(f"/artworks/{VENERA}?lang=en")
    assert len(builds) == 1
    # Another language takes its titles from the same build.
    assert 'lang="ru"' in client.get("/ledger?lang=ru").get_data(as_text=True)
    client.get(f"/artworks/{VENERA}?lang=kk")
    assert len(builds) == 1
    add_sales(settings, tmp_path / "documents")
    assert "1500 KZT" in client.get("/ledger?lang=en").get_data(as_text=True)
    assert len(builds) == 2


def test_public_pages_add_a_labelled_approximation_at_recorded_rates(
    sold: FlaskClient, settings: Settings
) -> None:
    from ledger.rates import add_rate

    before = sold.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    assert 'class="approximation"' not in before  # no rate recorded: exact amounts only
    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        add_rate(session, base="BNB", quote="KZT", rate="300000", source="test desk",
                 observed_at=T0)
    engine.dispose()
    # A new rate shows at once (the page cache is keyed by the database's fingerprint).
    body = sold.get(f"/artworks/{VENERA}?lang=en").get_data(as_text=True)
    # 1500 KZT + 0.1 BNB x 300,000 KZT = 31,500 KZT received; 300 KZT disbursed.
    assert "about 31,500 KZT received and 300 KZT disbursed" in body
    assert "An approximation at the latest recorded rates" in body
    assert "1 BNB = 300000 KZT" in body and "test desk" in body
    assert "1500 KZT" in body and "0.1 BNB" in body  # the exact figures stay
    ledger = sold.get("/ledger?lang=en").get_data(as_text=True)
    assert "about 31,500 KZT received" in ledger


def test_published_reports_back_are_public_and_unpublished_ones_are_not(
    sold: FlaskClient, settings: Settings, tmp_path: Path
) -> None:
    from ledger.documents import store_document
    from ledger.models import Beneficiary, BeneficiaryUpdate

    engine = engine_from_settings(settings, writer=True)
    with session_scope(make_session_factory(engine)) as session:
        ben = session.scalars(select(Beneficiary).where(Beneficiary.key == "crisis-centre-almaty")).one()
        doc = store_document(session, settings.documents_dir, b"%PDF-1.4 our report", "r.pdf")
        for text, published in (("Shelter rent paid for March", True), ("Draft, not checked", False)):
            session.add(BeneficiaryUpdate(beneficiary_id=ben.id, reported_on=T0.date(), language="en",
                                          text=text, used_for="shelter rent",
                                          document_sha256=doc.sha256 if published else None,
                                          is_published=published))
        sha = doc.sha256
    body = sold.get("/ledger?lang=en").get_data(as_text=True)
    assert "Shelter rent paid for March" in body and "Draft, not checked" not in body
    download = sold.get(f"/ledger/reports/{sha}")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    with session_scope(make_session_factory(engine)) as session:
        for update in session.scalars(select(BeneficiaryUpdate)):
            update.is_published = False
    engine.dispose()
    assert "Shelter rent paid for March" not in sold.get("/ledger?lang=en").get_data(as_text=True)
    assert sold.get(f"/ledger/reports/{sha}").status_code == 404
