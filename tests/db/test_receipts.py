"""Donor receipts: the PDF names the artwork, amount, local date and routing of one gift, in
Kazakh letters with embedded fonts, and nothing of any other donor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.demo.load import load_demo
from ledger.errors import NotFoundError
from ledger.journal import EntrySpec, PostingSpec, open_account, post_entry
from ledger.models import Artwork, Beneficiary, Gift, Person, PersonContact, TextVariant
from ledger.receipts import build_receipts, write_receipts_pdf
from ledger.routing.attribute import Attribution
from ledger.routing.route import record_attribution, route_pending

TZ = ZoneInfo("Asia/Almaty")
T0 = datetime(2024, 3, 1, 20, 30, tzinfo=UTC)  # 2 March in Almaty
KAZAKH = "әғқңөұүһі"


def _gift(session: Session, person: Person, code: str, amount: int, at: datetime) -> None:
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=f"gift-{code}",
            effective_at=at,
            description="a cash sale at the exhibition",
            postings=[
                PostingSpec(bank_account(), "KZT", amount),
                PostingSpec(sales_account("Exhibition"), "KZT", -amount),
            ],
            person_id=person.id,
        ),
    )
    artwork = session.scalars(select(Artwork.id).where(Artwork.key == "venera")).one()
    record_attribution(session, entry, Attribution("Exhibition", artwork_id=artwork))
    session.add(Gift(entry_id=entry.id, person_id=person.id, receipt_code=code))
    session.flush()


@pytest.fixture
def gifts(session: Session) -> Session:
    load_demo(session)
    for name in (bank_account(), sales_account("Exhibition")):
        open_account(session, name)
    venera = session.scalars(select(Artwork).where(Artwork.key == "venera")).one()
    kk = next((v for v in venera.title.variants if v.lang == "kk"), None)
    if kk is None:
        kk = TextVariant(lang="kk")
        venera.title.variants.append(kk)
    kk.text = f"Венера {KAZAKH}"
    donor = Person(ref="p_donor_a", contact=PersonContact(name="AIGERIM-A", email="a@example.kz"))
    other = Person(ref="p_donor_b", contact=PersonContact(name="OTHERDONOR-B", email="b@x.kz"))
    session.add_all([donor, other])
    session.flush()
    _gift(session, donor, "RCPT-A1", 1_250_001, T0)
    _gift(session, donor, "RCPT-A2", 300_000, T0 + timedelta(days=30))
    _gift(session, other, "RCPT-B1", 777_777, T0)
    route_pending(session)
    return session


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_a_receipt_names_artwork_amount_date_and_routing_in_kazakh(
    gifts: Session, tmp_path: Path
) -> None:
    (receipt,) = build_receipts(gifts, tz=TZ, lang="kk", receipt_code="RCPT-A1")
    assert receipt.date == "2024-03-02"
    assert receipt.amounts == (("12500.01", "KZT"),)
    shares = {a.recipient: a.amount for a in receipt.allocations}
    assert len(shares) >= 2
    total = sum(Decimal(a.amount) for a in receipt.allocations)
    assert total == Decimal("12500.01")  # every unit routed is on the receipt
    out = tmp_path / "receipt.pdf"
    assert write_receipts_pdf([receipt], out, lang="kk") == 1
    text = _text(out)
    for expected in ("Қайырымдылық түбіртегі", "RCPT-A1", "2024-03-02", "12500.01 KZT"):
        assert expected in text
    assert all(letter in text for letter in KAZAKH), text
    names = set()
    for beneficiary in gifts.scalars(select(Beneficiary)):
        shown = beneficiary.name.show("kk", ("kk", "ru", "en"))
        assert shown is not None
        names.add(shown.text)
    assert set(shares) <= names  # routed to beneficiaries, named in the receipt's language
    for item in receipt.allocations:
        assert f"{item.recipient}: {item.amount} KZT" in " ".join(text.split())
    for other in ("RCPT-B1", "7777.77", "OTHERDONOR-B", "b@x.kz", "RCPT-A2", "3000 KZT"):
        assert other not in text
    # The donor's own contact data is not printed either: the receipt code identifies it.
    assert "AIGERIM-A" not in text and "a@example.kz" not in text
    fonts = [
        font.get_object()
        for page in PdfReader(out).pages
        for font in page["/Resources"]["/Font"].values()
    ]
    assert fonts and all("/FontFile2" in f["/FontDescriptor"] for f in _descendants(fonts))


def _descendants(fonts: list[object]) -> list[dict[str, object]]:
    found = []
    for font in fonts:
        assert isinstance(font, dict)
        for child in font.get("/DescendantFonts", [font]):
            found.append(child.get_object() if hasattr(child, "get_object") else child)
    return found


def test_a_persons_receipts_for_a_period(gifts: Session, tmp_path: Path) -> None:
    both = build_receipts(gifts, tz=TZ, lang="en", person_ref="p_donor_a")
    assert [r.receipt_code for r in both] == ["RCPT-A1", "RCPT-A2"]
    march = build_receipts(
        gifts,
        tz=TZ,
        lang="en",
        person_ref="p_donor_a",
        start=datetime(2024, 3, 1, tzinfo=TZ),
        end=datetime(2024, 3, 3, tzinfo=TZ),
    )
    assert [r.receipt_code for r in march] == ["RCPT-A1"]
    out = tmp_path / "receipts.pdf"
    assert write_receipts_pdf(both, out, lang="en") == 2
    text = _text(out)
    assert "Where the proceeds went" in text and "RCPT-B1" not in text
    with pytest.raises(NotFoundError):
        build_receipts(gifts, tz=TZ, lang="en", receipt_code="nope")
    with pytest.raises(NotFoundError):
        build_receipts(
            gifts, tz=TZ, lang="en", person_ref="p_donor_a", start=datetime(2030, 1, 1, tzinfo=TZ)
        )
