"""Versioned split rules: the one source of truth for how received proceeds are shared.

A rule applies to a scope (the whole initiative, a collection, an artwork or an edition) from
its effective date; a new version is a new row, so past allocations never change.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, str_enum, utcnow

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
