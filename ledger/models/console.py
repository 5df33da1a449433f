"""The organiser console's people and its record of changes.

``console_user`` holds the accounts that log in to the console (never donors or buyers: those
are ``person``). ``audit_log`` records every change made through the console or the CLI: who,
when, what, and the values before and after. It is append-only like the journal (triggers
refuse UPDATE and DELETE), so an admin cannot rewrite what an admin did.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.models.base import Base, str_enum, utcnow


class Role(enum.StrEnum):
    """What a console user may do. Each role includes what the roles below it may see.

    auditor: read everything, change nothing; organiser: catalogue, imports, reconciliation,
    disbursements; admin: users and settings, identity-bearing exports, erasure.
    """

    AUDITOR = "auditor"
    ORGANISER = "organiser"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


ROLE_RANK = {Role.AUDITOR: 1, Role.ORGANISER: 2, Role.ADMIN: 3}


class ConsoleUser(Base):
    __tablename__ = "console_user"
    __table_args__ = (
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
        CheckConstraint("length(username) >= 2", name="username_len"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "console_role"))
    # argon2id, in the PHC string format (algorithm and parameters travel with the hash).
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Base32 TOTP secret. Set while enrolling; the factor counts once totp_confirmed_at is set.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column()
    # The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    disabled_at: Mapped[datetime | None] = mapped_column()
    # Changes on every password change, reset and disable: sessions carry it, so old sessions
    # end at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None


class AuditLog(Base):
    """One change: ``before``/``after`` are JSON objects of the changed fields (or null)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # "console" or "cli"; the actor is a console username, or the OS user for the CLI.
    via: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_user.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
