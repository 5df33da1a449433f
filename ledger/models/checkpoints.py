"""Published checkpoints: the Merkle root over the public ledger's records at a moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base, utcnow


class Checkpoint(Base):
    """The root over the first ``tree_size`` public records (docs/checkpoints.md)."""

    __tablename__ = "checkpoint"
    __table_args__ = (
        CheckConstraint("tree_size >= 0", name="size_nonnegative"),
        CheckConstraint("length(root) = 64", name="root_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))  # hex SHA-256
