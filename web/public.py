"""Public pages (no account needed): the home page, the browser-history advice, error pages.

Every page carries the safety layer from base.html: the quick exit (to ``safety.exit_url``), the
safety notice and the help numbers. Error pages render the same layout, so a visitor who lands
on a wrong URL still has both.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from ledger.catalogue.queries import (
    get_initiative_name,
    is_demo_loaded,
    list_artwork_cards,
    list_hotline_cards,
)
from web.database import get_session, get_settings

bp = Blueprint("public", __name__)


@bp.app_context_processor
def _page_context() -> dict[str, object]:
    settings = get_settings()
    session = get_session()
    lang: str = g.get("lang", settings.i18n.default_language)
    fallback = settings.i18n.fallback_order

    def lang_url(code: str) -> str:
        values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
        values["lang"] = code
        if request.endpoint is None or request.endpoint == "static":
            # An error page for a URL no route matched: switch language on the home page.
            return url_for("public.home", lang=code)
        return url_for(request.endpoint, **values)

    return {
        "lang": lang,
        "languages": settings.i18n.languages,
        "lang_url": lang_url,
        "show_demo_banner": settings.web.demo_banner and is_demo_loaded(session),
        "hotlines": list_hotline_cards(session, lang, fallback),
        "site_name": get_initiative_name(session) or "",
        "exit_url": settings.safety.exit_url,
    }


@bp.get("/")
def home() -> str:
    settings = get_settings()
    cards = list_artwork_cards(get_session(), g.lang, settings.i18n.fallback_order)
    return render_template("home.html", artworks=cards)


@bp.get("/browser-history")
def browser_history() -> str:
    """How to leave fewer traces in the browser (the "cover your tracks" page)."""
    return render_template("browser_history.html")


def _error_texts(code: int) -> tuple[str, str]:
    if code == 404:
        return gettext("Page not found"), gettext(
            "There is no page at this address. It may have been moved or removed."
        )
    if code >= 500:
        return gettext("Something went wrong"), gettext(
            "The page could not be shown. Please try again in a few minutes."
        )
    return gettext("This page cannot be shown"), gettext("The request could not be handled.")


@bp.app_errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    """Render error pages in the site's layout: the quick exit and help numbers stay.

    An unhandled exception reaches here as InternalServerError (Flask wraps it), after Flask
    has logged it; nothing about the visitor is logged.
    """
    code = error.code or 500
    if code >= 500:
        # The request's transaction may be broken; the page still reads the help numbers.
        get_session().rollback()
    title, message = _error_texts(code)
    return render_template("error.html", title=title, message=message), code
