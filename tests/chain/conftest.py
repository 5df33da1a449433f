"""Fixtures for tests against a real anvil node and the compiled test contracts.

``anvil_node`` is session-scoped, so every pytest-xdist worker (its own process and session)
runs one anvil on its own free port. ``deployed`` hands each test the deployed contracts and
reverts the chain to a snapshot afterwards, so tests do not see each other's transactions.

Without ``npm ci`` (no node_modules/.bin/anvil, no solc) these tests are skipped, except under
CI=true, where a missing toolchain is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from devchain.anvil import Anvil, anvil_problem
from devchain.deploy import Deployment, deploy_all
from devchain.solidity import Build, compile_contracts, toolchain_problem
from ledger.chain.rpc import RpcClient
from ledger.chain.sync import Syncer, SyncReport
from ledger.config import load_settings
from ledger.db import make_engine, make_session_factory
from ledger.journal import compute_journal_checksum, get_balances
from ledger.models import JournalEntry, NftEdition


def _unavailable(problem: str) -> None:
    message = f"{problem}: run `npm ci` in the project root to install anvil and solc"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the chain toolchain is missing: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def solc_build() -> Build:
    problem = toolchain_problem()
    if problem is not None:
        _unavailable(problem)
    return compile_contracts()


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[Anvil]:
    problem = anvil_problem()
    if problem is not None:
        _unavailable(problem)
    with Anvil() as node:
        yield node


@pytest.fixture(scope="session")
def _deployment(anvil_node: Anvil, solc_build: Build) -> Deployment:
    return deploy_all(anvil_node.web3(), solc_build)


@pytest.fixture
def deployed(anvil_node: Anvil, _deployment: Deployment) -> Iterator[Deployment]:
    snapshot = anvil_node.rpc("evm_snapshot")
    try:
        yield _deployment
    finally:
        assert anvil_node.rpc("evm_revert", [snapshot]) is True


# ------------------------------------------------------------------ a ledger that syncs


class SyncedLedger:
    """A committed ledger database plus a Syncer pointed at a node (anvil or a proxy)."""

    def __init__(self, url: str, rpc_url: str, **chain: Any) -> None:
        self.url = url
        self.settings = load_settings(
            overrides={
                "database": {"url": url},
                "chain": {"rpc_urls": [rpc_url], "initial_range": 50, **chain},
            },
            environ={},
        )
        self.engine = make_engine(url, writer=True)
        self.sessions = make_session_factory(self.engine)
        self.client = RpcClient(self.settings.chain.rpc_urls, timeout_s=5.0)
        self.syncer = Syncer(self.sessions, self.client, self.settings.chain)

    def sync(self, **kwargs: Any) -> SyncReport:
        return self.syncer.sync(**kwargs)

    def checksum(self) -> str:
        with self.sessions() as session:
            return compute_journal_checksum(session)

    def balances(self, prefix: str | None = None) -> dict[tuple[str, str], int]:
        with self.sessions() as session:
            return get_balances(session, account_prefix=prefix)

    def entries(self) -> list[JournalEntry]:
        with self.sessions() as session:
            return list(session.scalars(select(JournalEntry).order_by(JournalEntry.id)))

    def editions(self) -> dict[tuple[int, int, int], tuple[str, str | None]]:
        """(collection id, token id, edition number) -> (status, holder) of every edition."""
        with self.sessions() as session:
            return {
                (e.collection_id, e.token_id, e.edition_number): (e.status.value, e.holder)
                for e in session.scalars(select(NftEdition))
            }

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


@pytest.fixture
def make_ledger(fresh_database_url: str) -> Iterator[Callable[..., SyncedLedger]]:
    """Build SyncedLedgers on the test's fresh database (several share it if asked twice)."""
    made: list[SyncedLedger] = []

    def build(rpc_url: str, **chain: Any) -> SyncedLedger:
        ledger = SyncedLedger(fresh_database_url, rpc_url, **chain)
        made.append(ledger)
        return ledger

    yield build
    for ledger in made:
        ledger.close()


@pytest.fixture
def fresh_copy(
    database_urls: dict[str, str], anvil_node: Anvil, tmp_path: Any
) -> Iterator[Callable[[], SyncedLedger]]:
    """A second, independent ledger (SQLite copy of the template) for a clean comparison sync."""
    import shutil

    from tests.conftest import sqlite_template

    made: list[SyncedLedger] = []

    def build() -> SyncedLedger:
        path = tmp_path / f"clean-{len(made)}.sqlite3"
        shutil.copyfile(sqlite_template(database_urls), path)
        ledger = SyncedLedger(f"sqlite:///{path}", anvil_node.url, initial_range=7)
        made.append(ledger)
        return ledger

    yield build
    for ledger in made:
        ledger.close()
