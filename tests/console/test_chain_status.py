"""The chain page shows what the sync stored (cursor, head, lag, last error, events per
minute, pending vs final items) without calling the node; a pass records its outcome."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ledger.chain.rpc import BlockHeader, RpcClient, RpcUnavailableError
from ledger.chain.status import KEPT_RUNS, record_sync_run, redact_urls
from ledger.chain.sync import Syncer, SyncReport
from ledger.config import Settings
from ledger.db import session_scope
from ledger.models import ChainLog, SyncCursor, SyncRun
from tests.console.conftest import Account, csrf_token, login

CHAIN = 97
HASH = "0x" + "ab" * 32


def _log(block: int, index: int, booked: bool) -> ChainLog:
    block_hash = "0x" + f"{block:064x}"
    return ChainLog(chain_id=CHAIN, block_number=block, block_hash=block_hash, tx_hash=HASH,
                    tx_index=0, log_index=index, address="0x" + "11" * 20, data="0x",
                    is_booked=booked)


@pytest.fixture
def client(console_app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    client = console_app.test_client()
    login(console_app, client, accounts["auditor"])
    return client


def _no_rpc(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the status page called the node")

    monkeypatch.setattr(RpcClient, "request", refuse)
    monkeypatch.setattr(RpcClient, "fetch_block_header", refuse)


def test_before_any_sync_the_page_says_so(client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _no_rpc(monkeypatch)
    html = client.get("/console/chain/").get_data(as_text=True)
    assert "has not run yet" in html


def test_the_page_shows_stored_status_without_calling_the_node(
    console_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = console_app.extensions["ledger.session_factory"]
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        session.add(SyncCursor(chain_id=CHAIN, fetched_to=1050, booked_to=1000,
                               filters_hash="0" * 64))
        session.add_all([_log(990, 0, True), _log(995, 1, True), _log(1040, 0, False)])
    record_sync_run(sessions, CHAIN, now - timedelta(minutes=10), 2.5,
                    SyncReport(head=1060, final=1045, logs_stored=300, entries_posted=7))
    record_sync_run(sessions, CHAIN, now - timedelta(minutes=2), 0.1, None,
                    RpcUnavailableError("https://bsc.example/v1/SECRETKEY?x=1 timed out"))
    record_sync_run(sessions, CHAIN, now - timedelta(hours=3), 1.0,
                    SyncReport(head=900, final=880, logs_stored=999_999))  # outside the hour
    _no_rpc(monkeypatch)
    html = client.get("/console/chain/").get_data(as_text=True)
    assert f"Chain {CHAIN}" in html
    cells = {label: value for label, value in
             re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>(.*?)</td>', html)}
    assert cells["Cursor (last block booked as final)"] == "1000"
    assert cells["Finalized head (last pass)"] == "1045"
    assert cells["Chain head (last pass)"] == "1060"
    assert cells["Lag (final blocks not booked)"] == "45"
    assert cells["Events per minute (last hour)"].startswith("5.0 ")  # 300 logs / 60 min
    assert cells["Items pending finality"].startswith("1 ")
    assert cells["Items final and booked"] == "2"
    assert "failed" in cells["Last pass"]
    assert "RpcUnavailableError" in html and "bsc.example" in html
    assert "SECRETKEY" not in html


def test_check_head_now_asks_once_and_stores_nothing(
    console_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def header(self: RpcClient, tag: int | str) -> BlockHeader:
        calls.append((tag, self.timeout_s))
        number = 500 if tag == "latest" else 485
        return BlockHeader(number=number, hash=HASH, parent_hash=HASH, timestamp=0)

    monkeypatch.setattr(RpcClient, "fetch_block_header", header)
    token = csrf_token(client, "/console/chain/")
    html = client.post("/console/chain/check-head",
                       data={"csrf_token": token, "check": "head"}).get_data(as_text=True)
    assert "chain head was block 500" in html
    assert calls and all(timeout <= 5 for _, timeout in calls)
    with session_scope(console_app.extensions["ledger.session_factory"]) as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 0
    assert client.post("/console/chain/check-head",
                       data={"csrf_token": token}).status_code == 400


def test_an_unreachable_node_is_reported_not_raised(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(self: RpcClient, tag: int | str) -> None:
        raise RpcUnavailableError("http://127.0.0.1:1/key123 refused")

    monkeypatch.setattr(RpcClient, "fetch_block_header", down)
    token = csrf_token(client, "/console/chain/")
    response = client.post("/console/chain/check-head", data={"csrf_token": token,
                                                              "check": "head"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "did not answer" in html and "key123" not in html


def test_a_failing_pass_records_its_error_and_still_raises(
    console_app: Flask, settings: Settings
) -> None:
    class DownClient:
        def fetch_block_header(self, tag: int | str) -> None:
            raise RpcUnavailableError("https://node.example/abc/APIKEY unreachable")

    sessions = console_app.extensions["ledger.session_factory"]
    syncer = Syncer(sessions, DownClient(), settings.chain)  # type: ignore[arg-type]
    with pytest.raises(RpcUnavailableError):
        syncer.sync()
    with session_scope(sessions) as session:
        (run,) = session.scalars(select(SyncRun))
        assert run.chain_id == settings.chain.chain_id and run.head is None
        assert run.error and "RpcUnavailableError" in run.error and "APIKEY" not in run.error


def test_an_unexpected_failure_is_recorded_too_and_still_raises(
    console_app: Flask, settings: Settings
) -> None:
    class BrokenClient:
        def fetch_block_header(self, tag: int | str) -> None:
            raise KeyError("a bug, not an RPC error")

    sessions = console_app.extensions["ledger.session_factory"]
    syncer = Syncer(sessions, BrokenClient(), settings.chain)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        syncer.sync()
    with session_scope(sessions) as session:
        (run,) = session.scalars(select(SyncRun))
        assert run.error and run.error.startswith("KeyError")


def test_old_runs_are_forgotten(console_app: Flask) -> None:
    sessions = console_app.extensions["ledger.session_factory"]
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        session.add_all(SyncRun(chain_id=CHAIN, started_at=now, duration_ms=1, logs_stored=0,
                                entries_posted=0) for _ in range(KEPT_RUNS + 5))
    record_sync_run(sessions, CHAIN, now, 0.1, SyncReport())
    with session_scope(sessions) as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == KEPT_RUNS


def test_urls_lose_everything_but_their_host() -> None:
    assert redact_urls("at https://user:pw@bsc.example:8545/v1/KEY?a=1, then") == (
        "at https://bsc.example:8545/*** then"
    )
