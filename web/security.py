"""Headers every response carries: a strict CSP, no referrer, no sniffing, no framing.

Nothing on our pages loads from a third party, so the policy allows only our own origin and
forbids inline scripts and styles.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    app.before_request(refuse_null_characters)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def refuse_null_characters() -> None:
    """Answer 400 to a query or form value with a NUL character.

    Nobody types one; PostgreSQL refuses it in text, so it would otherwise surface as a
    server error wherever the value reaches a query.
    """
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)
