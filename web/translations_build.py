"""Compile the kk/ru/en UI catalogues (.po -> .mo) when they are missing or stale.

`make` runs `pybabel compile`; this is the same step for code paths that start without make
(the test suite), so UI strings are never silently shown untranslated.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_translations() -> list[Path]:
    """Compile every catalogue whose .mo is missing or older than its .po; return those."""
    compiled = []
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        # Write beside it and rename: parallel test workers may compile at the same moment.
        tmp_path = mo_path.with_name(f"messages.mo.{os.getpid()}.tmp")
        with tmp_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp_path, mo_path)
        compiled.append(mo_path)
    return compiled
