"""Exchange rates: what one whole unit of an asset was worth in KZT or USD, and from when.

Rates are only ever used to convert a report; the journal itself is never converted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, utcnow
from ledger.models.journal import Asset


class ExchangeRate(Base):
    """1 whole ``base`` = ``rate`` whole ``quote`` from ``observed_at`` on (until a later one).

    ``rate`` is an exact decimal (``470.25``) or a ratio of two (``1/470.25``), as text, so no
    digit is lost to a float or a fixed scale.
    """

    __tablename__ = "exchange_rate"
    __table_args__ = (
        UniqueConstraint("base_asset_id", "quote_asset_id", "observed_at"),
        CheckConstraint("base_asset_id <> quote_asset_id", name="two_assets"),
        Index("ix_exchange_rate_lookup", "quote_asset_id", "base_asset_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    quote_asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id"))
    rate: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    observed_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    base: Mapped[Asset] = relationship(foreign_keys=[base_asset_id], lazy="joined")
    quote: Mapped[Asset] = relationship(foreign_keys=[quote_asset_id], lazy="joined")
