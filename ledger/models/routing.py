"""Versioned split rules: the one source of truth for how received proceeds are shared.

A rule applies to a scope (the whole initiative, a collection, an artwork or an edition) from
its effective date; a new version is a new row, so past allocations never change.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, str_enum, utcnow
from ledger.types import Amount

BPS_TOTAL = 10_000


class RuleScope(enum.StrEnum):
    INITIATIVE = "initiative"
    COLLECTION = "collection"
    ARTWORK = "artwork"
    EDITION = "edition"


class SplitRule(Base):
    __tablename__ = "split_rule"
    __table_args__ = (
        UniqueConstraint("scope", "scope_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "(scope = 'initiative') = (scope_id IS NULL)", name="scope_id_matches_scope"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[RuleScope] = mapped_column(str_enum(RuleScope, "rule_scope"))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column()
    remainder_beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shares: Mapped[list[SplitShare]] = relationship(
        back_populates="rule", order_by="SplitShare.id", lazy="selectin"
    )


class SplitShare(Base):
    __tablename__ = "split_share"
    __table_args__ = (
        CheckConstraint("bps > 0 AND bps <= 10000", name="bps_range"),
        CheckConstraint("(beneficiary_id IS NULL) <> (artist_id IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("split_rule.id"))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"))
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artist.id"))
    bps: Mapped[int] = mapped_column(Integer)

    rule: Mapped[SplitRule] = relationship(back_populates="shares")


class RoutingStatus(enum.StrEnum):
    """What the routing pass made of a journal entry that touches proceeds accounts."""

    PENDING = "pending"  # not examined yet (an import or manual entry records it first)
    ROUTED = "routed"  # received proceeds, allocated by ``routing_entry_id`` under ``rule_id``
    NOTHING_RECEIVED = "nothing_received"  # an accrual, a pledge, a fee: nothing to allocate
    NO_RULE = "no_rule"  # received, but no split rule was in force at its date
    REVERSED = "reversed"  # the entry was reversed; so was its allocation, if any
    REVERSAL = "reversal"  # the entry reverses another (whose allocation was reversed with it)


# The only status changes a routing record may make.
ROUTING_TRANSITIONS: dict[RoutingStatus, frozenset[RoutingStatus]] = {
    RoutingStatus.PENDING: frozenset(set(RoutingStatus) - {RoutingStatus.PENDING}),
    RoutingStatus.NO_RULE: frozenset(
        {RoutingStatus.ROUTED, RoutingStatus.REVERSED, RoutingStatus.NO_RULE}
    ),
    RoutingStatus.ROUTED: frozenset({RoutingStatus.REVERSED}),
    RoutingStatus.NOTHING_RECEIVED: frozenset({RoutingStatus.REVERSED}),
    RoutingStatus.REVERSED: frozenset(),
    RoutingStatus.REVERSAL: frozenset(),
}


class RoutingRecord(Base):
    """Which artwork, edition and channel a journal entry is about, and how it was routed.

    One row per entry that touches a proceeds account (income, receivable, marketplace fee).
    Chain entries are attributed from their raw log (Trade or fill: collection and token id);
    imports and manual entries are attributed when they are posted. The journal stays the
    record of money; this row is the link from money to the catalogue and to its allocation.
    """

    __tablename__ = "routing_record"
    __table_args__ = (
        CheckConstraint(
            "(status = 'routed') = (routing_entry_id IS NOT NULL AND rule_id IS NOT NULL)"
            " OR (status = 'reversed' AND routing_entry_id IS NOT NULL)",
            name="routed_has_entry",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), unique=True)
    status: Mapped[RoutingStatus] = mapped_column(str_enum(RoutingStatus, "routing_status"))
    channel: Mapped[str | None] = mapped_column(String(64))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"))
    artwork_id: Mapped[int | None] = mapped_column(ForeignKey("artwork.id"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("nft_edition.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("split_rule.id"))
    routing_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entry.id"), unique=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DisbursementMethod(enum.StrEnum):
    CHAIN = "chain"  # a token or native transfer from an initiative wallet to a payout wallet
    BANK = "bank"  # a bank transfer: a bank reference and an attached document


class Disbursement(Base):
    """A payout to a beneficiary: the journal entry that moved payable to paid, and its proof."""

    __tablename__ = "disbursement"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive"),
        CheckConstraint(
            "method <> 'bank' OR (reference IS NOT NULL AND document_sha256 IS NOT NULL)",
            name="bank_has_proof",
        ),
        UniqueConstraint("entry_id", "beneficiary_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    amount: Mapped[int] = mapped_column(Amount())
    method: Mapped[DisbursementMethod] = mapped_column(
        str_enum(DisbursementMethod, "disbursement_method")
    )
    # Bank reference, or the transaction hash of a chain transfer.
    reference: Mapped[str | None] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BeneficiaryUpdate(Base):
    """A beneficiary's report back: what the money was used for, with a document."""

    __tablename__ = "beneficiary_update"
    __table_args__ = (CheckConstraint("language IN ('kk', 'ru', 'en')", name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(String(1000))
    used_for: Mapped[str] = mapped_column(String(300))
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("document.sha256"))
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
