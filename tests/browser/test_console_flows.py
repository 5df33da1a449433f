"""The console's main flows in headless Chromium, through the real forms (CSRF on): each
logs in with its second factor, goes through the menu, fills the real forms and checks what an
organiser (or the public) then sees (tests/browser/console_helpers.py finds fields by label or
name)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.beancount_check import load_beancount_balances
from tests.browser.conftest import LiveServer
from tests.browser.console_helpers import (
    add_accounts,
    browser_page,
    click_link,
    download_by_button,
    enter_code,
    errors,
    fill_form,
    flashes,
    heading,
    log_in,
    log_out,
    one_time_password,
    open_discrepancy_count,
    require_pages,
    submit,
    table_rows,
    with_second_factor,
)
from tests.console.conftest import Account, next_code

pytestmark = pytest.mark.browser

ARTWORK = "/artworks/zvcp7r"  # Venera, whose story is in the demo catalogue


def test_admin_logs_in_with_a_second_factor(chromium_browser: Browser, live_server: LiveServer) -> None:
    admin = add_accounts(live_server)["admin"]
    with browser_page(chromium_browser) as page:
        page.goto(live_server.url + "/console/users/")  # a page behind the login
        page.wait_for_url(re.compile(r"/console/login\?next="))
        log_in(page, live_server, admin, with_code=False)
        page.wait_for_url(re.compile(r"/console/login/code$"))
        assert heading(page) == "Enter your code"
        right = next_code(live_server.app, admin)
        enter_code(page, f"{(int(right) + 1) % 1_000_000:06d}")
        assert "That code is not right" in " ".join(errors(page))
        assert page.get_by_label(re.compile("code", re.IGNORECASE)).get_attribute(
            "aria-invalid") == "true"
        enter_code(page, right)
        page.wait_for_url(live_server.url + "/console/users/")  # back where they were going
        assert heading(page) == "Users"


def test_a_wrong_password_says_so(chromium_browser: Browser, live_server: LiveServer) -> None:
    organiser = add_accounts(live_server)["organiser"]
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, organiser, password="not the password at all")
        assert "Username or password is wrong" in " ".join(errors(page))
        assert page.url.endswith("/console/login")


def test_a_new_user_logs_in_with_the_one_time_password_and_must_change_it(
    chromium_browser: Browser, live_server: LiveServer
) -> None:
    admin = add_accounts(live_server)["admin"]
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, admin)
        click_link(page, "Users")
        form = fill_form(page, {"Username": "aigerim", "Role": "organiser"})
        submit(page, "Add user", form)
        assert heading(page) == "User added"
        temporary = one_time_password(page)
        assert len(temporary) >= 12
        log_out(page)
    newcomer = Account("aigerim", admin.role, temporary, None)
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, newcomer)
        page.wait_for_url(re.compile(r"/console/account/password$"))
        assert "Choose your own" in page.locator(".notice").inner_text()
        page.goto(live_server.url + "/console/")  # no way around it
        page.wait_for_url(re.compile(r"/console/account/password$"))
        form = fill_form(page, {"Current (or one-time) password": temporary,
                                "New password": "short", "New password again": "short"})
        submit(page, "Change password", form)
        assert any("12" in e for e in errors(page)), errors(page)
        new = "four unrelated words here"
        form = fill_form(page, {"Current (or one-time) password": temporary,
                                "New password": new, "New password again": new})
        submit(page, "Change password", form)
        page.wait_for_url(live_server.url + "/console/")
        assert flashes(page) == ["Password changed."]
        log_out(page)
        log_in(page, live_server, Account("aigerim", admin.role, new, None))
        page.wait_for_url(live_server.url + "/console/")
        assert heading(page) == "Overview"


def test_logout_ends_the_session(chromium_browser: Browser, live_server: LiveServer) -> None:
    organiser = add_accounts(live_server)["organiser"]
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, organiser)
        page.wait_for_url(live_server.url + "/console/")
        log_out(page)
        page.goto(live_server.url + "/console/")
        page.wait_for_url(re.compile(r"/console/login\?next="))
        page.go_back()  # the browser's Back shows nothing of the console either
        page.reload()
        assert "/console/login" in page.url


# ------------------------------------------------------------ the areas' main flows


def test_organiser_adds_an_artwork(chromium_browser: Browser, live_server: LiveServer) -> None:
    require_pages(live_server.app, "console_catalogue.new_artwork")
    organiser = with_second_factor(live_server, add_accounts(live_server)["organiser"])
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, organiser)
        click_link(page, "Catalogue")
        click_link(page, "Add an artist")
        form = fill_form(page, {"name-en": "Dina Test", "name-en_status": "reviewed",
                                "name-ru": "Дина Тест"})
        submit(page, "Add the artist", form)
        assert flashes(page) == ["Artist dina-test added."], (flashes(page), errors(page))
        click_link(page, "Catalogue")
        click_link(page, "Add an artwork")
        assert heading(page) == "Add an artwork"
        # A title in no language is refused, naming the field, and nothing is added.
        form = fill_form(page, {"Artists (in order of credit)": ["dina-test"], "Year": "2024"})
        submit(page, "Add the artwork", form)
        assert "artwork.title: needs at least one of kk, ru, en" in errors(page), errors(page)
        form = fill_form(page, {
            "title-en": "Test Window", "title-en_status": "reviewed",
            "title-ru": "Тестовое окно", "title-ru_status": "draft",
            "Artists (in order of credit)": ["dina-test", "moldir-sagyndykova"],
            "Year": "2024", "medium-en": "oil on canvas",
            "Dimensions as shown": "40 × 30 cm", "Height (cm)": "40", "Width (cm)": "30",
        })
        submit(page, "Add the artwork", form)
        assert not errors(page), errors(page)
        (done,) = flashes(page)
        found = re.fullmatch(r"Artwork “Test Window” added: key test-window, public code "
                             r"([a-z0-9]{6}) \(its QR label points at it\)\.", done)
        assert found, done
        code = found.group(1)
        assert heading(page) == "Artwork test-window"
        assert page.get_by_label("title-ru", exact=True).count() == 0  # labels, not names
        assert page.locator('[name="title-ru"]').input_value() == "Тестовое окно"
        assert page.locator('[name="title-ru_status"]').input_value() == "draft"
        assert page.locator('[name="title-kk"]').input_value() == ""  # missing, not copied
        click_link(page, "Artworks")
        assert "Test Window" in page.locator("main table").inner_text()
        # The public sees it at once: on the home page, and its own page at the QR's code.
        page.goto(live_server.url + "/")
        card = page.locator(f"#art-{code}")
        assert card.locator(".title").inner_text().strip() == "Test Window"
        with page.expect_navigation():
            card.get_by_role("link", name="Test Window").click()
        assert page.url == f"{live_server.url}/artworks/{code}"
        assert "Test Window" in page.locator("main").inner_text()


def test_import_a_file_with_a_bad_row_fix_it_and_commit(
    chromium_browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    require_pages(live_server.app, "console_imports.index")
    organiser = with_second_factor(live_server, add_accounts(live_server)["organiser"])
    header = "date;artwork;buyer_reference;amount;currency;payment_reference\n"
    good = "05.11.2022;venera;p_k7q2xv;1 250 000,00;KZT;Kaspi-0001\n"
    bad = tmp_path / "sales-bad.csv"
    bad.write_text(header + good + "06.11.2022;venera;p_m3zt8a;not a number;KZT;Kaspi-0002\n",
                   encoding="utf-8")
    fixed = tmp_path / "sales-fixed.csv"
    fixed.write_text(header + good + "06.11.2022;venera;p_m3zt8a;350 000,50;KZT;Kaspi-0002\n",
                     encoding="utf-8")
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, organiser)
        click_link(page, "Imports")
        form = fill_form(page, {"CSV file": bad, "Column mapping": "physical-sales"})
        submit(page, "Preview", form)
        assert heading(page) == "Import preview"
        # The error names the row (the header is row 1) and the column; nothing can be committed.
        problems = table_rows(page, "table.errors")
        assert len(problems) == 1, problems
        row, column, reason = problems[0]
        assert (row, column) == ("3", "amount"), problems
        assert "not a number" in reason, problems
        assert page.get_by_role("button", name="Commit the import").count() == 0
        click_link(page, "Upload another file")
        form = fill_form(page, {"CSV file": fixed, "Column mapping": "physical-sales"})
        submit(page, "Preview", form)
        assert not errors(page) and page.locator("table.errors").count() == 0, errors(page)
        assert "new: 2" in page.locator("ul.counts").inner_text()
        submit(page, "Commit the import")
        assert flashes(page) == ["Imported: 2 new rows, 0 already in the ledger."], flashes(page)
        # The rows are in the ledger: in the reconciliation inbox, from the import, pending.
        click_link(page, "Reconciliation")
        form = fill_form(page, {"Source": "import"}, form="form.filters")
        submit(page, "Filter", form)
        rows = table_rows(page, "#bulk table")
        assert len(rows) == 2, rows
        assert {r[2] for r in rows} == {"2022-11-05", "2022-11-06"}, rows
        assert all(r[3] == "import" and r[6] == "pending" for r in rows), rows
        amounts = {r[2]: r[5] for r in rows}  # to the tiyn, as the file says
        assert "Assets:Bank:Operating: 1250000 KZT" in amounts["2022-11-05"], amounts
        assert "Assets:Bank:Operating: 350000.5 KZT" in amounts["2022-11-06"], amounts
        # The same file again adds nothing.
        click_link(page, "Imports")
        form = fill_form(page, {"CSV file": fixed, "Column mapping": "physical-sales"})
        submit(page, "Preview", form)
        assert "new: 0" in page.locator("ul.counts").inner_text()


def test_reconcile_an_item_from_the_inbox(chromium_browser: Browser, live_server: LiveServer) -> None:
    require_pages(live_server.app, "console_reconcile.inbox", "console_reconcile.entry")
    organiser = with_second_factor(live_server, add_accounts(live_server)["organiser"])
    long_ago = (date.today() - timedelta(days=60)).isoformat()
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, organiser)
        click_link(page, "Reconciliation")
        start = open_discrepancy_count(page)
        # A pledge made 60 days ago and never paid: an open discrepancy, with its reason.
        click_link(page, "Record a cash sale, a pledge or a pledge paid")
        form = fill_form(page, {"Kind": "pledge", "Receipt or pledge number": "PL-2024-17",
                                "Artwork": "venera", "Asset": "KZT", "Amount": "150 000",
                                "Date": long_ago})
        submit(page, "Record the entry", form)
        assert not errors(page), errors(page)
        assert re.fullmatch(r"Entry \d+ recorded\.", flashes(page)[0]), flashes(page)
        assert open_discrepancy_count(page) == start + 1
        unpaid = [r for r in table_rows(page, "#discrepancies table") if r[0] == "unpaid"]
        assert any("not received after 30 days" in r[2] for r in unpaid), unpaid
        # The money arrives at the bank: the pledge is paid, the discrepancy closes.
        click_link(page, "Record a cash sale, a pledge or a pledge paid")
        form = fill_form(page, {"Kind": "pledge-paid", "Receipt or pledge number": "RC-2024-17",
                                "Asset": "KZT", "Amount": "150 000",
                                "Date": date.today().isoformat(),
                                "Pledge paid (its number)": "PL-2024-17",
                                "Paid to the bank (not in cash)": True})
        submit(page, "Record the entry", form)
        assert not errors(page), errors(page)
        assert open_discrepancy_count(page) == start
        # Both are in the inbox, pending: select them and match.
        form = fill_form(page, {"State": "pending", "Source": "manual"}, form="form.filters")
        submit(page, "Filter", form)
        rows = table_rows(page, "#bulk table")
        assert len(rows) == 2 and all(r[6] == "pending" for r in rows), rows
        ids = [r[1].lstrip("#") for r in rows]
        for item_id in ids:
            page.get_by_label(f"Select item {item_id}", exact=True).check()
        form = fill_form(page, {"Action on the selected items": "match"}, form="#bulk")
        submit(page, "Apply to the selected items", form)
        assert flashes(page) == ["match: 2 item(s) done."], (flashes(page), errors(page))
        form = fill_form(page, {"State": "matched", "Source": "manual"}, form="form.filters")
        submit(page, "Filter", form)
        matched = {r[1].lstrip("#"): r for r in table_rows(page, "#bulk table")}
        assert set(ids) <= set(matched), matched
        assert all(matched[i][6] == "matched" and matched[i][7] for i in ids), matched
        # Undo one match from its own page: it is pending again, and its history says so.
        click_link(page, f"#{ids[-1]}")
        assert heading(page) == f"Item {ids[-1]}: matched"
        submit(page, "Undo the match")
        assert flashes(page) == [f"The match of item {ids[-1]} was undone."], flashes(page)
        assert heading(page) == f"Item {ids[-1]}: pending"
        history = [r[4] for r in table_rows(
            page, "xpath=//h2[normalize-space()='History']/following-sibling::table[1]")]
        assert history[-2:] == ["matched", "pending"], history
        assert open_discrepancy_count(page) == start


def test_withdrawing_a_story_s_consent_removes_it_from_the_public_page(
    chromium_browser: Browser, live_server: LiveServer
) -> None:
    require_pages(live_server.app, "console_catalogue.withdraw_consent")
    accounts = add_accounts(live_server)
    organiser = with_second_factor(live_server, accounts["organiser"])
    with browser_page(chromium_browser) as page:
        page.goto(live_server.url + ARTWORK)
        page.click(".story summary")
        assert "mother of three" in page.inner_text(".story")
        log_in(page, live_server, organiser)
        click_link(page, "Catalogue")
        click_link(page, "Artworks")
        click_link(page, "venera")
        assert heading(page) == "Artwork venera"
        withdraw = "form#withdraw"
        # Without "I am sure" nothing happens.
        page.locator(withdraw).get_by_role("button", name="Withdraw consent").evaluate(
            "b => b.form.noValidate = true")
        submit(page, "Withdraw consent", page.locator(withdraw))
        assert flashes(page) == ["Tick “I am sure” to confirm."], flashes(page)
        page.goto(live_server.url + ARTWORK)
        page.click(".story summary")
        assert "mother of three" in page.inner_text(".story")
        page.go_back()
        form = fill_form(page, {"I am sure": True}, form=withdraw)
        submit(page, "Withdraw consent", form)
        assert flashes(page) == [
            "Consent withdrawn: the story is no longer shown anywhere public."], flashes(page)
        assert "Consent withdrawn on" in page.locator("#consent").inner_text()
        # Gone at once from the public page (no cache in between) and from the API.
        page.goto(live_server.url + ARTWORK)
        assert page.locator(".story").count() == 0
        assert "mother of three" not in page.content()
        api = page.request.get(live_server.url + "/api/v1" + ARTWORK)
        assert api.ok and "mother of three" not in api.text()
    # The audit log records who withdrew it, and when.
    auditor = with_second_factor(live_server, accounts["auditor"])
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, auditor)
        click_link(page, "Audit log")
        rows = [r for r in table_rows(page, "table.audit")
                if r[2].startswith("story.consent_withdrawn")]
        assert len(rows) == 1, rows
        when, who, _action, what = rows[0][:4]
        assert who == "organiser (console)" and what == "artwork venera", rows
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", when), when


def test_download_the_beancount_file(
    chromium_browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    require_pages(live_server.app, "console_reports.download_export", "console_reconcile.entry")
    accounts = add_accounts(live_server)
    organiser = with_second_factor(live_server, accounts["organiser"])
    with browser_page(chromium_browser) as page:  # a cash sale, so the journal has entries
        log_in(page, live_server, organiser)
        click_link(page, "Reconciliation")
        click_link(page, "Record a cash sale, a pledge or a pledge paid")
        form = fill_form(page, {"Kind": "cash-sale", "Receipt or pledge number": "CS-0001",
                                "Artwork": "venera", "Asset": "KZT", "Amount": "150 000,50",
                                "Date": date.today().isoformat()})
        submit(page, "Record the entry", form)
        assert not errors(page), errors(page)
    auditor = with_second_factor(live_server, accounts["auditor"])
    with browser_page(chromium_browser) as page:
        log_in(page, live_server, auditor)
        click_link(page, "Reports")
        journal = "form:has(button:text-is('Download journal'))"
        form = fill_form(page, {"Format": "Beancount"}, form=journal)
        got, content = download_by_button(page, "Download journal", form)
        assert got.suggested_filename.endswith(".beancount"), got.suggested_filename
    path = tmp_path / got.suggested_filename
    path.write_bytes(content)
    text = content.decode("utf-8")
    assert " open " in text and "Assets:" in text and "CS-0001" in text
    # Beancount itself reads it without a single error; the sale is there to the tiyn, routed
    # in full, and every asset's postings sum to zero.
    from sqlalchemy import select

    from ledger.db import engine_from_settings, make_session_factory, session_scope
    from ledger.models import Asset

    engine = engine_from_settings(live_server.settings)
    with session_scope(make_session_factory(engine)) as session:
        decimals = dict(session.execute(select(Asset.code, Asset.decimals)).all())
    engine.dispose()
    balances = load_beancount_balances(path, decimals)
    sale = 15_000_050 * 10 ** (decimals["KZT"] - 2)
    assert balances[("Assets:Cash:Exhibition", "KZT")] == sale, balances
    payable = sum(v for (a, c), v in balances.items()
                  if a.startswith("Liabilities:Payable:") and c == "KZT")
    assert payable == -sale, balances
    for code in {c for _a, c in balances}:
        assert sum(v for (_a, c), v in balances.items() if c == code) == 0, code
