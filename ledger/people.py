"""Donors and buyers: list them by opaque reference, erase one's personal data, and the one
identity-bearing export (contacts), each erasure and export on the record.

The journal only points at ``person.id``; contact details live in ``person_contact``. Erasing
deletes that row and marks the person erased: every entry, gift, total and the journal
checksum stay exactly as they were. The audit log names the opaque reference, never the data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.audit import Actor, record_change
from ledger.errors import InvalidEntryError, NotFoundError
from ledger.models import Gift, Person, PersonContact
from ledger.models.base import utcnow

CONTACT_FIELDS = ("ref", "name", "email", "phone", "wallet_label", "notes")


@dataclass(frozen=True)
class PersonRow:
    """A person as the console lists them: no contact data, only whether there is some."""

    ref: str
    created_at: datetime
    erased_at: datetime | None
    has_contact: bool
    gifts: int


def list_people(session: Session) -> list[PersonRow]:
    counted = session.execute(select(Gift.person_id, func.count()).group_by(Gift.person_id))
    gifts: dict[int, int] = {person_id: count for person_id, count in counted}
    with_contact = set(session.scalars(select(PersonContact.person_id)))
    return [
        PersonRow(p.ref, p.created_at, p.erased_at, p.id in with_contact, gifts.get(p.id, 0))
        for p in session.scalars(select(Person).order_by(Person.created_at, Person.id))
    ]


def get_person(session: Session, ref: str) -> Person:
    """Raises NotFoundError."""
    person = session.scalars(select(Person).where(Person.ref == ref)).one_or_none()
    if person is None:
        raise NotFoundError(f"no person {ref!r}")
    return person


def erase_person(session: Session, actor: Actor, ref: str) -> Person:
    """Delete one person's contact data and mark them erased; the journal is not touched.

    Raises NotFoundError, InvalidEntryError (already erased).
    """
    person = get_person(session, ref)
    if person.erased_at is not None and person.contact is None:
        raise InvalidEntryError(f"person {ref} was erased on {person.erased_at:%Y-%m-%d}")
    had_contact = person.contact is not None
    person.contact = None
    person.erased_at = utcnow()
    session.flush()
    record_change(
        session, actor, "person.erase", "person", ref,
        summary="personal data erased" if had_contact else "marked erased (no contact data held)",
        before={"has_contact": had_contact}, after={"has_contact": False,
                                                    "erased_at": person.erased_at},
    )
    return person


def _cell(value: str | None) -> str:
    """A spreadsheet must not run a value as a formula (=, +, -, @ first)."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_contacts_csv(session: Session, actor: Actor) -> str:
    """Every person's contact data as CSV (identity-bearing: admins only, on the record)."""
    rows = session.execute(
        select(Person.ref, PersonContact)
        .join(PersonContact, PersonContact.person_id == Person.id)
        .order_by(Person.ref)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTACT_FIELDS)
    count = 0
    for ref, contact in rows:
        values = (contact.name, contact.email, contact.phone, contact.wallet_label, contact.notes)
        writer.writerow([ref, *(_cell(v) for v in values)])
        count += 1
    record_change(session, actor, "person.export_contacts", "person", None,
                  summary=f"contact export of {count} people", after={"people": count})
    return out.getvalue()
