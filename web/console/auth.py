"""Logging in and out, the second factor, and the user's own password."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ledger import users
from ledger.errors import LedgerError
from ledger.models import Role
from web.console.access import (
    ANYONE,
    FACTOR_OK,
    SIGNED_IN,
    console_blueprint,
    current_actor,
    requires,
)
from web.console.forms import ActionForm, CodeForm, LoginForm, PasswordChangeForm
from web.console.identity import ConsoleIdentity
from web.database import get_session
from web.ratelimit import RateLimit

bp = console_blueprint("console", __name__, "/console")



def _limiter() -> RateLimit:
    """20 failed password or code attempts per client per 10-minute window, counted in the
    shared store (Redis when configured), so every app instance counts the same failures; each
    account also locks on its own, in the database."""
    limiter: RateLimit = current_app.extensions.setdefault(
        "console.attempts",
        RateLimit(current_app.extensions["ledger.store"], "console-login", 20, 600),
    )
    return limiter


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) may follow a login."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("console_home.dashboard")


def _client_address() -> str:
    return request.remote_addr or "-"


@bp.route("/login", methods=["GET", "POST"])
@requires(ANYONE)
def login() -> BaseResponse | str | tuple[str, int]:
    if current_user.is_authenticated and session.get(FACTOR_OK):
        return redirect(url_for("console_home.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        if _limiter().is_exhausted(_client_address()):
            form.form_errors.append("Too many attempts from here. Wait a few minutes.")
            return render_template("console/login.html", form=form), 429
        db = get_session()
        result = users.authenticate(db, form.username.data or "", form.password.data or "")
        if result.ok and result.user is not None:
            users.record_login(result.user)
            db.commit()
            session.clear()
            login_user(ConsoleIdentity.of(result.user))
            session.permanent = True
            session[FACTOR_OK] = not users.needs_second_factor(result.user)
            session["console_next"] = _safe_next(request.args.get("next"))
            if not session[FACTOR_OK]:
                if result.user.has_second_factor:
                    return redirect(url_for("console.login_code"))
                return redirect(url_for("console.second_factor"))
            return redirect(session.pop("console_next"))
        db.commit()  # the failure count
        _limiter().record(_client_address())
        if result.reason == "locked":
            form.form_errors.append(
                "This account is locked for a while after too many failed attempts."
            )
        else:
            form.form_errors.append("Username or password is wrong, or the account is disabled.")
        status = 401
    elif form.errors:
        status = 400
    return render_template("console/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@requires(SIGNED_IN)
def login_code() -> BaseResponse | str | tuple[str, int]:
    if session.get(FACTOR_OK):
        return redirect(url_for("console_home.dashboard"))
    if not current_user.has_second_factor:
        return redirect(url_for("console.second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        if _limiter().is_exhausted(_client_address()):
            form.form_errors.append("Too many attempts from here. Wait a few minutes.")
            return render_template("console/login_code.html", form=form), 429
        db = get_session()
        user = users.get_user(db, current_user.username)
        ok = users.verify_second_factor(user, form.code.data or "")
        db.commit()
        if ok:
            session[FACTOR_OK] = True
            return redirect(session.pop("console_next", url_for("console_home.dashboard")))
        _limiter().record(_client_address())
        form.code.errors = ["That code is not right (or was used already). Try the next one."]
        return render_template("console/login_code.html", form=form), 401
    return render_template("console/login_code.html", form=form)


def _qr_svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@bp.route("/account/second-factor", methods=["GET", "POST"])
@requires(SIGNED_IN)
def second_factor() -> BaseResponse | str | tuple[str, int]:
    """Set up an authenticator (required for admins before anything else)."""
    db = get_session()
    user = users.get_user(db, current_user.username)
    if user.has_second_factor:
        if not session.get(FACTOR_OK):
            return redirect(url_for("console.login_code"))
        return render_template("console/second_factor.html", enrolled=True, form=None)
    form = CodeForm()
    if form.validate_on_submit() and user.totp_secret:
        try:
            users.confirm_totp_enrolment(db, user, form.code.data or "", actor=current_actor())
        except LedgerError as exc:
            form.code.errors = [str(exc)]
        else:
            db.commit()
            session[FACTOR_OK] = True
            login_user(ConsoleIdentity.of(user))
            flash("Second factor set up. You will be asked for a code at each login.")
            return redirect(session.pop("console_next", url_for("console_home.dashboard")))
    if not user.totp_secret:
        users.start_totp_enrolment(user)
        db.commit()
    uri = users.provisioning_uri(user)
    status = 400 if form.errors else 200
    return render_template(
        "console/second_factor.html", enrolled=False, form=form, secret=user.totp_secret,
        qr=_qr_svg_data_uri(uri), required=user.role is Role.ADMIN,
    ), status


@bp.route("/account/password", methods=["GET", "POST"])
@requires(SIGNED_IN)
def password() -> BaseResponse | str | tuple[str, int]:
    if not session.get(FACTOR_OK):
        return redirect(url_for("console.login_code"))
    form = PasswordChangeForm()
    if form.validate_on_submit():
        db = get_session()
        user = users.get_user(db, current_user.username)
        try:
            users.change_password(db, user, form.current.data or "", form.new.data or "",
                                  actor=current_actor())
        except LedgerError as exc:
            form.form_errors.append(str(exc))
        else:
            db.commit()
            login_user(ConsoleIdentity.of(user))  # the new session version
            flash("Password changed.")
            return redirect(url_for("console_home.dashboard"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("console/password.html", form=form), status


@bp.post("/logout")
@requires(SIGNED_IN)
def logout() -> BaseResponse:
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
    return redirect(url_for("console.login"))
