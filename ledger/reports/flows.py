"""Turn the journal into flows: each pledged, received, routed or disbursed amount, with the
artwork, edition, collection and channel it belongs to.

Direct attribution comes from each entry's routing record. Money that passes through a
receivable or a payable is followed first in, first out, per account and asset: a revenue claim
settles the oldest accrued creator fees first, so what it received is attributed to the
artworks whose fees it settles; a payout consumes the oldest allocations to that beneficiary
first, so what was disbursed is attributed to the artworks whose proceeds it pays. A reversing
entry undoes exactly what the entry it reverses did. Totals never depend on the attribution:
the sum over artworks (and "no artwork") equals the journal's balances.
"""

from __future__ import annotations

import enum
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.accounts import PAYABLE_PREFIX, RECEIVABLE_PREFIX, is_proceeds_account
from ledger.models import Account, Asset, EvidenceKind, JournalEntry, Posting, RoutingRecord
from ledger.routing.allocate import split_pro_rata


class FlowKind(enum.StrEnum):
    PLEDGED = "pledged"  # accrued or promised (a receivable) - negative when settled
    RECEIVED = "received"
    ROUTED = "routed"
    DISBURSED = "disbursed"


@dataclass(frozen=True, order=True)
class Attr:
    channel: str | None = None
    collection_id: int | None = None
    artwork_id: int | None = None
    edition_id: int | None = None


@dataclass(frozen=True)
class Flow:
    at: datetime
    entry_id: int
    kind: FlowKind
    asset: str
    amount: int
    attr: Attr
    recipient: str | None = None  # the payable account, for routed and disbursed flows


Part = tuple[Attr, int]
QueueKey = tuple[str, str]  # (account, asset)


class _Queues:
    """FIFO queues of attributed amounts per (account, asset), remembering each part's source."""

    def __init__(self) -> None:
        self.queues: dict[QueueKey, deque[list[object]]] = defaultdict(deque)

    def push(self, key: QueueKey, attr: Attr, amount: int, source: int) -> None:
        if amount:
            self.queues[key].append([attr, amount, source])

    def push_front(self, key: QueueKey, parts: list[tuple[Attr, int, int]]) -> None:
        for attr, amount, source in reversed(parts):
            self.queues[key].appendleft([attr, amount, source])

    def consume(self, key: QueueKey, amount: int) -> list[tuple[Attr, int, int]]:
        """Take ``amount`` from the front; what the queue cannot cover has no attribution."""
        taken: list[tuple[Attr, int, int]] = []
        queue = self.queues[key]
        while amount > 0 and queue:
            item = queue[0]
            attr, available, source = item[0], item[1], item[2]
            assert isinstance(attr, Attr) and isinstance(available, int)
            assert isinstance(source, int)
            part = min(amount, available)
            taken.append((attr, part, source))
            amount -= part
            if part == available:
                queue.popleft()
            else:
                item[1] = available - part
        if amount > 0:
            taken.append((Attr(), amount, 0))
        return taken

    def remove_source(self, key: QueueKey, source: int, amount: int) -> None:
        """Remove up to ``amount`` pushed by ``source`` (its reversal); the rest FIFO."""
        queue = self.queues[key]
        for item in list(queue):
            if amount <= 0:
                return
            if item[2] == source:
                available = item[1]
                assert isinstance(available, int)
                part = min(amount, available)
                amount -= part
                if part == available:
                    queue.remove(item)
                else:
                    item[1] = available - part
        if amount > 0:
            self.consume(key, amount)


@dataclass
class _Effect:
    flows: list[Flow]
    pushed: list[tuple[QueueKey, int]]  # (queue, amount) pushed by the entry
    consumed: list[tuple[QueueKey, list[tuple[Attr, int, int]]]]
    received_parts: dict[str, list[Part]]


class _Leg(NamedTuple):
    account: str
    asset: str
    amount: int


class _Entry(NamedTuple):
    """What the flows need of a journal entry: read as plain rows, not ORM objects (a public
    ledger of 200,000 entries is built in seconds, not minutes)."""

    id: int
    effective_at: datetime
    reverses_entry_id: int | None
    postings: list[_Leg]


class EntryProof(NamedTuple):
    """What the public ledger shows of a journal entry besides its flows (its proof). Entries
    are append-only, so a book keeps these and reads only the new ones after a change."""

    id: int
    effective_at: datetime
    evidence_kind: EvidenceKind
    chain_id: int | None
    tx_hash: str | None
    document_sha256: str | None
    reverses_entry_id: int | None


def read_entry_proofs(session: Session, after_id: int = 0) -> dict[int, EntryProof]:
    """The proofs of the entries with ids above ``after_id``, as plain rows."""
    session.flush()
    rows = session.connection().execute(
        select(
            JournalEntry.id,
            JournalEntry.effective_at,
            JournalEntry.evidence_kind,
            JournalEntry.chain_id,
            JournalEntry.tx_hash,
            JournalEntry.document_sha256,
            JournalEntry.reverses_entry_id,
        ).where(JournalEntry.id > after_id)
    )
    return {row[0]: EntryProof(*row) for row in rows}


class _Record(NamedTuple):
    """What the flows need of a routing record."""

    entry_id: int
    routing_entry_id: int | None
    channel: str | None
    collection_id: int | None
    artwork_id: int | None
    edition_id: int | None


def _read_entries(
    session: Session, until: datetime | None, after_id: int | None = None
) -> list[_Entry]:
    query = select(JournalEntry.id, JournalEntry.effective_at, JournalEntry.reverses_entry_id)
    legs = (
        select(Posting.entry_id, Account.name, Asset.code, Posting.amount)
        .join(Account, Posting.account_id == Account.id)
        .join(Asset, Posting.asset_id == Asset.id)
        .order_by(Posting.entry_id, Posting.id)
    )
    if until is not None:
        query = query.where(JournalEntry.effective_at < until)
        legs = legs.join(JournalEntry, Posting.entry_id == JournalEntry.id).where(
            JournalEntry.effective_at < until
        )
    if after_id is not None:
        query = query.where(JournalEntry.id > after_id)
        legs = legs.where(Posting.entry_id > after_id)
    # On the session's connection, past the ORM's result handling (seconds on 500,000 rows).
    session.flush()
    connection = session.connection()
    postings: dict[int, list[_Leg]] = defaultdict(list)
    for entry_id, account, asset, amount in connection.execute(legs):
        postings[entry_id].append(_Leg(account, asset, amount))
    return [
        _Entry(entry_id, at, reverses, postings.get(entry_id, []))
        for entry_id, at, reverses in connection.execute(query)
    ]


def _read_records(session: Session) -> dict[int, _Record]:
    session.flush()
    rows = session.connection().execute(
        select(
            RoutingRecord.entry_id,
            RoutingRecord.routing_entry_id,
            RoutingRecord.channel,
            RoutingRecord.collection_id,
            RoutingRecord.artwork_id,
            RoutingRecord.edition_id,
        )
    )
    return {row[0]: _Record(*row) for row in rows}


SortKey = tuple[datetime, int, bool, int]


class FlowBook:
    """The journal's flows in order, with the first-in-first-out queues that attribute what
    comes next, so entries added later can be applied without replaying the whole journal
    (``update_flow_book``). Not thread-safe: one caller at a time."""

    def __init__(self, records: dict[int, _Record]) -> None:
        self.records = records
        self.receipt_of_routing = _receipts_of_routing(records)
        self.queues = _Queues()
        self.effects: dict[int, _Effect] = {}
        self.flows: list[Flow] = []
        self.last_key: SortKey | None = None
        self.last_entry_id = 0
        self.n_postings = 0
        # Filled by build_flow_book and update_flow_book (the public ledger's proofs).
        self.proofs: dict[int, EntryProof] = {}

    def sort_key(self, entry: _Entry) -> SortKey:
        # A routing entry is taken right after its receipt (the sync posts a batch's receipts
        # first and routes them after, so ids alone would put a later payout before them).
        receipt_of_routing = self.receipt_of_routing
        return (
            entry.effective_at,
            receipt_of_routing.get(entry.id, entry.id),
            entry.id in receipt_of_routing,
            entry.id,
        )

    def apply(self, entries: list[_Entry]) -> Iterator[Flow]:
        """Apply ``entries``, already in ``sort_key`` order and all after ``last_key``."""
        records, receipt_of_routing = self.records, self.receipt_of_routing
        queues, effects = self.queues, self.effects
        for entry in entries:
            if entry.reverses_entry_id is not None and entry.reverses_entry_id in effects:
                effect = _undo(queues, entry, effects[entry.reverses_entry_id])
            else:
                record = records.get(entry.id)
                attr = (
                    Attr(record.channel, record.collection_id, record.artwork_id, record.edition_id)
                    if record
                    else Attr()
                )
                receipt = receipt_of_routing.get(entry.id)
                receipt_parts = effects[receipt].received_parts if receipt in effects else None
                effect = _apply(queues, entry, attr, receipt_parts)
            effects[entry.id] = effect
            self.flows.extend(effect.flows)
            self.last_key = self.sort_key(entry)
            self.last_entry_id = max(self.last_entry_id, entry.id)
            self.n_postings += len(entry.postings)
            yield from effect.flows


def _receipts_of_routing(records: dict[int, _Record]) -> dict[int, int]:
    return {r.routing_entry_id: r.entry_id for r in records.values() if r.routing_entry_id}


def iter_flows(session: Session, *, until: datetime | None = None) -> Iterator[Flow]:
    """Yield every flow of the journal in (effective date, entry id) order."""
    book = FlowBook(_read_records(session))
    yield from book.apply(sorted(_read_entries(session, until), key=book.sort_key))


def build_flow_book(session: Session) -> FlowBook:
    """Replay the whole journal into a new book."""
    book = FlowBook(_read_records(session))
    for _ in book.apply(sorted(_read_entries(session, None), key=book.sort_key)):
        pass
    book.proofs = read_entry_proofs(session)
    return book


def update_flow_book(session: Session, book: FlowBook | None) -> tuple[FlowBook, bool]:
    """Bring ``book`` up to the journal, and say whether it was extended in place (True) or
    replayed from the start (False, a new book).

    Only the new entries are applied when that gives exactly what a replay would: the entries
    already applied are all still there and nothing was added to them (the journal is
    append-only, and a late commit of a lower id is caught by the counts), their routing records
    are unchanged (a receipt's record may only gain a routing entry that is itself new), and
    every new entry sorts after the last one applied. Anything else replays the journal.
    """
    if book is None:
        return build_flow_book(session), False
    last_id = book.last_entry_id
    n_entries = session.scalar(select(func.count()).where(JournalEntry.id <= last_id))
    n_postings = session.scalar(select(func.count()).where(Posting.entry_id <= last_id))
    records = _read_records(session)
    if (
        n_entries != len(book.effects)
        or n_postings != book.n_postings
        or not _is_extension(book.records, records, last_id)
    ):
        return build_flow_book(session), False
    extended = FlowBook(records)
    new = sorted(_read_entries(session, None, after_id=last_id), key=extended.sort_key)
    if new and book.last_key is not None and extended.sort_key(new[0]) <= book.last_key:
        return build_flow_book(session), False
    book.records, book.receipt_of_routing = records, extended.receipt_of_routing
    for _ in book.apply(new):
        pass
    book.proofs.update(read_entry_proofs(session, after_id=last_id))
    return book, True


def _is_extension(old: dict[int, _Record], new: dict[int, _Record], last_id: int) -> bool:
    """True when ``new`` changes nothing the entries up to ``last_id`` were applied with."""
    for entry_id, record in new.items():
        before = old.get(entry_id)
        if before is None:
            routing_id = record.routing_entry_id
            if entry_id <= last_id or (routing_id is not None and routing_id <= last_id):
                return False
        elif before != record and not (
            before.routing_entry_id is None
            and before == record._replace(routing_entry_id=None)
            and (record.routing_entry_id or 0) > last_id
        ):
            return False
    return old.keys() <= new.keys()


def _apply(
    queues: _Queues,
    entry: _Entry,
    attr: Attr,
    receipt_parts: dict[str, list[Part]] | None,
) -> _Effect:
    at = entry.effective_at
    flows: list[Flow] = []
    pushed: list[tuple[QueueKey, int]] = []
    consumed: list[tuple[QueueKey, list[tuple[Attr, int, int]]]] = []
    settled: dict[str, list[Part]] = defaultdict(list)
    received: dict[str, int] = defaultdict(int)
    for account, asset, amount in entry.postings:
        key = (account, asset)
        if is_proceeds_account(account):
            received[asset] -= amount
        if account.startswith(RECEIVABLE_PREFIX):
            if amount > 0:
                queues.push(key, attr, amount, entry.id)
                pushed.append((key, amount))
                flows.append(Flow(at, entry.id, FlowKind.PLEDGED, asset, amount, attr))
            else:
                parts = queues.consume(key, -amount)
                consumed.append((key, parts))
                for part_attr, part, _ in parts:
                    flows.append(Flow(at, entry.id, FlowKind.PLEDGED, asset, -part, part_attr))
                    settled[asset].append((part_attr, part))
        elif account.startswith(PAYABLE_PREFIX):
            if amount < 0:
                weights = (receipt_parts or {}).get(asset) or [(attr, 1)]
                for part_attr, part in split_pro_rata(-amount, weights):
                    queues.push(key, part_attr, part, entry.id)
                    pushed.append((key, part))
                    flows.append(
                        Flow(at, entry.id, FlowKind.ROUTED, asset, part, part_attr, account)
                    )
            else:
                parts = queues.consume(key, amount)
                consumed.append((key, parts))
                for part_attr, part, _ in parts:
                    flows.append(
                        Flow(at, entry.id, FlowKind.DISBURSED, asset, part, part_attr, account)
                    )
    received_parts: dict[str, list[Part]] = {}
    for asset, total in received.items():
        if not total:
            continue
        pieces = list(settled.get(asset, []))
        direct = total - sum(part for _, part in pieces)
        if direct:
            pieces.append((attr, direct))
        received_parts[asset] = [p for p in pieces if p[1] > 0] or pieces
        for part_attr, part in pieces:
            flows.append(Flow(at, entry.id, FlowKind.RECEIVED, asset, part, part_attr))
    return _Effect(flows, pushed, consumed, received_parts)


def _undo(queues: _Queues, entry: _Entry, original: _Effect) -> _Effect:
    for key, amount in original.pushed:
        queues.remove_source(key, _source_of(original), amount)
    for key, parts in original.consumed:
        queues.push_front(key, [p for p in parts if p[2]])
    flows = [
        Flow(
            entry.effective_at,
            entry.id,
            flow.kind,
            flow.asset,
            -flow.amount,
            flow.attr,
            flow.recipient,
        )
        for flow in original.flows
    ]
    received_parts = {
        asset: [(attr, -amount) for attr, amount in parts]
        for asset, parts in original.received_parts.items()
    }
    return _Effect(flows, [], [], received_parts)


def _source_of(effect: _Effect) -> int:
    return effect.flows[0].entry_id if effect.flows else 0
