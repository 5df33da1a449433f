"""Edition status changes, only along the transitions the schema's table allows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger.errors import InvalidEntryError, NotFoundError
from ledger.models import EDITION_TRANSITIONS, EditionStatus, NftEdition


class InvalidTransitionError(InvalidEntryError):
    """An edition cannot move from its status to the one asked for."""


def change_edition_status(session: Session, edition_id: int, status: EditionStatus) -> NftEdition:
    """Move an edition to ``status``; moving to the status it has is a no-op.

    Raises NotFoundError, or InvalidTransitionError for a change the transition table forbids
    (a sold edition never becomes available again).
    """
    edition = session.get(NftEdition, edition_id)
    if edition is None:
        raise NotFoundError(f"edition {edition_id} does not exist")
    if edition.status == status:
        return edition
    if status not in EDITION_TRANSITIONS[edition.status]:
        raise InvalidTransitionError(
            f"edition {edition.edition_number}/{edition.edition_size} of artwork "
            f"{edition.artwork.key} is {edition.status.value}; it cannot become {status.value}"
        )
    edition.status = status
    session.flush()
    return edition
