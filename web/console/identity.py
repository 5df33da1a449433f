"""The logged-in console user as Flask-Login sees it (a detached copy of the account row).

The session stores ``"<id>.<session_version>"``: a password change, reset, role change or
disable bumps the version, and every session made before it ends at its next request.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import LoginManager, UserMixin
from sqlalchemy import select

from ledger.models import ConsoleUser, Role
from web.database import get_session


@dataclass
class ConsoleIdentity(UserMixin):
    id: int
    username: str
    role: Role
    session_version: int
    has_second_factor: bool
    must_change_password: bool

    @classmethod
    def of(cls, user: ConsoleUser) -> ConsoleIdentity:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            session_version=user.session_version,
            has_second_factor=user.has_second_factor,
            must_change_password=user.must_change_password,
        )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


def load_identity(value: str) -> ConsoleIdentity | None:
    user_id, _, version = value.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_session().scalar(select(ConsoleUser).where(ConsoleUser.id == int(user_id)))
    if user is None or user.disabled_at is not None or user.session_version != int(version):
        return None
    return ConsoleIdentity.of(user)


def make_login_manager() -> LoginManager:
    manager = LoginManager()
    manager.user_loader(load_identity)
    manager.login_view = "console.login"
    # Flask-Login's session protection stores a hash of the client's address in the cookie;
    # we keep no address at all. Sessions end on their own at the version bump above.
    manager.session_protection = None
    return manager
