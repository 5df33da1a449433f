"""The organiser console: everything organisers do daily, without the command line.

Areas are blueprints under ``/console`` made by :func:`web.console.access.console_blueprint`
(deny by default; every view declares its role). CSRF protection (Flask-WTF) covers every
console form; the public site's one form (a receipt lookup by code, which changes nothing and
has no session) is exempt so that public visitors get no cookie.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from web.console import (
    audit_view,
    auth,
    backups,
    catalogue,
    chain,
    home,
    imports,
    labels,
    people,
    reconcile,
    reports,
    users_admin,
)
from web.console.access import can
from web.console.context import console_context
from web.console.identity import make_login_manager

csrf = CSRFProtect()

BLUEPRINTS = [
    auth.bp,
    home.bp,
    users_admin.bp,
    audit_view.bp,
    catalogue.bp,
    people.bp,
    imports.bp,
    reconcile.bp,
    reports.bp,
    chain.bp,
    labels.bp,
    backups.bp,
]


def init_app(app: Flask) -> None:
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    csrf.init_app(app)
    make_login_manager().init_app(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def _csrf_refused(error: CSRFError) -> tuple[str, int]:
        return render_template("console/csrf_error.html", reason=error.description), 400

    @app.context_processor
    def _console_pages() -> dict[str, object]:
        # Console pages (any blueprint made by console_blueprint) get the menu and the count.
        if request.blueprint and request.blueprint.startswith("console"):
            return console_context()
        return {}
    app.jinja_env.globals["console_can"] = can
