"""Small factory functions for test data (no fixtures hidden in here)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import bank_account, sales_account
from ledger.journal import EntrySpec, Evidence, PostingSpec, ensure_asset, open_account, post_entry
from ledger.models import Artwork, AssetKind
from ledger.routing.attribute import Attribution
from ledger.routing.disburse import BankPayout, record_bank_disbursement
from ledger.routing.route import record_attribution

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACCOUNTS = (
    "Assets:Wallet:Treasury",
    "Income:Sales:Test",
    "Liabilities:Payable:Fund",
    "Expenses:MarketplaceFees:Test",
)


def chart(session: Session) -> None:
    """Open the test accounts and register BNB, WBNB and KZT."""
    for name in ACCOUNTS:
        open_account(session, name)
    ensure_asset(session, "BNB", symbol="BNB", kind=AssetKind.NATIVE, decimals=18, chain_id=56)
    ensure_asset(
        session,
        "WBNB",
        symbol="WBNB",
        kind=AssetKind.TOKEN,
        decimals=18,
        chain_id=56,
        contract="0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c",
    )
    ensure_asset(session, "KZT", symbol="KZT", kind=AssetKind.FIAT, decimals=2)


def sale(key: str, amount: int, asset: str = "BNB", fee: int = 0) -> EntrySpec:
    postings = [
        PostingSpec("Assets:Wallet:Treasury", asset, amount - fee),
        PostingSpec("Income:Sales:Test", asset, -amount),
    ]
    if fee:
        postings.append(PostingSpec("Expenses:MarketplaceFees:Test", asset, fee))
    return EntrySpec(
        idempotency_key=key, effective_at=WHEN, description=f"sale {key}", postings=postings
    )


def attributed_cash_sale(
    session: Session, key: str, amount: int, artwork: str, at: datetime
) -> int:
    """Post a KZT cash sale at the exhibition and attribute it to ``artwork`` (its key); return
    the entry's id. The bank and sales accounts must be open; routing is the caller's."""
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=at,
            description=f"sale {key}",
            postings=[
                PostingSpec(bank_account(), "KZT", amount),
                PostingSpec(sales_account("Exhibition"), "KZT", -amount),
            ],
            evidence=Evidence.manual(),
        ),
    )
    art_id = session.scalars(select(Artwork.id).where(Artwork.key == artwork)).one()
    record_attribution(session, entry, Attribution("Exhibition", artwork_id=art_id))
    return entry.id


def bank_payout_to_crisis_centre(
    session: Session, documents: Path, reference: str, amount: int, at: datetime
) -> None:
    """Record a bank payout of ``amount`` KZT (in tiyn) to the demo crisis centre, with a
    statement whose bytes carry ``reference``."""
    record_bank_disbursement(
        session,
        documents,
        BankPayout(
            beneficiary_key="crisis-centre-almaty",
            asset="KZT",
            amount=amount,
            bank_reference=reference,
            paid_at=at,
            document=b"%PDF-1.4 " + reference.encode(),
            document_name="statement.pdf",
        ),
    )
