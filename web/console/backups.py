"""Backups: admins write one with a button and download them; auditors see the list.

The file holds the whole database, personal data included: it is served to admins only, as an
attachment of type application/octet-stream, and every backup and download is in the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from ledger.audit import record_change
from ledger.backup import get_backup, get_backup_dir, list_backups, write_instance_backup
from ledger.errors import LedgerError, NotFoundError
from ledger.models import Role
from web.console.access import can, console_blueprint, current_actor, requires
from web.console.forms import ConfirmForm
from web.database import get_session, get_settings

bp = console_blueprint("console_backups", __name__, "/console/backups")


def _page(form: ConfirmForm, status: int = 200) -> tuple[str, int]:
    settings = get_settings()
    return render_template(
        "console/backups.html",
        backups=list_backups(get_backup_dir(settings.instance_dir)),
        folder=get_backup_dir(settings.instance_dir),
        backend=settings.database_url.split(":", 1)[0].split("+", 1)[0],
        form=form,
        is_admin=can(Role.ADMIN),
    ), status


@bp.get("/")
@requires(Role.AUDITOR)
def index() -> tuple[str, int]:
    return _page(ConfirmForm())


@bp.post("/")
@requires(Role.ADMIN)
def create() -> BaseResponse | tuple[str, int]:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    settings = get_settings()
    try:
        written = write_instance_backup(
            settings.database_url, settings.instance_dir, datetime.now(UTC)
        )
    except LedgerError as exc:
        flash(str(exc), "error")
        return _page(form, 503)
    record_change(
        get_session(), current_actor(), "backup.create", "backup", written.name,
        summary=f"backup written ({written.size} bytes)",
        after={"file": written.name, "bytes": written.size},
    )
    get_session().commit()
    flash(f"Backup {written.name} written ({written.size} bytes).")
    return redirect(url_for("console_backups.index"))


@bp.get("/<backup_name>")
@requires(Role.ADMIN)
def download(backup_name: str) -> Response:
    try:
        backup = get_backup(get_backup_dir(get_settings().instance_dir), backup_name)
    except NotFoundError:
        abort(404)
    record_change(
        get_session(), current_actor(), "backup.download", "backup", backup.name,
        summary=f"backup downloaded ({backup.size} bytes)",
        after={"file": backup.name, "bytes": backup.size},
    )
    get_session().commit()
    response = send_file(backup.path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=backup.name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
