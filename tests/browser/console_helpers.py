"""Driving the organiser console in a real browser: log in (with the TOTP code), fill and send
forms, read what the page says back. Flows for each console area are a few lines on top.

Fields are found by their label first (what a person sees), then by name, so a flow reads
like instructions to an organiser: ``fill_form(page, {"Title": "Venera", "Year": "2022"})``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Download, Locator, Page

from ledger import users
from ledger.db import session_scope
from tests.browser.conftest import LiveServer
from tests.console.conftest import Account, make_users, next_code

FieldValue = str | bool | Path | list[str]


def require_pages(app: Flask, *endpoints: str) -> None:
    """Skip the test while an area of the console is not merged (its endpoint is missing)."""
    for endpoint in endpoints:
        if endpoint not in app.view_functions:
            pytest.skip(f"{endpoint} page not merged yet")


def add_accounts(live: LiveServer) -> dict[str, Account]:
    """admin (with TOTP), organiser, auditor and 'someone' in the live server's database."""
    return make_users(live.app)


def with_second_factor(live: LiveServer, account: Account) -> Account:
    """The account with a confirmed TOTP second factor (as if its owner had enrolled on the
    second-factor page): ``log_in`` then types the code."""
    factory = live.app.extensions["ledger.session_factory"]
    with session_scope(factory) as session:
        user = users.get_user(session, account.username)
        secret = users.start_totp_enrolment(user)
        user.totp_confirmed_at = datetime.now(UTC)
    return replace(account, totp_secret=secret)


@contextmanager
def browser_page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (its own cookies: one user per context)."""
    context = browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en"},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def open_console(page: Page, live: LiveServer, path: str = "/console/") -> None:
    page.goto(live.url + path)


def log_in(
    page: Page, live: LiveServer, account: Account, password: str | None = None,
    *, with_code: bool = True,
) -> None:
    """Log in through the login form (Enter in the password field sends it), then the code
    page when the account has a second factor (unless ``with_code`` is false). Ends on
    whatever page comes next. Already on the login page (sent there from another page), it
    stays, so the login leads back to that page."""
    if not page.url.startswith(live.url + "/console/login"):
        page.goto(live.url + "/console/login")
    page.get_by_label("Username", exact=True).fill(account.username)
    page.get_by_label("Password", exact=True).fill(password or account.password)
    with page.expect_navigation():
        page.get_by_label("Password", exact=True).press("Enter")
    if account.totp_secret and with_code:
        page.wait_for_url(re.compile(r"/console/login/code$"))
        enter_code(page, next_code(live.app, account))


def enter_code(page: Page, code: str) -> None:
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(code)
    submit(page)


def log_out(page: Page) -> None:
    submit(page, "Log out")
    page.wait_for_url(re.compile(r"/console/login"))


def field(scope: Page | Locator, key: str) -> Locator:
    """The input with this label (exact text) or, failing that, this name."""
    by_label = scope.get_by_label(key, exact=True)
    if by_label.count() == 1:
        return by_label
    return scope.locator(f'[name="{key}"]').first


def fill_form(page: Page, values: Mapping[str, FieldValue], form: str = "main form") -> Locator:
    """Fill a form's fields by label or name; return the form.

    A str fills text (or picks the option with that value or label); a bool ticks or clears a
    box; a Path sets a file input; a list picks several options. The form is the first one in
    ``main`` holding the first field, unless a selector says which.
    """
    scope: Page | Locator = page
    if form != "main form":
        scope = page.locator(form)
    for key, value in values.items():
        target = field(scope, key)
        tag = target.evaluate("e => e.tagName.toLowerCase()")
        kind = (target.get_attribute("type") or "").lower()
        if isinstance(value, bool):
            target.set_checked(value)
        elif isinstance(value, Path):
            target.set_input_files(value)
        elif isinstance(value, list):
            target.select_option(value)
        elif tag == "select":
            options = target.locator("option")
            values_ = [options.nth(i).get_attribute("value") for i in range(options.count())]
            if value in values_:
                target.select_option(value=value)
            else:
                target.select_option(label=value)
        elif kind in ("checkbox", "radio"):
            target.set_checked(value not in ("", "0", "false", "off"))
        else:
            target.fill(value)
    first = field(scope, next(iter(values))) if values else page.locator("main form").first
    return first.locator("xpath=ancestor::form[1]")


def submit(page: Page, button: str | None = None, form: Locator | None = None) -> None:
    """Press a submit button (by its text; the first in the form or in main otherwise) and wait
    for the next page."""
    scope: Page | Locator = form if form is not None else page
    if button is not None:
        target = scope.get_by_role("button", name=button, exact=True).first
    else:
        target = (form if form is not None else page.locator("main form").last).locator(
            "button[type=submit], button:not([type]), input[type=submit]"
        ).first
    with page.expect_navigation():
        target.click()


def press_enter_in(page: Page, key: str) -> None:
    """Send the field's form with Enter, as a keyboard user would."""
    with page.expect_navigation():
        field(page, key).press("Enter")


def flashes(page: Page) -> list[str]:
    """The messages the console shows after a change (the green or red banners)."""
    return [t.strip() for t in page.locator(".flashes .flash").all_inner_texts()]


def errors(page: Page) -> list[str]:
    """Every error on the page: the summary at the top and each field's own."""
    found = page.locator(".error-summary li, .field .error, .flash-error").all_inner_texts()
    return [t.strip() for t in found if t.strip()]


def heading(page: Page) -> str:
    return page.locator("main h1").first.inner_text().strip()


def click_link(page: Page, name: str | re.Pattern[str]) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name).first.click()


def download(page: Page, link: str | re.Pattern[str]) -> tuple[Download, bytes]:
    """Click a download link; return the download and its bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link).first.click()
    got = info.value
    path = got.path()
    return got, Path(path).read_bytes()


def download_by_button(page: Page, button: str, form: Locator | None = None
                       ) -> tuple[Download, bytes]:
    """Press a form's download button (downloads are form posts); return the download and its
    bytes."""
    scope: Page | Locator = form if form is not None else page
    with page.expect_download() as info:
        scope.get_by_role("button", name=button, exact=True).first.click()
    got = info.value
    return got, Path(got.path()).read_bytes()


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The text of each body row's cells (th and td) of the first table matching ``selector``."""
    rows = page.locator(selector).first.locator("tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
            for i in range(rows.count())]


def open_discrepancy_count(page: Page) -> int:
    """The count of open discrepancies in the header of every console page."""
    return int(page.locator("[data-open-discrepancies]").get_attribute(
        "data-open-discrepancies") or 0)


def one_time_password(page: Page) -> str:
    """The one-time password shown once after adding a user or resetting a password."""
    return page.locator("[data-one-time-password]").inner_text().strip()
