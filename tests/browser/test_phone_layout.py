"""The public pages on a small phone (headless Chromium, 360 x 740 CSS pixels): a visitor who
scans an exhibit label lands on them there. With sales and a payout in the ledger, no page
scrolls sideways; a table wider than the screen scrolls inside its own region, which the
keyboard reaches and which is named after the table; axe finds nothing serious at that width."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveServer
from tests.web.test_transparency import RECEIPT, SALE_TX, VENERA, add_sales

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PAGES = ("/", f"/artworks/{VENERA}", "/ledger", f"/ledger/tx?hash={SALE_TX}", "/browser-history")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def sold_server(live_server: LiveServer, tmp_path: Path) -> LiveServer:
    add_sales(live_server.settings, tmp_path / "documents")
    return live_server


@pytest.fixture
def phone(chromium_browser: Browser) -> Iterator[Page]:
    context = chromium_browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _assert_fits_the_screen(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where}: the page is {width} px wide"
    regions = page.evaluate(
        """() => [...document.querySelectorAll('table')].map(t => {
            const region = t.closest('.table-scroll');
            return region && {
                tabindex: region.getAttribute('tabindex'),
                role: region.getAttribute('role'),
                name: region.getAttribute('aria-label'),
                caption: t.caption && t.caption.textContent.trim(),
            };
        })"""
    )
    for region in regions:
        assert region is not None, f"{where}: a table outside a scroll region"
        assert region["tabindex"] == "0" and region["role"] == "region", where
        assert region["name"] and region["name"] == region["caption"], where


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_no_public_page_scrolls_sideways_on_a_phone(
    phone: Page, sold_server: LiveServer, lang: str
) -> None:
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        phone.goto(f"{sold_server.url}{path}{sep}lang={lang}")
        _assert_fits_the_screen(phone, f"{path} ({lang})")
    phone.goto(f"{sold_server.url}/receipt?lang={lang}")
    phone.fill("input[name=code]", RECEIPT)
    phone.locator("form button, form input[type=submit]").first.click()
    phone.wait_for_load_state()
    assert phone.locator("table").count() > 0  # the receipt was found and shows its sales
    _assert_fits_the_screen(phone, f"receipt ({lang})")


@pytest.mark.parametrize("path", [f"/artworks/{VENERA}", "/ledger"])
def test_pages_with_figures_pass_axe_on_a_phone(
    phone: Page, sold_server: LiveServer, path: str
) -> None:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run npm ci", pytrace=False)
    phone.goto(f"{sold_server.url}{path}?lang=kk")
    phone.evaluate(AXE.read_text(encoding="utf-8"))
    results = phone.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)
