"""The audit log, newest first, filterable (admins and auditors; organisers see their own
changes through the pages they changed, not here)."""

from __future__ import annotations

import json

from flask import render_template, request

from ledger.audit import list_changes
from ledger.models import Role
from web.console.access import console_blueprint, requires
from web.database import get_session

bp = console_blueprint("console_audit", __name__, "/console/audit")

PAGE = 100


@bp.get("/")
@requires(frozenset({Role.AUDITOR, Role.ADMIN}))
def log() -> str:
    before_id = request.args.get("before", type=int)
    rows = list_changes(
        get_session(),
        action=request.args.get("action") or None,
        actor=request.args.get("actor") or None,
        target_type=request.args.get("target") or None,
        before_id=before_id,
        limit=PAGE,
    )
    changes = [
        {
            "row": row,
            "before": json.loads(row.before) if row.before else None,
            "after": json.loads(row.after) if row.after else None,
        }
        for row in rows
    ]
    older = rows[-1].id if len(rows) == PAGE else None
    # The "older" link sets its own ``before``; the filters carry on without theirs.
    filters = {k: v for k, v in request.args.items() if k in ("action", "actor", "target")}
    return render_template("console/audit.html", changes=changes, older=older, filters=filters)
