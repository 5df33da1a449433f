"""How often each artwork's QR code was scanned, per day: a count and nothing else.

A visitor may be living with someone who watches them, so nothing about who scanned is kept:
no IP address, no user agent, no cookie, no time finer than the day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base


class ScanCount(Base):
    __tablename__ = "scan_count"
    __table_args__ = (CheckConstraint("count >= 1", name="positive"),)

    artwork_id: Mapped[int] = mapped_column(
        ForeignKey("artwork.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # in the reports time zone
    count: Mapped[int] = mapped_column(Integer)
