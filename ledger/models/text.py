"""Texts a visitor reads, with one variant per language and a review status per variant.

A missing variant is stored as a row with status ``missing`` and no text: a gap is a fact to
report, never filled by copying another language.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, str_enum

LANGUAGES = ("kk", "ru", "en")


class VariantStatus(enum.StrEnum):
    MISSING = "missing"
    DRAFT = "draft"
    REVIEWED = "reviewed"


@dataclass(frozen=True)
class ShownText:
    """The text shown for a requested language, and the language it is actually in."""

    text: str
    lang: str
    is_fallback: bool


def choose_text(
    present: dict[str, str], lang: str, fallback_order: Sequence[str]
) -> ShownText | None:
    """The text in ``lang`` if present, else the first present one in ``fallback_order``
    (``present``: language -> text of the variants that are not missing)."""
    for candidate in (lang, *fallback_order):
        text = present.get(candidate)
        if text is not None:
            return ShownText(text=text, lang=candidate, is_fallback=candidate != lang)
    return None


class TextSet(Base):
    """One translatable text (a title, a medium, a summary) with its language variants."""

    __tablename__ = "text_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    variants: Mapped[list[TextVariant]] = relationship(
        back_populates="text_set", cascade="all, delete-orphan", lazy="selectin"
    )

    def variant(self, lang: str) -> TextVariant | None:
        return next((v for v in self.variants if v.lang == lang), None)

    def text_in(self, lang: str) -> str | None:
        """Return the text in exactly ``lang``, or None when that variant is missing."""
        found = self.variant(lang)
        return found.text if found is not None and found.status != VariantStatus.MISSING else None

    def show(self, lang: str, fallback_order: Sequence[str]) -> ShownText | None:
        """Return the variant in ``lang``, else the first present one in ``fallback_order``."""
        return choose_text(self.present_texts(), lang, fallback_order)

    def present_texts(self) -> dict[str, str]:
        """The text of each variant that is not missing, by language."""
        return {v.lang: v.text for v in self.variants if v.is_present and v.text is not None}

    def missing_languages(self, languages: Sequence[str] = LANGUAGES) -> list[str]:
        return [lang for lang in languages if self.text_in(lang) is None]


class TextVariant(Base):
    __tablename__ = "text_variant"
    __table_args__ = (
        UniqueConstraint("text_set_id", "lang"),
        CheckConstraint("lang IN ('kk', 'ru', 'en')", name="known_lang"),
        CheckConstraint(
            "(status = 'missing' AND text IS NULL) OR (status <> 'missing' AND text IS NOT NULL)",
            name="missing_means_no_text",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text_set_id: Mapped[int] = mapped_column(ForeignKey("text_set.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(2))
    status: Mapped[VariantStatus] = mapped_column(str_enum(VariantStatus, "variant_status"))
    text: Mapped[str | None] = mapped_column(Text)

    text_set: Mapped[TextSet] = relationship(back_populates="variants")

    @hybrid_property
    def is_present(self) -> bool:
        """A variant with a text to show (not a recorded gap); in a query too."""
        return self.status != VariantStatus.MISSING and self.text is not None

    @is_present.inplace.expression
    @classmethod
    def _is_present_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status != VariantStatus.MISSING, cls.text.is_not(None))
