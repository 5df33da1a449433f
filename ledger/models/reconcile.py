"""The reconciliation inbox: one item per journal entry that came from outside (a chain event,
an imported row, a manual entry), with its state and what it was matched to.

The item row holds the current state; every change of state is also appended to
``reconcile_event`` (append-only: the database refuses UPDATE and DELETE), so the history of an
item can always be read back. Allowed changes are in ``RECONCILE_TRANSITIONS``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base, str_enum, utcnow


class ItemSource(enum.StrEnum):
    CHAIN = "chain"  # booked by the chain sync (chain-log or chain-tx evidence)
    IMPORT = "import"  # a row of an imported file
    MANUAL = "manual"  # entered by an organiser (cash sale, pledge, bank disbursement)


class ItemState(enum.StrEnum):
    PENDING = "pending"
    MATCHED = "matched"
    FAILED = "failed"
    IGNORED = "ignored"
    ON_HOLD = "on_hold"


class FailReason(enum.StrEnum):
    """Why an item failed: a fixed list, so failures can be counted and filtered."""

    AMOUNT_MISMATCH = "amount_mismatch"  # the money that arrived differs from what was expected
    ASSET_MISMATCH = "asset_mismatch"  # another token or currency than expected
    UNKNOWN_COUNTERPARTY = "unknown_counterparty"  # from or to an address nobody can name
    DUPLICATE = "duplicate"  # the same fact recorded twice
    NOT_RECEIVED = "not_received"  # recorded, but the money never arrived
    WRONG_RECIPIENT = "wrong_recipient"  # paid to someone it was not owed to
    MISSING_EVIDENCE = "missing_evidence"  # no document or reference backs it


class MatchKind(enum.StrEnum):
    """What a matched item was matched to (``match_ref`` names it)."""

    EVIDENCE = "evidence"  # its own evidence suffices: a sale read from the chain log
    DISBURSEMENT = "disbursement"  # a recorded payout (a chain transfer or a bank statement line)
    PAYABLE = "payable"  # unexplained outflow reclassified as a payout to a beneficiary
    PLEDGE = "pledge"  # unexplained inflow applied to an open pledge (a receivable)
    CONFIRMED = "confirmed"  # an organiser confirmed it against the bank or exchange account


# The only state changes an item may make (matched goes back to pending by an undo).
RECONCILE_TRANSITIONS: dict[ItemState, frozenset[ItemState]] = {
    ItemState.PENDING: frozenset(
        {ItemState.MATCHED, ItemState.FAILED, ItemState.IGNORED, ItemState.ON_HOLD}
    ),
    ItemState.ON_HOLD: frozenset(
        {ItemState.PENDING, ItemState.MATCHED, ItemState.FAILED, ItemState.IGNORED}
    ),
    ItemState.FAILED: frozenset(
        {ItemState.PENDING, ItemState.MATCHED, ItemState.IGNORED, ItemState.ON_HOLD}
    ),
    ItemState.IGNORED: frozenset({ItemState.PENDING}),
    ItemState.MATCHED: frozenset({ItemState.PENDING}),
}


class ReconcileItem(Base):
    __tablename__ = "reconcile_item"
    __table_args__ = (
        CheckConstraint("(state = 'failed') = (reason IS NOT NULL)", name="failed_has_reason"),
        CheckConstraint("(state = 'matched') = (match_kind IS NOT NULL)", name="matched_has_kind"),
        CheckConstraint(
            "match_entry_id IS NULL OR state = 'matched'", name="match_entry_only_when_matched"
        ),
        Index("ix_reconcile_item_state_source", "state", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), unique=True)
    source: Mapped[ItemSource] = mapped_column(str_enum(ItemSource, "reconcile_source"))
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState, "reconcile_state"))
    reason: Mapped[FailReason | None] = mapped_column(str_enum(FailReason, "reconcile_reason"))
    match_kind: Mapped[MatchKind | None] = mapped_column(str_enum(MatchKind, "reconcile_match"))
    match_ref: Mapped[str | None] = mapped_column(String(200))
    # The entry a match posted (a reclassification); an undo reverses it.
    match_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReconcileEvent(Base):
    """One change of an item's state, appended and never changed (who by user id and door)."""

    __tablename__ = "reconcile_event"
    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("reconcile_item.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per item
    at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16))  # console, cli, auto
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_user.id"))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    match_kind: Mapped[str | None] = mapped_column(String(32))
    match_ref: Mapped[str | None] = mapped_column(String(200))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))


class ImportMapping(Base):
    """A column mapping saved from the console (shipped mappings live in the package)."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    toml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
