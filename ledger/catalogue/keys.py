"""Keys of new catalogue records: checked when an organiser types one, made from the name or
title when not (a readable slug, transliterated from Cyrillic; never reused)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.catalogue.texts import TextIn
from ledger.models.text import LANGUAGES

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # as the catalogue file's keys
KEY_RULE = "lower-case letters a-z, digits and '-', starting with a letter or digit, at most 64"

# Russian and Kazakh letters, as in the keys of the demo catalogue ("moldir-sagyndykova").
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
     "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "a", "g",
     "q", "n", "o", "u", "u", "h", "i"],
    strict=True,
))


def compute_slug(text: str, limit: int = 48) -> str:
    """Return ``text`` as a key: lower case, Cyrillic transliterated, other characters as '-'."""
    spelled = "".join(_CYRILLIC.get(c, c) for c in text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", spelled).strip("-")
    return slug[:limit].rstrip("-")


def _is_taken(session: Session, model: Any, key: str) -> bool:
    return session.scalars(select(model.id).where(model.key == key)).first() is not None


def check_new_key(session: Session, model: Any, what: str, key: str) -> list[str]:
    """The problems with ``key`` as the key of a new ``model`` row (empty when none)."""
    if not KEY_PATTERN.match(key):
        return [f"{what}.key: {KEY_RULE} characters"]
    if _is_taken(session, model, key):
        return [f"{what}.key: {key!r} is already taken"]
    return []


def compute_key(session: Session, model: Any, name: TextIn, *, fallback: str) -> str:
    """A free key for a new ``model`` row made from its name (English first, then Russian,
    then Kazakh); ``fallback`` when the name gives nothing; '-2', '-3'... when taken."""
    base = ""
    for lang in ("en", "ru", "kk"):
        variant = name.get(lang) if lang in LANGUAGES else None
        if variant is not None and variant.value:
            base = compute_slug(variant.value)
            if base:
                break
    base = base or fallback
    key, n = base, 1
    while _is_taken(session, model, key):
        n += 1
        key = f"{base}-{n}"
    return key
