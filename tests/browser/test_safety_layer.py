"""The safety layer in a real browser (headless Chromium): quick exit by button and by Shift x3,
keyboard order, language switch, the site without JavaScript, no third-party request, and an
axe-core accessibility check of the public pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

ARTWORK = "/artworks/zvcp7r"
PUBLIC_PAGES = ("/", ARTWORK, "/browser-history", "/no-such-page")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
EXIT_BUTTON = "a.quick-exit-button"


@pytest.fixture
def context(chromium_browser: Browser) -> Iterator[BrowserContext]:
    ctx = chromium_browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _history_length(page: Page) -> int:
    length: int = page.evaluate("history.length")
    return length


def _assert_left_for_good(page: Page, live: LiveServer, neutral: str, length_before: int) -> None:
    page.wait_for_url(neutral)
    assert page.title() == "Weather"
    # Our entry was replaced, not followed by a new one; Back does not lead to our page.
    assert _history_length(page) == length_before
    page.go_back()
    assert not page.url.startswith(live.url)


def test_quick_exit_button_replaces_the_page(
    page: Page, live_server: LiveServer, neutral_site: str
) -> None:
    page.goto(live_server.url + ARTWORK)
    length_before = _history_length(page)
    page.click(EXIT_BUTTON)
    _assert_left_for_good(page, live_server, neutral_site, length_before)


# Runs in our page before its scripts: when the overlay appears (just before the script leaves
# for the neutral site), report what the page shows at that moment, through the console.
_REPORT_WHEN_BLANKED = """
new MutationObserver((changes, observer) => {
  const overlay = document.querySelector('.quick-exit-overlay');
  if (!overlay || !overlay.textContent) return;
  observer.disconnect();
  console.log('quick-exit-report ' + JSON.stringify({
    active: document.documentElement.classList.contains('quick-exit-active'),
    mainShown: document.getElementById('main').getClientRects().length > 0,
    title: document.title,
    overlay: overlay.textContent,
  }));
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


def test_quick_exit_blanks_the_page_before_leaving(
    page: Page, live_server: LiveServer, neutral_site: str
) -> None:
    # The request for the neutral site is held until the report has arrived: the page cannot
    # have left before its report was sent (a report racing the departure was lost under load,
    # seen in CI twice).
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(lambda url: url.startswith(neutral_site), hold)
    page.add_init_script(_REPORT_WHEN_BLANKED)
    page.goto(live_server.url + ARTWORK)
    with page.expect_console_message(
        lambda message: message.text.startswith("quick-exit-report "), timeout=15_000
    ) as report:
        page.click(EXIT_BUTTON, no_wait_after=True)  # the navigation it starts is held
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the quick exit did not head for the neutral site"
    reported = json.loads(report.value.text.split(" ", 1)[1])
    assert reported == {"active": True, "mainShown": False, "title": "", "overlay": "Loading."}
    held[0].continue_()
    page.wait_for_url(neutral_site)


def test_pressing_shift_three_times_exits(
    page: Page, live_server: LiveServer, neutral_site: str
) -> None:
    page.goto(live_server.url + "/")
    length_before = _history_length(page)
    page.keyboard.press("Shift")
    status = page.locator(".quick-exit [role=status]")
    assert status.text_content() == "Shift, press 2 more times to exit."
    assert page.locator(".quick-exit-light.is-on").count() == 1
    page.keyboard.press("Shift")
    assert status.text_content() == "Shift, press 1 more time to exit."
    page.keyboard.press("Shift")
    _assert_left_for_good(page, live_server, neutral_site, length_before)


def test_shift_used_with_other_keys_does_not_exit(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    lights = page.locator(".quick-exit-light.is-on")
    for _ in range(3):
        page.keyboard.press("Shift+A")  # a Shift that modifies a letter does not count
    assert lights.count() == 0
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    assert lights.count() == 2
    page.keyboard.press("a")  # another key breaks the sequence
    assert lights.count() == 0
    assert page.locator(".quick-exit [role=status]").text_content() == "Exit this page expired."
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url == live_server.url + "/"
    assert lights.count() == 1


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_first_tab_reaches_the_quick_exit(page: Page, live_server: LiveServer, path: str) -> None:
    page.goto(live_server.url + path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('quick-exit-button')")
    assert page.locator(EXIT_BUTTON).is_visible()


def test_language_switch(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    assert page.get_attribute("html", "lang") == "en"
    page.click("nav.languages a[hreflang=ru]")
    assert page.get_attribute("html", "lang") == "ru"
    assert "Покинуть страницу" in page.inner_text(EXIT_BUTTON)
    page.click(f"a[href='{ARTWORK}']")  # the choice is remembered on the next page
    assert page.get_attribute("html", "lang") == "ru"
    assert page.inner_text("h1") == "Венера"
    page.click("nav.languages a[hreflang=kk]")
    assert page.get_attribute("html", "lang") == "kk"
    assert urlsplit(page.url).path == ARTWORK
    assert "Беттен шығу" in page.inner_text(EXIT_BUTTON)


def test_the_site_works_without_javascript(
    chromium_browser: Browser, live_server: LiveServer, neutral_site: str
) -> None:
    context = chromium_browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + ARTWORK)
        assert page.inner_text("h1") == "Venera"
        page.keyboard.press("Tab")  # the exit link still comes first
        assert page.evaluate("document.activeElement.classList.contains('quick-exit-button')")
        assert page.locator(".content-note").is_visible()
        page.click(".story summary")  # <details> opens without script
        assert "mother of three" in page.inner_text(".story")
        assert page.locator("[data-quick-exit-hint]").is_hidden()  # Shift x3 needs script
        page.click(EXIT_BUTTON)  # a plain link to the neutral site
        page.wait_for_url(neutral_site)
        assert page.inner_text("h1") == "Weather today"
    finally:
        context.close()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_page_requests_nothing_from_a_third_party(
    page: Page, live_server: LiveServer, path: str
) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(str(error)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "404" not in message.text:
            problems.append(message.text)  # a CSP violation is reported here

    page.on("console", on_console)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(live_server.url + path, wait_until="networkidle")
    origins = {_origin(url) for url in requested if not url.startswith("data:")}
    assert origins == {live_server.url}
    assert any(url.endswith("/static/quick-exit.js") for url in requested)
    assert problems == [] and failed == []


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_pass_axe(page: Page, live_server: LiveServer, path: str, lang: str) -> None:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run npm ci", pytrace=False)
    page.goto(f"{live_server.url}{path}?lang={lang}")
    if path == ARTWORK:
        page.click(".story summary")  # check the opened story too
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) allows it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)
