"""What an uploaded file is, decided from its bytes (never from its name or the browser's word).

Artwork images: JPEG, PNG or WebP only, opened and verified by Pillow; SVG and HTML (which can
carry scripts) are refused whatever they are called. Beneficiaries' report documents: the same
images, or a PDF.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ledger.errors import LedgerError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# Larger images are refused before decoding (a small file can claim a huge canvas).
MAX_IMAGE_PIXELS = 40_000_000

# Pillow's format name -> (file extension, content type served).
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES: dict[str, str] = {ext: mime for ext, mime in IMAGE_TYPES.values()}


class UploadRejectedError(LedgerError):
    """An uploaded file is too large, empty, or not of a type we accept."""


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_size(data: bytes, limit: int, what: str) -> None:
    if not data:
        raise UploadRejectedError(f"The {what} is empty.")
    if len(data) > limit:
        raise UploadRejectedError(
            f"The {what} is {_megabytes(len(data))}; the limit is {_megabytes(limit)}."
        )


def _identify_image(data: bytes) -> CheckedFile | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    if kind not in IMAGE_TYPES or width * height > MAX_IMAGE_PIXELS:
        return None
    extension, content_type = IMAGE_TYPES[kind]
    return CheckedFile(extension, content_type)


def check_image(data: bytes) -> CheckedFile:
    """Return the image's type. Raises UploadRejectedError (too large, not JPEG/PNG/WebP)."""
    _check_size(data, MAX_IMAGE_BYTES, "image")
    found = _identify_image(data)
    if found is None:
        raise UploadRejectedError(
            "The file is not a JPEG, PNG or WebP image (SVG and HTML are never accepted), or it "
            f"is damaged or larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        )
    return found


def check_document(data: bytes) -> CheckedFile:
    """Return the document's type: PDF or an image. Raises UploadRejectedError."""
    _check_size(data, MAX_DOCUMENT_BYTES, "document")
    if data.startswith(b"%PDF-"):
        return CheckedFile("pdf", "application/pdf")
    found = _identify_image(data)
    if found is None:
        raise UploadRejectedError("The document must be a PDF, or a JPEG, PNG or WebP image.")
    return found
