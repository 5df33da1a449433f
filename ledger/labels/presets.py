"""Label sheet presets: A4 paper with 1, 2, 4 or 8 labels per page.

Sizes are in millimetres and points as printers speak of them; geometry is not money, so plain
floats are exact enough here (the smallest step is a tenth of a millimetre).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0
# Museum label practice: a QR code at least 2-3 cm wide. This is the symbol itself, without the
# quiet zone, which is added around it.
MIN_QR_SYMBOL_MM = 25.0


class QrPlacement(enum.StrEnum):
    RIGHT = "right"  # a column on the right: landscape labels
    BOTTOM = "bottom"  # a band at the bottom: portrait labels


@dataclass(frozen=True)
class LabelPreset:
    """Where labels sit on an A4 page and how large their type is."""

    name: str
    description: str
    label_width_mm: float
    label_height_mm: float
    columns: int
    rows: int
    left_mm: float  # page edge to the first label
    top_mm: float
    column_pitch_mm: float  # left edge to left edge
    row_pitch_mm: float
    padding_mm: float
    word_limit: int
    title_pt: float
    body_pt: float
    qr_symbol_mm: float
    qr_placement: QrPlacement
    draw_cut_lines: bool  # plain paper is cut by hand; pre-cut label sheets need no lines

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def compute_label_origins(self) -> list[tuple[float, float]]:
        """Return each label's top-left corner (mm from the page's top-left), row by row."""
        return [
            (self.left_mm + col * self.column_pitch_mm, self.top_mm + row * self.row_pitch_mm)
            for row in range(self.rows)
            for col in range(self.columns)
        ]


PRESETS: dict[str, LabelPreset] = {
    preset.name: preset
    for preset in (
        LabelPreset(
            name="a4-1",
            description="one A4 label per page (210 x 297 mm)",
            label_width_mm=210.0,
            label_height_mm=297.0,
            columns=1,
            rows=1,
            left_mm=0.0,
            top_mm=0.0,
            column_pitch_mm=210.0,
            row_pitch_mm=297.0,
            padding_mm=20.0,
            word_limit=75,
            title_pt=32.0,
            body_pt=16.0,
            qr_symbol_mm=55.0,
            qr_placement=QrPlacement.BOTTOM,
            draw_cut_lines=False,
        ),
        LabelPreset(
            name="a4-2",
            description="two A5 labels per A4 page (210 x 148.5 mm, landscape)",
            label_width_mm=210.0,
            label_height_mm=148.5,
            columns=1,
            rows=2,
            left_mm=0.0,
            top_mm=0.0,
            column_pitch_mm=210.0,
            row_pitch_mm=148.5,
            padding_mm=12.0,
            word_limit=75,
            title_pt=22.0,
            body_pt=12.0,
            qr_symbol_mm=40.0,
            qr_placement=QrPlacement.RIGHT,
            draw_cut_lines=True,
        ),
        LabelPreset(
            name="a4-4",
            description="four A6 labels per A4 page (105 x 148.5 mm)",
            label_width_mm=105.0,
            label_height_mm=148.5,
            columns=2,
            rows=2,
            left_mm=0.0,
            top_mm=0.0,
            column_pitch_mm=105.0,
            row_pitch_mm=148.5,
            padding_mm=8.0,
            word_limit=75,
            title_pt=16.0,
            body_pt=9.5,
            qr_symbol_mm=27.0,
            qr_placement=QrPlacement.BOTTOM,
            draw_cut_lines=True,
        ),
        LabelPreset(
            # Avery L7165 / J8165 and compatible sheets: 2 x 4 labels of 99.1 x 67.7 mm.
            name="a4-8",
            description="eight 99.1 x 67.7 mm labels per A4 sheet (Avery L7165 and compatible)",
            label_width_mm=99.1,
            label_height_mm=67.7,
            columns=2,
            rows=4,
            left_mm=4.65,
            top_mm=13.1,
            column_pitch_mm=101.6,
            row_pitch_mm=67.7,
            padding_mm=4.0,
            word_limit=40,
            title_pt=11.0,
            body_pt=7.0,
            qr_symbol_mm=25.0,
            qr_placement=QrPlacement.RIGHT,
            draw_cut_lines=False,
        ),
    )
}
DEFAULT_PRESET = "a4-4"
