"""What an upload may be: checked by content, not by its name.

Import files must be text (CSV); evidence documents must be PDF, PNG or JPEG. HTML, SVG,
XML and anything executable are refused whatever the file is called, so nothing uploaded can
ever run in a browser. Sizes are capped.
"""

from __future__ import annotations

from ledger.errors import LedgerError

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# Magic numbers of the document types we keep, and the content type each is served with.
DOCUMENT_TYPES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_MARKUP = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<body", b"<head")
_BINARY = (b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF")


class UploadError(LedgerError):
    """An upload is refused (too big, empty, or of a type we do not take)."""


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_MARKUP) or b"<svg" in head or b"<script" in head


def check_import_upload(data: bytes) -> None:
    """Raise UploadError unless ``data`` can be an import file (text, not markup, not huge)."""
    if not data:
        raise UploadError("the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise UploadError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if data.startswith(_BINARY):
        raise UploadError("this is not a CSV file (it is a PDF, image, archive or program)")
    if _looks_like_markup(data):
        raise UploadError("HTML, SVG and XML files are not taken: upload a CSV file")


def check_document_upload(data: bytes) -> str:
    """Return the content type of an evidence document; raise UploadError for anything else."""
    if not data:
        raise UploadError("the document is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UploadError(f"the document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    for magic, content_type in DOCUMENT_TYPES:
        if data.startswith(magic):
            return content_type
    raise UploadError("a document must be a PDF, PNG or JPEG file")
