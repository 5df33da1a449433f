"""Post, reverse and sum journal entries: the only way money enters the ledger.

Every entry balances per asset, carries an idempotency key chosen by the caller before it is
posted (so a retry can never create a second entry), and is never changed afterwards: the
database refuses UPDATE and DELETE, and a correction is a reversing entry linked to the original.
Functions take a ``Session``, add and flush, and never commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.db import execute_many
from ledger.errors import (
    AlreadyReversedError,
    IdempotencyConflictError,
    InvalidEntryError,
    NotFoundError,
    UnbalancedEntryError,
)
from ledger.models import (
    Account,
    AccountType,
    Asset,
    AssetKind,
    EvidenceKind,
    JournalEntry,
    Posting,
)
from ledger.models.stamps import bump_stamp
from ledger.types import UINT256_MAX, Amount, UTCDateTime, check_amount, exact_sum

MAX_KEY_LENGTH = 200

# The bulk path's statements (post_entries), in the qmark style; "?" becomes "%s" on psycopg.
_ENTRY_INSERT = (
    "INSERT INTO journal_entry (idempotency_key, content_hash, effective_at, description, "
    "evidence_kind, chain_id, block_number, block_hash, log_index, tx_hash, document_sha256, "
    "import_row, person_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_POSTING_INSERT = (
    "INSERT INTO posting (entry_id, account_id, asset_id, amount, memo) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class PostingSpec:
    """One leg of an entry to post: ``amount`` is signed, debit positive, in smallest units."""

    account: str
    asset: str
    amount: int
    memo: str | None = None


@dataclass(frozen=True)
class Evidence:
    """What an entry rests on. Which fields are required depends on ``kind``."""

    kind: EvidenceKind
    chain_id: int | None = None
    block_number: int | None = None
    block_hash: str | None = None
    log_index: int | None = None
    tx_hash: str | None = None
    document_sha256: str | None = None
    import_row: int | None = None

    @classmethod
    def manual(cls) -> Evidence:
        return cls(kind=EvidenceKind.MANUAL)

    @classmethod
    def chain_log(
        cls, chain_id: int, block_number: int, block_hash: str, log_index: int, tx_hash: str
    ) -> Evidence:
        return cls(
            kind=EvidenceKind.CHAIN_LOG,
            chain_id=chain_id,
            block_number=block_number,
            block_hash=block_hash.lower(),
            log_index=log_index,
            tx_hash=tx_hash.lower(),
        )


@dataclass(frozen=True)
class EntrySpec:
    """An entry to post. The caller derives ``idempotency_key`` from the outside fact."""

    idempotency_key: str
    effective_at: datetime
    description: str
    postings: Sequence[PostingSpec]
    evidence: Evidence = field(default_factory=Evidence.manual)
    person_id: int | None = None


def compute_entry_errors(spec: EntrySpec) -> list[str]:
    """Return every reason ``spec`` cannot be posted (empty when it is valid)."""
    errors: list[str] = []
    if not spec.idempotency_key or len(spec.idempotency_key) > MAX_KEY_LENGTH:
        errors.append(f"idempotency key must be 1-{MAX_KEY_LENGTH} characters")
    if spec.effective_at.tzinfo is None or spec.effective_at.utcoffset() is None:
        errors.append("effective_at must be timezone-aware (the journal is in UTC)")
    if not spec.description.strip():
        errors.append("description must not be empty")
    if len(spec.postings) < 2:
        errors.append("an entry needs at least two postings")
    totals: dict[str, int] = defaultdict(int)
    for number, posting in enumerate(spec.postings, start=1):
        if type(posting.amount) is not int:
            errors.append(f"posting {number}: amount must be an int in the smallest unit")
            continue
        if posting.amount == 0:
            errors.append(f"posting {number}: amount must not be zero")
        if abs(posting.amount) > UINT256_MAX:
            errors.append(f"posting {number}: amount exceeds 2**256 - 1")
        totals[posting.asset] += posting.amount
    for asset, total in sorted(totals.items()):
        if total != 0:
            errors.append(f"postings of {asset} sum to {total}, not 0")
    return errors


def _raise_if_invalid(spec: EntrySpec) -> None:
    """Raise UnbalancedEntryError when imbalance is the only fault, else InvalidEntryError."""
    errors = compute_entry_errors(spec)
    if not errors:
        return
    only_imbalance = all(" sum to " in error for error in errors)
    raise (UnbalancedEntryError if only_imbalance else InvalidEntryError)("; ".join(errors))


def compute_content_hash(spec: EntrySpec, reverses_entry_id: int | None = None) -> str:
    """Return the SHA-256 of the entry's canonical content (what its idempotency key vouches for).

    Amounts and times are rendered exactly (ints as strings, instants in UTC).
    """
    ev = spec.evidence
    canonical = {
        "effective_at": spec.effective_at.astimezone(UTC).isoformat(),
        "description": spec.description,
        "evidence": [
            ev.kind.value,
            ev.chain_id,
            ev.block_number,
            ev.block_hash,
            ev.log_index,
            ev.tx_hash,
            ev.document_sha256,
            ev.import_row,
        ],
        "person_id": spec.person_id,
        "reverses": reverses_entry_id,
        "postings": [[p.account, p.asset, str(p.amount), p.memo] for p in spec.postings],
    }
    blob = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def get_entry_by_key(session: Session, idempotency_key: str) -> JournalEntry | None:
    return session.scalars(
        select(JournalEntry).where(JournalEntry.idempotency_key == idempotency_key)
    ).one_or_none()


def _resolve(session: Session, postings: Iterable[PostingSpec]) -> list[tuple[Account, Asset]]:
    names = {p.account for p in postings}
    codes = {p.asset for p in postings}
    accounts = {a.name: a for a in session.scalars(select(Account).where(Account.name.in_(names)))}
    assets = {a.code: a for a in session.scalars(select(Asset).where(Asset.code.in_(codes)))}
    resolved = []
    for p in postings:
        if p.account not in accounts:
            raise InvalidEntryError(f"unknown account {p.account!r}: open it first")
        if p.asset not in assets:
            raise InvalidEntryError(f"unknown asset {p.asset!r}")
        resolved.append((accounts[p.account], assets[p.asset]))
    return resolved


def _insert(
    session: Session, spec: EntrySpec, content_hash: str, reverses: int | None
) -> JournalEntry:
    resolved = _resolve(session, spec.postings)
    ev = spec.evidence
    entry = JournalEntry(
        idempotency_key=spec.idempotency_key,
        content_hash=content_hash,
        effective_at=spec.effective_at,
        description=spec.description,
        evidence_kind=ev.kind,
        chain_id=ev.chain_id,
        block_number=ev.block_number,
        block_hash=ev.block_hash,
        log_index=ev.log_index,
        tx_hash=ev.tx_hash,
        document_sha256=ev.document_sha256,
        import_row=ev.import_row,
        person_id=spec.person_id,
        reverses_entry_id=reverses,
    )
    entry.postings = [
        Posting(account=account, asset=asset, amount=check_amount(p.amount), memo=p.memo)
        for p, (account, asset) in zip(spec.postings, resolved, strict=True)
    ]
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        # Another writer posted the same key between our read and our write.
        existing = get_entry_by_key(session, spec.idempotency_key)
        if existing is None:
            raise
        return _same_or_conflict(existing, content_hash)
    return entry


def _same_or_conflict(existing: JournalEntry, content_hash: str) -> JournalEntry:
    if existing.content_hash != content_hash:
        raise IdempotencyConflictError(
            f"idempotency key {existing.idempotency_key!r} was posted before with other content "
            f"(entry {existing.id})"
        )
    return existing


def post_entry(session: Session, spec: EntrySpec) -> JournalEntry:
    """Post ``spec`` once: the same key with the same content returns the first entry.

    Raises UnbalancedEntryError or InvalidEntryError for a bad entry, and
    IdempotencyConflictError when the key was used before with other content.
    """
    if spec.evidence.kind == EvidenceKind.REVERSAL:
        raise InvalidEntryError("reversals are posted with reverse_entry()")
    _raise_if_invalid(spec)
    content_hash = compute_content_hash(spec)
    existing = get_entry_by_key(session, spec.idempotency_key)
    if existing is not None:
        return _same_or_conflict(existing, content_hash)
    return _insert(session, spec, content_hash, reverses=None)


def post_entries(session: Session, specs: Sequence[EntrySpec]) -> int:
    """Post many entries at once (the chain sync's bulk path); return how many were new.

    Same rules as post_entry, checked for every spec before anything is written: a key seen
    before with the same content is skipped, with other content raises
    IdempotencyConflictError; an invalid spec raises before any row is inserted. Rows go in with
    two multi-row INSERTs instead of one ORM flush per entry.
    """
    return len(post_new_entries(session, specs))


def post_new_entries(session: Session, specs: Sequence[EntrySpec]) -> dict[str, int]:
    """post_entries, returning the ids of the entries it inserted, by idempotency key.

    Raises what post_entries raises.
    """
    if not specs:
        return {}
    hashes: dict[str, str] = {}
    for spec in specs:
        if spec.evidence.kind == EvidenceKind.REVERSAL:
            raise InvalidEntryError("reversals are posted with reverse_entry()")
        _raise_if_invalid(spec)
        content_hash = compute_content_hash(spec)
        if hashes.setdefault(spec.idempotency_key, content_hash) != content_hash:
            raise IdempotencyConflictError(
                f"idempotency key {spec.idempotency_key!r} appears twice with other content"
            )
    existing: dict[str, str] = {}
    keys = list(hashes)
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(JournalEntry.idempotency_key, JournalEntry.content_hash).where(
                JournalEntry.idempotency_key.in_(keys[start : start + 500])
            )
        )
        existing.update((key, content_hash) for key, content_hash in rows)
    for key, content_hash in existing.items():
        if hashes[key] != content_hash:
            raise IdempotencyConflictError(
                f"idempotency key {key!r} was posted before with other content"
            )
    new: list[EntrySpec] = []
    for spec in specs:
        if spec.idempotency_key not in existing:
            existing[spec.idempotency_key] = hashes[spec.idempotency_key]
            new.append(spec)
    if not new:
        return {}
    names = {p.account for spec in new for p in spec.postings}
    codes = {p.asset for spec in new for p in spec.postings}
    account_ids = {
        name: id_
        for name, id_ in session.execute(
            select(Account.name, Account.id).where(Account.name.in_(names))
        )
    }
    asset_ids = {
        code: id_
        for code, id_ in session.execute(select(Asset.code, Asset.id).where(Asset.code.in_(codes)))
    }
    for name in names - account_ids.keys():
        raise InvalidEntryError(f"unknown account {name!r}: open it first")
    for code in codes - asset_ids.keys():
        raise InvalidEntryError(f"unknown asset {code!r}")
    # Driver-level executemany with values converted once by the columns' own types: Core's
    # per-row parameter processing cost more than the inserts themselves on big syncs.
    dialect = session.connection().dialect
    to_time = UTCDateTime().process_bind_param
    to_amount = Amount.bind_converter(dialect)
    now = to_time(datetime.now(UTC), dialect)
    # Every id the inserts below take is above this one (ids only grow), so the new entries'
    # ids are read back with one range query instead of one IN list per 500 keys.
    before = session.scalar(select(func.max(JournalEntry.id))) or 0
    entry_rows = []
    for spec in new:
        ev = spec.evidence
        entry_rows.append(
            (
                spec.idempotency_key,
                hashes[spec.idempotency_key],
                to_time(spec.effective_at, dialect),
                spec.description,
                ev.kind.value,
                ev.chain_id,
                ev.block_number,
                ev.block_hash,
                ev.log_index,
                ev.tx_hash,
                ev.document_sha256,
                ev.import_row,
                spec.person_id,
                now,
            )
        )
    execute_many(session, _ENTRY_INSERT, entry_rows)
    new_keys = {spec.idempotency_key for spec in new}
    ids_by_key = {
        key: id_
        for key, id_ in session.execute(
            select(JournalEntry.idempotency_key, JournalEntry.id).where(JournalEntry.id > before)
        )
        if key in new_keys  # another writer's entries may be in the range too
    }
    posting_rows = [
        (
            ids_by_key[spec.idempotency_key],
            account_ids[p.account],
            asset_ids[p.asset],
            to_amount(check_amount(p.amount)),
            p.memo,
        )
        for spec in new
        for p in spec.postings
    ]
    execute_many(session, _POSTING_INSERT, posting_rows)
    # Bulk inserts bypass the ORM's flush hook: bump the public stamp here, in the same
    # transaction (see ledger.models.stamps: it orders concurrent writers' commits).
    bump_stamp(session)
    return ids_by_key


def reverse_entry(
    session: Session,
    entry_id: int,
    *,
    effective_at: datetime,
    description: str,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post the entry that undoes ``entry_id`` (every posting negated) and links to it.

    Idempotent like post_entry. Raises NotFoundError, AlreadyReversedError (an entry is reversed
    at most once; reverse the reversal to restore it) and IdempotencyConflictError.
    """
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise NotFoundError(f"journal entry {entry_id} does not exist")
    key = idempotency_key or f"reversal:{original.idempotency_key}"[:MAX_KEY_LENGTH]
    spec = EntrySpec(
        idempotency_key=key,
        effective_at=effective_at,
        description=description,
        postings=[
            PostingSpec(p.account.name, p.asset.code, -p.amount, p.memo) for p in original.postings
        ],
        evidence=Evidence(kind=EvidenceKind.REVERSAL),
        person_id=original.person_id,
    )
    _raise_if_invalid(spec)
    content_hash = compute_content_hash(spec, reverses_entry_id=original.id)
    existing = get_entry_by_key(session, key)
    if existing is not None:
        return _same_or_conflict(existing, content_hash)
    already = session.scalars(
        select(JournalEntry.id).where(JournalEntry.reverses_entry_id == original.id)
    ).first()
    if already is not None:
        raise AlreadyReversedError(f"entry {original.id} was reversed by entry {already}")
    return _insert(session, spec, content_hash, reverses=original.id)


def open_account(
    session: Session, name: str, description: str | None = None, **links: int
) -> Account:
    """Return the account called ``name``, opening it if needed.

    Raises InvalidEntryError if the name does not start with a known account type.
    """
    root = name.split(":", 1)[0]
    if root not in {t.value for t in AccountType} or ":" not in name:
        raise InvalidEntryError(
            f"account name {name!r} must start with one of "
            + ", ".join(f"{t.value}:" for t in AccountType)
        )
    account = session.scalars(select(Account).where(Account.name == name)).one_or_none()
    if account is None:
        account = Account(name=name, description=description, **links)
        session.add(account)
        session.flush()
    return account


def ensure_asset(
    session: Session,
    code: str,
    *,
    symbol: str,
    kind: AssetKind,
    decimals: int,
    chain_id: int | None = None,
    contract: str | None = None,
) -> Asset:
    """Return the asset ``code``, registering it if needed.

    Raises InvalidEntryError if an asset with that code exists with other properties.
    """
    contract = contract.lower() if contract else None
    asset = session.scalars(select(Asset).where(Asset.code == code)).one_or_none()
    if asset is None:
        asset = Asset(
            code=code,
            symbol=symbol,
            kind=kind,
            decimals=decimals,
            chain_id=chain_id,
            contract=contract,
        )
        session.add(asset)
        session.flush()
        return asset
    if (asset.kind, asset.decimals, asset.chain_id, asset.contract) != (
        kind,
        decimals,
        chain_id,
        contract,
    ):
        raise InvalidEntryError(f"asset {code} exists with other properties")
    return asset


def get_balances(
    session: Session,
    *,
    account_prefix: str | None = None,
    until: datetime | None = None,
) -> dict[tuple[str, str], int]:
    """Return the balance of every (account name, asset code), summed exactly in the database."""
    query = (
        select(Account.name, Asset.code, exact_sum(Posting.amount))
        .join(Posting.account)
        .join(Posting.asset)
        .group_by(Account.name, Asset.code)
    )
    if account_prefix is not None:
        query = query.where(
            (Account.name == account_prefix) | Account.name.startswith(account_prefix + ":")
        )
    if until is not None:
        query = query.join(Posting.entry).where(JournalEntry.effective_at < until)
    return {
        (name, code): total
        for name, code, total in session.execute(query)
        if total is not None and total != 0
    }


def get_balance(session: Session, account: str, asset: str) -> int:
    return get_balances(session, account_prefix=account).get((account, asset), 0)


def compute_journal_checksum(session: Session) -> str:
    """Return a SHA-256 over every entry and posting in key order: equal journals, equal sums.

    Ids, creation times and the order entries were inserted in are left out, so two clean
    rebuilds of the same facts compare equal even when they were booked in other batches (the
    chain sync routes each batch's receipts after posting it, so batch sizes change the order).
    """
    digest = hashlib.sha256()
    keys_by_id = dict(session.execute(select(JournalEntry.id, JournalEntry.idempotency_key)).all())
    entries = session.scalars(select(JournalEntry).order_by(JournalEntry.idempotency_key))
    for entry in entries:
        record: Mapping[str, object] = {
            "key": entry.idempotency_key,
            "hash": entry.content_hash,
            "effective_at": entry.effective_at.isoformat(),
            "evidence": entry.evidence_kind.value,
            "reverses": keys_by_id.get(entry.reverses_entry_id)
            if entry.reverses_entry_id
            else None,
            "postings": [
                [p.account.name, p.asset.code, str(p.amount), p.memo] for p in entry.postings
            ],
        }
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
