"""The reconciliation inbox: items from every source with filters and bulk actions, one item
with its suggestions, undo and history, recording a bank disbursement or a manual entry with
its evidence, and the open discrepancies with their reasons."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ledger.audit import record_change
from ledger.days import instant_of_day
from ledger.errors import LedgerError, NotFoundError
from ledger.imports.parse import parse_decimal, to_units
from ledger.manual import ManualEntry, ManualKind, record_bank_payout, record_manual_entry
from ledger.models import (
    Artwork,
    Asset,
    Beneficiary,
    FailReason,
    ItemSource,
    ItemState,
    JournalEntry,
    Role,
)
from ledger.reconcile.inbox import (
    Action,
    ItemFilter,
    apply_bulk,
    collect_items,
    compute_legs,
    compute_suggestions,
    count_by_state,
    count_uncollected,
    get_history,
    get_item,
    list_items,
    match_item,
    unmatch_item,
)
from ledger.reports.render import format_units
from ledger.routing.disburse import BankPayout
from ledger.uploads import UploadError, check_document_upload
from web.console.access import can, console_blueprint, current_actor, requires
from web.console.context import open_discrepancies
from web.console.forms import ActionForm
from web.database import get_session, get_settings

bp = console_blueprint("console_reconcile", __name__, "/console/reconcile")

ACTIONS = [(a.value, a.value.replace("_", " ")) for a in Action]
REASONS = [("", "(only for fail)")] + [(r.value, r.value.replace("_", " ")) for r in FailReason]
REFERENCE = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,59}$",
                   message="Letters, digits, '.', '/', '_' or '-'.")


class BulkForm(FlaskForm):
    action = SelectField("Action on the selected items", choices=ACTIONS)
    reason = SelectField("Reason (when failing items)", choices=REASONS, default="")


class MatchForm(FlaskForm):
    candidate = StringField(validators=[Optional(), Length(max=200)])


def _asset_choices() -> list[tuple[str, str]]:
    return [(c, c) for c in get_session().scalars(select(Asset.code).order_by(Asset.code))]


class DisbursementForm(FlaskForm):
    beneficiary = SelectField("Beneficiary", validators=[DataRequired()])
    asset = SelectField("Asset", validators=[DataRequired()])
    amount = StringField("Amount", validators=[DataRequired(), Length(max=40)],
                         render_kw={"inputmode": "decimal"})
    reference = StringField("Bank reference", validators=[DataRequired(), Length(max=60)])
    paid_on = DateField("Paid on", validators=[DataRequired()])
    document = FileField("Bank statement or payment order (PDF, PNG or JPEG)")


class EntryForm(FlaskForm):
    kind = SelectField("Kind", choices=[(k.value, k.value.replace("-", " ")) for k in ManualKind])
    reference = StringField("Receipt or pledge number", validators=[DataRequired(), REFERENCE])
    artwork = SelectField("Artwork", validators=[Optional()])
    asset = SelectField("Asset", validators=[DataRequired()])
    amount = StringField("Amount", validators=[DataRequired(), Length(max=40)],
                         render_kw={"inputmode": "decimal"})
    on = DateField("Date", validators=[DataRequired()])
    channel = StringField("Channel", default="Exhibition",
                          validators=[DataRequired(), Length(max=40)])
    buyer = StringField("Buyer reference (an opaque id, never a name)",
                        validators=[Optional(), Length(max=40)])
    pledge_reference = StringField("Pledge paid (its number)",
                                   validators=[Optional(), REFERENCE])
    paid_to_bank = BooleanField("Paid to the bank (not in cash)")
    document = FileField("Evidence (PDF, PNG or JPEG)")


@bp.context_processor
def _helpers() -> dict[str, object]:
    decimals = dict(get_session().execute(select(Asset.code, Asset.decimals)).all())

    def amount(units: int, asset: str) -> str:
        return f"{format_units(units, decimals.get(asset, 0))} {asset}"

    return {"may_write": can(Role.ORGANISER), "amount": amount}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _enum_arg(name: str, kind: type[ItemState] | type[ItemSource]) -> ItemState | ItemSource | None:
    value = request.args.get(name, "")
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@requires(Role.AUDITOR)
def inbox() -> str:
    session = get_session()
    state = _enum_arg("state", ItemState)
    source = _enum_arg("source", ItemSource)
    filters = ItemFilter(
        state=state if isinstance(state, ItemState) else None,
        source=source if isinstance(source, ItemSource) else None,
        artwork_id=_int_arg("artwork"),
        beneficiary_id=_int_arg("beneficiary"),
    )
    rows = [(item, entry, compute_legs(entry)) for item, entry in list_items(session, filters)]
    return render_template(
        "console/reconcile_inbox.html",
        rows=rows,
        filters=filters,
        states=list(ItemState),
        sources=list(ItemSource),
        artworks=session.scalars(select(Artwork).order_by(Artwork.key)).all(),
        beneficiaries=session.scalars(select(Beneficiary).order_by(Beneficiary.key)).all(),
        counts=count_by_state(session),
        uncollected=count_uncollected(session),
        bulk=BulkForm(),
        action=ActionForm(),
        discrepancies=open_discrepancies(),
    )


@bp.post("/bulk")
@requires(Role.ORGANISER)
def bulk() -> BaseResponse:
    form = BulkForm()
    ids = [int(v) for v in request.form.getlist("item") if v.isdigit()]
    # Back to the same filtered view (only ever a path of this page: no open redirect).
    back_to = request.form.get("back", "")
    if not back_to.startswith("/console/reconcile/") or "//" in back_to or "\\" in back_to:
        back_to = url_for("console_reconcile.inbox")
    back = redirect(back_to)
    if not form.validate_on_submit() or not ids:
        flash("Select at least one item and an action.", "error")
        return back
    action = Action(form.action.data)
    reason = FailReason(form.reason.data) if form.reason.data else None
    if action == Action.FAIL and reason is None:
        flash("Failing items needs a reason.", "error")
        return back
    session = get_session()
    result = apply_bulk(session, ids, action, current_actor(), reason=reason)
    session.commit()
    if result.done:
        flash(f"{action.value}: {len(result.done)} item(s) done.")
    for item_id, why in result.refused:
        flash(f"Item {item_id} unchanged: {why}", "error")
    return back


@bp.post("/collect")
@requires(Role.ORGANISER)
def collect() -> BaseResponse:
    if ActionForm().validate_on_submit():
        session = get_session()
        new = collect_items(session)
        record_change(session, current_actor(), "reconcile.collect", "reconcile_item",
                      summary=f"brought {len(new)} entries into the inbox")
        session.commit()
        flash(f"{len(new)} entries brought into the inbox.")
    return redirect(url_for("console_reconcile.inbox"))


@bp.get("/items/<int:item_id>")
@requires(Role.AUDITOR)
def item(item_id: int) -> str:
    session = get_session()
    try:
        found = get_item(session, item_id)
    except NotFoundError:
        abort(404)
    journal_entry = session.get(JournalEntry, found.entry_id)
    return render_template(
        "console/reconcile_item.html",
        item=found,
        entry=journal_entry,
        legs=compute_legs(journal_entry) if journal_entry else [],
        suggestions=compute_suggestions(session, found),
        history=get_history(session, found),
        action=ActionForm(),
        states=ItemState,
    )


@bp.post("/items/<int:item_id>/match")
@requires(Role.ORGANISER)
def match(item_id: int) -> BaseResponse:
    session = get_session()
    try:
        found = get_item(session, item_id)
    except NotFoundError:
        abort(404)
    form = MatchForm()
    if form.validate_on_submit():
        try:
            match_item(session, found, current_actor(), candidate_ref=form.candidate.data or None)
        except LedgerError as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            flash(f"Item {item_id} matched.")
    return redirect(url_for("console_reconcile.item", item_id=item_id))


@bp.post("/items/<int:item_id>/unmatch")
@requires(Role.ORGANISER)
def unmatch(item_id: int) -> BaseResponse:
    session = get_session()
    try:
        found = get_item(session, item_id)
    except NotFoundError:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            unmatch_item(session, found, current_actor())
        except LedgerError as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            flash(f"The match of item {item_id} was undone.")
    return redirect(url_for("console_reconcile.item", item_id=item_id))


def _units(raw: str, asset: str) -> int:
    decimals = get_session().scalar(select(Asset.decimals).where(Asset.code == asset))
    if decimals is None:
        raise ValueError(f"no asset {asset}")
    value = parse_decimal(raw)
    if value <= 0:
        raise ValueError("must be positive")
    return to_units(value, decimals)


def _read_document(field: FileField) -> tuple[bytes, str]:
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return b"", ""
    data: bytes = upload.read(10 * 1024 * 1024 + 1)
    check_document_upload(data)
    return data, str(upload.filename)


@bp.route("/disbursement", methods=["GET", "POST"])
@requires(Role.AUDITOR, Role.ORGANISER)
def disbursement() -> str | tuple[str, int] | BaseResponse:
    session = get_session()
    settings = get_settings()
    form = DisbursementForm()
    form.beneficiary.choices = [
        (b.key, b.key) for b in session.scalars(select(Beneficiary).order_by(Beneficiary.key))
    ]
    form.asset.choices = _asset_choices()
    if form.validate_on_submit():
        try:
            units = _units(form.amount.data or "", form.asset.data or "")
        except ValueError as exc:
            form.amount.errors = [str(exc)]
            units = 0
        try:
            data, name = _read_document(form.document)
            if not data:
                form.document.errors = ["A bank disbursement needs its document."]
        except UploadError as exc:
            form.document.errors = [str(exc)]
            data, name = b"", ""
        if units and data:
            assert form.paid_on.data is not None
            payout = BankPayout(
                beneficiary_key=form.beneficiary.data or "",
                asset=form.asset.data or "",
                amount=units,
                bank_reference=form.reference.data or "",
                paid_at=instant_of_day(form.paid_on.data, settings.tz),
                document=data,
                document_name=name,
            )
            try:
                done = record_bank_payout(
                    session, settings.documents_dir, payout, current_actor()
                )
            except LedgerError as exc:
                session.rollback()
                form.amount.errors = [str(exc)]
            else:
                session.commit()
                flash(f"Disbursement {done.id} recorded (entry {done.entry_id}).")
                return redirect(url_for("console_reconcile.inbox"))
    status = 400 if request.method == "POST" else 200
    return render_template("console/reconcile_disbursement.html", form=form), status


@bp.route("/entry", methods=["GET", "POST"])
@requires(Role.AUDITOR, Role.ORGANISER)
def entry() -> str | tuple[str, int] | BaseResponse:
    session = get_session()
    settings = get_settings()
    form = EntryForm()
    form.asset.choices = _asset_choices()
    form.artwork.choices = [("", "(none)")] + [
        (a.key, a.key) for a in session.scalars(select(Artwork).order_by(Artwork.key))
    ]
    if form.validate_on_submit():
        try:
            units = _units(form.amount.data or "", form.asset.data or "")
        except ValueError as exc:
            form.amount.errors = [str(exc)]
            units = 0
        try:
            data, name = _read_document(form.document)
        except UploadError as exc:
            form.document.errors = [str(exc)]
            data, name, units = b"", "", 0
        if units:
            assert form.on.data is not None
            manual = ManualEntry(
                kind=ManualKind(form.kind.data),
                reference=form.reference.data or "",
                asset=form.asset.data or "",
                amount=units,
                at=instant_of_day(form.on.data, settings.tz),
                artwork=form.artwork.data or None,
                channel=form.channel.data or "Exhibition",
                buyer=form.buyer.data or None,
                pledge_reference=form.pledge_reference.data or None,
                paid_to_bank=bool(form.paid_to_bank.data),
                document=data,
                document_name=name,
            )
            try:
                posted = record_manual_entry(session, settings.documents_dir, manual,
                                             current_actor())
            except LedgerError as exc:
                session.rollback()
                form.reference.errors = [str(exc)]
            else:
                session.commit()
                flash(f"Entry {posted.id} recorded.")
                return redirect(url_for("console_reconcile.inbox"))
    status = 400 if request.method == "POST" else 200
    return render_template("console/reconcile_entry.html", form=form), status
