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
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from ledger.catalogue.edit import UPLOADED_PREFIX
from ledger.catalogue.queries import get_artwork_page, has_artwork, is_uploaded_image
from ledger.catalogue.scans import record_scan
from ledger.catalogue.uploads import CONTENT_TYPES
from ledger.documents import read_document
from ledger.errors import LedgerError
from ledger.labels.qr import artwork_short_url, render_qr_png, render_qr_svg
from ledger.models import Artwork
from ledger.reports.public import get_artwork_transparency
from web import memo
from web.database import get_session, get_settings
from web.transparency import get_public_ledger, get_store, get_version

bp = Blueprint("artworks", __name__)

# Pages may be stored but are revalidated on every visit (a 304 when nothing changed): a story
# whose consent is withdrawn must disappear at once, not when a cache expires.
PAGE_CACHE_CONTROL = "no-cache"
QR_CACHE_CONTROL = "public, max-age=86400"
# A rendered page is keyed by the database's version, so it never goes stale; it only expires
# to free memory once later versions have replaced it.
PAGE_TTL_S = 3600


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
    """The artwork's page, rendered once per database version and language.

    The rendered body is kept in the shared store under the database's fingerprint
    (``get_ledger_version``: one cheap query per request), so a new sale, a payout, an edited
    text or a withdrawn consent changes the key and the next visit renders afresh: a cached
    page is never older than the database. Only the plain URL (and ``?lang=``) is cached; other
    query arguments would show up in the language switch's links.
    """
    is_cacheable = set(request.args) <= {"lang"}
    key = f"page:artwork:{get_version()}:{g.lang}:{code}"
    body = get_store().get(key) if is_cacheable else None
    if body is None:
        body = _render_page(code).encode("utf-8")
        if is_cacheable:
            get_store().set(key, body, PAGE_TTL_S)
    if is_cacheable:
        # Fully determined by (fingerprint, language, path): web.memo may keep the response.
        request.environ[memo.MEMOIZABLE] = g.lang
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    # The tag is taken over the page as rendered, so it changes with the language, the texts,
    # the editions' status, the story's consent, the figures, the pending transactions and the
    # time of the last verification (the latest entry or booked block), and with nothing else.
    response.add_etag()
    return response.make_conditional(request)


def _render_page(code: str) -> str:
    settings = get_settings()
    session = get_session()
    artwork = get_artwork_page(session, code, g.lang, settings.i18n.fallback_order)
    if artwork is None:
        abort(404)
    ledger = get_public_ledger()
    artwork_id = session.scalar(select(Artwork.id).where(Artwork.public_code == code))
    figures = get_artwork_transparency(ledger, artwork_id) if artwork_id is not None else None
    return render_template("artwork.html", artwork=artwork, figures=figures, ledger=ledger)


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


@bp.app_template_global()
def artwork_image_url(path: str) -> str:
    """Where an artwork image is served: an uploaded one by us, a shipped one as static."""
    if path.startswith(UPLOADED_PREFIX):
        return url_for("artworks.uploaded_image", name=path[len(UPLOADED_PREFIX):])
    return url_for("static", filename="images/" + path)


@bp.get("/images/<name>")
def uploaded_image(name: str) -> Response:
    """An uploaded artwork image, only while an artwork shows it, as the image type its bytes
    were checked to be (with nosniff from web.security: never run as anything else)."""
    sha256, _, extension = name.partition(".")
    content_type = CONTENT_TYPES.get(extension)
    session = get_session()
    if content_type is None or not is_uploaded_image(session, UPLOADED_PREFIX + name):
        abort(404)
    try:
        data = read_document(session, get_settings().documents_dir, sha256)
    except (LedgerError, OSError):
        abort(404)
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Content-Disposition"] = "inline"
    return response
