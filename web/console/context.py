"""What every console page shows: the navigation for the user's role and the open
discrepancies (their count sits in the header of every page)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g

from ledger.models import Role
from ledger.reconcile.checks import Discrepancy, compute_discrepancies, sort_discrepancies
from web.console.access import account_steps_done, allows, can, current_role
from web.database import get_session, get_settings

# (endpoint, label, role needed to see it). An entry shows once its page exists, so each area
# of the console lights up in the menu as its blueprint is registered.
NAVIGATION: list[tuple[str, str, Role | frozenset[Role]]] = [
    ("console_home.dashboard", "Overview", Role.AUDITOR),
    ("console_catalogue.index", "Catalogue", Role.AUDITOR),
    ("console_people.index", "People", Role.AUDITOR),
    ("console_imports.index", "Imports", Role.AUDITOR),
    ("console_reconcile.inbox", "Reconciliation", Role.AUDITOR),
    ("console_reports.index", "Reports", Role.AUDITOR),
    ("console_chain.status", "Chain", Role.AUDITOR),
    ("console_labels.index", "Labels", Role.AUDITOR),
    ("console_backups.index", "Backups", Role.AUDITOR),
    ("console_audit.log", "Audit log", frozenset({Role.AUDITOR, Role.ADMIN})),
    ("console_users.index", "Users", Role.ADMIN),
]


def open_discrepancies() -> list[Discrepancy]:
    """Computed once per request."""
    if "console_discrepancies" not in g:
        settings = get_settings()
        found = compute_discrepancies(
            get_session(), now=datetime.now(UTC),
            unpaid_after_days=settings.reconcile.unpaid_after_days,
        )
        g.console_discrepancies = sort_discrepancies(found)
    result: list[Discrepancy] = g.console_discrepancies
    return result


def console_context() -> dict[str, object]:
    # The menu and the discrepancy count only once the account's own steps are done: a
    # password alone (no code yet, or a one-time password not changed) shows neither.
    role = current_role() if account_steps_done() else None
    items = [
        (endpoint, label)
        for endpoint, label, needed in NAVIGATION
        if endpoint in current_app.view_functions and role is not None and allows(needed, role)
    ]
    return {"console_nav": items, "can": can, "open_discrepancies": open_discrepancies}
