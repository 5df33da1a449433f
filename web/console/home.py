"""The console's first page: what needs attention now."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template

from ledger.models import Role
from web.console.access import console_blueprint, requires
from web.console.context import open_discrepancies

bp = console_blueprint("console_home", __name__, "/console")


@bp.get("/")
@requires(Role.AUDITOR)
def dashboard() -> str:
    return render_template(
        "console/dashboard.html",
        discrepancies=open_discrepancies(),
        now=datetime.now(UTC),
    )
