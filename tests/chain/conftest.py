"""Fixtures for tests against a real anvil node and the compiled test contracts.

``anvil_node`` is session-scoped, so every pytest-xdist worker (its own process and session)
runs one anvil on its own free port. ``deployed`` hands each test the deployed contracts and
reverts the chain to a snapshot afterwards, so tests do not see each other's transactions.

Without ``npm ci`` (no node_modules/.bin/anvil, no solc) these tests are skipped, except under
CI=true, where a missing toolchain is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devchain.anvil import Anvil, anvil_problem
from devchain.deploy import Deployment, deploy_all
from devchain.solidity import Build, compile_contracts, toolchain_problem


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
