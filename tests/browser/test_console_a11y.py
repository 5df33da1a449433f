"""The organiser console with assistive technology in mind: axe-core on every console page an
admin and an organiser can reach, and keyboard use (skip link first, every control reachable
by Tab with a visible focus, forms sent with Enter).

The pages are found by crawling the console's menu and in-page links (tests/console/crawl.py),
so each area merged later is checked without editing this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import LiveServer
from tests.browser.console_helpers import (
    add_accounts,
    browser_page,
    fill_form,
    heading,
    log_in,
    press_enter_in,
)
from tests.console.conftest import next_code
from tests.console.crawl import Fetched, crawl_console

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    "[tabindex]:not([tabindex='-1'])"
)


def axe_violations(page: Page) -> list[dict[str, object]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail("node_modules/axe-core/axe.min.js is missing: run npm ci", pytrace=False)
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) allows it.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"rule": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def browser_fetch(page: Page, live: LiveServer) -> Callable[[str], Fetched]:
    """Open a console URL in the page when it is HTML (downloads are only requested)."""

    def fetch(url: str) -> Fetched:
        response = page.request.get(live.url + url, max_redirects=0)
        kind = response.headers.get("content-type", "")
        location = response.headers.get("location")
        if response.status in (301, 302, 303, 307, 308) or not kind.startswith("text/html"):
            return Fetched(response.status, kind, "", response.headers, location)
        page.goto(live.url + url)
        return Fetched(response.status, kind, page.content(), response.headers, None)

    return fetch


def first_tab_is_the_skip_link(page: Page) -> bool:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    return bool(page.evaluate(
        "document.activeElement.classList.contains('skip-link')"
        " && document.activeElement.getAttribute('href') === '#main'"
    ))


@pytest.mark.parametrize("who", ["admin", "organiser"])
def test_every_console_page_passes_axe_and_starts_with_the_skip_link(
    chromium_browser: Browser, live_server: LiveServer, who: str
) -> None:
    account = add_accounts(live_server)[who]
    problems: list[str] = []
    with browser_page(chromium_browser) as page:
        # The login steps themselves, empty and with errors.
        page.goto(live_server.url + "/console/login")
        problems += [f"/console/login: {json.dumps(v)}" for v in axe_violations(page)]
        log_in(page, live_server, account, password="wrong password, shown as an error",
               with_code=False)
        problems += [f"/console/login (errors): {json.dumps(v)}" for v in axe_violations(page)]
        log_in(page, live_server, account, with_code=False)
        if account.totp_secret:
            problems += [f"/console/login/code: {json.dumps(v)}" for v in axe_violations(page)]
            page.get_by_label(re.compile("code", re.IGNORECASE)).fill(
                next_code(live_server.app, account))
            press_enter_in(page, "code")
        page.wait_for_url(live_server.url + "/console/")

        visited = []
        for found in crawl_console(browser_fetch(page, live_server)):
            if not found.is_html:
                continue
            visited.append(found.url)
            assert found.status < 500, f"{found.url} answered {found.status}"
            problems += [f"{found.url}: {json.dumps(v)}" for v in axe_violations(page)]
            if not first_tab_is_the_skip_link(page):
                problems.append(f"{found.url}: the first Tab stop is not the skip link")
    assert "/console/" in visited and len(visited) >= 3, visited
    assert not problems, "\n".join(problems)


# Tab through the page: each stop's tag and text, whether it shows a focus indicator, and the
# index we gave every interactive element beforehand (to find the ones never reached).
_MARK = """(selector) => {
  const all = [...document.querySelectorAll(selector)].filter(e => !e.disabled);
  all.forEach((e, i) => e.setAttribute('data-tab-check', String(i)));
  return all.map(e => e.tagName.toLowerCase() + ' ' + (e.textContent || e.name || '').trim());
}"""
_FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  const r = e.getBoundingClientRect();
  const onScreen = r.right > 0 && r.bottom > 0 && r.width > 0 && r.height > 0;
  return {index: e.getAttribute('data-tab-check'), visible: (outline || shadow) && onScreen,
          what: e.tagName.toLowerCase() + ' ' + (e.textContent || e.name || '').trim()};
}"""


def tab_through(page: Page) -> tuple[set[int], list[str], list[str]]:
    """Press Tab until focus leaves the page; return the indexes reached, every element's
    description, and the stops without a visible focus."""
    described: list[str] = page.evaluate(_MARK, INTERACTIVE)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached: set[int] = set()
    invisible: list[str] = []
    for _ in range(len(described) + 5):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUSED)
        if stop is None or stop["index"] is None:
            break
        index = int(stop["index"])
        if index in reached:
            break
        reached.add(index)
        if not stop["visible"]:
            invisible.append(stop["what"])
    return reached, described, invisible


def test_login_and_dashboard_work_by_keyboard(
    chromium_browser: Browser, live_server: LiveServer
) -> None:
    admin = add_accounts(live_server)["admin"]
    with browser_page(chromium_browser) as page:
        page.goto(live_server.url + "/console/login")
        reached, described, invisible = tab_through(page)
        missing = [d for i, d in enumerate(described) if i not in reached]
        assert not missing, f"login: not reachable by Tab: {missing}"
        assert not invisible, f"login: no visible focus on {invisible}"
        assert first_tab_is_the_skip_link(page)

        # Keyboard only: type, Enter sends the form (both steps).
        page.get_by_label("Username", exact=True).focus()
        page.keyboard.type(admin.username)
        page.keyboard.press("Tab")
        page.keyboard.type(admin.password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/console/login/code$"))
        page.keyboard.press("Tab")  # skip link
        page.get_by_label(re.compile("code", re.IGNORECASE)).focus()
        page.keyboard.type(next_code(live_server.app, admin))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(live_server.url + "/console/")

        reached, described, invisible = tab_through(page)
        missing = [d for i, d in enumerate(described) if i not in reached]
        assert not missing, f"dashboard: not reachable by Tab: {missing}"
        assert not invisible, f"dashboard: no visible focus on {invisible}"
        assert first_tab_is_the_skip_link(page)
        # The skip link moves focus to the main content.
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"


def test_console_forms_send_with_enter(chromium_browser: Browser, live_server: LiveServer) -> None:
    admin = add_accounts(live_server)["admin"]
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, admin)  # Enter in the password field sends the login form
        page.wait_for_url(live_server.url + "/console/")
        page.goto(live_server.url + "/console/users/")
        fill_form(page, {"Username": "keyboard.user"})
        press_enter_in(page, "Username")
        assert heading(page) == "User added"
        page.goto(live_server.url + "/console/audit/")
        fill_form(page, {"action": "user."})
        press_enter_in(page, "action")
        assert "action=user." in page.url
