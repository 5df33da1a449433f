"""Write label sheets as a print-ready PDF (reportlab), with the font embedded.

The font is DejaVu Sans, vendored in ``ledger/labels/fonts`` with its licence: it covers the
Kazakh letters (ә ғ қ ң ө ұ ү һ і) and needs nothing installed on the machine. reportlab embeds
the subset of glyphs used, with a ToUnicode map, so the printed text can be searched and copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ledger.labels.content import LabelContent
from ledger.labels.layout import (
    PT_PER_MM,
    FontRole,
    LabelLayout,
    PlacedQr,
    compute_label_layout,
)
from ledger.labels.presets import LabelPreset
from ledger.labels.qr import QUIET_ZONE_MODULES, compute_qr_modules

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {FontRole.REGULAR: "DejaVuSans.ttf", FontRole.BOLD: "DejaVuSans-Bold.ttf"}
FONT_NAMES = {FontRole.REGULAR: "LabelSans", FontRole.BOLD: "LabelSans-Bold"}
CUT_LINE_GREY = 0.75


def register_fonts() -> None:
    """Register the embedded label fonts with reportlab (once per process)."""
    registered = pdfmetrics.getRegisteredFontNames()
    for role, file_name in FONT_FILES.items():
        if FONT_NAMES[role] not in registered:
            pdfmetrics.registerFont(TTFont(FONT_NAMES[role], str(FONT_DIR / file_name)))


def measure_text(text: str, role: FontRole, size_pt: float) -> float:
    """Return the width of ``text`` in the label font, in points."""
    register_fonts()
    width: float = pdfmetrics.stringWidth(text, FONT_NAMES[role], size_pt)
    return width


def _draw_qr(canvas: Canvas, qr: PlacedQr, left_pt: float, top_pt: float) -> None:
    """Draw the dark modules, one rectangle per horizontal run (no hairline gaps)."""
    module = qr.module_mm * PT_PER_MM
    origin_x = left_pt + (qr.x_mm + QUIET_ZONE_MODULES * qr.module_mm) * PT_PER_MM
    origin_y = top_pt - (qr.y_mm + QUIET_ZONE_MODULES * qr.module_mm) * PT_PER_MM
    canvas.setFillGray(0)
    for row_index, row in enumerate(qr.modules):
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            y = origin_y - (row_index + 1) * module
            canvas.rect(
                origin_x + start * module, y, (col - start) * module, module, stroke=0, fill=1
            )


def _draw_label(canvas: Canvas, layout: LabelLayout, left_pt: float, top_pt: float) -> None:
    canvas.setFillGray(0)
    for line in layout.lines:
        canvas.setFont(FONT_NAMES[line.role], line.size_pt)
        canvas.drawString(
            left_pt + line.x_mm * PT_PER_MM, top_pt - line.baseline_mm * PT_PER_MM, line.text
        )
    _draw_qr(canvas, layout.qr, left_pt, top_pt)


def compute_layouts(labels: Sequence[LabelContent], preset: LabelPreset) -> list[LabelLayout]:
    """Lay out every label (raises LabelError for one whose text does not fit)."""
    register_fonts()
    return [
        compute_label_layout(label, preset, compute_qr_modules(label.url), measure_text)
        for label in labels
    ]


def write_labels_pdf(
    labels: Sequence[LabelContent],
    preset: LabelPreset,
    out: BinaryIO | Path,
    *,
    title: str,
) -> int:
    """Write ``labels`` onto A4 pages laid out as ``preset``; return the number of pages.

    Raises LabelError when a label's text does not fit the preset.
    """
    layouts = compute_layouts(labels, preset)
    page_h = A4[1]
    canvas = Canvas(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        invariant=True,  # the same labels give the same bytes
        initialFontName=FONT_NAMES[FontRole.REGULAR],  # type: ignore[arg-type]  # stubs: float
        initialFontSize=10,
    )
    canvas.setTitle(title)
    canvas.setCreator("charity-sale-ledger")
    origins = preset.compute_label_origins()
    pages = 0
    for start in range(0, len(layouts), preset.per_page):
        pages += 1
        chunk = layouts[start : start + preset.per_page]
        for layout, (x_mm, y_mm) in zip(chunk, origins, strict=False):
            left_pt = x_mm * PT_PER_MM
            top_pt = page_h - y_mm * PT_PER_MM
            if preset.draw_cut_lines:
                canvas.setStrokeGray(CUT_LINE_GREY)
                canvas.setLineWidth(0.3)
                canvas.rect(
                    left_pt,
                    top_pt - preset.label_height_mm * PT_PER_MM,
                    preset.label_width_mm * PT_PER_MM,
                    preset.label_height_mm * PT_PER_MM,
                    stroke=1,
                    fill=0,
                )
            _draw_label(canvas, layout, left_pt, top_pt)
        canvas.showPage()
    canvas.save()
    return pages
