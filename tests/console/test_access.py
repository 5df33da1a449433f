"""Every route, walked as anonymous, auditor, organiser and admin: the exact outcome of each.

The tables below are the access policy in one place. A route missing from them fails the
suite, so a new page cannot ship without someone deciding who may open it; a route whose view
does not declare its role answers 403 to everyone (deny by default), which the walk catches too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from ledger.models import Role
from tests.console.conftest import Account, login
from web.console.access import console_blueprint

A, ORG, D = Role.AUDITOR, Role.ORGANISER, Role.ADMIN
ANYONE, SIGNED_IN = "anyone", "signed-in"
AUDIT = frozenset({Role.AUDITOR, Role.ADMIN})

# endpoint: (who may GET, who may POST); a role means that role or a higher one.
CONSOLE: dict[str, tuple[object, object]] = {
    "console.login": (ANYONE, ANYONE),
    "console.login_code": (SIGNED_IN, SIGNED_IN),
    "console.second_factor": (SIGNED_IN, SIGNED_IN),
    "console.password": (SIGNED_IN, SIGNED_IN),
    "console.logout": (None, SIGNED_IN),
    "console_home.dashboard": (A, None),
    "console_audit.log": (AUDIT, None),
    "console_users.index": (D, D),
    "console_users.change_role": (None, D),
    "console_users.reset_password": (None, D),
    "console_users.reset_second_factor": (None, D),
    "console_users.disable": (None, D),
    "console_users.enable": (None, D),
    "console_imports.index": (A, ORG),
    "console_imports.preview": (None, ORG),
    "console_imports.commit": (None, ORG),
    "console_imports.mappings": (A, ORG),
    "console_reconcile.inbox": (A, None),
    "console_reconcile.bulk": (None, ORG),
    "console_reconcile.collect": (None, ORG),
    "console_reconcile.item": (A, None),
    "console_reconcile.match": (None, ORG),
    "console_reconcile.unmatch": (None, ORG),
    "console_reconcile.disbursement": (A, ORG),
    "console_reconcile.entry": (A, ORG),
    "console_catalogue.index": (A, None),
    "console_catalogue.upload": (None, ORG),
    "console_catalogue.upload_commit": (None, ORG),
    "console_catalogue.artists": (A, None),
    "console_catalogue.artist": (A, ORG),
    "console_catalogue.new_artist": (ORG, ORG),
    "console_catalogue.new_artwork": (ORG, ORG),
    "console_catalogue.new_beneficiary": (ORG, ORG),
    "console_catalogue.artworks": (A, None),
    "console_catalogue.artwork": (A, ORG),
    "console_catalogue.story": (None, ORG),
    "console_catalogue.withdraw_consent": (None, ORG),
    "console_catalogue.restore_consent": (None, ORG),
    "console_catalogue.add_image": (None, ORG),
    "console_catalogue.image_alt": (None, ORG),
    "console_catalogue.remove_image": (None, ORG),
    "console_catalogue.editions": (A, None),
    "console_catalogue.edition_status": (None, ORG),
    "console_catalogue.beneficiaries": (A, None),
    "console_catalogue.beneficiary": (A, ORG),
    "console_catalogue.add_wallet": (None, ORG),
    "console_catalogue.add_update": (None, ORG),
    "console_catalogue.publish_update": (None, ORG),
    "console_catalogue.document": (A, None),
    "console_catalogue.hotlines": (A, ORG),
    "console_catalogue.hotline": (A, ORG),
    "console_catalogue.split_rules": (A, ORG),
    "console_people.index": (A, None),
    "console_people.erase": (None, D),
    "console_people.export_contacts": (None, D),
    "console_reports.index": (A, None),
    "console_reports.download_report": (None, A),
    "console_reports.download_export": (None, A),
    "console_reports.receipt_by_code": (None, A),
    "console_reports.receipts_for_period": (None, D),
    "console_chain.status": (A, None),
    "console_chain.check_head": (None, A),
    "console_labels.index": (A, None),
    "console_labels.download_pdf": (None, A),
    "console_backups.index": (A, None),
    "console_backups.create": (None, D),
    "console_backups.download": (D, None),
}

# Public pages: anyone, no account (their privacy is tested in tests/web).
PUBLIC = {
    "public.home", "public.browser_history", "static",
    "artworks.page", "artworks.scan", "artworks.qr_png", "artworks.qr_svg",
    "artworks.uploaded_image",
    "transparency.ledger_page", "transparency.entries_csv", "transparency.entries_json",
    "transparency.find_tx", "transparency.receipt", "transparency.update_document",
    "api.artworks", "api.artwork", "api.beneficiaries", "api.entries", "api.openapi",
    "api.pending", "api.totals",
}

# Values for URL arguments, by name.
SAMPLE = {"username": "someone", "code": None, "filename": "site.css", "item_id": 1,
          "artist_key": "zoya-falkova", "artwork_key": "venera", "image_id": 1,
          "edition_id": 1, "beneficiary_key": "crisis-centre-almaty", "update_id": 1,
          "sha256": "0" * 64, "hotline_id": 1, "person_ref": "p_nobody",
          "backup_name": "ledger-20260101T000000Z.sqlite3"}

WALKERS = ["anonymous", "auditor", "organiser", "admin"]


def _allowed(needed: object, who: str) -> str:
    """'ok', 'login' (redirect to the login page) or 'forbidden' (403)."""
    if needed == ANYONE:
        return "ok"
    if who == "anonymous":
        return "login"
    if needed == SIGNED_IN:
        return "ok"
    role = Role(who)
    if isinstance(needed, Role):
        return "ok" if role.includes(needed) else "forbidden"
    assert isinstance(needed, frozenset)
    return "ok" if role in needed else "forbidden"


def _outcome(response: object) -> str:
    status = response.status_code  # type: ignore[attr-defined]
    location = response.headers.get("Location", "")  # type: ignore[attr-defined]
    parts = urlsplit(location)
    # The gate sends the anonymous to the login page with where they were going (logout's own
    # redirect to the login page has no ``next``).
    if status in (301, 302, 303) and parts.path == "/console/login" and "next=" in parts.query:
        return "login"
    if status == 403:
        return "forbidden"
    assert status < 500, f"server error {status}"
    return "ok"


def _url(app: Flask, endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: SAMPLE[name] for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def test_every_route_is_in_the_policy(console_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in console_app.url_map.iter_rules()}
    unknown = endpoints - set(CONSOLE) - PUBLIC
    assert not unknown, f"routes without an access decision in this test: {sorted(unknown)}"
    gone = (set(CONSOLE) | PUBLIC) - endpoints
    assert not gone, f"policy lists routes that no longer exist: {sorted(gone)}"
    for endpoint in CONSOLE:
        view = console_app.view_functions[endpoint]
        assert hasattr(view, "console_access"), f"{endpoint} does not declare its role"


def test_walk_every_console_route_as_each_role(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    console_app.config["WTF_CSRF_ENABLED"] = False  # the CSRF test below covers tokens
    # Logout ends the walker's session: walk it last.
    order = sorted(CONSOLE, key=lambda e: e == "console.logout")
    failures = []
    for who in WALKERS:
        client = console_app.test_client()
        if who != "anonymous":
            login(console_app, client, accounts[who], csrf=False)
        for endpoint in order:
            url = _url(console_app, endpoint)
            for method, needed in zip(("GET", "POST"), CONSOLE[endpoint], strict=True):
                if needed is None:
                    continue
                response = client.open(url, method=method, data={})
                expected = _allowed(needed, who)
                got = _outcome(response)
                if got != expected:
                    failures.append(f"{who} {method} {url}: expected {expected}, got {got}"
                                    f" ({response.status_code})")
    assert not failures, "\n".join(failures)


def test_public_routes_need_no_account(console_app: Flask) -> None:
    client = console_app.test_client()
    for endpoint in ("public.home", "public.browser_history", "transparency.ledger_page",
                     "api.totals", "transparency.entries_csv"):
        response = client.get(_url(console_app, endpoint))
        assert response.status_code == 200, endpoint
        assert "session" not in response.headers.get("Set-Cookie", "")


def test_every_console_form_refuses_a_post_without_csrf_token(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["admin"])
    for endpoint, (_read, write) in CONSOLE.items():
        if write is None:
            continue
        response = client.post(_url(console_app, endpoint), data={"confirm": "y"})
        assert response.status_code == 400, f"{endpoint} took a POST without a CSRF token"
        assert b"CSRF" in response.data


def test_a_view_without_a_declared_role_is_refused_to_everyone(
    settings: object, accounts: dict[str, Account], console_app: Flask
) -> None:
    bp = console_blueprint("console_undeclared", __name__, "/console/undeclared")

    @bp.get("/")
    def undeclared() -> str:
        return "secret"

    console_app.register_blueprint(bp)
    client = console_app.test_client()
    login(console_app, client, accounts["admin"])
    assert client.get("/console/undeclared/").status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(
    console_app: Flask, accounts: dict[str, Account], target: str
) -> None:
    console_app.config["WTF_CSRF_ENABLED"] = False
    client = console_app.test_client()
    response = client.post("/console/login?next=" + target,
                           data={"username": "organiser", "password": accounts["organiser"].password})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/console/", "http://localhost/console/")
