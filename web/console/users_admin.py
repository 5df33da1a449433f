"""Users and their access (admins only): add, change role, reset password or second factor,
disable. Every change lands in the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from ledger import users
from ledger.errors import LedgerError, NotFoundError
from ledger.models import ConsoleUser, Role
from web.console.access import console_blueprint, current_actor, requires
from web.console.forms import ActionForm, UserAddForm, UserRoleForm
from web.database import get_session

bp = console_blueprint("console_users", __name__, "/console/users")


def _user_or_404(username: str) -> ConsoleUser:
    try:
        return users.get_user(get_session(), username)
    except NotFoundError:
        abort(404)


@bp.route("/", methods=["GET", "POST"])
@requires(Role.ADMIN)
def index() -> BaseResponse | str | tuple[str, int]:
    db = get_session()
    form = UserAddForm()
    if form.validate_on_submit():
        temporary = users.make_one_time_password()
        try:
            user = users.create_user(db, form.username.data or "", Role(form.role.data),
                                     temporary, actor=current_actor(), must_change_password=True)
        except LedgerError as exc:
            form.username.errors = [str(exc)]
        else:
            db.commit()
            return render_template("console/user_created.html", user=user, temporary=temporary)
    rows = list(db.scalars(select(ConsoleUser).order_by(ConsoleUser.username)))
    status = 400 if form.errors else 200
    return render_template("console/users.html", users=rows, form=form,
                           role_form=UserRoleForm(), action=ActionForm()), status


@bp.post("/<username>/role")
@requires(Role.ADMIN)
def change_role(username: str) -> BaseResponse:
    user = _user_or_404(username)
    form = UserRoleForm()
    if form.validate_on_submit():
        users.set_role(get_session(), user, Role(form.role.data), actor=current_actor())
        get_session().commit()
        flash(f"{user.username} is now {user.role.value}.")
    return redirect(url_for("console_users.index"))


@bp.post("/<username>/reset-password")
@requires(Role.ADMIN)
def reset_password(username: str) -> BaseResponse | str:
    user = _user_or_404(username)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("console_users.index"))
    temporary = users.reset_password(get_session(), user, actor=current_actor())
    get_session().commit()
    return render_template("console/user_created.html", user=user, temporary=temporary,
                           reset=True)


@bp.post("/<username>/reset-second-factor")
@requires(Role.ADMIN)
def reset_second_factor(username: str) -> BaseResponse:
    user = _user_or_404(username)
    if ActionForm().validate_on_submit():
        users.remove_second_factor(get_session(), user, actor=current_actor())
        get_session().commit()
        flash(f"The second factor of {user.username} was removed; they set one up at next login.")
    return redirect(url_for("console_users.index"))


@bp.post("/<username>/disable")
@requires(Role.ADMIN)
def disable(username: str) -> BaseResponse:
    return _set_disabled(username, True)


@bp.post("/<username>/enable")
@requires(Role.ADMIN)
def enable(username: str) -> BaseResponse:
    return _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> BaseResponse:
    user = _user_or_404(username)
    if ActionForm().validate_on_submit():
        try:
            users.set_disabled(get_session(), user, disabled, actor=current_actor())
        except LedgerError as exc:
            flash(str(exc), "error")
        else:
            get_session().commit()
            flash(f"{user.username} is {'disabled' if disabled else 'enabled'}.")
    return redirect(url_for("console_users.index"))
