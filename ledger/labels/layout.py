"""Where every line and the QR code of a label go: pure geometry, no PDF library.

Text widths come from a ``measure`` function that the PDF writer supplies (the writer knows the
embedded font), so the layout can be tested with any measure. Coordinates are millimetres from
the label's top-left corner, y growing downwards; text is placed by its baseline.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.errors import LabelError
from ledger.labels.content import LabelContent
from ledger.labels.presets import LabelPreset, QrPlacement
from ledger.labels.qr import QUIET_ZONE_MODULES

PT_PER_MM = 72 / 25.4
LINE_SPACING = 1.25  # line height as a multiple of the type size
GAP_MM = 4.0  # between the text and the QR code
# When a label's text does not fit at the preset's type sizes, they shrink in these steps down to
# this fraction; below it a label would be hard to read from a step away, so it is an error.
SCALE_STEP = 0.05
MIN_SCALE = 0.7


class FontRole(enum.StrEnum):
    REGULAR = "regular"
    BOLD = "bold"


# Width of ``text`` set in the font for ``role`` at ``size_pt``, in points.
Measure = Callable[[str, FontRole, float], float]


@dataclass(frozen=True)
class PlacedLine:
    x_mm: float
    baseline_mm: float
    role: FontRole
    size_pt: float
    text: str


@dataclass(frozen=True)
class PlacedQr:
    """The QR code: ``x_mm``/``y_mm`` is the top-left of its quiet zone."""

    x_mm: float
    y_mm: float
    module_mm: float
    modules: tuple[tuple[bool, ...], ...]

    @property
    def symbol_mm(self) -> float:
        return len(self.modules) * self.module_mm

    @property
    def size_mm(self) -> float:
        return (len(self.modules) + 2 * QUIET_ZONE_MODULES) * self.module_mm


@dataclass(frozen=True)
class LabelLayout:
    lines: tuple[PlacedLine, ...]
    qr: PlacedQr
    scale: float  # 1.0 when the preset's type sizes fit


@dataclass(frozen=True)
class _Block:
    role: FontRole
    size_pt: float
    text: str
    space_before: float = 0.0  # in lines of this block's size


def wrap_text(
    text: str, role: FontRole, size_pt: float, width_mm: float, measure: Measure
) -> list[str]:
    """Break ``text`` into lines no wider than ``width_mm`` (greedy, on spaces; a word longer
    than a line is broken between characters)."""
    width_pt = width_mm * PT_PER_MM
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if measure(candidate, role, size_pt) <= width_pt:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if current and measure(current + char, role, size_pt) > width_pt:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines


def _line_height_mm(size_pt: float) -> float:
    return size_pt * LINE_SPACING / PT_PER_MM


def _flow(
    blocks: Sequence[_Block], x_mm: float, top_mm: float, width_mm: float, measure: Measure
) -> tuple[list[PlacedLine], float]:
    """Place ``blocks`` one under the other; return the lines and the height they take."""
    placed: list[PlacedLine] = []
    y = top_mm
    for block in blocks:
        if not block.text:
            continue
        line_h = _line_height_mm(block.size_pt)
        if placed:
            y += block.space_before * line_h
        for text in wrap_text(block.text, block.role, block.size_pt, width_mm, measure):
            placed.append(
                PlacedLine(x_mm, y + block.size_pt / PT_PER_MM, block.role, block.size_pt, text)
            )
            y += line_h
    return placed, y - top_mm


def compute_qr_module_mm(preset: LabelPreset, modules: Sequence[Sequence[bool]]) -> float:
    return preset.qr_symbol_mm / len(modules)


def compute_label_layout(
    label: LabelContent,
    preset: LabelPreset,
    modules: Sequence[Sequence[bool]],
    measure: Measure,
) -> LabelLayout:
    """Lay out one label; shrink the type (not the QR code) until it fits.

    Raises LabelError naming the label when even the smallest allowed type does not fit.
    """
    module_mm = compute_qr_module_mm(preset, modules)
    qr_size = (len(modules) + 2 * QUIET_ZONE_MODULES) * module_mm
    pad = preset.padding_mm
    content_w = preset.label_width_mm - 2 * pad
    content_h = preset.label_height_mm - 2 * pad
    frozen_modules = tuple(tuple(bool(cell) for cell in row) for row in modules)
    scale = 1.0
    while scale >= MIN_SCALE - 1e-9:
        title_pt = preset.title_pt * scale
        body_pt = preset.body_pt * scale
        main = [
            _Block(FontRole.BOLD, title_pt, label.title),
            _Block(FontRole.REGULAR, body_pt * 1.1, label.artists, 0.2),
            *(_Block(FontRole.REGULAR, body_pt, part, 0.0) for part in label.details),
            _Block(FontRole.BOLD, body_pt, label.edition or "", 0.3),
            _Block(FontRole.REGULAR, body_pt, label.text, 0.6),
        ]
        scan = _Block(FontRole.BOLD, body_pt, label.call_to_scan)
        help_block = _Block(FontRole.REGULAR, body_pt * 0.9, label.help_line or "")
        if preset.qr_placement == QrPlacement.RIGHT:
            main_w = content_w - qr_size - GAP_MM
            lines, main_h = _flow(main, pad, pad, main_w, measure)
            help_lines, help_h = _flow([help_block], pad, 0.0, main_w, measure)
            help_top = pad + content_h - help_h
            side_lines, side_h = _flow(
                [scan], pad + content_w - qr_size, pad + qr_size, qr_size, measure
            )
            qr = PlacedQr(pad + content_w - qr_size, pad, module_mm, frozen_modules)
            fits = main_h + help_h + GAP_MM <= content_h and qr_size + side_h <= content_h
        else:
            side_w = content_w - qr_size - GAP_MM
            side_x = pad + qr_size + GAP_MM
            side_lines, side_h = _flow(
                [scan, _Block(help_block.role, help_block.size_pt, help_block.text, 0.6)],
                side_x,
                0.0,
                side_w,
                measure,
            )
            band_h = max(qr_size, side_h)
            band_top = pad + content_h - band_h
            side_lines = [
                PlacedLine(ln.x_mm, ln.baseline_mm + band_top, ln.role, ln.size_pt, ln.text)
                for ln in side_lines
            ]
            lines, main_h = _flow(main, pad, pad, content_w, measure)
            help_lines, help_h, help_top = [], 0.0, 0.0
            qr = PlacedQr(pad, band_top, module_mm, frozen_modules)
            fits = main_h + GAP_MM + band_h <= content_h
        if fits:
            help_moved = [
                PlacedLine(ln.x_mm, ln.baseline_mm + help_top, ln.role, ln.size_pt, ln.text)
                for ln in help_lines
            ]
            return LabelLayout(tuple(lines + side_lines + help_moved), qr, round(scale, 2))
        scale -= SCALE_STEP
    raise LabelError(
        [
            f"/a/{label.code}: the label's text does not fit the {preset.name} preset "
            f"even at {int(MIN_SCALE * 100)} % type size; shorten its texts"
        ]
    )
