"""Bar charts as SVG text, drawn on the server: no script, no style attribute, only classes
(the console's stylesheet colours them), a <title> and <desc> for assistive technology.

Values are exact integers; only the drawing rounds (a bar's height in whole pixels). A negative
value (more reversed than received in a period) is drawn as an empty bar at zero; the table
next to every chart gives the exact figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
HEIGHT = 280
TOP, BOTTOM, LEFT, RIGHT = 24, 64, 12, 12
MAX_LABEL = 18


@dataclass(frozen=True)
class BarChart:
    id: str  # unique on the page: the ids of the title and description derive from it
    title: str
    description: str
    bars: Sequence[tuple[str, int]]  # (label, value in the smallest unit)
    show_value: Callable[[int], str]  # an exact value as text, e.g. "1.5 BNB"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def render_bar_chart(chart: BarChart) -> str:
    """Return the chart as an <svg> element (text; every label escaped)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(chart.bars), 1)
    slot = plot_w // count
    bar_w = max(slot * 7 // 10, 1)
    top = max((value for _, value in chart.bars), default=0)
    base_y = TOP + plot_h
    ident = escape(chart.id, quote=True)
    parts = [
        f'<svg class="chart" id="{ident}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
        f'<line class="axis" x1="{LEFT}" y1="{base_y}" x2="{WIDTH - RIGHT}" y2="{base_y}"/>',
    ]
    for index, (label, value) in enumerate(chart.bars):
        height = value * plot_h // top if top > 0 and value > 0 else 0
        x = LEFT + index * slot + (slot - bar_w) // 2
        centre = x + bar_w // 2
        shown = escape(chart.show_value(value))
        parts.append(
            f'<g class="bar-group"><title>{escape(label)}: {shown}</title>'
            f'<rect class="bar" x="{x}" y="{base_y - height}" width="{bar_w}" '
            f'height="{height}"/>'
        )
        if count <= 12:
            parts.append(
                f'<text class="value" x="{centre}" y="{base_y - height - 4}" '
                f'text-anchor="middle">{shown}</text>'
            )
        parts.append(
            f'<text class="tick" x="{centre}" y="{base_y + 14}" text-anchor="end" '
            f'transform="rotate(-30 {centre} {base_y + 14})">{escape(_short(label))}</text></g>'
        )
    if not chart.bars:
        parts.append(
            f'<text class="tick" x="{WIDTH // 2}" y="{TOP + plot_h // 2}" '
            f'text-anchor="middle">-</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
