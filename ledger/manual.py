"""Manual entries: what happened off chain and outside any imported file.

- a cash sale at the exhibition: Dr ``Assets:Cash:<channel>``, Cr ``Income:Sales:<channel>``;
  routed like any receipt;
- a pledge (money promised, not yet received): Dr ``Assets:Receivable:<channel>``, Cr
  ``Income:Sales:<channel>``; it counts as *pledged* in the four figures and receives nothing
  until paid;
- a pledge paid (in cash or to the bank): Dr the holding account, Cr the pledge's receivable;
  it receives what it settles and is routed like the pledge (same artwork and channel).

Each is keyed ``manual:<kind>:<reference>`` (the receipt or pledge number the organiser wrote
down), so entering the same one twice records it once; an attached document (a photo of the
receipt, the signed pledge) is stored by SHA-256 and becomes the entry's evidence. Every entry
goes into the reconciliation inbox and the audit log. Functions add and flush, never commit.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import (
    RECEIVABLE_PREFIX,
    bank_account,
    cash_account,
    receivable_account,
    sales_account,
)
from ledger.audit import Actor, record_change
from ledger.documents import store_document
from ledger.errors import LedgerError, NotFoundError
from ledger.imports.book import new_receipt_code
from ledger.journal import EntrySpec, Evidence, PostingSpec, open_account, post_entry
from ledger.models import (
    Artwork,
    Asset,
    Disbursement,
    EvidenceKind,
    Gift,
    ItemSource,
    JournalEntry,
    Person,
    RoutingRecord,
)
from ledger.reconcile.inbox import collect_items
from ledger.routing.attribute import Attribution
from ledger.routing.disburse import BankPayout, record_bank_disbursement
from ledger.routing.route import record_attribution, route_pending

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,59}$")
_OPAQUE_REF = re.compile(r"^[A-Za-z0-9_-]{4,40}$")


class ManualEntryError(LedgerError):
    """A manual entry cannot be recorded as given (the message names the field)."""


class ManualKind(enum.StrEnum):
    CASH_SALE = "cash-sale"
    PLEDGE = "pledge"
    PLEDGE_PAID = "pledge-paid"


@dataclass(frozen=True)
class ManualEntry:
    kind: ManualKind
    reference: str  # the receipt or pledge number: the entry's natural key
    asset: str
    amount: int  # smallest units, positive
    at: datetime
    artwork: str | None = None  # artwork key or public code (cash sale, pledge)
    channel: str = "Exhibition"
    buyer: str | None = None  # an opaque person reference, never a name
    pledge_reference: str | None = None  # the pledge a payment settles
    paid_to_bank: bool = False  # a pledge paid by bank transfer instead of in cash
    document: bytes = b""
    document_name: str = ""


def compute_manual_errors(entry: ManualEntry) -> list[tuple[str, str]]:
    """Return (field, reason) for every problem of ``entry`` (empty when it can be posted)."""
    errors: list[tuple[str, str]] = []
    if not _REFERENCE.match(entry.reference):
        errors.append(("reference", "letters, digits, '.', '/', '_' or '-', up to 60"))
    if entry.amount <= 0:
        errors.append(("amount", "must be positive"))
    if entry.at.tzinfo is None:
        errors.append(("date", "must carry a time zone"))
    if entry.buyer and not _OPAQUE_REF.match(entry.buyer):
        errors.append(("buyer", "an opaque reference (letters, digits, - and _), never a name"))
    if entry.kind == ManualKind.PLEDGE_PAID and not entry.pledge_reference:
        errors.append(("pledge_reference", "name the pledge this pays"))
    if entry.document and not entry.document_name:
        errors.append(("document", "the document needs a file name"))
    return errors


def _person(session: Session, ref: str) -> Person:
    person = session.scalars(select(Person).where(Person.ref == ref)).one_or_none()
    if person is None:
        person = Person(ref=ref)
        session.add(person)
        session.flush()
    return person


def _artwork_id(session: Session, key: str | None) -> int | None:
    if not key:
        return None
    artwork = session.scalars(
        select(Artwork).where((Artwork.key == key) | (Artwork.public_code == key))
    ).first()
    if artwork is None:
        raise NotFoundError(f"no artwork {key!r} in the catalogue")
    return artwork.id


def manual_key(kind: ManualKind, reference: str) -> str:
    return f"manual:{kind.value}:{reference}"


def record_manual_entry(
    session: Session, documents_dir: Path, entry: ManualEntry, actor: Actor
) -> JournalEntry:
    """Post a cash sale, a pledge or a pledge payment; return the journal entry.

    Idempotent by kind and reference. Raises ManualEntryError (naming the field),
    NotFoundError (unknown artwork, asset or pledge) and IdempotencyConflictError (the same
    reference was recorded before with other content).
    """
    errors = compute_manual_errors(entry)
    if errors:
        raise ManualEntryError("; ".join(f"{name}: {reason}" for name, reason in errors))
    if session.scalars(select(Asset.id).where(Asset.code == entry.asset)).first() is None:
        raise NotFoundError(f"no asset {entry.asset!r}")
    attribution = Attribution(entry.channel, artwork_id=_artwork_id(session, entry.artwork))
    person_id = _person(session, entry.buyer).id if entry.buyer else None
    if entry.kind == ManualKind.CASH_SALE:
        debit, credit = cash_account(entry.channel), sales_account(entry.channel)
        what = f"Cash sale {entry.reference} at {entry.channel}"
    elif entry.kind == ManualKind.PLEDGE:
        debit, credit = receivable_account(entry.channel), sales_account(entry.channel)
        what = f"Pledge {entry.reference} ({entry.channel}), not yet received"
    else:
        assert entry.pledge_reference is not None
        pledge = session.scalars(
            select(JournalEntry).where(
                JournalEntry.idempotency_key
                == manual_key(ManualKind.PLEDGE, entry.pledge_reference)
            )
        ).one_or_none()
        if pledge is None:
            raise NotFoundError(f"no pledge {entry.pledge_reference!r}")
        credit = next(
            (
                p.account.name
                for p in pledge.postings
                if p.account.name.startswith(RECEIVABLE_PREFIX)
            ),
            receivable_account(entry.channel),
        )
        debit = bank_account() if entry.paid_to_bank else cash_account(entry.channel)
        what = f"Pledge {entry.pledge_reference} paid ({entry.reference})"
        person_id = person_id or pledge.person_id
        record = session.scalars(
            select(RoutingRecord).where(RoutingRecord.entry_id == pledge.id)
        ).one_or_none()
        if record is not None:
            attribution = Attribution(
                record.channel, record.collection_id, record.artwork_id, record.edition_id
            )
    evidence = Evidence.manual()
    if entry.document:
        document = store_document(session, documents_dir, entry.document, entry.document_name)
        evidence = Evidence(kind=EvidenceKind.DOCUMENT, document_sha256=document.sha256)
    for name in (debit, credit):
        open_account(session, name)
    key = manual_key(entry.kind, entry.reference)
    existed = session.scalars(select(JournalEntry.id).where(JournalEntry.idempotency_key == key))
    is_new = existed.first() is None
    posted = post_entry(
        session,
        EntrySpec(
            idempotency_key=key,
            effective_at=entry.at,
            description=what + (" (with document)" if entry.document else ""),
            postings=[
                PostingSpec(debit, entry.asset, entry.amount),
                PostingSpec(credit, entry.asset, -entry.amount),
            ],
            evidence=evidence,
            person_id=person_id,
        ),
    )
    if not is_new:
        return posted
    record_attribution(session, posted, attribution)
    if person_id is not None and entry.kind != ManualKind.PLEDGE_PAID:
        session.add(Gift(entry_id=posted.id, person_id=person_id, receipt_code=new_receipt_code()))
        session.flush()
    route_pending(session)
    collect_items(session, after_entry_id=posted.id - 1, source=ItemSource.MANUAL)
    record_change(
        session,
        actor,
        f"entry.{entry.kind.value}",
        "journal_entry",
        posted.id,
        summary=what,
        after={
            "key": key,
            "asset": entry.asset,
            "amount": entry.amount,
            "artwork": entry.artwork,
            "document_sha256": evidence.document_sha256,
        },
    )
    return posted


def record_bank_payout(
    session: Session,
    documents_dir: Path,
    payout: BankPayout,
    actor: Actor,
    *,
    allow_overpay: bool = False,
) -> Disbursement:
    """Record a bank payout with its document, put it in the reconciliation inbox, and audit
    it: the one path for the console and the CLI."""
    done = record_bank_disbursement(
        session, documents_dir, payout, allow_overpay=allow_overpay
    )
    collect_items(session, after_entry_id=done.entry_id - 1)
    record_change(
        session,
        actor,
        "disbursement.bank",
        "disbursement",
        done.id,
        summary=f"bank payout {payout.bank_reference} to {payout.beneficiary_key}",
        after={
            "beneficiary": payout.beneficiary_key,
            "asset": payout.asset,
            "amount": payout.amount,
            "reference": payout.bank_reference,
            "document_sha256": done.document_sha256,
        },
    )
    return done
