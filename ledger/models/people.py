"""People (buyers, donors) by opaque reference, and their erasable contact details.

The journal only ever points at ``person.id`` / ``person.ref``. Names, emails, phone numbers and
wallet labels live in ``person_contact``, which an admin can erase for one person without
touching the journal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, utcnow


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)  # random, e.g. "p_7kq2..."
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column()

    contact: Mapped[PersonContact | None] = relationship(
        back_populates="person", uselist=False, cascade="all, delete-orphan"
    )


class PersonContact(Base):
    """Personal data. Never in the journal, never in a default export, never on a public page."""

    __tablename__ = "person_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    wallet_label: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="contact")


class Gift(Base):
    """One gift or purchase by a person, with the random code printed on its receipt.

    The code is the only way to ask for the receipt; it is random (128 bits), never derived
    from the person, the amount or the date.
    """

    __tablename__ = "gift"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    receipt_code: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
