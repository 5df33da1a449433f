"""Disbursements: payable moved to paid, with evidence.

A chain payout (a transfer from an initiative wallet to a beneficiary's payout wallet) is booked
by the chain sync or ``ledger verify-tx`` as Dr payable, Cr wallet; ``record_chain_disbursements``
matches it automatically. A bank payout is recorded here with its bank reference and an attached
document (stored by SHA-256): Dr payable, Cr the bank account. Functions take a Session, add and
flush, and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ledger.accounts import PAYABLE_PREFIX, bank_account, is_holding_account, payable_account
from ledger.documents import store_document
from ledger.errors import LedgerError, NotFoundError
from ledger.journal import EntrySpec, Evidence, PostingSpec, get_balance, open_account, post_entry
from ledger.models import (
    Account,
    Asset,
    Beneficiary,
    Disbursement,
    DisbursementMethod,
    EvidenceKind,
    JournalEntry,
    Posting,
)


class DisbursementError(LedgerError):
    """A disbursement cannot be recorded as asked (more than outstanding, bad evidence)."""


@dataclass(frozen=True)
class BankPayout:
    beneficiary_key: str
    asset: str
    amount: int
    bank_reference: str
    paid_at: datetime
    document: bytes
    document_name: str
    from_account: str = bank_account()


def record_chain_disbursements(session: Session, *, after_entry_id: int | None = None) -> int:
    """Record a Disbursement for every chain payout to a beneficiary not recorded yet.

    A chain payout is an entry with chain evidence that debits a beneficiary's payable and
    credits an initiative wallet. Returns how many were recorded.
    """
    payable_postings = (
        select(Posting.entry_id)
        .join(Account, Posting.account_id == Account.id)
        .where(Account.beneficiary_id.is_not(None), Account.name.startswith(PAYABLE_PREFIX))
    )
    if after_entry_id is not None:  # bounded, or every pass scans all routed payables
        payable_postings = payable_postings.where(Posting.entry_id > after_entry_id)
    query = (
        select(JournalEntry)
        .where(
            JournalEntry.evidence_kind.in_([EvidenceKind.CHAIN_LOG, EvidenceKind.CHAIN_TX]),
            JournalEntry.id.in_(payable_postings),
            ~exists().where(Disbursement.entry_id == JournalEntry.id),
            # Routing entries copy their receipt's chain evidence and credit payables: never
            # payouts (and there is one per receipt, so skipping them in SQL matters).
            ~JournalEntry.idempotency_key.startswith("route:"),
        )
        .order_by(JournalEntry.id)
    )
    if after_entry_id is not None:
        query = query.where(JournalEntry.id > after_entry_id)
    recorded = 0
    for entry in session.scalars(query).all():
        if not any(is_holding_account(p.account.name) and p.amount < 0 for p in entry.postings):
            continue
        for posting in entry.postings:
            beneficiary_id = posting.account.beneficiary_id
            if beneficiary_id is None or posting.amount <= 0:
                continue
            session.add(
                Disbursement(
                    entry_id=entry.id,
                    beneficiary_id=beneficiary_id,
                    asset_id=posting.asset_id,
                    amount=posting.amount,
                    method=DisbursementMethod.CHAIN,
                    reference=entry.tx_hash,
                )
            )
            recorded += 1
    session.flush()
    return recorded


def record_bank_disbursement(
    session: Session, documents_dir: Path, payout: BankPayout, *, allow_overpay: bool = False
) -> Disbursement:
    """Post a bank payout (Dr payable, Cr bank) with its document; return the Disbursement.

    Idempotent by bank reference. Raises NotFoundError for an unknown beneficiary or asset, and
    DisbursementError for a non-positive amount, an empty reference or document, or an amount
    above what is outstanding to the beneficiary in that asset (unless ``allow_overpay``).
    """
    if payout.amount <= 0:
        raise DisbursementError("a disbursement amount must be positive")
    reference = payout.bank_reference.strip()
    if not reference:
        raise DisbursementError("a bank disbursement needs the bank reference")
    beneficiary = session.scalars(
        select(Beneficiary).where(Beneficiary.key == payout.beneficiary_key)
    ).one_or_none()
    if beneficiary is None:
        raise NotFoundError(f"no beneficiary {payout.beneficiary_key!r}")
    asset = session.scalars(select(Asset).where(Asset.code == payout.asset)).one_or_none()
    if asset is None:
        raise NotFoundError(f"no asset {payout.asset!r}")
    payable = payable_account(beneficiary.key)
    key = f"disbursement:bank:{beneficiary.key}:{asset.code}:{reference}"
    existing = session.scalars(
        select(Disbursement).where(
            Disbursement.method == DisbursementMethod.BANK,
            Disbursement.reference == reference,
            Disbursement.beneficiary_id == beneficiary.id,
            Disbursement.asset_id == asset.id,
        )
    ).one_or_none()
    if existing is not None:
        return existing
    outstanding = -get_balance(session, payable, asset.code)
    if payout.amount > outstanding and not allow_overpay:
        raise DisbursementError(
            f"{payout.amount} {asset.code} is more than the {outstanding} routed to "
            f"{beneficiary.key} and not yet paid"
        )
    document = store_document(session, documents_dir, payout.document, payout.document_name)
    open_account(session, payout.from_account)
    open_account(session, payable, beneficiary_id=beneficiary.id)
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=key[:200],
            effective_at=payout.paid_at,
            description=f"Paid out to beneficiary {beneficiary.key} by bank transfer {reference}",
            postings=[
                PostingSpec(payable, asset.code, payout.amount),
                PostingSpec(payout.from_account, asset.code, -payout.amount),
            ],
            evidence=Evidence(kind=EvidenceKind.DOCUMENT, document_sha256=document.sha256),
        ),
    )
    disbursement = Disbursement(
        entry_id=entry.id,
        beneficiary_id=beneficiary.id,
        asset_id=asset.id,
        amount=payout.amount,
        method=DisbursementMethod.BANK,
        reference=reference,
        document_sha256=document.sha256,
    )
    session.add(disbursement)
    session.flush()
    return disbursement
