"""QR codes for exhibit labels: the short artwork URL and its code, for print and download.

The code carries ``<public_base_url>/a/<public_code>``: no language (the visitor's browser
chooses), nothing derived from the title (renaming keeps printed labels valid), and the host from
configuration (moving the server means changing one setting and serving the same app there).
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

# Q restores up to a quarter of the code: labels get scuffed and sit behind glass. H is only
# needed under a logo, and would make the code denser for nothing.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
ERROR_CORRECTION_NAME = "Q"
# The quiet zone the QR specification asks for, in modules, on every side.
QUIET_ZONE_MODULES = 4


def artwork_short_url(public_base_url: str, public_code: str) -> str:
    """Return the URL a label's QR code carries for an artwork."""
    return f"{public_base_url.rstrip('/')}/a/{public_code}"


def make_qr(url: str) -> qrcode.QRCode:
    """Return the QR code for ``url``: error correction Q, a 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE_MODULES)
    code.add_data(url)
    code.make(fit=True)
    return code


def compute_qr_modules(url: str) -> list[list[bool]]:
    """Return the dark (True) and light modules of the symbol, without the quiet zone."""
    return [[bool(cell) for cell in row] for row in make_qr(url).modules]


def render_qr_svg(url: str) -> bytes:
    """Return the code as an SVG with a white background that includes the quiet zone."""
    image = make_qr(url).make_image(image_factory=SvgPathFillImage)
    svg: bytes = image.to_string()
    return svg


def render_qr_png(url: str, box_size: int = 10) -> bytes:
    """Return the code as a black-on-white PNG, ``box_size`` pixels per module."""
    code = make_qr(url)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image(image_factory=PilImage).save(buffer)
    return buffer.getvalue()
