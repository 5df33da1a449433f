"""Allocate what was received to the beneficiaries' payables, once per receipt.

What an entry received, per asset, is the net credit of its proceeds accounts (income,
receivables, marketplace fees): a PancakeSwap sale receives the seller's net price (the creator
fee is only accrued), a revenue claim receives what it settles, an accrual or a pledge receives
nothing. Each receipt gets one routing entry, keyed ``route:<key of the receipt>`` and dated
like it: Dr ``Equity:Routed``, Cr ``Liabilities:Payable:<recipient>`` per share of the rule in
force at that date, in the same asset. A reversed receipt has its routing entry reversed too.
Functions take a Session, add and flush, and never commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ledger.accounts import (
    PROCEEDS_PREFIXES,
    artist_payable_account,
    is_proceeds_account,
    payable_account,
    routed_account,
)
from ledger.chain.decode import DecodedEvent
from ledger.db import execute_many
from ledger.journal import (
    MAX_KEY_LENGTH,
    EntrySpec,
    Evidence,
    PostingSpec,
    open_account,
    post_new_entries,
    reverse_entry,
)
from ledger.models import (
    RAW_LOG_COLUMNS,
    ROUTING_TRANSITIONS,
    Account,
    Artist,
    Asset,
    Beneficiary,
    ChainLog,
    Collection,
    EvidenceKind,
    JournalEntry,
    NftEdition,
    Posting,
    RoutingRecord,
    RoutingStatus,
    SplitRule,
    raw_log,
)
from ledger.models.base import utcnow
from ledger.routing.allocate import make_allocator
from ledger.routing.attribute import (
    ATTRIBUTED_TOPICS,
    Attribution,
    compute_attribution,
    decode_attributed,
    pick_edition,
)
from ledger.routing.rules import (
    Recipient,
    RuleBook,
    Target,
    describe_rule,
    rule_shares,
)
from ledger.types import UTCDateTime

ROUTE_PREFIX = "route:"

_RECORD_INSERT = (
    "INSERT INTO routing_record (entry_id, status, channel, collection_id, artwork_id, "
    "edition_id, rule_id, routing_entry_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class RoutingReport:
    routed: int = 0
    nothing_received: int = 0
    no_rule: int = 0
    unrouted: int = 0  # allocations reversed with their receipt

    def summary(self) -> str:
        return (
            f"{self.routed} receipts routed, {self.no_rule} without a rule in force, "
            f"{self.unrouted} allocations reversed with their receipts, "
            f"{self.nothing_received} entries with nothing received"
        )


def compute_received(postings: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """Return what an entry's (account, asset, amount) postings received, per asset (pure)."""
    received: dict[str, int] = defaultdict(int)
    for account, asset, amount in postings:
        if is_proceeds_account(account):
            received[asset] -= amount
    return {asset: value for asset, value in received.items() if value}


def routing_key(receipt_key: str) -> str:
    key = ROUTE_PREFIX + receipt_key
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return ROUTE_PREFIX + "sha256:" + hashlib.sha256(receipt_key.encode()).hexdigest()


def record_attribution(
    session: Session, entry: JournalEntry, attribution: Attribution
) -> RoutingRecord:
    """Record what a just-posted entry is about, before routing (imports, manual entries)."""
    record = session.scalars(
        select(RoutingRecord).where(RoutingRecord.entry_id == entry.id)
    ).one_or_none()
    if record is None:
        record = RoutingRecord(
            entry_id=entry.id,
            status=RoutingStatus.PENDING,
            channel=attribution.channel,
            collection_id=attribution.collection_id,
            artwork_id=attribution.artwork_id,
            edition_id=attribution.edition_id,
        )
        session.add(record)
        session.flush()
    return record


@dataclass
class _NewRecord:
    """A routing record made in this batch, inserted in bulk at the router's flush (an ORM
    object per receipt cost more than routing it); the same fields as RoutingRecord."""

    entry_id: int
    status: RoutingStatus
    channel: str | None
    collection_id: int | None
    artwork_id: int | None
    edition_id: int | None
    rule_id: int | None = None
    routing_entry_id: int | None = None
    id: None = None
    is_inserted: bool = False


_Record = RoutingRecord | _NewRecord


@dataclass(frozen=True)
class _Receipt:
    """The columns of a journal entry the router reads (_RECEIPT_COLUMNS, in order)."""

    id: int
    idempotency_key: str
    effective_at: datetime
    evidence_kind: EvidenceKind
    chain_id: int | None
    block_number: int | None
    block_hash: str | None
    log_index: int | None
    tx_hash: str | None
    document_sha256: str | None
    import_row: int | None
    reverses_entry_id: int | None


_RECEIPT_COLUMNS = tuple(getattr(JournalEntry, f.name) for f in dataclasses.fields(_Receipt))

# A key of an entry's raw log: (chain id, block hash, log index).
LogKey = tuple[int, str, int]


def _set_status(record: _Record, status: RoutingStatus) -> None:
    if status != record.status and status not in ROUTING_TRANSITIONS[record.status]:
        raise ValueError(f"routing record {record.id}: {record.status} cannot become {status}")
    record.status = status


class _Router:
    """Routes a batch of entries with what it needs read up front (rules, records, raw logs),
    and posts the routing entries together (post_entries): the sync routes every range it
    books, so one query per receipt would dominate a backfill. Entries, postings and raw logs
    are read as plain rows, and new records are inserted in bulk: ORM objects for every receipt
    cost more than the routing."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = RoutingReport()
        self._recipient_accounts: dict[Recipient, str] = {}
        self._routed_open = False
        self._rules = RuleBook(session)
        self._descriptions: dict[int, str] = {}
        self._allocators: dict[int, Callable[[int], dict[Recipient, int]]] = {}
        self._records: dict[int, _Record] = {}
        self._reversed: set[int] = set()
        self._events: dict[LogKey, DecodedEvent | None] = {}
        self._catalogue: (
            tuple[dict[tuple[int, str], int], dict[tuple[int, int], list[NftEdition]]] | None
        ) = None
        self._to_post: list[tuple[_Record, EntrySpec]] = []
        self._postings: dict[int, list[tuple[str, str, int]]] = {}

    def prepare(
        self,
        entries: Sequence[_Receipt],
        events: Mapping[LogKey, DecodedEvent] | None = None,
        after_entry_id: int | None = None,
        postings: Mapping[int, Sequence[tuple[str, str, int]]] | None = None,
    ) -> None:
        """Read, in a few queries, the postings, records, reversals and raw logs the batch
        needs. ``events`` and ``postings`` are what the caller knows already (the sync posted
        the entries and decoded their logs): raw logs by key, postings by entry id; the rest
        is read. With ``after_entry_id`` (every entry is newer) ranges of ids are read instead
        of lists of them."""
        ids = [e.id for e in entries]
        wanted_ids = set(ids)
        if postings:
            for entry_id in ids:
                if entry_id in postings:
                    self._postings[entry_id] = list(postings[entry_id])
        unknown = wanted_ids - self._postings.keys()
        originals = [e.reverses_entry_id for e in entries if e.reverses_entry_id]
        posting_rows = (
            select(Posting.entry_id, Account.name, Asset.code, Posting.amount)
            .join(Account, Posting.account_id == Account.id)
            .join(Asset, Posting.asset_id == Asset.id)
        )
        if after_entry_id is not None:
            # A newer entry's reversal is newer still: both are above after_entry_id.
            parts = [
                (
                    Posting.entry_id > after_entry_id,
                    RoutingRecord.entry_id > after_entry_id,
                    JournalEntry.id > after_entry_id,
                )
            ]
        else:
            parts = [
                (
                    Posting.entry_id.in_(ids[start : start + 500]),
                    RoutingRecord.entry_id.in_(ids[start : start + 500]),
                    JournalEntry.reverses_entry_id.in_(ids[start : start + 500]),
                )
                for start in range(0, len(ids), 500)
            ]
        for postings_where, records_where, reversals_where in parts:
            if unknown:
                for entry_id, account, asset, amount in self.session.execute(
                    posting_rows.where(postings_where).order_by(Posting.id)
                ):
                    if entry_id in unknown:
                        self._postings.setdefault(entry_id, []).append((account, asset, amount))
            for record in self.session.scalars(select(RoutingRecord).where(records_where)):
                self._records[record.entry_id] = record
            self._reversed.update(
                i
                for i in self.session.scalars(
                    select(JournalEntry.reverses_entry_id).where(
                        reversals_where, JournalEntry.reverses_entry_id.is_not(None)
                    )
                )
                if i in wanted_ids
            )
        for start in range(0, len(originals), 500):
            for record in self.session.scalars(
                select(RoutingRecord).where(
                    RoutingRecord.entry_id.in_(originals[start : start + 500])
                )
            ):
                self._records[record.entry_id] = record
        wanted: set[LogKey] = set()
        for e in entries:
            if e.chain_id is not None and e.block_hash is not None and e.log_index is not None:
                key = (e.chain_id, e.block_hash, e.log_index)
                if events is not None and key in events:
                    # Kinds other than the attributed ones are attributed by name, as when
                    # chain_log has no attributed row there.
                    self._events[key] = events[key]
                else:
                    wanted.add(key)
        hashes = sorted({block_hash for _, block_hash, _ in wanted})
        columns = [getattr(ChainLog, name) for name in RAW_LOG_COLUMNS]
        for start in range(0, len(hashes), 500):
            for chain_id, *row in self.session.execute(
                select(ChainLog.chain_id, *columns).where(
                    ChainLog.block_hash.in_(hashes[start : start + 500]),
                    ChainLog.topic0.in_(ATTRIBUTED_TOPICS),
                )
            ):
                log = raw_log(*row)
                key = (chain_id, log["blockHash"], int(log["logIndex"], 16))
                if key in wanted:
                    self._events[key] = decode_attributed(chain_id, log)

    def postings_of(self, entry: _Receipt) -> list[tuple[str, str, int]]:
        return self._postings.get(entry.id, [])

    def find_edition(
        self, session: Session, chain_id: int, contract: str, token_id: int
    ) -> tuple[int | None, int | None, int | None]:
        """find_edition's answer from the catalogue read once (it is small next to the sales)."""
        if self._catalogue is None:
            collections = {
                (c.chain_id, c.contract): c.id for c in session.scalars(select(Collection))
            }
            editions: dict[tuple[int, int], list[NftEdition]] = {}
            for edition in session.scalars(select(NftEdition)):
                editions.setdefault((edition.collection_id, edition.token_id), []).append(edition)
            self._catalogue = (collections, editions)
        collections, editions = self._catalogue
        collection_id = collections.get((chain_id, contract.lower()))
        if collection_id is None:
            return None, None, None
        return pick_edition(collection_id, editions.get((collection_id, token_id), []))

    def flush(self) -> None:
        """Post the routing entries gathered so far, link each record to its entry, and insert
        the records made since the last flush."""
        if self._to_post:
            self.session.flush()
            specs = [spec for _, spec in self._to_post]
            ids = post_new_entries(self.session, specs)
            # Routing entries posted before (their records were not) are not new: read them.
            keys = [spec.idempotency_key for spec in specs if spec.idempotency_key not in ids]
            for start in range(0, len(keys), 500):
                rows = self.session.execute(
                    select(JournalEntry.idempotency_key, JournalEntry.id).where(
                        JournalEntry.idempotency_key.in_(keys[start : start + 500])
                    )
                )
                ids.update((key, id_) for key, id_ in rows)
            for record, spec in self._to_post:
                record.routing_entry_id = ids[spec.idempotency_key]
                _set_status(record, RoutingStatus.ROUTED)
            self._to_post = []
        new = [r for r in self._records.values() if isinstance(r, _NewRecord) and not r.is_inserted]
        if new:
            dialect = self.session.connection().dialect
            now = UTCDateTime().process_bind_param(utcnow(), dialect)
            execute_many(
                self.session,
                _RECORD_INSERT,
                [
                    (
                        r.entry_id,
                        r.status.value,
                        r.channel,
                        r.collection_id,
                        r.artwork_id,
                        r.edition_id,
                        r.rule_id,
                        r.routing_entry_id,
                        now,
                    )
                    for r in new
                ],
            )
            for r in new:
                r.is_inserted = True
        self.session.flush()

    def stored_record(self, entry_id: int) -> RoutingRecord | None:
        """The record of ``entry_id`` as an ORM object, inserted first if it is new: a record
        inserted in bulk is changed through the ORM afterwards."""
        record = self._records.get(entry_id)
        if isinstance(record, _NewRecord):
            self.flush()
            record = self.session.scalars(
                select(RoutingRecord).where(RoutingRecord.entry_id == entry_id)
            ).one()
            self._records[entry_id] = record
        return record

    def account_for(self, recipient: Recipient) -> str:
        if recipient not in self._recipient_accounts:
            kind, id_ = recipient
            if kind == "beneficiary":
                beneficiary = self.session.get(Beneficiary, id_)
                assert beneficiary is not None
                name = payable_account(beneficiary.key)
                open_account(self.session, name, beneficiary_id=beneficiary.id)
            else:
                artist = self.session.get(Artist, id_)
                assert artist is not None
                name = artist_payable_account(artist.key)
                open_account(self.session, name)
            self._recipient_accounts[recipient] = name
        return self._recipient_accounts[recipient]

    def record_of(self, entry: _Receipt) -> _Record:
        record = self._records.get(entry.id)
        if record is not None:
            return record
        key = (
            (entry.chain_id, entry.block_hash, entry.log_index)
            if entry.chain_id is not None
            and entry.block_hash is not None
            and entry.log_index is not None
            else None
        )
        attribution = compute_attribution(
            self.session,
            evidence_kind=entry.evidence_kind,
            chain_id=entry.chain_id,
            event=self._events.get(key) if key is not None else None,
            accounts=[account for account, _, _ in self.postings_of(entry)],
            finder=self.find_edition,
        )
        if entry.reverses_entry_id is not None:
            original = self._records.get(entry.reverses_entry_id)
            if original is not None:
                attribution = Attribution(
                    original.channel,
                    original.collection_id,
                    original.artwork_id,
                    original.edition_id,
                )
        record = _NewRecord(
            entry_id=entry.id,
            status=RoutingStatus.PENDING,
            channel=attribution.channel,
            collection_id=attribution.collection_id,
            artwork_id=attribution.artwork_id,
            edition_id=attribution.edition_id,
        )
        self._records[entry.id] = record
        return record

    def is_reversed(self, entry_id: int) -> bool:
        if entry_id in self._reversed:
            return True
        return (
            self.session.scalar(
                select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
            )
            is not None
        )

    def unroute(self, entry: _Receipt) -> None:
        """``entry`` reverses another: reverse that one's allocation too."""
        assert entry.reverses_entry_id is not None
        original = self._records.get(entry.reverses_entry_id)
        if original is None or original.status == RoutingStatus.REVERSAL:
            return
        self.flush()  # the original's routing entry may be in this very batch
        stored = self.stored_record(entry.reverses_entry_id)
        assert stored is not None
        if stored.routing_entry_id is not None and not self.is_reversed(stored.routing_entry_id):
            reverse_entry(
                self.session,
                stored.routing_entry_id,
                effective_at=entry.effective_at,
                description=f"Allocation reversed with its receipt (entry {stored.entry_id})",
            )
            self.report.unrouted += 1
        _set_status(stored, RoutingStatus.REVERSED)

    def route(self, entry: _Receipt) -> None:
        record = self.record_of(entry)
        if record.status not in (RoutingStatus.PENDING, RoutingStatus.NO_RULE):
            return
        if entry.reverses_entry_id is not None:
            self.unroute(entry)
            # unroute flushed, which may have inserted this record: change it as stored.
            stored = self.stored_record(entry.id)
            assert stored is not None
            record = stored
        received = compute_received(self.postings_of(entry))
        positive = {asset: amount for asset, amount in received.items() if amount > 0}
        if entry.id in self._reversed:  # read for the whole batch in prepare()
            _set_status(record, RoutingStatus.REVERSED)
            return
        if not positive:
            status = (
                RoutingStatus.REVERSAL
                if entry.reverses_entry_id is not None
                else RoutingStatus.NOTHING_RECEIVED
            )
            _set_status(record, status)
            self.report.nothing_received += 1
            return
        target = Target(record.edition_id, record.artwork_id, record.collection_id)
        rule = self._rules.in_force(target, entry.effective_at)
        if rule is None:
            _set_status(record, RoutingStatus.NO_RULE)
            self.report.no_rule += 1
            return
        if not self._routed_open:
            open_account(self.session, routed_account())
            self._routed_open = True
        # Marked routed in flush(), with its routing entry (the schema requires both at once).
        self._to_post.append((record, self.routing_spec(entry, rule, positive)))
        record.rule_id = rule.id
        self.report.routed += 1

    def describe(self, rule: SplitRule) -> str:
        if rule.id not in self._descriptions:
            self._descriptions[rule.id] = describe_rule(self.session, rule)
        return self._descriptions[rule.id]

    def routing_spec(
        self, entry: _Receipt, rule: SplitRule, received: Mapping[str, int]
    ) -> EntrySpec:
        if rule.id not in self._allocators:
            self._allocators[rule.id] = make_allocator(*rule_shares(rule))
        allocator = self._allocators[rule.id]
        postings: list[PostingSpec] = []
        for asset in sorted(received):
            postings.append(PostingSpec(routed_account(), asset, received[asset]))
            for recipient, amount in sorted(allocator(received[asset]).items()):
                postings.append(PostingSpec(self.account_for(recipient), asset, -amount))
        evidence = (
            Evidence.manual()
            if entry.evidence_kind == EvidenceKind.REVERSAL
            else Evidence(
                kind=entry.evidence_kind,
                chain_id=entry.chain_id,
                block_number=entry.block_number,
                block_hash=entry.block_hash,
                log_index=entry.log_index,
                tx_hash=entry.tx_hash,
                document_sha256=entry.document_sha256,
                import_row=entry.import_row,
            )
        )
        # No database ids in the text: the content hash covers it, and a rebuild must match.
        return EntrySpec(
            idempotency_key=routing_key(entry.idempotency_key),
            effective_at=entry.effective_at,
            description=(
                f"Routed the proceeds received by {entry.idempotency_key} under the "
                f"{self.describe(rule)}"
            ),
            postings=postings,
            evidence=evidence,
        )


def route_pending(
    session: Session,
    *,
    after_entry_id: int | None = None,
    events: Mapping[LogKey, DecodedEvent] | None = None,
    postings: Mapping[int, Sequence[tuple[str, str, int]]] | None = None,
) -> RoutingReport:
    """Route every receipt not routed yet (in entry order) and reverse reversed allocations.

    ``after_entry_id`` limits the pass to newer entries (the chain sync's hot path); without
    it, receipts left without a rule are tried again too. ``events`` and ``postings``: what
    the caller knows already, so it is not read again: decoded raw logs by (chain id, block
    hash, log index), and (account, asset, amount) postings by entry id. Idempotent.
    """
    router = _Router(session)
    touches_proceeds = (
        select(Posting.entry_id)
        .join(Account, Posting.account_id == Account.id)
        .where(or_(*(Account.name.startswith(prefix) for prefix in PROCEEDS_PREFIXES)))
    )
    query = select(*_RECEIPT_COLUMNS).where(
        JournalEntry.id.in_(touches_proceeds),
        ~JournalEntry.idempotency_key.startswith(ROUTE_PREFIX),
    )
    unrecorded = ~exists().where(RoutingRecord.entry_id == JournalEntry.id)
    if after_entry_id is not None:
        # Bound the subquery too, or every pass scans the whole journal's postings.
        touches_proceeds = touches_proceeds.where(Posting.entry_id > after_entry_id)
        query = select(*_RECEIPT_COLUMNS).where(
            JournalEntry.id.in_(touches_proceeds),
            ~JournalEntry.idempotency_key.startswith(ROUTE_PREFIX),
            JournalEntry.id > after_entry_id,
            unrecorded,
        )
    else:
        retry = JournalEntry.id.in_(
            select(RoutingRecord.entry_id).where(
                RoutingRecord.status.in_([RoutingStatus.PENDING, RoutingStatus.NO_RULE])
            )
        )
        query = query.where(or_(unrecorded, retry))
    entries = [_Receipt(*row) for row in session.execute(query.order_by(JournalEntry.id))]
    router.prepare(entries, events, after_entry_id, postings)
    for entry in entries:
        router.route(entry)
    router.flush()
    return router.report
