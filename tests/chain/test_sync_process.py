"""The sync as a process: the CLI, the single-writer lock, SIGKILL at random points, verify-tx."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from devchain import scenarios as sc
from devchain.anvil import Anvil
from devchain.deploy import Deployment
from ledger.accounts import payable_account
from ledger.chain.lock import SyncLockedError, hold_sync_lock
from ledger.models import EvidenceKind, JournalEntry, SyncCursor
from tests.chain.conftest import SyncedLedger
from tests.chain.faultproxy import FaultProxy

pytestmark = pytest.mark.chain

ROOT = Path(__file__).resolve().parents[2]
CRASH_SEED = int(os.environ.get("CRASH_SEED", "20261121"))


def ledger_env(url: str, rpc_url: str, **chain: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["LEDGER_DATABASE_URL"] = url
    env["LEDGER_CHAIN_RPC_URLS"] = rpc_url
    for key, value in chain.items():
        env[f"LEDGER_CHAIN_{key.upper()}"] = str(value)
    return env


def ledger_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_sync_prints_the_checksum_and_a_second_run_changes_nothing(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    sc.mint_and_list(d, 101, d.accounts.initiative, 10**18)
    sc.buy_with_bnb(d, 101, d.accounts.buyer, 10**18)
    anvil_node.rpc("anvil_mine", ["0x3"])
    ledger = make_ledger(anvil_node.url)
    env = ledger_env(ledger.url, anvil_node.url)
    first = ledger_process(env, "sync", "--checksum")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "entries posted" in out and "journal checksum" in out
    # What the sync booked is in the reconciliation inbox, once.
    assert "reconciliation inbox: " in out and "matched automatically" in out
    second = ledger_process(env, "sync", "--checksum")
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 0, err2
    assert "0 logs stored, 0 entries posted" in out2
    assert "reconciliation inbox" not in out2
    assert out.splitlines()[-1] == out2.splitlines()[-1]  # same checksum


def test_a_second_writer_is_refused_with_a_clear_message(
    anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    ledger = make_ledger(anvil_node.url)
    with hold_sync_lock(ledger.engine):
        with pytest.raises(SyncLockedError):
            with hold_sync_lock(ledger.engine, wait_s=0.3):
                pass
        proc = ledger_process(ledger_env(ledger.url, anvil_node.url), "sync")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert "another `ledger sync` or `ledger watch` is writing" in err


def test_a_killed_writer_leaves_no_lock_behind(
    anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    ledger = make_ledger(anvil_node.url)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from ledger.db import make_engine\n"
            "from ledger.chain.lock import hold_sync_lock\n"
            f"engine = make_engine({ledger.url!r})\n"
            "with hold_sync_lock(engine):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(600)\n",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(SyncLockedError):
            with hold_sync_lock(ledger.engine):
                pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        with hold_sync_lock(ledger.engine, wait_s=10):  # PostgreSQL notices the dead session
            pass
    finally:
        holder.kill()
        holder.wait()


def cursor_position(ledger: SyncedLedger) -> int:
    with ledger.sessions() as session:
        cursor = session.get(SyncCursor, 56)
        return cursor.fetched_to if cursor else -2


def test_sigkill_at_random_points_then_resume_equals_a_clean_sync(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    fresh_copy: Callable[[], SyncedLedger],
) -> None:
    d = deployed
    sc.build_many_sales(d, 480, per_block=8)  # ~60 blocks: work enough for several kills
    sc.claim_revenue(d, d.accounts.initiative)
    anvil_node.rpc("anvil_mine", ["0x3"])
    clean = fresh_copy()
    clean.sync()
    expected = clean.checksum()

    crashed = make_ledger(anvil_node.url)
    # Through a proxy adding a provider's round trip (10 ms), and ranges of 1-2 blocks: the
    # sync takes a second or two rather than a blink, so the kills land in the middle of it.
    with FaultProxy(anvil_node.url, latency_s=0.01, name="slow") as proxy:
        env = ledger_env(crashed.url, proxy.url, initial_range=1, max_range=2, concurrency=2)
        rng = random.Random(CRASH_SEED)
        print(f"crash seed {CRASH_SEED} (set CRASH_SEED to reproduce)")
        kills = 0
        positions: list[int] = []
        for _ in range(8):
            before = cursor_position(crashed)
            proc = ledger_process(env, "sync")
            # Start-up (imports) takes seconds on a busy machine: wait until this run has
            # written something and got a random few blocks further (a distance, not a delay,
            # so how fast the machine is does not decide where it lands), then kill it a
            # random moment later.
            deadline = time.monotonic() + 60
            target = max(before, 0) + rng.randint(1, 16)
            while cursor_position(crashed) < target and proc.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.05))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            positions.append(cursor_position(crashed))
        final = ledger_process(env, "sync")
        _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    print(f"{kills} kills; cursor after each: {positions}")
    assert kills >= 3
    assert len({p for p in positions if p >= 0}) >= 2, "no kill landed in the middle of the work"
    assert crashed.checksum() == expected


def test_verify_tx_books_a_native_disbursement_once(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    treasury, crisis = d.accounts.other[2], d.accounts.other[0]
    receipt = sc.send_bnb(d, treasury, crisis, 5 * 10**17)
    tx_hash = receipt["transactionHash"].to_0x_hex()
    ledger = make_ledger(anvil_node.url)
    runner = CliRunner()
    early = runner.invoke(main, ["verify-tx", tx_hash], obj={"settings": ledger.settings})
    assert early.exit_code == 1 and "not final yet" in early.output
    anvil_node.rpc("anvil_mine", ["0x3"])
    for _ in range(2):
        result = runner.invoke(main, ["verify-tx", tx_hash], obj={"settings": ledger.settings})
        assert result.exit_code == 0, result.output
        assert "paid out to beneficiary crisis-centre-almaty" in result.output
    with ledger.sessions() as session:
        entries = session.scalars(
            select(JournalEntry).where(JournalEntry.evidence_kind == EvidenceKind.CHAIN_TX)
        ).all()
    assert len(entries) == 1 and entries[0].tx_hash == tx_hash
    assert ledger.balances()[(payable_account("crisis-centre-almaty"), "BNB")] == 5 * 10**17
    stranger = sc.send_bnb(d, d.accounts.buyer, d.accounts.seller, 1)
    anvil_node.rpc("anvil_mine", ["0x3"])
    refused = runner.invoke(
        main,
        ["verify-tx", stranger["transactionHash"].to_0x_hex()],
        obj={"settings": ledger.settings},
    )
    assert refused.exit_code == 1 and "touches none of the initiative's wallets" in refused.output
