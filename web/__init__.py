"""The Flask app: an adapter that renders what ``ledger`` returns. Built only by create_app()."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ledger.config import Settings, load_settings
from ledger.db import engine_from_settings, make_session_factory
from web import console, database, i18n, memo, security, transparency
from web.api import bp as api_bp
from web.artworks import bp as artworks_bp
from web.public import bp as public_bp

# Pages whose views may mark a response as kept by web.memo (the artwork page).
MEMOIZED_PATHS = re.compile(r"/artworks/[^/]+")


def _secret_key(settings: Settings) -> str:
    """Return the configured secret, or one generated once into the instance directory."""
    if settings.web.secret_key:
        return settings.web.secret_key
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(
    settings: Settings | None = None, test_config: dict[str, Any] | None = None
) -> Flask:
    """Build the web app from validated settings (loaded from the environment if not given)."""
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(Path(settings.instance_dir).resolve()))
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["ledger.settings"] = settings
    engine = app.config.get("LEDGER_ENGINE") or engine_from_settings(settings)
    database.init_app(app, make_session_factory(engine))
    i18n.init_app(app, settings)
    security.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(artworks_bp)
    transparency.init_app(app, settings, engine)
    app.register_blueprint(api_bp)
    console.init_app(app)
    # The public receipt lookup changes nothing and must not give visitors a session cookie.
    console.csrf.exempt("web.transparency.receipt")
    # Plain repeat visits to a page fully determined by the database's fingerprint (the
    # artwork page) are answered from memory before Flask runs (web.memo).
    reader: transparency.VersionReader = app.extensions["ledger.version_reader"]
    app.wsgi_app = memo.ResponseMemo(  # type: ignore[method-assign]
        app.wsgi_app,
        reader.read_outside_request,
        paths=MEMOIZED_PATHS,
        languages=settings.i18n.languages,
        default_language=settings.i18n.default_language,
    )
    if settings.web.proxy_hops:
        # Behind that many proxies, the visitor's address is theirs in X-Forwarded-For: used
        # only to tell visitors apart for a rate limit (web.ratelimit), never written.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.web.proxy_hops)  # type: ignore[method-assign]
    return app
