"""Donor receipts: what a gift bought, when, and where its proceeds went, as a PDF.

``content`` gathers one receipt per gift (by its receipt code, or a person's gifts in a period)
and never reads another person's data; ``pdf`` writes them with the embedded label fonts, which
cover the Kazakh letters. See docs/exports.md.
"""

from ledger.receipts.content import (
    Allocation,
    ReceiptContent,
    build_period_receipts,
    build_receipts,
)
from ledger.receipts.pdf import write_receipts_pdf

__all__ = [
    "Allocation",
    "ReceiptContent",
    "build_period_receipts",
    "build_receipts",
    "write_receipts_pdf",
]
