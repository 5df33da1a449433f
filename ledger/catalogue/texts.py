"""Language variants as an editor changes them: one text per language, each with its review
status. An empty text is a missing variant (a gap is reported, never filled by copying)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.errors import CatalogueError
from ledger.models import TextSet, TextVariant, VariantStatus
from ledger.models.text import LANGUAGES


@dataclass(frozen=True)
class VariantIn:
    """One language's text as typed (blank means missing) and its review status."""

    text: str | None
    status: VariantStatus = VariantStatus.DRAFT

    @property
    def value(self) -> str | None:
        cleaned = (self.text or "").strip()
        return cleaned or None


TextIn = Mapping[str, VariantIn]  # language -> variant


def describe_text(text_set: TextSet | None) -> dict[str, str | None]:
    """Return ``{lang: "status: text"}`` for the audit log (None for a missing variant)."""
    out: dict[str, str | None] = {}
    for lang in LANGUAGES:
        variant = text_set.variant(lang) if text_set is not None else None
        if variant is None or variant.status == VariantStatus.MISSING:
            out[lang] = None
        else:
            out[lang] = f"{variant.status.value}: {variant.text}"
    return out


def flatten(prefix: str, text_set: TextSet | None) -> dict[str, str | None]:
    return {f"{prefix}.{lang}": value for lang, value in describe_text(text_set).items()}


def apply_text(
    session: Session, current: TextSet | None, wanted: TextIn, *, label: str, required: bool
) -> TextSet | None:
    """Set the variants of ``current`` (created when absent) to ``wanted``.

    Returns None when every variant is blank and the text is optional. Raises CatalogueError
    for a required text with no language at all.
    """
    values = {lang: wanted.get(lang, VariantIn(None)) for lang in LANGUAGES}
    if all(v.value is None for v in values.values()):
        if required:
            raise CatalogueError([f"{label}: needs at least one of kk, ru, en"])
        return None
    text_set = current
    if text_set is None:
        text_set = TextSet()
        session.add(text_set)
    for lang, variant in values.items():
        text = variant.value
        status = VariantStatus.MISSING if text is None else variant.status
        if status == VariantStatus.MISSING and text is not None:
            status = VariantStatus.DRAFT
        row = text_set.variant(lang)
        if row is None:
            text_set.variants.append(TextVariant(lang=lang, status=status, text=text))
        elif (row.status, row.text) != (status, text):
            row.status, row.text = status, text
    return text_set
