"""Console answers to requests it cannot take: too large (NUL characters are refused for the
whole site by ``web.security``)."""

from __future__ import annotations

from flask import current_app, render_template
from werkzeug.exceptions import RequestEntityTooLarge


def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Say what the limit is instead of a bare error (Flask's MAX_CONTENT_LENGTH)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template("console/too_large.html", limit_mb=limit // (1024 * 1024)), 413
