"""Choose the visitor's language: ``?lang=``, then the cookie, then Accept-Language.

UI strings come from Flask-Babel catalogues (kk, ru, en); content comes from the catalogue's
variants with the configured fallback. Responses vary by cookie and Accept-Language.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, g, request
from flask_babel import Babel
from werkzeug.datastructures import LanguageAccept

from ledger.config import Settings

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def choose_language(
    offered: Sequence[str],
    default: str,
    asked: str | None,
    cookie: str | None,
    accept: LanguageAccept,
) -> str:
    """``?lang=``, then the cookie, then Accept-Language, then the default (no request needed:
    ``web.memo`` chooses the same way before Flask runs)."""
    if asked is not None and asked in offered:
        return asked
    if cookie is not None and cookie in offered:
        return cookie
    return accept.best_match(offered) or default


def select_language(settings: Settings) -> tuple[str, bool]:
    """Return the language for this request and whether ``?lang=`` chose it."""
    offered = settings.i18n.languages
    asked = request.args.get("lang")
    lang = choose_language(
        offered, settings.i18n.default_language, asked, request.cookies.get(COOKIE),
        request.accept_languages,
    )
    return lang, asked in offered


def current_language() -> str:
    lang: str = g.lang
    return lang


def init_app(app: Flask, settings: Settings) -> None:
    Babel(app, locale_selector=current_language, default_translation_directories="translations")

    @app.before_request
    def _choose_language() -> None:
        g.lang, g.lang_from_query = select_language(settings)

    @app.after_request
    def _remember_language(response: Response) -> Response:
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        if getattr(g, "lang_from_query", False):
            response.set_cookie(
                COOKIE,
                g.lang,
                max_age=COOKIE_MAX_AGE,
                secure=settings.web.secure_cookies,
                httponly=True,
                samesite="Lax",
            )
        return response
