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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

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
    post_entry,
    reverse_entry,
)
from ledger.models import (
    ROUTING_TRANSITIONS,
    Account,
    Artist,
    Beneficiary,
    EvidenceKind,
    JournalEntry,
    Posting,
    RoutingRecord,
    RoutingStatus,
    SplitRule,
)
from ledger.routing.allocate import allocate
from ledger.routing.attribute import Attribution, compute_attribution
from ledger.routing.rules import (
    Recipient,
    Target,
    describe_rule,
    get_rule_in_force,
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
    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = RoutingReport()
        self._recipient_accounts: dict[Recipient, str] = {}
        self._routed_open = False

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
        record = self.session.scalars(
            select(RoutingRecord).where(RoutingRecord.entry_id == entry.id)
        ).one_or_none()
        if record is not None:
            return record
        attribution = compute_attribution(self.session, entry)
        if entry.reverses_entry_id is not None:
            original = self.session.scalars(
                select(RoutingRecord).where(RoutingRecord.entry_id == entry.reverses_entry_id)
            ).one_or_none()
            if original is not None:
                attribution = Attribution(
                    original.channel,
                    original.collection_id,
                    original.artwork_id,
                    original.edition_id,
                )
        return record_attribution(self.session, entry, attribution)

    def is_reversed(self, entry_id: int) -> bool:
        return (
            self.session.scalar(
                select(JournalEntry.id).where(JournalEntry.reverses_entry_id == entry_id)
            )
            is not None
        )

    def unroute(self, entry: JournalEntry) -> None:
        """``entry`` reverses another: reverse that one's allocation too."""
        assert entry.reverses_entry_id is not None
        original = self.session.scalars(
            select(RoutingRecord).where(RoutingRecord.entry_id == entry.reverses_entry_id)
        ).one_or_none()
        if original is None or original.status == RoutingStatus.REVERSAL:
            return
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
        received = compute_received(
            (p.account.name, p.asset.code, p.amount) for p in entry.postings
        )
        positive = {asset: amount for asset, amount in received.items() if amount > 0}
        if self.is_reversed(entry.id):
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
        rule = get_rule_in_force(self.session, target, entry.effective_at)
        if rule is None:
            _set_status(record, RoutingStatus.NO_RULE)
            self.report.no_rule += 1
            return
        if not self._routed_open:
            open_account(self.session, routed_account())
            self._routed_open = True
        routing = post_entry(self.session, self.routing_spec(entry, rule, positive))
        record.rule_id = rule.id
        record.routing_entry_id = routing.id
        _set_status(record, RoutingStatus.ROUTED)
        self.report.routed += 1

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
                f"{describe_rule(self.session, rule)}"
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
        query = query.where(JournalEntry.id > after_entry_id, unrecorded)
    else:
        retry = JournalEntry.id.in_(
            select(RoutingRecord.entry_id).where(
                RoutingRecord.status.in_([RoutingStatus.PENDING, RoutingStatus.NO_RULE])
            )
        )
        query = query.where(or_(unrecorded, retry))
    for entry in session.scalars(query.order_by(JournalEntry.id)).all():
        router.route(entry)
    session.flush()
    return router.report
