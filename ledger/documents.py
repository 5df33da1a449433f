"""Store attached documents by SHA-256 in the configured directory and record them.

The directory is ``[paths] documents`` (by default ``<instance>/documents``; a shared volume
when several hosts serve). A file is written under its own hash, so storing the same bytes
twice is a no-op and a stored file can be checked against its name at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from ledger.errors import LedgerError, NotFoundError
from ledger.models import Document


class DocumentError(LedgerError):
    """A document cannot be stored or does not match its hash."""


def compute_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_path(directory: Path, sha256: str) -> Path:
    return directory / sha256[:2] / sha256


def store_document(session: Session, directory: Path, data: bytes, filename: str) -> Document:
    """Write ``data`` under its SHA-256 (atomically) and record it; return the row.

    Raises DocumentError when the file cannot be written or an existing file has other bytes.
    """
    if not data:
        raise DocumentError(f"document {filename!r} is empty")
    sha256 = compute_sha256(data)
    path = document_path(directory, sha256)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if compute_sha256(path.read_bytes()) != sha256:
                raise DocumentError(f"stored document {path} does not match its hash")
        else:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
    except OSError as exc:
        raise DocumentError(f"cannot store document {filename!r} in {directory}: {exc}") from exc
    document = session.get(Document, sha256)
    if document is None:
        document = Document(sha256=sha256, filename=Path(filename).name[:255], size=len(data))
        session.add(document)
        session.flush()
    return document


def read_document(session: Session, directory: Path, sha256: str) -> bytes:
    """Return a stored document's bytes. Raises NotFoundError, DocumentError (hash mismatch)."""
    if session.get(Document, sha256) is None:
        raise NotFoundError(f"no document {sha256}")
    data = document_path(directory, sha256).read_bytes()
    if compute_sha256(data) != sha256:
        raise DocumentError(f"document {sha256} on disk does not match its hash")
    return data
