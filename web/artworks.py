"""Artwork pages and the short URLs printed on exhibit labels.

``/a/<code>`` is what a label's QR code opens: it counts the scan (per artwork and day, nothing
about the visitor) and redirects to the artwork's page, ``/artworks/<code>``. Neither URL says
anything about the work's subject, and neither carries a language: the page chooses it.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from ledger.catalogue.queries import get_artwork_page, has_artwork
from ledger.catalogue.scans import record_scan
from ledger.labels.qr import artwork_short_url, render_qr_png, render_qr_svg
from ledger.reports.public import get_artwork_transparency
from web.database import get_session, get_settings
from web.transparency import get_public_ledger

bp = Blueprint("artworks", __name__)

# Pages may be stored but are revalidated on every visit (a 304 when nothing changed): a story
# whose consent is withdrawn must disappear at once, not when a cache expires.
PAGE_CACHE_CONTROL = "no-cache"
QR_CACHE_CONTROL = "public, max-age=86400"


@bp.get("/a/<code>")
def scan(code: str) -> BaseResponse:
    """Count one scan of the label's QR code and send the visitor to the artwork's page."""
    settings = get_settings()
    session = get_session()
    if not record_scan(session, code, datetime.now(settings.tz).date()):
        abort(404)
    session.commit()
    # 302, not 301: browsers keep a permanent redirect and would stop counting later scans.
    response = redirect(url_for("artworks.page", code=code), code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/artworks/<code>")
def page(code: str) -> BaseResponse:
    settings = get_settings()
    artwork = get_artwork_page(get_session(), code, g.lang, settings.i18n.fallback_order)
    if artwork is None:
        abort(404)
    ledger = get_public_ledger()
    ref = next((a for a in ledger.artworks.values() if a.public_code == code), None)
    figures = get_artwork_transparency(ledger, ref.id) if ref else None
    response = make_response(
        render_template("artwork.html", artwork=artwork, figures=figures, ledger=ledger)
    )
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    # The tag is taken over the page as rendered, so it changes with the language, the texts,
    # the editions' status, the story's consent, the figures, the pending transactions and the
    # time of the last verification (the latest entry or booked block), and with nothing else.
    response.add_etag()
    return response.make_conditional(request)


def _qr_response(code: str, body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = QR_CACHE_CONTROL
    response.headers["Content-Disposition"] = f'attachment; filename="qr-{code}.{extension}"'
    return response


def _short_url(code: str) -> str:
    if not has_artwork(get_session(), code):
        abort(404)
    return artwork_short_url(get_settings().web.public_base_url, code)


@bp.get("/a/<code>/qr.png")
def qr_png(code: str) -> Response:
    """The artwork's label QR code as a PNG (does not count as a scan)."""
    return _qr_response(code, render_qr_png(_short_url(code)), "image/png", "png")


@bp.get("/a/<code>/qr.svg")
def qr_svg(code: str) -> Response:
    """The artwork's label QR code as an SVG (does not count as a scan)."""
    return _qr_response(code, render_qr_svg(_short_url(code)), "image/svg+xml", "svg")
