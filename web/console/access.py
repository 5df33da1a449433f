"""Who may open which console page: deny by default, declare on every view.

Each console view says what role it needs with :func:`requires` (``read`` for GET/HEAD,
``write`` for everything else). A console view without a declaration answers 403 to everyone,
and the route-walk test (tests/web/test_console_access.py) fails for it, so a new route cannot
ship unchecked. The gate also walks a logged-in user through the steps their account needs
first: a second factor (admins must have one), then a forced password change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from ledger.audit import Actor
from ledger.models import Role
from web.console.errors import too_large

F = TypeVar("F", bound=Callable[..., Any])

ANYONE = "anyone"  # the login pages themselves
SIGNED_IN = "signed-in"  # any role, and before the account's steps are done (logout, steps)

# The session key set once the second factor was given (or when none is needed).
FACTOR_OK = "console_factor_ok"


# A role (that role or a higher one), exactly these roles, or one of the two markers above.
Needed = Role | frozenset[Role] | str


@dataclass(frozen=True)
class Access:
    read: Needed
    write: Needed


def allows(needed: Needed, role: Role) -> bool:
    if isinstance(needed, Role):
        return role.includes(needed)
    if isinstance(needed, frozenset):
        return role in needed
    return True


def requires(read: Needed, write: Needed | None = None) -> Callable[[F], F]:
    """Declare the role a view needs: ``read`` for GET/HEAD, ``write`` (default: read) else."""

    def mark(view: F) -> F:
        view.console_access = Access(read, write if write is not None else read)  # type: ignore[attr-defined]
        return view

    return mark


def access_of(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "console_access", None)


def current_actor() -> Actor:
    return Actor(name=current_user.username, via="console", user_id=current_user.id)


def current_role() -> Role | None:
    return current_user.role if current_user.is_authenticated else None


def can(role: Role) -> bool:
    """For templates: may the current user do what ``role`` may?"""
    mine = current_role()
    return mine is not None and mine.includes(role)


def account_steps_done() -> bool:
    """Signed in, past the second factor, and not holding a one-time password."""
    return bool(
        current_user.is_authenticated
        and session.get(FACTOR_OK)
        and not current_user.must_change_password
    )


def _gate() -> BaseResponse | None:
    access = access_of(request.endpoint)
    if access is None:
        abort(403)
    needed = access.read if request.method in ("GET", "HEAD") else access.write
    if needed == ANYONE:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    if needed == SIGNED_IN:
        return None
    # The account's own steps come before any page.
    if not session.get(FACTOR_OK):
        if current_user.has_second_factor:
            return redirect(url_for("console.login_code"))
        return redirect(url_for("console.second_factor"))
    if current_user.must_change_password:
        return redirect(url_for("console.password"))
    if not allows(needed, current_user.role):
        abort(403)
    return None


def console_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose every request passes the gate above (and whose too-large uploads get
    a page saying the limit)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(_gate)
    bp.register_error_handler(RequestEntityTooLarge, too_large)
    return bp
