"""The demo chain: a fresh start plays the story once; later starts reload the same chain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devchain import demochain
from devchain.anvil import Anvil, anvil_problem, free_port, rpc
from devchain.demochain import DemoChainError, start, stop
from devchain.solidity import Build
from ledger.chain.decode import AskEvent, Erc20Transfer, RevenueClaim, Trade, decode_logs

pytestmark = pytest.mark.chain

COLLECTOR = "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"  # anvil account 4
TREASURY = "0x14dc79964da2c08b23698b3d3cc7ca32193d9955"  # anvil account 7
BENEFICIARIES = {
    "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc",  # anvil account 5
    "0x976ea74026e726554db657fa54763abd0c3a0aa9",  # anvil account 6
}


@pytest.fixture
def chain_dir(tmp_path: Path, solc_build: Build) -> Iterator[Path]:
    """A state directory; the demo chain started in it is stopped after the test."""
    problem = anvil_problem()
    if problem is not None:
        pytest.skip(problem)
    state_dir = tmp_path / "demo-chain"
    yield state_dir
    stop(state_dir, say=lambda _: None)


def _start(state_dir: Path, port: int, **kwargs: Any) -> tuple[demochain.Started, list[str]]:
    lines: list[str] = []
    started = start(state_dir, port, state_interval=1, say=lines.append, **kwargs)
    return started, lines


def _snapshot(url: str) -> dict[str, Any]:
    head = int(rpc(url, "eth_blockNumber"), 16)
    blocks = {n: rpc(url, "eth_getBlockByNumber", [hex(n), False]) for n in range(head + 1)}
    # An unbroken chain: each block names the one before it (the genesis included).
    assert all(blocks[n]["parentHash"] == blocks[n - 1]["hash"] for n in range(1, head + 1))
    return {
        "head": head,
        "hashes": {n: block["hash"] for n, block in blocks.items()},
        "logs": len(rpc(url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head)}])),
    }


def test_fresh_start_plays_the_story_once_and_finalizes_it(chain_dir: Path) -> None:
    port = free_port()
    started, lines = _start(chain_dir, port)
    assert started.is_fresh and started.pid is not None
    assert f"RPC URL: http://127.0.0.1:{port}" in lines

    story = demochain.read_story(chain_dir)
    finalized = int(rpc(started.url, "eth_getBlockByNumber", ["finalized", False])["number"], 16)
    assert story["head"] == int(rpc(started.url, "eth_blockNumber"), 16)
    assert finalized == story["head"] - 2
    for step in story["steps"]:
        receipt = rpc(started.url, "eth_getTransactionReceipt", [step["tx_hash"]])
        assert receipt["status"] == "0x1", step
        assert int(receipt["blockNumber"], 16) <= finalized, step
        assert receipt["blockHash"] == step["block_hash"]

    logs = rpc(started.url, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(finalized)}])
    events = decode_logs(56, logs)
    trades = [e for e in events if isinstance(e, Trade)]
    assert Counter(t.with_bnb for t in trades) == {True: 4, False: 2}  # 3 + resale, 2 in WBNB
    resale = trades[-1]
    assert (resale.token_id, resale.seller) == (101, COLLECTOR)
    assert Counter(e.kind for e in events if isinstance(e, AskEvent)) == {
        "new": 9,  # eight editions and the resale
        "update": 1,
        "cancel": 1,
    }
    assert len([e for e in events if isinstance(e, RevenueClaim)]) == 1
    usdt, wbnb = story["addresses"]["USDT"].lower(), story["addresses"]["WBNB"].lower()
    payouts = {
        (e.position.address, e.recipient)
        for e in events
        if isinstance(e, Erc20Transfer) and e.sender == TREASURY
    }
    assert payouts == {(t, b) for t in (usdt, wbnb) for b in BENEFICIARIES}
    native = [s for s in story["steps"] if s["label"] == "BNB payout"]
    tx = rpc(started.url, "eth_getTransactionByHash", [native[0]["tx_hash"]])
    assert tx["from"] == TREASURY and tx["to"] in BENEFICIARIES and int(tx["value"], 16) > 0

    # A second start while it runs changes nothing.
    again, lines = _start(chain_dir, port)
    assert (again.pid, again.is_fresh) == (None, False)
    assert int(rpc(started.url, "eth_blockNumber"), 16) == story["head"]
    status = demochain.get_status(chain_dir, port)
    assert status.is_running and status.head == story["head"]


def test_restart_reloads_the_same_chain_and_does_not_replay_the_story(chain_dir: Path) -> None:
    port = free_port()
    started, _ = _start(chain_dir, port)
    before = _snapshot(started.url)
    story_text = demochain.StateDir(chain_dir).story.read_text()

    # A killed node leaves its last periodic dump and a stale pid file behind.
    assert started.pid is not None
    os.kill(started.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while demochain.get_status(chain_dir, port).pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    again, lines = _start(chain_dir, port)
    assert not again.is_fresh and again.pid != started.pid
    assert any("story not replayed" in line for line in lines)
    assert _snapshot(again.url) == before

    # A clean stop (SIGINT: anvil saves its state) and a start reload it again.
    assert stop(chain_dir, say=lambda _: None) is True
    assert not demochain.StateDir(chain_dir).pid.exists()
    assert demochain.get_status(chain_dir, port).is_running is False
    third, _ = _start(chain_dir, port)
    assert not third.is_fresh
    assert _snapshot(third.url) == before
    assert demochain.StateDir(chain_dir).story.read_text() == story_text

    # New blocks continue the reloaded chain.
    rpc(third.url, "evm_mine")
    head = rpc(third.url, "eth_getBlockByNumber", ["latest", False])
    assert int(head["number"], 16) == before["head"] + 1
    assert head["parentHash"] == before["hashes"][before["head"]]


def test_stale_pid_file_does_not_block_a_start(chain_dir: Path) -> None:
    chain_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (chain_dir / demochain.PID_FILE).write_text(f"{dead.pid}\n")
    assert stop(chain_dir, say=lambda _: None) is False
    assert not (chain_dir / demochain.PID_FILE).exists()
    (chain_dir / demochain.PID_FILE).write_text(f"{os.getpid()}\n")  # alive, but not anvil
    started, _ = _start(chain_dir, free_port(), reset=True)
    assert started.is_fresh


@pytest.mark.parametrize("damage", ["corrupt", "missing", "killed before the first dump"])
def test_an_unusable_state_needs_reset(tmp_path: Path, damage: str) -> None:
    state_dir = tmp_path / "demo-chain"
    state_dir.mkdir()
    if damage == "corrupt":
        (state_dir / demochain.STATE_FILE).write_text('{"block": {"numb')
        (state_dir / demochain.STORY_FILE).write_text(json.dumps({"head": 3}))
    elif damage == "missing":
        (state_dir / demochain.STORY_FILE).write_text(json.dumps({"head": 3}))
    else:
        (state_dir / demochain.LOG_FILE).write_text("anvil log\n")
    with pytest.raises(DemoChainError) as info:
        start(state_dir, free_port(), say=lambda _: None)
    message = str(info.value)
    assert "--reset" in message and "make clean-demo" in message
    assert not (state_dir / demochain.PID_FILE).exists()  # nothing was started


def test_cli_reports_an_unusable_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state_dir = tmp_path / "demo-chain"
    state_dir.mkdir()
    (state_dir / demochain.STATE_FILE).write_text("not json")
    code = demochain.main(["start", "--state-dir", str(state_dir), "--port", str(free_port())])
    assert code == 2
    assert "not a readable anvil state file" in capsys.readouterr().err
    assert demochain.main(["status", "--state-dir", str(state_dir), "--port", "1"]) == 3


def test_a_port_taken_by_another_node_is_refused(chain_dir: Path) -> None:
    with Anvil() as other:  # no demo contracts
        assert other.port is not None
        with pytest.raises(DemoChainError, match="not a demo chain"):
            start(chain_dir, other.port, say=lambda _: None)
    assert not chain_dir.exists()


def test_the_demo_story_books_to_coherent_public_figures(
    chain_dir: Path, make_ledger: Any
) -> None:
    """Synced into the ledger, the demo story leaves nothing unexplained: every payout was
    routed first (USDT comes from an Element sale, not from nowhere), nothing is outstanding,
    and no discrepancy is open."""
    from datetime import UTC, datetime

    from ledger.reconcile.checks import compute_discrepancies
    from ledger.reports.public import build_public_ledger

    started, _ = _start(chain_dir, free_port())
    ledger = make_ledger(started.url)
    report = ledger.sync()
    assert report.entries_posted > 0
    with ledger.sessions() as session:
        public = build_public_ledger(session)
        figures = dict(public.totals.rows())
        assert set(figures) == {"USDT", "WBNB"}
        for asset, fig in figures.items():
            assert fig.received > 0 and fig.routed == fig.received, asset
            assert fig.disbursed == fig.routed and fig.outstanding == 0, asset
        assert figures["USDT"].received == 3_000 * 10**18
        assert compute_discrepancies(session, now=datetime.now(UTC), unpaid_after_days=30) == []
