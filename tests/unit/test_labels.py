"""Label logic without a database: word limits, presets, QR parameters, layout and the PDF."""

import dataclasses
import io
import math
import re
import subprocess

import pytest
import qrcode.constants
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from ledger.errors import LabelError
from ledger.labels.content import LabelContent
from ledger.labels.layout import PT_PER_MM, FontRole, compute_label_layout, wrap_text
from ledger.labels.pdf import compute_layouts, measure_text, write_labels_pdf
from ledger.labels.presets import (
    A4_HEIGHT_MM,
    A4_WIDTH_MM,
    MIN_QR_SYMBOL_MM,
    PRESETS,
    LabelPreset,
)
from ledger.labels.qr import (
    ERROR_CORRECTION,
    QUIET_ZONE_MODULES,
    artwork_short_url,
    compute_qr_modules,
    make_qr,
    render_qr_png,
    render_qr_svg,
)
from ledger.labels.text import ELLIPSIS, PHRASES, count_words, shorten_to_words
from ledger.models import LANGUAGES

KAZAKH_LETTERS = "ә ғ қ ң ө ұ ү һ і Ә Ғ Қ Ң Ө Ұ Ү Һ І"


# --- word limits -------------------------------------------------------------------------------


def test_text_within_the_limit_is_kept_whole() -> None:
    assert shorten_to_words("Three  short\nwords", 3) == "Three short words"


def test_text_over_the_limit_is_cut_on_a_word_boundary_with_an_ellipsis() -> None:
    assert shorten_to_words("one two three four five", 3) == "one two three" + ELLIPSIS


def test_punctuation_before_the_ellipsis_is_dropped() -> None:
    assert shorten_to_words("one, two, three, four", 2) == "one, two" + ELLIPSIS
    assert shorten_to_words("one two — three four", 3) == "one two" + ELLIPSIS


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        shorten_to_words("text", 0)


@given(st.text(alphabet=st.sampled_from("ab әқ,.—\n"), max_size=400), st.integers(1, 80))
def test_shortened_text_never_exceeds_the_limit_and_is_a_prefix(text: str, limit: int) -> None:
    short = shorten_to_words(text, limit)
    assert count_words(short) <= limit
    words = short.removesuffix(ELLIPSIS).split()
    original = text.split()
    if words:  # whole words, in order; only the last may lose trailing punctuation
        assert original[: len(words) - 1] == words[:-1]
        assert original[len(words) - 1].startswith(words[-1])
    assert short.endswith(ELLIPSIS) == (len(original) > limit)


def test_every_label_phrase_exists_in_every_language() -> None:
    for name, variants in PHRASES.items():
        assert set(variants) == set(LANGUAGES), name


# --- presets ----------------------------------------------------------------------------------


def test_presets_put_1_2_4_and_8_labels_on_an_a4_page() -> None:
    assert {name: p.per_page for name, p in PRESETS.items()} == {
        "a4-1": 1,
        "a4-2": 2,
        "a4-4": 4,
        "a4-8": 8,
    }
    sizes = {name: (p.label_width_mm, p.label_height_mm) for name, p in PRESETS.items()}
    assert sizes == {
        "a4-1": (210.0, 297.0),  # A4
        "a4-2": (210.0, 148.5),  # A5, landscape
        "a4-4": (105.0, 148.5),  # A6
        "a4-8": (99.1, 67.7),
    }


@pytest.mark.parametrize("preset", PRESETS.values(), ids=PRESETS.keys())
def test_labels_lie_on_the_page_and_do_not_overlap(preset: LabelPreset) -> None:
    boxes = [
        (x, y, x + preset.label_width_mm, y + preset.label_height_mm)
        for x, y in preset.compute_label_origins()
    ]
    for left, top, right, bottom in boxes:
        assert left >= 0 and top >= 0
        assert right <= A4_WIDTH_MM + 1e-6 and bottom <= A4_HEIGHT_MM + 1e-6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert (
                a[2] <= b[0] + 1e-6
                or b[2] <= a[0] + 1e-6
                or a[3] <= b[1] + 1e-6
                or b[3] <= a[1] + 1e-6
            )


def test_word_limits_75_on_large_presets_and_40_on_the_smallest() -> None:
    assert {name: p.word_limit for name, p in PRESETS.items()} == {
        "a4-1": 75,
        "a4-2": 75,
        "a4-4": 75,
        "a4-8": 40,
    }


# --- QR codes ---------------------------------------------------------------------------------


def test_short_url_has_no_language_and_follows_the_base_url() -> None:
    assert (
        artwork_short_url("https://art.example.kz/", "zvcp7r") == "https://art.example.kz/a/zvcp7r"
    )
    assert artwork_short_url("http://127.0.0.1:5000", "abc") == "http://127.0.0.1:5000/a/abc"


def test_qr_parameters_error_correction_quiet_zone_and_content() -> None:
    url = "https://art.example.kz/a/zvcp7r"
    code = make_qr(url)
    assert ERROR_CORRECTION in (qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_Q)
    assert code.error_correction == ERROR_CORRECTION
    assert code.border == QUIET_ZONE_MODULES == 4
    assert [d.data for d in code.data_list] == [url.encode()]
    modules = compute_qr_modules(url)
    assert len(modules) == code.modules_count
    # The finder pattern sits in the corner of the modules: no quiet zone inside them.
    assert modules[0][:7] == [True] * 7


def test_qr_svg_and_png_include_the_quiet_zone() -> None:
    url = "https://art.example.kz/a/zvcp7r"
    size = len(compute_qr_modules(url)) + 2 * QUIET_ZONE_MODULES
    svg = render_qr_svg(url).decode()
    assert f'viewBox="0 0 {size} {size}"' in svg and 'fill="white"' in svg
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    png = render_qr_png(url, box_size=10)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width == height == size * 10


# --- layout ------------------------------------------------------------------------------------


def _label(words: int = 75, *, title: str = "Venera", lang: str = "en") -> LabelContent:
    text = " ".join(["Қазақстандағы", "remembrance,", "plexiglass"] * 30)
    return LabelContent(
        lang=lang,
        code="zvcp7r",
        url="https://art.example.kz/a/zvcp7r",
        title=title,
        artists="Moldir Sagyndykova, Aruzhan Zhumabek",
        details=("2022", "acrylic on canvas, plexiglass, wool, painting on fabric", "160 x 130 cm"),
        edition="NFT edition 10 of 10",
        text=shorten_to_words(text, words),
        call_to_scan=PHRASES["call_to_scan"][lang],
        help_line="If you need help: 111 – Unified contact centre for victims of domestic violence "
        "and bullying, free of charge (24/7)",
    )


def test_wrap_text_keeps_every_line_within_the_width() -> None:
    lines = wrap_text(_label().text, FontRole.REGULAR, 9, 40, measure_text)
    assert len(lines) > 5
    assert all(measure_text(line, FontRole.REGULAR, 9) <= 40 * PT_PER_MM for line in lines)
    assert " ".join(lines) == _label().text


@pytest.mark.parametrize("preset", PRESETS.values(), ids=PRESETS.keys())
def test_the_longest_allowed_text_fits_every_preset(preset: LabelPreset) -> None:
    label = _label(preset.word_limit, title="I am five thousand years old, and so is she")
    layout = compute_label_layout(label, preset, compute_qr_modules(label.url), measure_text)
    for line in layout.lines:
        assert line.x_mm >= preset.padding_mm - 1e-6
        right = line.x_mm + measure_text(line.text, line.role, line.size_pt) / PT_PER_MM
        assert right <= preset.label_width_mm - preset.padding_mm + 1e-6, line
        assert line.baseline_mm <= preset.label_height_mm - preset.padding_mm + 1e-6, line
    qr = layout.qr
    assert qr.symbol_mm >= MIN_QR_SYMBOL_MM - 1e-6  # at least 2.5 cm, quiet zone not counted
    assert math.isclose(qr.size_mm, qr.symbol_mm + 2 * QUIET_ZONE_MODULES * qr.module_mm)
    assert qr.x_mm + qr.size_mm <= preset.label_width_mm - preset.padding_mm + 1e-6
    assert qr.y_mm + qr.size_mm <= preset.label_height_mm - preset.padding_mm + 1e-6


def test_text_that_cannot_fit_is_an_error_naming_the_label() -> None:
    label = _label(40)
    huge = dataclasses.replace(label, text=" ".join(["word"] * 400))
    with pytest.raises(LabelError, match=r"/a/zvcp7r.*a4-8"):
        compute_layouts([huge], PRESETS["a4-8"])


# --- the PDF -----------------------------------------------------------------------------------


def _pdf(labels: list[LabelContent], preset: str) -> PdfReader:
    buffer = io.BytesIO()
    write_labels_pdf(labels, PRESETS[preset], buffer, title="Exhibit labels (kk)")
    return PdfReader(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize(
    ("preset", "count", "pages"), [("a4-1", 3, 3), ("a4-2", 3, 2), ("a4-4", 9, 3), ("a4-8", 9, 2)]
)
def test_pdf_pages_are_a4_with_the_preset_number_of_labels(
    preset: str, count: int, pages: int
) -> None:
    reader = _pdf([_label(PRESETS[preset].word_limit)] * count, preset)
    assert len(reader.pages) == pages
    for page in reader.pages:
        width_mm = float(page.mediabox.width) / PT_PER_MM
        height_mm = float(page.mediabox.height) / PT_PER_MM
        assert round(width_mm) == 210 and round(height_mm) == 297
    per_page = [page.extract_text().count("Scan the code") for page in reader.pages]
    full = PRESETS[preset].per_page
    assert per_page == [full] * (pages - 1) + [count - full * (pages - 1)]


def test_pdf_fonts_are_embedded_and_kazakh_letters_extract_back() -> None:
    label = _label(40, title=f"Тест {KAZAKH_LETTERS}", lang="kk")
    reader = _pdf([label], "a4-8")
    fonts = {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            fonts[name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        assert font["/Subtype"] in ("/TrueType", "/Type0")
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if font["/Subtype"] == "/Type0"
            else font["/FontDescriptor"]
        ).get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
        assert "DejaVuSans" in str(font["/BaseFont"])
    text = "".join(page.extract_text() for page in reader.pages)
    for letter in KAZAKH_LETTERS.split():
        assert letter in text, letter
    assert PHRASES["call_to_scan"]["kk"].split()[0] in text


def test_pdftotext_reads_the_kazakh_letters_too() -> None:
    try:
        subprocess.run(["pdftotext", "-v"], capture_output=True, check=False)
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    buffer = io.BytesIO()
    write_labels_pdf(
        [_label(40, title=KAZAKH_LETTERS, lang="kk")], PRESETS["a4-4"], buffer, title="t"
    )
    out = subprocess.run(
        ["pdftotext", "-", "-"], input=buffer.getvalue(), capture_output=True, check=True
    )
    # pdftotext drops the spaces between single letters: compare without whitespace.
    assert re.sub(r"\s+", "", KAZAKH_LETTERS) in re.sub(r"\s+", "", out.stdout.decode())


def test_the_same_labels_give_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    write_labels_pdf([_label()], PRESETS["a4-4"], first, title="t")
    write_labels_pdf([_label()], PRESETS["a4-4"], second, title="t")
    assert first.getvalue() == second.getvalue()
