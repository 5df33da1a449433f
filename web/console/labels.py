"""Labels: the completeness check per language, and the print-ready PDF (docs/labels.md)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask import Response, render_template, request
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from ledger.audit import record_change
from ledger.errors import LedgerError
from ledger.labels import DEFAULT_PRESET, PRESETS, LabelUnit, build_labels, check_labels
from ledger.labels.pdf import write_labels_pdf
from ledger.models import Role
from web.console.access import console_blueprint, current_actor, requires
from web.database import get_session, get_settings
from web.i18n import current_language

bp = console_blueprint("console_labels", __name__, "/console/labels")

LANGUAGE_NAMES = {"kk": "Қазақша (kk)", "ru": "Русский (ru)", "en": "English (en)"}
UNITS = [(LabelUnit.ARTWORK.value, "One label per artwork"),
         (LabelUnit.EDITION.value, "One label per NFT edition")]


def _languages() -> list[tuple[str, str]]:
    return [(lang, LANGUAGE_NAMES.get(lang, lang)) for lang in get_settings().i18n.languages]


def _presets() -> list[tuple[str, str]]:
    return [(name, f"{name}: {PRESETS[name].description}") for name in sorted(PRESETS)]


class LabelChoiceForm(FlaskForm):
    """Which sheet: language, layout and unit (the check reads only the language)."""

    class Meta:
        csrf = False

    lang = SelectField("Language")
    preset = SelectField("Layout", default=DEFAULT_PRESET)
    per = SelectField("Labels", choices=UNITS, default=LabelUnit.ARTWORK.value)


class LabelPdfForm(FlaskForm):
    lang = SelectField("Language")
    preset = SelectField("Layout")
    per = SelectField("Labels", choices=UNITS)
    force = BooleanField("Print even though the check found problems")


def _with_choices(form: LabelChoiceForm | LabelPdfForm) -> None:
    form.lang.choices = _languages()
    form.preset.choices = _presets()


def _page(pdf_form: LabelPdfForm | None = None, status: int = 200) -> tuple[str, int]:
    choice = LabelChoiceForm(request.args)
    _with_choices(choice)
    if not request.args.get("lang"):
        default = get_settings().i18n.default_language
        choice.lang.data = current_language() if current_language() in dict(_languages()) \
            else default
    problems = None
    if choice.validate():
        problems = check_labels(get_session(), choice.lang.data)
    else:
        status = 400
    if pdf_form is None:
        pdf_form = LabelPdfForm(formdata=None, lang=choice.lang.data, preset=choice.preset.data,
                                per=choice.per.data)
        _with_choices(pdf_form)
    return render_template("console/labels.html", choice=choice, problems=problems,
                           pdf=pdf_form), status


@bp.get("/")
@requires(Role.AUDITOR)
def index() -> tuple[str, int]:
    return _page()


@bp.post("/pdf")
@requires(Role.AUDITOR)
def download_pdf() -> Response | tuple[str, int]:
    """The label sheet as a PDF attachment; refused while the check fails, unless forced."""
    form = LabelPdfForm()
    _with_choices(form)
    if not form.validate_on_submit():
        return _page(form, 400)
    settings = get_settings()
    lang, preset = form.lang.data, PRESETS[form.preset.data]
    problems = check_labels(get_session(), lang)
    if problems and not form.force.data:
        form.force.errors = [
            f"The {lang} labels have {len(problems)} problem(s): fix them, or tick this box."
        ]
        return _page(form, 400)
    contents = build_labels(
        get_session(), lang=lang, fallback=settings.i18n.fallback_order,
        public_base_url=settings.web.public_base_url, word_limit=preset.word_limit,
        unit=LabelUnit(form.per.data),
    )
    out = io.BytesIO()
    try:
        if not contents:
            raise LedgerError("no labels to print (no artworks, or no editions)")
        pages = write_labels_pdf(contents, preset, out, title=f"Exhibit labels ({lang})")
    except LedgerError as exc:
        form.preset.errors = [str(exc)]
        return _page(form, 400)
    record_change(
        get_session(), current_actor(), "labels.download", "labels", lang,
        summary=f"{len(contents)} {lang} labels on {pages} pages ({preset.name})",
        after={"lang": lang, "preset": preset.name, "per": form.per.data,
               "labels": len(contents), "problems": len(problems), "forced": bool(problems)},
    )
    get_session().commit()
    response = Response(out.getvalue(), mimetype="application/pdf")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="labels-{lang}-{preset.name}-{stamp}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
