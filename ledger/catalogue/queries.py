"""Read the catalogue for people: what a visitor sees, in the language they asked for.

Nothing private leaves this module: private notes, non-public story fields and stories whose
consent is withdrawn are filtered here, once, for every public adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import (
    Artwork,
    ArtworkImage,
    EditionStatus,
    Hotline,
    Initiative,
    ShownText,
    Story,
    TextSet,
)


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


def _card(art: Artwork, lang: str, fallback: Sequence[str]) -> ArtworkCard:
    artists = [_show(a.name, lang, fallback) for a in art.artists]
    return ArtworkCard(
        key=art.key,
        code=art.public_code,
        title=_show(art.title, lang, fallback),
        artists=[a for a in artists if a is not None],
        medium=_show(art.medium, lang, fallback),
        year=art.year,
        dimensions=art.dimensions_text,
    )


def list_artwork_cards(session: Session, lang: str, fallback: Sequence[str]) -> list[ArtworkCard]:
    """Return every artwork in catalogue order, texts in ``lang`` or their fallback."""
    artworks = session.scalars(select(Artwork).order_by(Artwork.position, Artwork.id)).unique()
    return [_card(art, lang, fallback) for art in artworks]


@dataclass(frozen=True)
class ImageCard:
    path: str  # under the web app's static images directory
    alt: ShownText | None


@dataclass(frozen=True)
class EditionCard:
    number: int
    size: int
    status: EditionStatus


@dataclass(frozen=True)
class PublicStory:
    """The public part of a story: only fields flagged public, only while consent is given."""

    subject_name: str | None
    is_deceased: bool
    content_note: ShownText | None
    summary: ShownText
    consent_statement: str | None


@dataclass(frozen=True)
class ArtworkPage:
    """One artwork as its public page shows it."""

    card: ArtworkCard
    description: ShownText | None
    images: list[ImageCard]
    editions: list[EditionCard]
    story: PublicStory | None


def _public_story(story: Story | None, lang: str, fallback: Sequence[str]) -> PublicStory | None:
    """Return what may be shown of ``story``: nothing once consent is withdrawn, and nothing
    when its summary is not public (a name or a consent line alone tells no story)."""
    if story is None or not story.is_publishable or not story.is_summary_public:
        return None
    summary = _show(story.public_summary, lang, fallback)
    if summary is None:
        return None
    return PublicStory(
        subject_name=story.subject_name if story.is_subject_name_public else None,
        is_deceased=story.is_deceased and story.is_deceased_public,
        content_note=_show(story.content_note, lang, fallback),
        summary=summary,
        consent_statement=story.consent_statement if story.is_consent_statement_public else None,
    )


def get_artwork_page(
    session: Session, public_code: str, lang: str, fallback: Sequence[str]
) -> ArtworkPage | None:
    """Return the artwork with ``public_code`` for its public page, or None if there is none."""
    art = session.scalars(select(Artwork).where(Artwork.public_code == public_code)).first()
    if art is None:
        return None
    return ArtworkPage(
        card=_card(art, lang, fallback),
        description=_show(art.description, lang, fallback),
        images=[ImageCard(i.path, _show(i.alt_text, lang, fallback)) for i in art.images],
        editions=[EditionCard(e.edition_number, e.edition_size, e.status) for e in art.editions],
        story=_public_story(art.story, lang, fallback),
    )


def is_uploaded_image(session: Session, path: str) -> bool:
    """True while some artwork shows the image stored at ``path``."""
    query = select(ArtworkImage.id).where(ArtworkImage.path == path)
    return session.scalars(query).first() is not None


def has_artwork(session: Session, public_code: str) -> bool:
    query = select(Artwork.id).where(Artwork.public_code == public_code)
    return session.scalars(query).first() is not None


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
