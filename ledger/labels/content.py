"""What each label says, in one language, and what is missing before it can be printed.

Reads the catalogue; prints nothing. A story is never read here beyond whether it exists, its
consent and its consent statement: a label carries the artwork's own description, and the
story stays behind the QR code, after a content note, on the artwork's page. A story whose
consent is withdrawn is not read at all.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.labels.qr import artwork_short_url
from ledger.labels.text import phrase, shorten_to_words
from ledger.models import Artwork, Hotline, TextSet


class LabelUnit(enum.StrEnum):
    ARTWORK = "artwork"  # one label per artwork
    EDITION = "edition"  # one label per NFT edition of each artwork


@dataclass(frozen=True)
class LabelProblem:
    """One thing a label lacks: ``artwork`` is the catalogue key, ``what`` the missing part."""

    artwork: str
    code: str
    what: str

    def __str__(self) -> str:
        return f"{self.artwork} (/a/{self.code}): {self.what}"


@dataclass(frozen=True)
class LabelContent:
    """The texts of one label, already in its language and within its word limit."""

    lang: str
    code: str
    url: str
    title: str
    artists: str
    details: tuple[str, ...]  # year, medium, dimensions: whichever are known
    edition: str | None
    text: str
    call_to_scan: str
    help_line: str | None


def _artworks(session: Session, codes: Sequence[str] | None) -> list[Artwork]:
    query = select(Artwork).order_by(Artwork.position, Artwork.id)
    if codes:
        query = query.where(Artwork.public_code.in_(codes))
    return list(session.scalars(query).unique())


def get_label_hotline(session: Session) -> Hotline | None:
    """Return the help line labels print: the first listed line that is not an emergency one."""
    query = (
        select(Hotline)
        .where(Hotline.is_emergency.is_(False))
        .order_by(Hotline.position, Hotline.id)
    )
    return session.scalars(query).unique().first()


def check_labels(
    session: Session, lang: str, codes: Sequence[str] | None = None
) -> list[LabelProblem]:
    """Return everything the labels in ``lang`` lack: language variants, a help line, and a
    consent statement for each artwork whose story is published. An empty list means ready."""
    problems: list[LabelProblem] = []
    hotline = get_label_hotline(session)
    for art in _artworks(session, codes):

        def missing(what: str, text: TextSet | None, art: Artwork = art) -> None:
            if text is not None and text.text_in(lang) is None:
                problems.append(LabelProblem(art.key, art.public_code, f"{what}: no {lang} text"))

        missing("title", art.title)
        if not art.artists:
            problems.append(LabelProblem(art.key, art.public_code, "no artist"))
        for artist in art.artists:
            missing(f"artist {artist.key}", artist.name)
        missing("medium", art.medium)
        if art.description is None:
            problems.append(LabelProblem(art.key, art.public_code, "no short text (description)"))
        missing("short text (description)", art.description)
        if hotline is None:
            problems.append(LabelProblem(art.key, art.public_code, "no help line to print"))
        else:
            missing(f"help line {hotline.number}", hotline.name)
        story = art.story
        if story is not None and story.is_publishable and not (story.consent_statement or ""):
            problems.append(
                LabelProblem(art.key, art.public_code, "story has no consent statement")
            )
    return problems


def _show(text: TextSet | None, lang: str, fallback: Sequence[str]) -> str | None:
    shown = text.show(lang, fallback) if text is not None else None
    return shown.text if shown is not None else None


def build_labels(
    session: Session,
    *,
    lang: str,
    fallback: Sequence[str],
    public_base_url: str,
    word_limit: int,
    unit: LabelUnit = LabelUnit.ARTWORK,
    codes: Sequence[str] | None = None,
) -> list[LabelContent]:
    """Return the labels in catalogue order: one per artwork, or one per NFT edition.

    A missing variant falls back in ``fallback`` order (run ``check_labels`` first: the CLI
    refuses to print an incomplete sheet unless forced).
    """
    hotline = get_label_hotline(session)
    help_line = None
    if hotline is not None:
        name = _show(hotline.name, lang, fallback)
        help_line = f"{phrase('help', lang)}: {hotline.number}" + (f" – {name}" if name else "")
        if hotline.hours:  # shown as on the public pages: "111 – name (24/7)"
            help_line += f" ({hotline.hours})"
    labels = []
    for art in _artworks(session, codes):
        details = tuple(
            part
            for part in (
                str(art.year) if art.year else None,
                _show(art.medium, lang, fallback),
                art.dimensions_text,
            )
            if part
        )
        artists = [_show(a.name, lang, fallback) for a in art.artists]
        editions: list[str | None] = [None]
        if unit == LabelUnit.EDITION:
            editions = [
                phrase("edition", lang, number=e.edition_number, size=e.edition_size)
                for e in art.editions
            ]
        for edition in editions:
            labels.append(
                LabelContent(
                    lang=lang,
                    code=art.public_code,
                    url=artwork_short_url(public_base_url, art.public_code),
                    title=_show(art.title, lang, fallback) or art.key,
                    artists=", ".join(a for a in artists if a),
                    details=details,
                    edition=edition,
                    text=shorten_to_words(_show(art.description, lang, fallback) or "", word_limit),
                    call_to_scan=phrase("call_to_scan", lang),
                    help_line=help_line,
                )
            )
    return labels
