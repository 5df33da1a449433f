"""A whole catalogue file uploaded for review: preview what it would change, then apply it.

The uploaded text is kept as a stored document (by SHA-256) between the two steps, so the
confirmation names the exact bytes that were previewed and nothing travels in a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.audit import Actor, record_change
from ledger.catalogue.fileformat import CatalogueFile, parse_catalogue
from ledger.catalogue.load import LoadReport, load_catalogue
from ledger.documents import read_document, store_document
from ledger.errors import CatalogueError

MAX_CATALOGUE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class CataloguePreview:
    sha256: str
    filename: str
    report: LoadReport


def _parse(data: bytes, filename: str) -> CatalogueFile:
    if not data:
        raise CatalogueError([f"{filename}: the file is empty"])
    if len(data) > MAX_CATALOGUE_BYTES:
        raise CatalogueError([
            f"{filename}: the file is {len(data) // 1024} KB; the limit is "
            f"{MAX_CATALOGUE_BYTES // 1024} KB"
        ])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogueError([f"{filename}: line {line}: not UTF-8 text"]) from exc
    return parse_catalogue(text, filename)


def compute_catalogue_changes(session: Session, catalogue: CatalogueFile) -> LoadReport:
    """Load ``catalogue`` inside a savepoint and roll it back: what a load would change."""
    savepoint = session.begin_nested()
    try:
        return load_catalogue(session, catalogue)
    finally:
        savepoint.rollback()
        session.expire_all()


def preview_catalogue(
    session: Session, documents_dir: Path, data: bytes, filename: str
) -> CataloguePreview:
    """Check an uploaded catalogue file, keep it, and say what loading it would change.

    Raises CatalogueError naming the line or field of every problem, DocumentError.
    """
    report = compute_catalogue_changes(session, _parse(data, filename))
    document = store_document(session, documents_dir, data, filename)
    return CataloguePreview(document.sha256, document.filename, report)


def apply_catalogue(
    session: Session, actor: Actor, documents_dir: Path, sha256: str
) -> LoadReport:
    """Load the previewed catalogue file stored under ``sha256``, and audit what changed.

    Raises NotFoundError (no such upload), CatalogueError, DocumentError.
    """
    data = read_document(session, documents_dir, sha256)
    report = load_catalogue(session, _parse(data, "catalogue"))
    record_change(
        session, actor, "catalogue.load", "catalogue", sha256,
        summary=report.summary(),
        after={"created": report.created, "updated": report.updated},
    )
    return report
