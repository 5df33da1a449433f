"""People (donors, buyers) by opaque reference: erase one's personal data, export contacts.

Both changes are admin actions on the record (the audit log names the reference, never the
data). The list shows no contact data, only whether some is held.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from ledger import people
from ledger.errors import InvalidEntryError, NotFoundError
from ledger.models import Role
from web.console.access import console_blueprint, current_actor, requires
from web.console.forms import ConfirmForm
from web.database import get_session

bp = console_blueprint("console_people", __name__, "/console/people")


@bp.get("/")
@requires(Role.AUDITOR)
def index() -> str:
    return render_template("console/people.html", people=people.list_people(get_session()),
                           admin_role=Role.ADMIN)


@bp.post("/<person_ref>/erase")
@requires(Role.ADMIN)
def erase(person_ref: str) -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        flash("Tick “I am sure” to erase.", "error")
        return redirect(url_for("console_people.index"))
    db = get_session()
    try:
        people.erase_person(db, current_actor(), person_ref)
    except NotFoundError:
        abort(404)
    except InvalidEntryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console_people.index"))
    db.commit()
    flash(f"The personal data of {person_ref} is erased. Totals and the journal are unchanged.")
    return redirect(url_for("console_people.index"))


@bp.post("/export-contacts")
@requires(Role.ADMIN)
def export_contacts() -> BaseResponse:
    """Every person's contact data as CSV: identity-bearing, admins only, audited."""
    if not ConfirmForm().validate_on_submit():
        flash("Tick “I am sure” to export contact data.", "error")
        return redirect(url_for("console_people.index"))
    db = get_session()
    body = people.export_contacts_csv(db, current_actor())
    db.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    response = BaseResponse(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="contacts-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
