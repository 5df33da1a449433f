"""Reports: the four figures per artwork, artist, beneficiary, channel or in total, for any
period, optionally converted into KZT or USD; two charts drawn on the server; downloads.

Every download is a POST (it writes an audit record) and goes out as an attachment. The report
and the journal exports carry no personal data; receipts for a whole period carry every gift's
receipt code (the donors' keys), so only admins may download them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ledger.audit import record_change
from ledger.errors import LedgerError
from ledger.exports import get_export_data
from ledger.exports import render_beancount as export_beancount
from ledger.exports import render_csv as export_csv
from ledger.exports import render_json as export_json
from ledger.models import Asset, Role
from ledger.rates import get_rate_book
from ledger.receipts import build_period_receipts, build_receipts, write_receipts_pdf
from ledger.reports.charts import BarChart, render_bar_chart
from ledger.reports.convert import Conversion, build_converted_report
from ledger.reports.render import (
    conversion_lines,
    format_units,
    render_csv,
    render_json,
    report_records,
)
from ledger.reports.series import build_received_by_month
from ledger.reports.tables import Dimension, Report, build_report
from web.console.access import can, console_blueprint, current_actor, requires
from web.database import get_session, get_settings
from web.i18n import current_language

bp = console_blueprint("console_reports", __name__, "/console/reports")

DIMENSIONS = [
    ("artwork", "Artwork"),
    ("beneficiary", "Beneficiary"),
    ("channel", "Channel"),
    ("artist", "Artist"),
    ("total", "Total"),
]
CONVERSIONS = [("", "No conversion (each asset on its own)"), ("KZT", "KZT"), ("USD", "USD")]
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
FILE_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "beancount": ("text/plain; charset=utf-8", "beancount"),
}


def _end_not_before_start(form: Any, field: DateField) -> None:
    if field.data and form.start.data and field.data < form.start.data:
        raise ValidationError("The last day comes before the first.")


class ReportFilterForm(FlaskForm):
    """The report's choices (a GET form: it changes nothing, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    by = SelectField("Figures per", choices=DIMENSIONS, default="artwork")
    start = DateField("First day", validators=[Optional()])
    end = DateField("Last day", validators=[Optional(), _end_not_before_start])
    convert = SelectField("Convert into", choices=CONVERSIONS, default="")


class ReportDownloadForm(FlaskForm):
    by = SelectField("Figures per", choices=DIMENSIONS)
    start = DateField("First day", validators=[Optional()])
    end = DateField("Last day", validators=[Optional(), _end_not_before_start])
    convert = SelectField("Convert into", choices=CONVERSIONS, default="")
    fmt = SelectField("Format", choices=[("csv", "CSV"), ("json", "JSON")])


class ExportForm(FlaskForm):
    fmt = SelectField(
        "Format", choices=[("csv", "CSV"), ("json", "JSON"), ("beancount", "Beancount")]
    )


class ReceiptCodeForm(FlaskForm):
    code = StringField("Receipt code", validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "off", "autocapitalize": "none"})
    lang = SelectField("Language", choices=LANGUAGES)


class ReceiptPeriodForm(FlaskForm):
    start = DateField("First day", validators=[DataRequired()])
    end = DateField("Last day", validators=[DataRequired(), _end_not_before_start])
    lang = SelectField("Language", choices=LANGUAGES)


def _period(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[first day's local midnight, the day after the last day's local midnight)."""
    tz = get_settings().tz
    return (
        datetime.combine(start, time(0), tz) if start else None,
        datetime.combine(end + timedelta(days=1), time(0), tz) if end else None,
    )


def _decimals() -> dict[str, int]:
    return {code: d for code, d in get_session().execute(select(Asset.code, Asset.decimals))}


def _build(
    by: str, start: date | None, end: date | None, convert: str
) -> tuple[Report, Conversion | None]:
    settings = get_settings()
    since, until = _period(start, end)
    options: dict[str, Any] = {
        "start": since,
        "end": until,
        "lang": current_language(),
        "fallback": settings.i18n.fallback_order,
    }
    if not convert:
        return build_report(get_session(), Dimension(by), **options), None
    book = get_rate_book(get_session(), convert)
    return build_converted_report(get_session(), Dimension(by), book, _decimals(), **options)


def _shower(asset: str, places: int) -> Callable[[int], str]:
    return lambda value: f"{format_units(value, places)} {asset}"


def _charts(start: date | None, end: date | None) -> list[dict[str, Any]]:
    """"Raised over time" and "by artwork": received, one chart per asset."""
    settings = get_settings()
    since, until = _period(start, end)
    decimals = _decimals()
    charts = []
    monthly = build_received_by_month(get_session(), settings.tz, start=since, end=until)
    for asset, months in monthly.items():
        places = decimals.get(asset, 0)
        charts.append(
            {
                "kind": "month",
                "asset": asset,
                "rows": [(m, format_units(v, places)) for m, v in months],
                "svg": Markup(render_bar_chart(BarChart(  # noqa: S704 - every label escaped
                    id=f"chart-month-{asset.lower()}",
                    title=f"Received per month, {asset}",
                    description=(
                        f"Bar chart of what was received in {asset} in each month "
                        f"({settings.tz.key}), {months[0][0]} to {months[-1][0]}. "
                        "The table after it lists the exact amounts."
                    ),
                    bars=months,
                    show_value=_shower(asset, places),
                ))),
            }
        )
    by_artwork = build_report(
        get_session(), Dimension.ARTWORK, start=since, end=until, lang=current_language(),
        fallback=settings.i18n.fallback_order,
    )
    assets = sorted({row.asset for row in by_artwork.rows if row.figures.received})
    for asset in assets:
        places = decimals.get(asset, 0)
        bars = [(row.label, row.figures.received) for row in by_artwork.rows
                if row.asset == asset and row.figures.received]
        charts.append(
            {
                "kind": "artwork",
                "asset": asset,
                "rows": [(label, format_units(v, places)) for label, v in bars],
                "svg": Markup(render_bar_chart(BarChart(  # noqa: S704 - every label escaped
                    id=f"chart-artwork-{asset.lower()}",
                    title=f"Received by artwork, {asset}",
                    description=(
                        f"Bar chart of what each artwork received in {asset} in the period. "
                        "The table after it lists the exact amounts."
                    ),
                    bars=bars,
                    show_value=_shower(asset, places),
                ))),
            }
        )
    return charts


def _page(status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    settings = get_settings()
    filters = ReportFilterForm(request.args)
    error = None
    report = conversion = None
    records: list[dict[str, Any]] = []
    charts: list[dict[str, Any]] = []
    if filters.validate():
        try:
            report, conversion = _build(filters.by.data, filters.start.data, filters.end.data,
                                        filters.convert.data or "")
        except LedgerError as exc:
            error = str(exc)
        else:
            records = report_records(report, _decimals())
            charts = _charts(filters.start.data, filters.end.data)
    else:
        status = 400
    return render_template(
        "console/reports.html",
        filters=filters,
        report=report,
        records=records,
        conversion_text=(
            conversion_lines(conversion, _decimals(), settings.tz) if conversion else None
        ),
        charts=charts,
        error=error,
        tz=settings.tz.key,
        by_label=_(dict(DIMENSIONS).get(filters.by.data, filters.by.data)),
        is_admin=can(Role.ADMIN),
        download=forms.get("download") or ReportDownloadForm(formdata=None),
        export=forms.get("export") or ExportForm(formdata=None, prefix="export"),
        receipt=forms.get("receipt") or ReceiptCodeForm(
            formdata=None, prefix="receipt", lang=current_language()
        ),
        period=forms.get("period") or ReceiptPeriodForm(
            formdata=None, prefix="period", lang=current_language()
        ),
    ), status


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


@bp.get("/")
@requires(Role.AUDITOR)
def index() -> tuple[str, int]:
    return _page()


@bp.post("/download")
@requires(Role.AUDITOR)
def download_report() -> Response | tuple[str, int]:
    form = ReportDownloadForm()
    if not form.validate_on_submit():
        return _page(400, download=form)
    try:
        report, conversion = _build(form.by.data, form.start.data, form.end.data,
                                    form.convert.data or "")
    except LedgerError as exc:
        form.fmt.errors = [str(exc)]
        return _page(400, download=form)
    render = render_csv if form.fmt.data == "csv" else render_json
    text = render(report, _decimals(), get_settings().tz, conversion)
    record_change(
        get_session(), current_actor(), "report.download", "report", form.by.data,
        summary=f"report by {form.by.data} downloaded as {form.fmt.data}",
        after={"by": form.by.data, "from": form.start.data, "to": form.end.data,
               "convert": form.convert.data or None, "format": form.fmt.data,
               "rows": len(report.rows)},
    )
    get_session().commit()
    mimetype, extension = FILE_TYPES[form.fmt.data]
    return _attachment(text, mimetype, f"report-{form.by.data}-{_stamp()}.{extension}")


@bp.post("/export")
@requires(Role.AUDITOR)
def download_export() -> Response | tuple[str, int]:
    form = ExportForm(prefix="export")
    if not form.validate_on_submit():
        return _page(400, export=form)
    settings = get_settings()
    data = get_export_data(
        get_session(),
        tz=settings.tz,
        explorer_tx_url=settings.chain.explorer_tx_url,
        operating_currency=settings.exports.operating_currency,
        generated_at=datetime.now(UTC),
    )
    render = {"csv": export_csv, "json": export_json, "beancount": export_beancount}[
        form.fmt.data
    ]
    text = render(data)
    record_change(
        get_session(), current_actor(), "export.download", "journal", None,
        summary=f"journal export downloaded as {form.fmt.data}",
        after={"format": form.fmt.data, "entries": len(data.entries)},
    )
    get_session().commit()
    mimetype, extension = FILE_TYPES[form.fmt.data]
    return _attachment(text, mimetype, f"ledger-{_stamp()}.{extension}")


def _receipts_pdf(receipts: list[Any], lang: str, name: str) -> Response:
    import io

    out = io.BytesIO()
    write_receipts_pdf(receipts, out, lang=lang)
    return _attachment(out.getvalue(), "application/pdf", name)


@bp.post("/receipt")
@requires(Role.AUDITOR)
def receipt_by_code() -> Response | tuple[str, int]:
    """The receipt of one gift, for whoever holds its code (as on the public lookup)."""
    form = ReceiptCodeForm(prefix="receipt")
    if not form.validate_on_submit():
        return _page(400, receipt=form)
    settings = get_settings()
    try:
        receipts = build_receipts(
            get_session(), tz=settings.tz, lang=form.lang.data,
            fallback=settings.i18n.fallback_order, receipt_code=(form.code.data or "").strip(),
        )
    except LedgerError as exc:
        form.code.errors = [str(exc)]
        return _page(404, receipt=form)
    # The code is the donor's key: the audit log records that a receipt left, not which.
    record_change(
        get_session(), current_actor(), "receipt.download", "receipt", None,
        summary="one receipt downloaded by its code",
        after={"receipts": len(receipts), "lang": form.lang.data},
    )
    get_session().commit()
    return _receipts_pdf(receipts, form.lang.data, f"receipt-{_stamp()}.pdf")


@bp.post("/receipts")
@requires(Role.ADMIN)
def receipts_for_period() -> Response | tuple[str, int]:
    """Every gift's receipt in a period (admins: each carries a donor's receipt code)."""
    form = ReceiptPeriodForm(prefix="period")
    if not form.validate_on_submit():
        return _page(400, period=form)
    settings = get_settings()
    since, until = _period(form.start.data, form.end.data)
    try:
        receipts = build_period_receipts(
            get_session(), tz=settings.tz, lang=form.lang.data,
            fallback=settings.i18n.fallback_order, start=since, end=until,
        )
    except LedgerError as exc:
        form.start.errors = [str(exc)]
        return _page(404, period=form)
    record_change(
        get_session(), current_actor(), "receipts.download", "receipt", None,
        summary=f"{len(receipts)} receipts downloaded for a period",
        after={"from": form.start.data, "to": form.end.data, "receipts": len(receipts),
               "lang": form.lang.data},
    )
    get_session().commit()
    return _receipts_pdf(receipts, form.lang.data, f"receipts-{_stamp()}.pdf")
