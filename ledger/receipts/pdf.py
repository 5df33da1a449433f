"""Write receipts as a PDF, one page each, with the label fonts embedded (Kazakh letters)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ledger.labels.layout import PT_PER_MM, FontRole, wrap_text
from ledger.labels.pdf import FONT_NAMES, measure_text, register_fonts
from ledger.models import RoutingStatus
from ledger.receipts.content import ReceiptContent

WORDS: dict[str, dict[str, str]] = {
    "kk": {
        "title": "Қайырымдылық түбіртегі",
        "code": "Түбіртек коды",
        "date": "Күні",
        "artwork": "Өнер туындысы",
        "amount": "Сомасы",
        "routed": "Қаражат кімге бағытталды",
        "not_routed": "Қаражат әлі бағытталмаған",
        "reversed": "Бұл төлем кері қайтарылды",
        "thanks": "Көмегіңізге рахмет!",
    },
    "ru": {
        "title": "Благотворительная квитанция",
        "code": "Код квитанции",
        "date": "Дата",
        "artwork": "Произведение",
        "amount": "Сумма",
        "routed": "Куда направлены средства",
        "not_routed": "Средства ещё не распределены",
        "reversed": "Этот платёж отменён",
        "thanks": "Спасибо за вашу помощь!",
    },
    "en": {
        "title": "Charity receipt",
        "code": "Receipt code",
        "date": "Date",
        "artwork": "Artwork",
        "amount": "Amount",
        "routed": "Where the proceeds went",
        "not_routed": "The proceeds are not routed yet",
        "reversed": "This payment was reversed",
        "thanks": "Thank you for your help!",
    },
}
MARGIN_MM = 20.0
BODY_PT = 11.0
TITLE_PT = 18.0


def _lines(receipt: ReceiptContent, lang: str) -> list[tuple[FontRole, float, str]]:
    words = WORDS[lang]
    lines: list[tuple[FontRole, float, str]] = [
        (FontRole.BOLD, TITLE_PT, words["title"]),
        (FontRole.REGULAR, BODY_PT, f"{words['code']}: {receipt.receipt_code}"),
        (FontRole.REGULAR, BODY_PT, f"{words['date']}: {receipt.date}"),
    ]
    if receipt.artwork:
        lines.append((FontRole.REGULAR, BODY_PT, f"{words['artwork']}: {receipt.artwork}"))
    for amount, asset in receipt.amounts:
        lines.append((FontRole.REGULAR, BODY_PT, f"{words['amount']}: {amount} {asset}"))
    if receipt.status == RoutingStatus.REVERSED:
        lines.append((FontRole.BOLD, BODY_PT, words["reversed"]))
    elif receipt.allocations:
        lines.append((FontRole.BOLD, BODY_PT, f"{words['routed']}:"))
        for item in receipt.allocations:
            lines.append(
                (FontRole.REGULAR, BODY_PT, f"  {item.recipient}: {item.amount} {item.asset}")
            )
    else:
        lines.append((FontRole.BOLD, BODY_PT, words["not_routed"]))
    lines.append((FontRole.REGULAR, BODY_PT, words["thanks"]))
    return lines


def write_receipts_pdf(
    receipts: Sequence[ReceiptContent], out: BinaryIO | Path, *, lang: str
) -> int:
    """Write one A4 page per receipt in ``lang`` (kk, ru or en); return the number of pages."""
    register_fonts()
    width_pt, height_pt = A4
    text_width_mm = width_pt / PT_PER_MM - 2 * MARGIN_MM
    canvas = Canvas(
        str(out) if isinstance(out, Path) else out,
        pagesize=A4,
        invariant=True,
        initialFontName=FONT_NAMES[FontRole.REGULAR],  # type: ignore[arg-type]  # stubs: float
        initialFontSize=BODY_PT,
    )
    canvas.setTitle(WORDS[lang]["title"])
    canvas.setCreator("charity-sale-ledger")
    for receipt in receipts:
        y = height_pt - MARGIN_MM * PT_PER_MM
        for role, size, text in _lines(receipt, lang):
            for line in wrap_text(text, role, size, text_width_mm, measure_text) or [""]:
                y -= size * 1.5
                canvas.setFont(FONT_NAMES[role], size)
                canvas.drawString(MARGIN_MM * PT_PER_MM, y, line)
        canvas.showPage()
    canvas.save()
    return len(receipts)
