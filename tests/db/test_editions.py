import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.catalogue.editions import InvalidTransitionError, change_edition_status
from ledger.demo.load import load_demo
from ledger.models import EditionStatus, NftEdition


def test_edition_status_follows_the_transition_table(session: Session) -> None:
    load_demo(session)
    edition = session.scalars(select(NftEdition).order_by(NftEdition.id)).first()
    assert edition is not None and edition.status == EditionStatus.AVAILABLE
    assert edition.token_id == 101 and (edition.edition_number, edition.edition_size) == (1, 10)
    change_edition_status(session, edition.id, EditionStatus.LISTED)
    change_edition_status(session, edition.id, EditionStatus.SOLD)
    with pytest.raises(InvalidTransitionError, match="cannot become available"):
        change_edition_status(session, edition.id, EditionStatus.AVAILABLE)
    assert (
        change_edition_status(session, edition.id, EditionStatus.SOLD).status == EditionStatus.SOLD
    )
