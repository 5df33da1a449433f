"""Change stamps: counters bumped in the same transaction as a change, so a cache keyed by
them can never serve what the change replaced.

``public`` counts flushes that touched anything the public pages show: new journal entries,
catalogue texts edited in place, artworks, stories and their consent, editions,
beneficiaries, hotlines, exchange rates, and routing records or payouts changed after they were
written. The bump is an ORM ``after_flush`` hook on every Session, so it holds for the web app,
the CLI, the sync worker and the organiser console alike; a change written with raw SQL,
outside the ORM, must bump it itself (``bump_stamp``; the journal's bulk posting does). New
routing records, payouts and chain logs are seen by ``ledger.reports.public.get_ledger_version``
through their largest ids (they are written with an entry, or by the single sync writer).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.models.base import Base
from ledger.models.catalogue import (
    Artist,
    Artwork,
    ArtworkArtist,
    ArtworkImage,
    Beneficiary,
    Collection,
    Hotline,
    Initiative,
    NftEdition,
    Story,
)
from ledger.models.journal import JournalEntry
from ledger.models.rates import ExchangeRate
from ledger.models.routing import BeneficiaryUpdate, Disbursement, RoutingRecord
from ledger.models.text import TextSet, TextVariant

PUBLIC = "public"

# What the public pages show (a wallet, a person or a scan count is not).
PUBLIC_CLASSES: tuple[type[Base], ...] = (
    Initiative,
    Artist,
    Artwork,
    ArtworkArtist,
    ArtworkImage,
    Story,
    Collection,
    NftEdition,
    Beneficiary,
    BeneficiaryUpdate,
    Disbursement,
    RoutingRecord,
    Hotline,
    TextSet,
    TextVariant,
    # The public pages' KZT/USD approximations use the latest recorded rates.
    ExchangeRate,
    # Every new entry: the largest entry id alone misses an entry that commits after one with
    # a higher id (two writers on PostgreSQL); the stamp row, bumped in each writer's
    # transaction, orders their commits, so every commit changes the fingerprint.
    JournalEntry,
)


class ChangeStamp(Base):
    __tablename__ = "change_stamp"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def bump_stamp(session: Session, name: str = PUBLIC) -> None:
    """Add one to the stamp ``name`` in the session's transaction (creating it at 1)."""
    bumped = session.connection().execute(
        update(ChangeStamp).where(ChangeStamp.name == name).values(value=ChangeStamp.value + 1)
    )
    if bumped.rowcount == 0:  # a schema made by create_all(): the migration seeds the row
        session.connection().execute(insert(ChangeStamp).values(name=name, value=1))


def get_stamp(session: Session, name: str = PUBLIC) -> int:
    return session.scalar(select(ChangeStamp.value).where(ChangeStamp.name == name)) or 0


@event.listens_for(Session, "after_flush")
def _bump_on_public_change(session: Session, _flush_context: Any) -> None:
    # after_flush still lists what the flush wrote as new, dirty or deleted.
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, PUBLIC_CLASSES) for obj in touched):
        bump_stamp(session)
