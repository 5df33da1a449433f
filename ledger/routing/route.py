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

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, lazyload

from ledger.accounts import (
    PROCEEDS_PREFIXES,
    artist_payable_account,
    is_proceeds_account,
    payable_account,
    routed_account,
)
from ledger.journal import (
    MAX_KEY_LENGTH,
    EntrySpec,
    Evidence,
    PostingSpec,
    open_account,
    post_entries,
    reverse_entry,
)
from ledger.models import (
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
)
from ledger.routing.allocate import allocate
from ledger.routing.attribute import (
    ATTRIBUTED_TOPICS,
    Attribution,
    compute_attribution,
    pick_edition,
)
from ledger.routing.rules import (
    Recipient,
    RuleBook,
    Target,
    describe_rule,
    rule_shares,
)

ROUTE_PREFIX = "route:"


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


def _set_status(record: RoutingRecord, status: RoutingStatus) -> None:
    if status != record.status and status not in ROUTING_TRANSITIONS[record.status]:
        raise ValueError(f"routing record {record.id}: {record.status} cannot become {status}")
    record.status = status


class _Router:
    """Routes a batch of entries with what it needs read up front (rules, records, raw logs),
    and posts the routing entries together (post_entries): the sync routes every range it
    books, so one query per receipt would dominate a backfill."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = RoutingReport()
        self._recipient_accounts: dict[Recipient, str] = {}
        self._routed_open = False
        self._rules = RuleBook(session)
        self._descriptions: dict[int, str] = {}
        self._records: dict[int, RoutingRecord] = {}
        self._reversed: set[int] = set()
        self._rows: dict[tuple[int | None, str | None, int | None], ChainLog] = {}
        self._catalogue: (
            tuple[dict[tuple[int, str], int], dict[tuple[int, int], list[NftEdition]]] | None
        ) = None
        self._to_post: list[tuple[RoutingRecord, EntrySpec]] = []
        self._postings: dict[int, list[tuple[str, str, int]]] = {}

    def prepare(self, entries: Sequence[JournalEntry]) -> None:
        """Read, in a few queries, the postings, records, reversals and raw logs the batch
        needs (postings as plain rows: ORM objects for every leg cost more than the routing)."""
        ids = [e.id for e in entries]
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(Posting.entry_id, Account.name, Asset.code, Posting.amount)
                .join(Account, Posting.account_id == Account.id)
                .join(Asset, Posting.asset_id == Asset.id)
                .where(Posting.entry_id.in_(ids[start : start + 500]))
                .order_by(Posting.id)
            )
            for entry_id, account, asset, amount in rows:
                self._postings.setdefault(entry_id, []).append((account, asset, amount))
        related = ids + [e.reverses_entry_id for e in entries if e.reverses_entry_id]
        for start in range(0, len(related), 500):
            part = related[start : start + 500]
            for record in self.session.scalars(
                select(RoutingRecord).where(RoutingRecord.entry_id.in_(part))
            ):
                self._records[record.entry_id] = record
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self._reversed.update(
                i
                for i in self.session.scalars(
                    select(JournalEntry.reverses_entry_id).where(
                        JournalEntry.reverses_entry_id.in_(part)
                    )
                )
                if i is not None
            )
        hashes = sorted({e.block_hash for e in entries if e.block_hash and e.log_index is not None})
        for start in range(0, len(hashes), 500):
            for row in self.session.scalars(
                select(ChainLog).where(
                    ChainLog.block_hash.in_(hashes[start : start + 500]),
                    ChainLog.topic0.in_(ATTRIBUTED_TOPICS),
                )
            ):
                self._rows[(row.chain_id, row.block_hash, row.log_index)] = row

    def postings_of(self, entry: JournalEntry) -> list[tuple[str, str, int]]:
        if entry.id not in self._postings:  # not prepared (a single entry): read it
            self._postings[entry.id] = [
                (p.account.name, p.asset.code, p.amount) for p in entry.postings
            ]
        return self._postings[entry.id]

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
        """Post the routing entries gathered so far and link each record to its entry."""
        if not self._to_post:
            return
        self.session.flush()
        specs = [spec for _, spec in self._to_post]
        post_entries(self.session, specs)
        keys = [spec.idempotency_key for spec in specs]
        ids: dict[str, int] = {}
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
        self.session.flush()

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

    def record_of(self, entry: JournalEntry) -> RoutingRecord:
        record = self._records.get(entry.id)
        if record is not None:
            return record
        attribution = compute_attribution(
            self.session,
            entry,
            row=self._rows.get((entry.chain_id, entry.block_hash, entry.log_index)),
            finder=self.find_edition,
            accounts=[account for account, _, _ in self.postings_of(entry)],
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
        record = RoutingRecord(
            entry_id=entry.id,
            status=RoutingStatus.PENDING,
            channel=attribution.channel,
            collection_id=attribution.collection_id,
            artwork_id=attribution.artwork_id,
            edition_id=attribution.edition_id,
        )
        self.session.add(record)
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

    def unroute(self, entry: JournalEntry) -> None:
        """``entry`` reverses another: reverse that one's allocation too."""
        assert entry.reverses_entry_id is not None
        original = self._records.get(entry.reverses_entry_id)
        if original is None or original.status == RoutingStatus.REVERSAL:
            return
        self.flush()  # the original's routing entry may be in this very batch
        if original.routing_entry_id is not None and not self.is_reversed(
            original.routing_entry_id
        ):
            reverse_entry(
                self.session,
                original.routing_entry_id,
                effective_at=entry.effective_at,
                description=f"Allocation reversed with its receipt (entry {original.entry_id})",
            )
            self.report.unrouted += 1
        _set_status(original, RoutingStatus.REVERSED)

    def route(self, entry: JournalEntry) -> None:
        record = self.record_of(entry)
        if record.status not in (RoutingStatus.PENDING, RoutingStatus.NO_RULE):
            return
        if entry.reverses_entry_id is not None:
            self.unroute(entry)
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
        self, entry: JournalEntry, rule: SplitRule, received: Mapping[str, int]
    ) -> EntrySpec:
        shares, remainder = rule_shares(rule)
        postings: list[PostingSpec] = []
        for asset in sorted(received):
            postings.append(PostingSpec(routed_account(), asset, received[asset]))
            for recipient, amount in sorted(allocate(received[asset], shares, remainder).items()):
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


def route_pending(session: Session, *, after_entry_id: int | None = None) -> RoutingReport:
    """Route every receipt not routed yet (in entry order) and reverse reversed allocations.

    ``after_entry_id`` limits the pass to newer entries (the chain sync's hot path); without
    it, receipts left without a rule are tried again too. Idempotent.
    """
    router = _Router(session)
    touches_proceeds = (
        select(Posting.entry_id)
        .join(Account, Posting.account_id == Account.id)
        .where(or_(*(Account.name.startswith(prefix) for prefix in PROCEEDS_PREFIXES)))
    )
    query = select(JournalEntry).where(
        JournalEntry.id.in_(touches_proceeds),
        ~JournalEntry.idempotency_key.startswith(ROUTE_PREFIX),
    )
    unrecorded = ~exists().where(RoutingRecord.entry_id == JournalEntry.id)
    if after_entry_id is not None:
        # Bound the subquery too, or every pass scans the whole journal's postings.
        touches_proceeds = touches_proceeds.where(Posting.entry_id > after_entry_id)
        query = select(JournalEntry).where(
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
    entries = session.scalars(
        query.order_by(JournalEntry.id).options(lazyload(JournalEntry.postings))
    ).all()
    router.prepare(entries)
    for entry in entries:
        router.route(entry)
    router.flush()
    session.flush()
    return router.report
