"""Label wording: shortening to a word limit, and the few fixed phrases a label prints.

The phrases live here, not in the web app's Flask-Babel catalogues, because ``ledger`` never
imports the web adapter and labels are printed from the command line.
"""

from __future__ import annotations

ELLIPSIS = "…"

# Punctuation that would look wrong right before the ellipsis ("word,…").
_TRAILING = ",;:.!?-–—(«\"'"

# Fixed label phrases per language. A test checks every phrase exists in every language.
PHRASES: dict[str, dict[str, str]] = {
    "call_to_scan": {
        "kk": "Туынды туралы толығырақ білу үшін кодты сканерлеңіз.",
        "ru": "Отсканируйте код, чтобы узнать больше о работе.",
        "en": "Scan the code to learn more about this work.",
    },
    "help": {
        "kk": "Көмек керек болса",
        "ru": "Если вам нужна помощь",
        "en": "If you need help",
    },
    "edition": {
        "kk": "NFT-нұсқа: {number}/{size}",
        "ru": "NFT-версия {number} из {size}",
        "en": "NFT edition {number} of {size}",
    },
}


def phrase(name: str, lang: str, **values: object) -> str:
    """Return the fixed phrase ``name`` in ``lang`` (raises KeyError for an unknown one)."""
    return PHRASES[name][lang].format(**values)


def count_words(text: str) -> int:
    return len(text.split())


def shorten_to_words(text: str, limit: int) -> str:
    """Return ``text`` cut to at most ``limit`` words on a word boundary, ending in an ellipsis.

    Text within the limit comes back with its whitespace normalised and nothing cut. The
    ellipsis is attached to the last kept word and is not counted as a word. Raises ValueError
    when ``limit`` is below 1.
    """
    if limit < 1:
        raise ValueError("a word limit must be at least 1")
    words = text.split()
    if len(words) <= limit:
        return " ".join(words)
    kept = words[:limit]
    while kept and not kept[-1].rstrip(_TRAILING):  # drop a trailing lone dash or quote
        kept.pop()
    if kept:
        kept[-1] = kept[-1].rstrip(_TRAILING)
    return " ".join(kept) + ELLIPSIS
