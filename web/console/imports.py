"""Imports: upload a CSV, choose (or edit and save) a column mapping, preview, commit.

The uploaded file is staged server-side by its SHA-256 (``<instance>/uploads``) between the
preview and the commit; the forms carry only the hash. What the file alone cannot tell (its
encoding, its separator) is asked, never guessed. The commit is all or nothing
(ledger.imports.saved.run_import), audited, and puts the new entries in the reconciliation
inbox.
"""

from __future__ import annotations

from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from ledger.errors import LedgerError, NotFoundError
from ledger.imports.book import ImportRejectedError, Preview, RowStatus, preview_import
from ledger.imports.mapping import MappingError
from ledger.imports.parse import ImportFileError
from ledger.imports.saved import (
    discard_staged,
    get_mapping,
    get_mapping_text,
    list_mapping_names,
    read_staged,
    run_import,
    save_mapping,
    stage_upload,
)
from ledger.models import Role
from ledger.uploads import UploadError, check_import_upload
from web.console.access import can, console_blueprint, current_actor, requires
from web.database import get_session, get_settings

bp = console_blueprint("console_imports", __name__, "/console/imports")


@bp.context_processor
def _may_write() -> dict[str, object]:
    return {"may_write": can(Role.ORGANISER)}

ENCODINGS = [
    ("", "Detect (you are asked when it cannot be told)"),
    ("utf-8", "UTF-8"),
    ("windows-1251", "Windows-1251 (Cyrillic)"),
    ("utf-16", "UTF-16"),
]
DELIMITERS = [("", "Detect from the header"), (",", "Comma ,"), (";", "Semicolon ;"),
              ("tab", "Tab")]


class _Options(FlaskForm):
    mapping = SelectField("Column mapping", validators=[DataRequired()])
    encoding = SelectField("Encoding", choices=ENCODINGS, default="")
    delimiter = SelectField("Separator", choices=DELIMITERS, default="")
    confirm_repeats = BooleanField("Rows repeated in the file are real (import each of them)")


class UploadForm(_Options):
    file = FileField("CSV file", validators=[FileRequired()])


class StagedForm(_Options):
    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    filename = HiddenField(validators=[Length(max=255)])


class MappingForm(FlaskForm):
    toml = TextAreaField("Mapping (TOML)", validators=[DataRequired(), Length(max=20_000)],
                         render_kw={"rows": 24, "spellcheck": "false"})


def _uploads_dir() -> Path:
    return get_settings().instance_dir / "uploads"


def _with_mappings(form: _Options) -> _Options:
    form.mapping.choices = [(n, n) for n in list_mapping_names(get_session())]
    return form


def _options(form: _Options) -> dict[str, object]:
    delimiter = form.delimiter.data or ""
    return {
        "tz": get_settings().tz,
        "encoding": form.encoding.data or "",
        "delimiter": "\t" if delimiter == "tab" else delimiter,
        "confirm_repeats": bool(form.confirm_repeats.data),
    }


def _render_preview(form: StagedForm, preview: Preview | None, *, question: str = "",
                    problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "console/import_preview.html", form=form, preview=preview, question=question,
        problems=problems or [], statuses=RowStatus,
        can_commit=preview is not None and not preview.errors
        and (form.confirm_repeats.data or not preview.count(RowStatus.REPEATED)),
    ), status


def _preview_staged(form: StagedForm) -> tuple[str, int]:
    session = get_session()
    try:
        data = read_staged(_uploads_dir(), form.sha256.data or "")
        mapping = get_mapping(session, form.mapping.data or "")
        preview = preview_import(session, data, mapping, **_options(form))  # type: ignore[arg-type]
    except ImportFileError as exc:
        return _render_preview(form, None, question=str(exc), status=422)
    except (NotFoundError, MappingError) as exc:
        return _render_preview(form, None, problems=[str(exc)], status=400)
    return _render_preview(form, preview, status=422 if preview.errors else 200)


@bp.route("/", methods=["GET", "POST"])
@requires(Role.AUDITOR, Role.ORGANISER)
def index() -> str | tuple[str, int]:
    form = _with_mappings(UploadForm())
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(5 * 1024 * 1024 + 1)
        try:
            check_import_upload(data)
        except UploadError as exc:
            form.file.errors = [str(exc)]
        else:
            sha256 = stage_upload(_uploads_dir(), data)
            staged = _with_mappings(StagedForm(formdata=None))
            staged.sha256.data = sha256
            staged.filename.data = Path(upload.filename or "import.csv").name[:255]
            for name in ("mapping", "encoding", "delimiter", "confirm_repeats"):
                getattr(staged, name).data = getattr(form, name).data
            return _preview_staged(staged)
    status = 400 if request.method == "POST" else 200
    return render_template("console/imports.html", form=form,
                           mappings=list_mapping_names(get_session())), status


@bp.post("/preview")
@requires(Role.ORGANISER)
def preview() -> str | tuple[str, int] | BaseResponse:
    form = _with_mappings(StagedForm())
    if not form.validate_on_submit():
        flash("Upload the file again.", "error")
        return redirect(url_for("console_imports.index"))
    return _preview_staged(form)


@bp.post("/commit")
@requires(Role.ORGANISER)
def commit() -> str | tuple[str, int] | BaseResponse:
    form = _with_mappings(StagedForm())
    if not form.validate_on_submit():
        flash("Upload the file again.", "error")
        return redirect(url_for("console_imports.index"))
    session = get_session()
    settings = get_settings()
    try:
        data = read_staged(_uploads_dir(), form.sha256.data or "")
        mapping = get_mapping(session, form.mapping.data or "")
        done = run_import(session, settings.documents_dir, data, form.filename.data or "import.csv",
                          mapping, current_actor(), **_options(form))  # type: ignore[arg-type]
    except ImportRejectedError as exc:
        session.rollback()
        return _render_preview(form, None, problems=exc.problems, status=422)
    except ImportFileError as exc:
        session.rollback()
        return _render_preview(form, None, question=str(exc), status=422)
    except LedgerError as exc:
        session.rollback()
        return _render_preview(form, None, problems=[str(exc)], status=400)
    session.commit()
    discard_staged(_uploads_dir(), form.sha256.data or "")
    flash(f"Imported: {done.count(RowStatus.NEW)} new rows, "
          f"{done.count(RowStatus.DUPLICATE)} already in the ledger.")
    return redirect(url_for("console_imports.index"))


@bp.route("/mappings", methods=["GET", "POST"])
@requires(Role.AUDITOR, Role.ORGANISER)
def mappings() -> str | tuple[str, int] | BaseResponse:
    session = get_session()
    form = MappingForm()
    source = request.args.get("name", "physical-sales")
    if request.method == "GET":
        try:
            form.toml.data = get_mapping_text(session, source)
        except MappingError:
            form.toml.data = get_mapping_text(session, "physical-sales")
    elif form.validate_on_submit():
        try:
            saved = save_mapping(session, form.toml.data or "", current_actor())
        except MappingError as exc:
            session.rollback()
            form.toml.errors = [str(exc)]
        else:
            session.commit()
            flash(f"Mapping {saved.name} saved.")
            return redirect(url_for("console_imports.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("console/import_mapping.html", form=form, source=source,
                           names=list_mapping_names(session)), status
