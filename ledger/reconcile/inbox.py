"""The reconciliation inbox: every entry that came from outside, until someone vouches for it.

One item per journal entry from a source (a chain event booked by the sync, an imported row, a
manual entry); routing entries, reversals and the inbox's own entries are bookkeeping, not
items. An item is pending, matched, failed (with a reason from ``FailReason``), ignored or on
hold; ``RECONCILE_TRANSITIONS`` says which changes are allowed and every change is appended to
``reconcile_event``.

Matching (docs/reconciliation.md):

- automatic, where the evidence is unambiguous: an entry read from the chain log that touches
  no suspense account is matched to its own evidence; a chain payout to a beneficiary wallet is
  matched to the Disbursement the routing recorded for it; a bank statement line matches a
  recorded bank disbursement with the same reference, beneficiary, asset and amount;
- suggested otherwise: money that left a wallet for an address the ledger does not know (held
  in suspense) is offered the beneficiaries it could have paid, money that came in from one is
  offered the open pledges it could settle, ranked by amount, then date. Accepting such a
  suggestion posts a reclassifying entry (``reconcile:<item>:<n>``); undoing the match reverses
  that entry, so the journal stays append-only and the balances return to what they were;
- anything else (an imported sale, a cash sale) is matched by confirming it.

Functions take a Session, add and flush, and never commit.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ledger.accounts import (
    PAYABLE_PREFIX,
    RECEIVABLE_PREFIX,
    is_holding_account,
    payable_account,
)
from ledger.audit import Actor, record_change
from ledger.errors import LedgerError, NotFoundError
from ledger.journal import (
    EntrySpec,
    PostingSpec,
    get_balance,
    open_account,
    post_entry,
    reverse_entry,
)
from ledger.models import (
    RECONCILE_TRANSITIONS,
    Account,
    Asset,
    Beneficiary,
    Disbursement,
    DisbursementMethod,
    EvidenceKind,
    FailReason,
    ItemSource,
    ItemState,
    JournalEntry,
    MatchKind,
    Posting,
    ReconcileEvent,
    ReconcileItem,
    RoutingRecord,
)
from ledger.routing.attribute import Attribution
from ledger.routing.route import ROUTE_PREFIX, record_attribution, route_pending

RECONCILE_PREFIX = "reconcile:"
SUSPENSE_PREFIX = "Liabilities:Suspense:"
AUTO = Actor(name="auto", via="auto")


class ReconcileError(LedgerError):
    """An inbox action cannot be done (a state change not allowed, no counterpart to match)."""


class Action(enum.StrEnum):
    """What the bulk form can do to a selection."""

    MATCH = "match"
    UNMATCH = "unmatch"
    IGNORE = "ignore"
    HOLD = "hold"
    REOPEN = "reopen"
    FAIL = "fail"


@dataclass(frozen=True)
class Candidate:
    """A suggested counterpart for an item; ``rank`` sorts best first (exact amount first)."""

    kind: MatchKind
    ref: str  # "beneficiary:<key>", "pledge:<entry id>"
    label: str
    asset: str
    amount: int  # what the counterpart has open (outstanding payable, open pledge)
    is_exact: bool
    rank: tuple[int, int, float, str] = (0, 0, 0.0, "")


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ItemFilter:
    state: ItemState | None = None
    source: ItemSource | None = None
    artwork_id: int | None = None
    beneficiary_id: int | None = None


# ------------------------------------------------------------------------ collecting items


def classify_source(entry: JournalEntry) -> ItemSource | None:
    """Return where an entry came from, or None for bookkeeping that is not an item."""
    key = entry.idempotency_key
    if key.startswith((ROUTE_PREFIX, RECONCILE_PREFIX)) or entry.reverses_entry_id is not None:
        return None
    if entry.evidence_kind in (EvidenceKind.CHAIN_LOG, EvidenceKind.CHAIN_TX):
        return ItemSource.CHAIN
    if entry.evidence_kind == EvidenceKind.IMPORT_ROW or key.startswith("import:"):
        return ItemSource.IMPORT
    return ItemSource.MANUAL


def _append_event(
    session: Session,
    item: ReconcileItem,
    actor: Actor,
    before: ItemState | None,
    *,
    entry_id: int | None = None,
) -> None:
    seq = (
        session.scalar(
            select(func.coalesce(func.max(ReconcileEvent.seq), 0)).where(
                ReconcileEvent.item_id == item.id
            )
        )
        or 0
    ) + 1
    session.add(
        ReconcileEvent(
            item_id=item.id,
            seq=seq,
            via=actor.via,
            user_id=actor.user_id,
            from_state=before.value if before else None,
            to_state=item.state.value,
            reason=item.reason.value if item.reason else None,
            match_kind=item.match_kind.value if item.match_kind else None,
            match_ref=item.match_ref,
            entry_id=entry_id,
        )
    )
    session.flush()


def collect_items(
    session: Session,
    *,
    after_entry_id: int | None = None,
    source: ItemSource | None = None,
) -> list[ReconcileItem]:
    """Add an item for every entry from a source that has none yet, matching the unambiguous.

    ``source`` overrides the classification (an import that records bank disbursements posts
    entries with the statement as a document). Returns the new items. Idempotent.
    """
    query = (
        select(JournalEntry)
        .where(~exists().where(ReconcileItem.entry_id == JournalEntry.id))
        .order_by(JournalEntry.id)
    )
    if after_entry_id is not None:
        query = query.where(JournalEntry.id > after_entry_id)
    new: list[ReconcileItem] = []
    for entry in session.scalars(query):
        found = classify_source(entry)
        if found is None:
            continue
        item = ReconcileItem(
            entry_id=entry.id,
            source=source or found,
            state=ItemState.PENDING,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
        session.add(item)
        session.flush()
        _append_event(session, item, AUTO, None)
        new.append(item)
    for item in new:
        auto_match(session, item)
    return new


def count_uncollected(session: Session) -> int:
    """How many entries from a source are not in the inbox yet (for the inbox's notice)."""
    candidates = session.scalars(
        select(JournalEntry)
        .where(
            ~exists().where(ReconcileItem.entry_id == JournalEntry.id),
            ~JournalEntry.idempotency_key.startswith(ROUTE_PREFIX),
            ~JournalEntry.idempotency_key.startswith(RECONCILE_PREFIX),
            JournalEntry.reverses_entry_id.is_(None),
        )
        .limit(1000)
    )
    return sum(1 for e in candidates if classify_source(e) is not None)


def _suspense_legs(entry: JournalEntry) -> dict[str, int]:
    legs: dict[str, int] = defaultdict(int)
    for p in entry.postings:
        if p.account.name.startswith(SUSPENSE_PREFIX):
            legs[p.asset.code] += p.amount
    return {asset: amount for asset, amount in legs.items() if amount}


def _disbursement_of(session: Session, entry_id: int) -> Disbursement | None:
    return session.scalars(
        select(Disbursement).where(Disbursement.entry_id == entry_id).order_by(Disbursement.id)
    ).first()


def auto_match(session: Session, item: ReconcileItem) -> bool:
    """Match ``item`` when its evidence alone is unambiguous; return whether it was."""
    if item.state != ItemState.PENDING:
        return False
    entry = _entry(session, item)
    if item.source != ItemSource.CHAIN or _suspense_legs(entry):
        return False
    payout = _disbursement_of(session, entry.id)
    if payout is not None:
        _set_matched(session, item, AUTO, MatchKind.DISBURSEMENT, f"disbursement:{payout.id}")
    else:
        _set_matched(session, item, AUTO, MatchKind.EVIDENCE, f"tx:{entry.tx_hash}")
    return True


# ------------------------------------------------------------------------ reading the inbox


def _entry(session: Session, item: ReconcileItem) -> JournalEntry:
    entry = session.get(JournalEntry, item.entry_id)
    assert entry is not None
    return entry


def get_item(session: Session, item_id: int) -> ReconcileItem:
    """Raises NotFoundError."""
    item = session.get(ReconcileItem, item_id)
    if item is None:
        raise NotFoundError(f"no reconciliation item {item_id}")
    return item


def list_items(
    session: Session, filters: ItemFilter = ItemFilter(), *, limit: int = 200
) -> list[tuple[ReconcileItem, JournalEntry]]:
    """The inbox, oldest entry first, filtered by state, source, artwork and beneficiary."""
    query = select(ReconcileItem, JournalEntry).join(
        JournalEntry, ReconcileItem.entry_id == JournalEntry.id
    )
    if filters.state is not None:
        query = query.where(ReconcileItem.state == filters.state)
    if filters.source is not None:
        query = query.where(ReconcileItem.source == filters.source)
    if filters.artwork_id is not None:
        query = query.where(
            ReconcileItem.entry_id.in_(
                select(RoutingRecord.entry_id).where(RoutingRecord.artwork_id == filters.artwork_id)
            )
        )
    if filters.beneficiary_id is not None:
        touching = (
            select(Posting.entry_id)
            .join(Account, Posting.account_id == Account.id)
            .where(Account.beneficiary_id == filters.beneficiary_id)
        )
        query = query.where(
            or_(
                ReconcileItem.entry_id.in_(touching),
                ReconcileItem.match_entry_id.in_(touching),
                ReconcileItem.entry_id.in_(
                    select(RoutingRecord.entry_id).where(
                        RoutingRecord.routing_entry_id.in_(touching)
                    )
                ),
            )
        )
    query = query.order_by(JournalEntry.effective_at, JournalEntry.id).limit(limit)
    return [(item, entry) for item, entry in session.execute(query)]


def count_by_state(session: Session) -> dict[ItemState, int]:
    rows = session.execute(select(ReconcileItem.state, func.count()).group_by(ReconcileItem.state))
    counts = dict.fromkeys(ItemState, 0)
    counts.update({state: n for state, n in rows})
    return counts


def get_history(session: Session, item: ReconcileItem) -> list[ReconcileEvent]:
    return list(
        session.scalars(
            select(ReconcileEvent)
            .where(ReconcileEvent.item_id == item.id)
            .order_by(ReconcileEvent.seq)
        )
    )


def compute_legs(entry: JournalEntry) -> list[tuple[str, str, int]]:
    """The legs worth showing for an item: holding, suspense, receivable and payable accounts."""
    return [
        (p.account.name, p.asset.code, p.amount)
        for p in entry.postings
        if is_holding_account(p.account.name)
        or p.account.name.startswith((SUSPENSE_PREFIX, RECEIVABLE_PREFIX, PAYABLE_PREFIX))
    ]


# ------------------------------------------------------------------------ suggestions


def _open_pledges(session: Session, asset: str) -> list[tuple[JournalEntry, str, int]]:
    """Open pledge entries in ``asset``: (entry, receivable account, open amount), FIFO."""
    rows = session.execute(
        select(Account.name, Posting.amount, JournalEntry)
        .join(Posting.account)
        .join(Posting.asset)
        .join(Posting.entry)
        .where(Account.name.startswith(RECEIVABLE_PREFIX), Asset.code == asset)
        .order_by(JournalEntry.effective_at, JournalEntry.id)
    )
    accruals: dict[str, list[tuple[JournalEntry, int]]] = defaultdict(list)
    settled: dict[str, int] = defaultdict(int)
    for account, amount, entry in rows:
        if amount > 0:
            accruals[account].append((entry, amount))
        else:
            settled[account] -= amount
    out = []
    for account, items in sorted(accruals.items()):
        left = settled[account]
        for entry, amount in items:
            used = min(left, amount)
            left -= used
            if amount - used > 0:
                out.append((entry, account, amount - used))
    return out


def compute_suggestions(session: Session, item: ReconcileItem) -> list[Candidate]:
    """Ranked counterparts for an item held in suspense (best first); empty for the others."""
    entry = _entry(session, item)
    out: list[Candidate] = []
    for asset, amount in sorted(_suspense_legs(entry).items()):
        if amount > 0:  # left a wallet for an unknown address: a payout to a beneficiary?
            for beneficiary in session.scalars(select(Beneficiary).order_by(Beneficiary.key)):
                outstanding = -get_balance(session, payable_account(beneficiary.key), asset)
                if outstanding < amount:
                    continue
                exact = outstanding == amount
                out.append(
                    Candidate(
                        MatchKind.PAYABLE,
                        f"beneficiary:{beneficiary.key}",
                        f"payout to {beneficiary.key} ({outstanding} {asset} outstanding)",
                        asset,
                        outstanding,
                        exact,
                        (0 if exact else 1, outstanding - amount, 0.0, beneficiary.key),
                    )
                )
        else:  # came in from an unknown address: a pledge being paid?
            for pledge, account, open_amount in _open_pledges(session, asset):
                if open_amount < -amount:
                    continue
                exact = open_amount == -amount
                days = abs((entry.effective_at - pledge.effective_at).total_seconds()) / 86400
                out.append(
                    Candidate(
                        MatchKind.PLEDGE,
                        f"pledge:{pledge.id}",
                        f"pledge {pledge.id} of {pledge.effective_at:%Y-%m-%d} "
                        f"({open_amount} {asset} open on {account})",
                        asset,
                        open_amount,
                        exact,
                        (0 if exact else 1, open_amount + amount, days, str(pledge.id)),
                    )
                )
    return sorted(out, key=lambda c: c.rank)


# ------------------------------------------------------------------------ changing state


def _check_transition(item: ReconcileItem, to: ItemState) -> None:
    if to not in RECONCILE_TRANSITIONS[item.state]:
        raise ReconcileError(f"item {item.id} is {item.state.value}: it cannot become {to.value}")


def _snapshot(item: ReconcileItem) -> dict[str, object]:
    return {
        "state": item.state,
        "reason": item.reason,
        "match_kind": item.match_kind,
        "match_ref": item.match_ref,
        "match_entry_id": item.match_entry_id,
    }


def _set_matched(
    session: Session,
    item: ReconcileItem,
    actor: Actor,
    kind: MatchKind,
    ref: str,
    match_entry_id: int | None = None,
) -> None:
    _check_transition(item, ItemState.MATCHED)
    before = item.state
    item.state = ItemState.MATCHED
    item.reason = None
    item.match_kind = kind
    item.match_ref = ref[:200]
    item.match_entry_id = match_entry_id
    item.updated_at = datetime.now(UTC)
    session.flush()
    _append_event(session, item, actor, before, entry_id=match_entry_id)


def _audit(
    session: Session, actor: Actor, action: str, item: ReconcileItem, before: dict[str, object]
) -> None:
    if actor.via == AUTO.via:
        return
    record_change(
        session,
        actor,
        f"reconcile.{action}",
        "reconcile_item",
        item.id,
        summary=f"{action} item {item.id} (entry {item.entry_id}): {item.state.value}",
        before=before,
        after=_snapshot(item),
    )


def _match_key(session: Session, item: ReconcileItem) -> str:
    posted = session.scalar(
        select(func.count()).where(
            ReconcileEvent.item_id == item.id,
            ReconcileEvent.to_state == ItemState.MATCHED.value,
            ReconcileEvent.entry_id.is_not(None),
        )
    )
    return f"{RECONCILE_PREFIX}{item.id}:{(posted or 0) + 1}"


def _post_payable_match(
    session: Session, item: ReconcileItem, entry: JournalEntry, candidate: Candidate, at: datetime
) -> JournalEntry:
    key = candidate.ref.split(":", 1)[1]
    beneficiary = session.scalars(select(Beneficiary).where(Beneficiary.key == key)).one()
    amount = _suspense_legs(entry)[candidate.asset]
    suspense = next(
        p.account.name
        for p in entry.postings
        if p.account.name.startswith(SUSPENSE_PREFIX) and p.asset.code == candidate.asset
    )
    payable = payable_account(beneficiary.key)
    open_account(session, payable, beneficiary_id=beneficiary.id)
    posted = post_entry(
        session,
        EntrySpec(
            idempotency_key=_match_key(session, item),
            effective_at=entry.effective_at,
            description=(
                f"Reconciled: the transfer of entry {entry.id} was a payout to beneficiary "
                f"{beneficiary.key}"
            ),
            postings=[
                PostingSpec(payable, candidate.asset, amount),
                PostingSpec(suspense, candidate.asset, -amount),
            ],
        ),
    )
    asset_id = session.scalars(select(Asset.id).where(Asset.code == candidate.asset)).one()
    session.add(
        Disbursement(
            entry_id=posted.id,
            beneficiary_id=beneficiary.id,
            asset_id=asset_id,
            amount=amount,
            method=DisbursementMethod.CHAIN,
            reference=entry.tx_hash,
        )
    )
    session.flush()
    return posted


def _post_pledge_match(
    session: Session, item: ReconcileItem, entry: JournalEntry, candidate: Candidate
) -> JournalEntry:
    pledge_id = int(candidate.ref.split(":", 1)[1])
    pledge = session.get(JournalEntry, pledge_id)
    assert pledge is not None
    amount = -_suspense_legs(entry)[candidate.asset]
    suspense = next(
        p.account.name
        for p in entry.postings
        if p.account.name.startswith(SUSPENSE_PREFIX) and p.asset.code == candidate.asset
    )
    receivable = next(
        p.account.name
        for p in pledge.postings
        if p.account.name.startswith(RECEIVABLE_PREFIX) and p.asset.code == candidate.asset
    )
    posted = post_entry(
        session,
        EntrySpec(
            idempotency_key=_match_key(session, item),
            effective_at=entry.effective_at,
            description=f"Reconciled: the transfer of entry {entry.id} paid pledge {pledge.id}",
            postings=[
                PostingSpec(suspense, candidate.asset, amount),
                PostingSpec(receivable, candidate.asset, -amount),
            ],
            person_id=pledge.person_id,
        ),
    )
    # What the settlement received is routed like the pledge it pays (same artwork, channel).
    record = session.scalars(
        select(RoutingRecord).where(RoutingRecord.entry_id == pledge.id)
    ).one_or_none()
    attribution = (
        Attribution(record.channel, record.collection_id, record.artwork_id, record.edition_id)
        if record
        else Attribution(None)
    )
    record_attribution(session, posted, attribution)
    route_pending(session)  # unbounded: the new entry already has its (pending) record
    return posted


def match_item(
    session: Session,
    item: ReconcileItem,
    actor: Actor,
    *,
    candidate_ref: str | None = None,
    at: datetime | None = None,
) -> ReconcileItem:
    """Match ``item``: to the named candidate, else to its only exact candidate, else confirm.

    An item held in suspense needs a counterpart: a named one (``candidate_ref``) or exactly one
    exact candidate. Raises ReconcileError when there is none, or the state forbids it.
    """
    _check_transition(item, ItemState.MATCHED)
    before = _snapshot(item)
    entry = _entry(session, item)
    now = at or datetime.now(UTC)
    if _suspense_legs(entry):
        candidates = compute_suggestions(session, item)
        if candidate_ref is not None:
            chosen = [c for c in candidates if c.ref == candidate_ref]
            if not chosen:
                raise ReconcileError(f"item {item.id}: {candidate_ref} is not a counterpart of it")
        else:
            chosen = [c for c in candidates if c.is_exact]
            if len(chosen) != 1:
                raise ReconcileError(
                    f"item {item.id}: no single exact counterpart; choose one of its suggestions"
                )
        candidate = chosen[0]
        if candidate.kind == MatchKind.PAYABLE:
            posted = _post_payable_match(session, item, entry, candidate, now)
        else:
            posted = _post_pledge_match(session, item, entry, candidate)
        _set_matched(session, item, actor, candidate.kind, candidate.ref, posted.id)
    else:
        payout = _disbursement_of(session, entry.id)
        if payout is not None:
            _set_matched(session, item, actor, MatchKind.DISBURSEMENT, f"disbursement:{payout.id}")
        else:
            _set_matched(session, item, actor, MatchKind.CONFIRMED, f"confirmed by {actor.via}")
    _audit(session, actor, "match", item, before)
    return item


def unmatch_item(
    session: Session, item: ReconcileItem, actor: Actor, *, at: datetime | None = None
) -> ReconcileItem:
    """Undo a match: reverse the entry it posted (if any) and put the item back to pending.

    Raises ReconcileError when the item is not matched.
    """
    _check_transition(item, ItemState.PENDING)
    if item.state != ItemState.MATCHED:
        raise ReconcileError(f"item {item.id} is {item.state.value}, not matched")
    before = _snapshot(item)
    reversal_id = None
    if item.match_entry_id is not None:
        reversal = reverse_entry(
            session,
            item.match_entry_id,
            effective_at=at or datetime.now(UTC),
            description=f"Match of reconciliation item {item.id} undone",
        )
        reversal_id = reversal.id
        # The payout the match recorded stays, as the journal keeps both entries: the public
        # ledger lists it with its correction (the reversal), nothing is deleted.
        route_pending(session)
    previous = item.state
    item.state = ItemState.PENDING
    item.match_kind = None
    item.match_ref = None
    item.match_entry_id = None
    item.updated_at = datetime.now(UTC)
    session.flush()
    _append_event(session, item, actor, previous, entry_id=reversal_id)
    _audit(session, actor, "unmatch", item, before)
    return item


def set_state(
    session: Session,
    item: ReconcileItem,
    state: ItemState,
    actor: Actor,
    *,
    reason: FailReason | None = None,
) -> ReconcileItem:
    """Ignore, hold, fail (with a reason) or reopen an item; matching has its own functions.

    Raises ReconcileError for a change the transition table forbids, a failure without a
    reason, or a matched item (undo the match first).
    """
    if state == ItemState.MATCHED or item.state == ItemState.MATCHED:
        raise ReconcileError(
            f"item {item.id}: use match or undo match"
            if state == ItemState.MATCHED
            else f"item {item.id} is matched: undo the match first"
        )
    if (state == ItemState.FAILED) != (reason is not None):
        raise ReconcileError("a failed item needs a reason, and only a failed one")
    if state == item.state and reason == item.reason:
        return item
    _check_transition(item, state)
    before = _snapshot(item)
    previous = item.state
    item.state = state
    item.reason = reason
    item.updated_at = datetime.now(UTC)
    session.flush()
    _append_event(session, item, actor, previous)
    _audit(session, actor, state.value, item, before)
    return item


def apply_bulk(
    session: Session,
    item_ids: Iterable[int],
    action: Action,
    actor: Actor,
    *,
    reason: FailReason | None = None,
) -> BulkResult:
    """Apply ``action`` to every selected item; report which were done and why others not.

    Items refused (a state that forbids it, no single exact counterpart) are left as they were;
    the others are changed in the caller's transaction.
    """
    result = BulkResult()
    for item_id in sorted(set(item_ids)):
        try:
            item = get_item(session, item_id)
            with session.begin_nested():
                if action == Action.MATCH:
                    match_item(session, item, actor)
                elif action == Action.UNMATCH:
                    unmatch_item(session, item, actor)
                elif action == Action.IGNORE:
                    set_state(session, item, ItemState.IGNORED, actor)
                elif action == Action.HOLD:
                    set_state(session, item, ItemState.ON_HOLD, actor)
                elif action == Action.REOPEN:
                    set_state(session, item, ItemState.PENDING, actor)
                else:
                    set_state(session, item, ItemState.FAILED, actor, reason=reason)
        except LedgerError as exc:
            result.refused.append((item_id, str(exc)))
        else:
            result.done.append(item_id)
    return result


# ------------------------------------------------------------------------ bank statements


def match_statement_lines(
    session: Session,
    lines: Sequence[tuple[int, str, str, str, int]],
    statement_sha256: str,
    *,
    actor: Actor = AUTO,
) -> int:
    """Match recorded bank disbursements to statement lines by reference and amount.

    ``lines`` are (row, beneficiary key or bank reference, asset, bank reference, amount).
    Returns how many items were matched.
    """
    collect_items(session)
    matched = 0
    for row, who, asset, reference, amount in lines:
        payout = session.scalars(
            select(Disbursement)
            .join(Beneficiary, Disbursement.beneficiary_id == Beneficiary.id)
            .join(Asset, Disbursement.asset_id == Asset.id)
            .where(
                Disbursement.method == DisbursementMethod.BANK,
                Disbursement.reference == reference,
                Disbursement.amount == amount,
                Asset.code == asset,
                or_(Beneficiary.key == who, Beneficiary.bank_reference == who),
            )
        ).first()
        if payout is None:
            continue
        item = session.scalars(
            select(ReconcileItem).where(ReconcileItem.entry_id == payout.entry_id)
        ).one_or_none()
        if item is None or item.state == ItemState.MATCHED:
            continue
        if ItemState.MATCHED not in RECONCILE_TRANSITIONS[item.state]:
            continue  # ignored: an organiser decided; leave it
        before = _snapshot(item)
        _set_matched(
            session,
            item,
            actor,
            MatchKind.DISBURSEMENT,
            f"statement:{statement_sha256[:16]}:row {row}",
        )
        _audit(session, actor, "match", item, before)
        matched += 1
    return matched
