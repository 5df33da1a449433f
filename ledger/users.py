"""Console accounts: passwords (argon2id), second factors (TOTP), lockouts, resets.

There is no default account and no default password: the first admin is created with
``ledger users add``. No email is involved anywhere: an admin (or ``ledger users
reset-password``) sets a one-time password that must be changed at the next login.

Attempts are limited per account: after ``LOCK_AFTER`` failures in a row the account refuses
logins for a while that doubles with each further failure (up to ``MAX_LOCK``), whether the
password was right or not. The web adapter adds a per-client limit in front of this.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.audit import Actor, record_change
from ledger.errors import AccessError, InvalidEntryError, NotFoundError
from ledger.models import ConsoleUser, Role

MIN_PASSWORD_LENGTH = 12
LOCK_AFTER = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=1)
TOTP_ISSUER = "Charity sale ledger"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Verified against when the username is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str, username: str) -> None:
    """Refuse weak passwords with a reason a person can act on."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidEntryError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    if username and username.lower() in password.lower():
        raise InvalidEntryError("password: must not contain the username")
    if len(set(password)) < 5:
        raise InvalidEntryError("password: too few different characters")


def get_user(session: Session, username: str) -> ConsoleUser:
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    if user is None:
        raise NotFoundError(f"no console user {username!r}")
    return user


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ConsoleUser)) or 0)


def _user_snapshot(user: ConsoleUser) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role.value,
        "second_factor": user.has_second_factor,
        "must_change_password": user.must_change_password,
        "disabled": user.disabled_at is not None,
    }


def create_user(
    session: Session, username: str, role: Role, password: str, *, actor: Actor,
    must_change_password: bool = False,
) -> ConsoleUser:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidEntryError(
            "username: 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username)):
        raise InvalidEntryError(f"username: {username!r} is taken")
    check_password_policy(password, username)
    user = ConsoleUser(
        username=username,
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        failed_logins=0,
        session_version=1,
    )
    session.add(user)
    session.flush()
    record_change(
        session, actor, "user.create", "console_user", user.username,
        summary=f"created {role.value} {username}", after=_user_snapshot(user),
    )
    return user


@dataclass(frozen=True)
class LoginResult:
    user: ConsoleUser | None
    reason: str  # "ok", "bad-credentials", "locked", "disabled"

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def authenticate(
    session: Session, username: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a username and password, counting failures; the caller commits either way."""
    now = _now(now)
    user = session.scalar(
        select(ConsoleUser).where(ConsoleUser.username == username.strip().lower())
    )
    if user is None:
        _verify(_DUMMY_HASH, password)
        return LoginResult(None, "bad-credentials")
    if user.locked_until is not None and user.locked_until > now:
        _verify(_DUMMY_HASH, password)
        return LoginResult(None, "locked")
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            doublings = min(user.failed_logins - LOCK_AFTER, 10)
            user.locked_until = now + min(FIRST_LOCK * (2**doublings), MAX_LOCK)
        return LoginResult(None, "bad-credentials")
    if user.disabled_at is not None:
        return LoginResult(None, "disabled")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user, "ok")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def record_login(user: ConsoleUser, *, now: datetime | None = None) -> None:
    user.last_login_at = _now(now)


def change_password(
    session: Session, user: ConsoleUser, current: str, new: str, *, actor: Actor
) -> None:
    """The user's own change: needs the current password (or the one-time one)."""
    if not _verify(user.password_hash, current):
        raise AccessError("current password: does not match")
    if current == new:
        raise InvalidEntryError("password: choose a password different from the current one")
    check_password_policy(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1
    record_change(session, actor, "user.password-change", "console_user", user.username,
                  summary=f"{user.username} changed their password")


def make_one_time_password() -> str:
    """A random password an admin hands over once; the user must change it at next login."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def reset_password(session: Session, user: ConsoleUser, *, actor: Actor) -> str:
    """Give ``user`` a one-time password, to be changed at next login; end their sessions."""
    temporary = make_one_time_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    record_change(session, actor, "user.password-reset", "console_user", user.username,
                  summary=f"password of {user.username} reset; must change at next login")
    return temporary


def set_role(session: Session, user: ConsoleUser, role: Role, *, actor: Actor) -> None:
    before = _user_snapshot(user)
    user.role = role
    user.session_version += 1
    record_change(session, actor, "user.role", "console_user", user.username,
                  summary=f"{user.username} is now {role.value}", before=before,
                  after=_user_snapshot(user))


def set_disabled(session: Session, user: ConsoleUser, disabled: bool, *, actor: Actor,
                 now: datetime | None = None) -> None:
    if disabled and actor.user_id == user.id:
        raise InvalidEntryError("user: you cannot disable your own account")
    before = _user_snapshot(user)
    user.disabled_at = _now(now) if disabled else None
    user.session_version += 1
    record_change(session, actor, "user.disable" if disabled else "user.enable", "console_user",
                  user.username, before=before, after=_user_snapshot(user))


def remove_second_factor(session: Session, user: ConsoleUser, *, actor: Actor) -> None:
    """An admin's reset of a lost authenticator; the user enrols again at next login."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.session_version += 1
    record_change(session, actor, "user.totp-reset", "console_user", user.username,
                  summary=f"second factor of {user.username} removed")


# --- second factor -------------------------------------------------------------------------

def needs_second_factor(user: ConsoleUser) -> bool:
    """Admins must have one; others may."""
    return user.role is Role.ADMIN or user.has_second_factor


def start_totp_enrolment(user: ConsoleUser) -> str:
    """Give the user a new, unconfirmed secret (replacing any unconfirmed one)."""
    if user.has_second_factor:
        raise InvalidEntryError("second factor: already set up; an admin can reset it")
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: ConsoleUser) -> str:
    if not user.totp_secret:
        raise InvalidEntryError("second factor: enrolment not started")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username,
                                                         issuer_name=TOTP_ISSUER)


def _accept_code(user: ConsoleUser, code: str, now: datetime) -> bool:
    """True if ``code`` is valid now (one step of clock drift either way) and not replayed."""
    if not user.totp_secret:
        return False
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    step_now = totp.timecode(now)
    for step in (step_now - 1, step_now, step_now + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def confirm_totp_enrolment(session: Session, user: ConsoleUser, code: str, *, actor: Actor,
                           now: datetime | None = None) -> None:
    now = _now(now)
    if not _accept_code(user, code, now):
        raise AccessError("code: not the current code of this authenticator")
    user.totp_confirmed_at = now
    record_change(session, actor, "user.totp-enrol", "console_user", user.username,
                  summary=f"{user.username} set up a second factor")


def verify_second_factor(user: ConsoleUser, code: str, *, now: datetime | None = None) -> bool:
    now = _now(now)
    if not user.has_second_factor:
        return False
    if user.locked_until is not None and user.locked_until > now:
        return False
    if _accept_code(user, code, now):
        user.failed_logins = 0
        return True
    user.failed_logins += 1
    if user.failed_logins >= LOCK_AFTER:
        doublings = min(user.failed_logins - LOCK_AFTER, 10)
        user.locked_until = now + min(FIRST_LOCK * (2**doublings), MAX_LOCK)
    return False
