"""Exhibit labels: what each label says, the completeness check, layout, QR codes and the PDF.

See docs/labels.md. Everything here runs without Flask; the CLI (``ledger labels``) and the web
app's QR downloads are adapters over it.
"""

from ledger.labels.content import (
    LabelContent,
    LabelProblem,
    LabelUnit,
    build_labels,
    check_labels,
)
from ledger.labels.presets import DEFAULT_PRESET, PRESETS, LabelPreset
from ledger.labels.qr import artwork_short_url, render_qr_png, render_qr_svg
from ledger.labels.text import shorten_to_words

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "LabelContent",
    "LabelPreset",
    "LabelProblem",
    "LabelUnit",
    "artwork_short_url",
    "build_labels",
    "check_labels",
    "render_qr_png",
    "render_qr_svg",
    "shorten_to_words",
]
