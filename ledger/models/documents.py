"""Attached documents (bank statements, receipts, beneficiaries' reports), by SHA-256.

The bytes live in a configurable directory (``[paths] documents``); the row says what the file
is. A document is never changed: the same bytes always have the same name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base, utcnow


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_len"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
