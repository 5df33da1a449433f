"""Public pages (no account needed). The rich artwork pages come with the public-side issue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for

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
        return url_for(request.endpoint or "public.home", **values)

    return {
        "lang": lang,
        "languages": settings.i18n.languages,
        "lang_url": lang_url,
        "show_demo_banner": settings.web.demo_banner and is_demo_loaded(session),
        "hotlines": list_hotline_cards(session, lang, fallback),
        "site_name": get_initiative_name(session) or "",
    }


@bp.get("/")
def home() -> str:
    settings = get_settings()
    cards = list_artwork_cards(get_session(), g.lang, settings.i18n.fallback_order)
    return render_template("home.html", artworks=cards)
