"""The audit log: who changed what, when, through which door, with the values before and after.

Every change made through the console or the CLI calls :func:`record_change` inside the same
session as the change, so the record commits (or rolls back) with it. Values are stored as JSON;
personal data is never written here: an erasure records that it happened and to whom (by opaque
reference), not what was erased.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a console user, or whoever runs the CLI."""

    name: str
    via: str  # "console" or "cli"
    user_id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(name=name, via="cli")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)  # JSON readers lose precision past 2**53
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _dump(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps(_jsonable(values), ensure_ascii=False, sort_keys=True)


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose values differ (the audit log shows what changed, not all)."""
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    *,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit record to ``session`` (committed with the change it describes)."""
    row = AuditLog(
        via=actor.via,
        actor=actor.name,
        user_id=actor.user_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        summary=summary,
        before=_dump(before),
        after=_dump(after),
    )
    session.add(row)
    session.flush()
    return row


def list_changes(
    session: Session,
    *,
    action: str | None = None,
    target_type: str | None = None,
    actor: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditLog]:
    """The newest changes first, optionally filtered; page with ``before_id``."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action.startswith(action))
    if target_type:
        query = query.where(AuditLog.target_type == target_type)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    return list(session.scalars(query))
