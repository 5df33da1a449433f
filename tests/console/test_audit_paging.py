"""The audit log pages back through older changes, keeping its filters."""

from __future__ import annotations

from flask import Flask

from ledger.audit import Actor, record_change
from ledger.db import session_scope
from tests.console.conftest import Account, login


def test_the_older_changes_link_works_on_every_page(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    with session_scope(console_app.extensions["ledger.session_factory"]) as session:
        for n in range(250):
            record_change(session, Actor(name="test-setup", via="cli"), "test.page", "thing", n)
    client = console_app.test_client()
    login(console_app, client, accounts["admin"])
    url = "/console/audit/?action=test.page"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        pages += 1
        body = response.get_data(as_text=True)
        marker = 'href="/console/audit/?'
        url = ""
        if marker in body:
            start = body.index(marker) + len('href="')
            url = body[start:body.index('"', start)].replace("&amp;", "&")
            assert "action=test.page" in url and url.count("before=") == 1
    assert pages == 3
