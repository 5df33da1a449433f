"""Load the shipped demo catalogue (``ledger demo load``)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy.orm import Session

from ledger.catalogue import LoadReport, load_catalogue, parse_catalogue

DEMO_FILE = "behind-the-door.toml"


def read_demo_catalogue_text() -> str:
    return resources.files("ledger.demo").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def load_demo(session: Session) -> LoadReport:
    """Load the Behind the Door demo catalogue; loading it again changes nothing."""
    return load_catalogue(session, parse_catalogue(read_demo_catalogue_text(), DEMO_FILE))
