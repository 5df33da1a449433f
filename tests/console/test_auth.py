"""Logging in: no default account, argon2id hashes, TOTP (required for admins, never reused),
lockouts, one-time passwords that must be changed, cookies, and the audit trail of it all."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text

from cli.main import main
from ledger.db import session_scope
from ledger.models import AuditLog, ConsoleUser
from tests.console.conftest import PASSWORD, Account, csrf_token, login, next_code


def _post(client, path, token_from=None, **data):  # type: ignore[no-untyped-def]
    data["csrf_token"] = csrf_token(client, token_from or path)
    return client.post(path, data=data)


def _user(app: Flask, name: str) -> ConsoleUser:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == name))
        assert user is not None
        session.expunge(user)
        return user


def _actions(app: Flask) -> list[tuple[str, str, str]]:
    with session_scope(app.extensions["ledger.session_factory"]) as session:
        return [(r.via, r.actor, r.action) for r in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_no_account_exists_until_one_is_added(console_app: Flask) -> None:
    client = console_app.test_client()
    for username, password in (("admin", "admin"), ("admin", ""), ("root", "password")):
        response = _post(client, "/console/login", username=username, password=password)
        assert response.status_code in (400, 401)
    assert client.get("/console/").status_code == 302


def test_first_admin_from_the_cli_must_set_up_a_second_factor(
    console_app: Flask, instance_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    result = CliRunner().invoke(main, ["users", "add", "first", "--role", "admin",
                                       "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert _user(console_app, "first").password_hash.startswith("$argon2id$")

    client = console_app.test_client()
    response = _post(client, "/console/login", username="first", password=PASSWORD)
    assert response.headers["Location"].endswith("/console/account/second-factor")
    # Nothing else opens before the second factor is set up.
    for path in ("/console/", "/console/users/", "/console/audit/"):
        assert client.get(path).headers["Location"].endswith("/console/account/second-factor")
    page = client.get("/console/account/second-factor").get_data(as_text=True)
    secret = page.split("data-totp-secret>")[1].split("<")[0]
    wrong = _post(client, "/console/account/second-factor", code="000000")
    assert wrong.status_code == 400
    secret = _user(console_app, "first").totp_secret  # a new page view keeps the secret
    response = _post(client, "/console/account/second-factor", code=pyotp.TOTP(secret).now())
    assert response.status_code == 302
    assert client.get("/console/users/").status_code == 200
    actions = _actions(console_app)
    assert actions[-2][0] == "cli" and actions[-2][2] == "user.create"
    assert actions[-1] == ("console", "first", "user.totp-enrol")


def test_admin_login_asks_for_the_code_and_refuses_a_reused_one(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    client = console_app.test_client()
    response = _post(client, "/console/login", username="admin", password=admin.password)
    assert response.headers["Location"].endswith("/console/login/code")
    assert client.get("/console/").headers["Location"].endswith("/console/login/code")
    code = next_code(console_app, admin)
    assert _post(client, "/console/login/code", code=code).status_code == 302
    assert client.get("/console/users/").status_code == 200

    other = console_app.test_client()
    _post(other, "/console/login", username="admin", password=admin.password)
    replay = _post(other, "/console/login/code", code=code)
    assert replay.status_code == 401
    assert other.get("/console/").status_code == 302


def test_a_password_alone_shows_neither_the_menu_nor_the_discrepancy_count(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    admin = accounts["admin"]
    client = console_app.test_client()
    _post(client, "/console/login", username="admin", password=admin.password)
    refused = _post(client, "/console/login/code", code="000000")
    for page in (client.get("/console/login/code"), refused):
        html = page.get_data(as_text=True)
        assert "data-open-discrepancies" not in html
        assert 'class="console-nav"' not in html
    assert _post(client, "/console/login/code", code=next_code(console_app, admin)).status_code == 302
    html = client.get("/console/").get_data(as_text=True)
    assert "data-open-discrepancies" in html and 'class="console-nav"' in html


def test_organiser_without_second_factor_logs_in_and_cannot_manage_users(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["organiser"])
    assert client.get("/console/users/").status_code == 403
    assert client.get("/console/audit/").status_code == 403


def test_five_failures_lock_the_account_even_for_the_right_password(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    client = console_app.test_client()
    for _ in range(5):
        assert _post(client, "/console/login", username="auditor", password="wrong password!").status_code == 401
    response = _post(client, "/console/login", username="auditor", password=PASSWORD)
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)
    assert _user(console_app, "auditor").locked_until is not None


def test_too_many_attempts_from_one_client_are_refused(console_app: Flask, accounts: dict[str, Account]) -> None:
    client = console_app.test_client()
    statuses = [
        _post(client, "/console/login", username=f"nobody{i}", password="x" * 12).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20 and statuses[20] == 429
    # Even the right password waits now, from this client; another client is not affected.
    assert _post(client, "/console/login", username="organiser", password=PASSWORD).status_code == 429


def test_reset_password_forces_a_change_and_ends_old_sessions(
    console_app: Flask, accounts: dict[str, Account]
) -> None:
    victim = console_app.test_client()
    login(console_app, victim, accounts["organiser"])
    admin = console_app.test_client()
    login(console_app, admin, accounts["admin"])
    page = _post(admin, "/console/users/organiser/reset-password", token_from="/console/users/")
    one_time = page.get_data(as_text=True).split("data-one-time-password>")[1].split("<")[0]
    # The organiser's old session ended at once.
    assert victim.get("/console/").status_code == 302

    fresh = console_app.test_client()
    assert _post(fresh, "/console/login", username="organiser", password=one_time).status_code == 302
    assert fresh.get("/console/").headers["Location"].endswith("/console/account/password")
    new = "a new and longer passphrase"
    response = _post(fresh, "/console/account/password", current=one_time, new=new, repeat=new)
    assert response.status_code == 302
    assert fresh.get("/console/").status_code == 200
    assert ("console", "admin", "user.password-reset") in _actions(console_app)
    assert ("console", "organiser", "user.password-change") in _actions(console_app)


def test_cli_reset_password_prints_a_one_time_password(
    console_app: Flask, accounts: dict[str, Account], instance_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    result = CliRunner().invoke(main, ["users", "reset-password", "auditor"])
    assert result.exit_code == 0, result.output
    one_time = result.output.strip().rsplit(" ", 1)[1]
    client = console_app.test_client()
    assert _post(client, "/console/login", username="auditor", password=one_time).status_code == 302
    assert _user(console_app, "auditor").must_change_password


def test_weak_passwords_are_refused(console_app: Flask, instance_dir: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_PATHS_INSTANCE", str(instance_dir))
    for weak in ("short", "aaaaaaaaaaaaaaaa", "mynameisbob-and-more"):
        result = CliRunner().invoke(main, ["users", "add", "bob", "--role", "organiser",
                                           "--password-stdin"], input=weak + "\n")
        assert result.exit_code == 1 and "password:" in result.output


def test_session_cookie_is_httponly_and_samesite(console_app: Flask, accounts: dict[str, Account]) -> None:
    client = console_app.test_client()
    response = _post(client, "/console/login", username="organiser", password=PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_in_production_settings(settings, instance_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from ledger.config import load_settings
    from web import create_app

    prod = load_settings(overrides={"paths": {"instance": str(instance_dir)},
                                    "web": {"secure_cookies": True}}, environ={})
    assert create_app(settings=prod).config["SESSION_COOKIE_SECURE"] is True


def test_logout_ends_the_session(console_app: Flask, accounts: dict[str, Account]) -> None:
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    token = csrf_token(client, "/console/")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/").status_code == 302


@pytest.mark.usefixtures("accounts")
def test_audit_log_is_append_only(console_app: Flask) -> None:
    engine = console_app.extensions["ledger.session_factory"].kw["bind"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() >= 4
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))
        conn.rollback()
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))
