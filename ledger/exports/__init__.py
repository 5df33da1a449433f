"""Exports of the whole journal: CSV, JSON and a Beancount ledger file.

``data`` reads the journal into plain rows (no personal data: no person, no wallet label, no
receipt code, no private note ever enters them); ``csv``, ``json`` and ``beancount`` render those
rows as text, exactly (integers in the smallest unit, decimals computed from them, never float).
See docs/exports.md.
"""

from ledger.exports.beancount import commodity_name, render_beancount
from ledger.exports.data import ExportData, ExportEntry, ExportPosting, get_export_data
from ledger.exports.tabular import render_csv, render_json

FORMATS = ("csv", "json", "beancount")

__all__ = [
    "FORMATS",
    "ExportData",
    "ExportEntry",
    "ExportPosting",
    "commodity_name",
    "get_export_data",
    "render_beancount",
    "render_csv",
    "render_json",
]
