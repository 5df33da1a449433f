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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import PAYABLE_PREFIX, RECEIVABLE_PREFIX, is_proceeds_account
from ledger.models import JournalEntry, RoutingRecord
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


def iter_flows(session: Session, *, until: datetime | None = None) -> Iterator[Flow]:
    """Yield every flow of the journal in (effective date, entry id) order."""
    records = {r.entry_id: r for r in session.scalars(select(RoutingRecord))}
    receipt_of_routing = {
        r.routing_entry_id: r.entry_id for r in records.values() if r.routing_entry_id
    }
    query = select(JournalEntry)
    if until is not None:
        query = query.where(JournalEntry.effective_at < until)
    # A routing entry is taken right after its receipt (the sync posts a batch's receipts
    # first and routes them after, so ids alone would put a later payout before them).
    entries = sorted(
        session.scalars(query),
        key=lambda e: (
            e.effective_at,
            receipt_of_routing.get(e.id, e.id),
            e.id in receipt_of_routing,
            e.id,
        ),
    )
    queues = _Queues()
    effects: dict[int, _Effect] = {}
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
        yield from effect.flows


def _apply(
    queues: _Queues,
    entry: JournalEntry,
    attr: Attr,
    receipt_parts: dict[str, list[Part]] | None,
) -> _Effect:
    at = entry.effective_at
    flows: list[Flow] = []
    pushed: list[tuple[QueueKey, int]] = []
    consumed: list[tuple[QueueKey, list[tuple[Attr, int, int]]]] = []
    settled: dict[str, list[Part]] = defaultdict(list)
    received: dict[str, int] = defaultdict(int)
    for posting in entry.postings:
        account, asset, amount = posting.account.name, posting.asset.code, posting.amount
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


def _undo(queues: _Queues, entry: JournalEntry, original: _Effect) -> _Effect:
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
