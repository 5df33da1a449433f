"""Read the catalogue for people: what a visitor sees, in the language they asked for.

Nothing private leaves this module: private notes, non-public story fields and stories whose
consent is withdrawn are filtered here, once, for every public adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Artwork, Hotline, Initiative, ShownText, TextSet


@dataclass(frozen=True)
class ArtworkCard:
    """One artwork as the public list shows it."""

    key: str
    code: str
    title: ShownText | None
    artists: list[ShownText]
    medium: ShownText | None
    year: int | None
    dimensions: str | None


@dataclass(frozen=True)
class HotlineCard:
    number: str
    name: ShownText | None
    region: str
    hours: str | None
    is_emergency: bool
    last_checked: str


def _show(text: TextSet | None, lang: str, fallback: Sequence[str]) -> ShownText | None:
    return text.show(lang, fallback) if text is not None else None


def list_artwork_cards(session: Session, lang: str, fallback: Sequence[str]) -> list[ArtworkCard]:
    """Return every artwork in catalogue order, texts in ``lang`` or their fallback."""
    artworks = session.scalars(select(Artwork).order_by(Artwork.position, Artwork.id)).unique()
    cards = []
    for art in artworks:
        artists = [_show(a.name, lang, fallback) for a in art.artists]
        cards.append(
            ArtworkCard(
                key=art.key,
                code=art.public_code,
                title=_show(art.title, lang, fallback),
                artists=[a for a in artists if a is not None],
                medium=_show(art.medium, lang, fallback),
                year=art.year,
                dimensions=art.dimensions_text,
            )
        )
    return cards


def list_hotline_cards(session: Session, lang: str, fallback: Sequence[str]) -> list[HotlineCard]:
    lines = session.scalars(select(Hotline).order_by(Hotline.position, Hotline.id)).unique()
    return [
        HotlineCard(
            number=line.number,
            name=_show(line.name, lang, fallback),
            region=line.region,
            hours=line.hours,
            is_emergency=line.is_emergency,
            last_checked=line.last_checked.isoformat(),
        )
        for line in lines
    ]


def is_demo_loaded(session: Session) -> bool:
    """Return True when any loaded initiative is marked as demo data."""
    return (
        session.scalars(select(Initiative.id).where(Initiative.is_demo.is_(True))).first()
        is not None
    )


def get_initiative_name(session: Session) -> str | None:
    return session.scalars(select(Initiative.name).order_by(Initiative.id)).first()
