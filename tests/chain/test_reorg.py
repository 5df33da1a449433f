"""Reorganisations on a real anvil (``anvil_reorg``): the ledger ends equal to the canonical chain.

Blocks holding sales are dropped and replaced at depths 1 to 12 while the ledger follows the
chain. With ``confirmations = 16`` those blocks are still pending when the reorg happens, so the
ledger drops them and books the replacement; a reverted sale never reaches the journal. A reorg
below what was booked as final halts the sync until ``repair`` retracts the entries with
reversing entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from devchain import scenarios as sc
from devchain.anvil import Anvil
from devchain.deploy import Deployment
from ledger.chain.sync import DeepReorgError, SyncHaltedError
from tests.chain.conftest import SyncedLedger

pytestmark = pytest.mark.chain

PRICE = 10**18
CONFIRMATIONS = 16


def head(node: Anvil) -> int:
    return int(node.rpc("eth_blockNumber"), 16)


def block_hash(node: Anvil, number: int) -> str:
    return str(node.rpc("eth_getBlockByNumber", [hex(number), False])["hash"])


def reorg(node: Anvil, d: Deployment, depth: int) -> None:
    """Replace the last ``depth`` blocks; the new fork holds one WBNB transfer instead."""
    replacement = {
        "from": d.accounts.buyer,
        "to": d.wbnb.address,
        "value": hex(12345),
        "gas": hex(100_000),
    }
    node.rpc("anvil_reorg", [depth, [[replacement, 0]]])


def sell_in_last_blocks(d: Deployment, node: Anvil, token_id: int, depth: int) -> str:
    """Sell ``token_id`` so that the sale's block is among the last ``depth`` blocks."""
    sc.mint_and_list(d, token_id, d.accounts.initiative, PRICE)
    receipt = sc.buy_with_bnb(d, token_id, d.accounts.buyer, PRICE)
    if depth > 1:
        node.rpc("anvil_mine", [hex(depth - 1)])
    return receipt["blockHash"].to_0x_hex()


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8, 12])
def test_reorg_of_pending_blocks_with_a_sale(
    depth: int,
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    fresh_copy: Callable[[], SyncedLedger],
) -> None:
    d = deployed
    follower = make_ledger(anvil_node.url, confirmations=CONFIRMATIONS)
    sc.mint_and_list(d, 101, d.accounts.initiative, PRICE)
    sc.buy_with_bnb(d, 101, d.accounts.buyer, PRICE)  # this sale survives
    anvil_node.rpc("anvil_mine", [hex(CONFIRMATIONS + 1)])
    orphan = sell_in_last_blocks(d, anvil_node, 102, depth)
    first = follower.sync()
    assert first.pending_logs > 0
    reorg(anvil_node, d, depth)
    assert block_hash(anvil_node, head(anvil_node) - depth + 1) != orphan
    anvil_node.rpc("anvil_mine", [hex(CONFIRMATIONS + 2)])
    second = follower.sync()
    assert second.reorgs, "the reorg was not detected"
    assert second.pending_logs == 0

    clean = fresh_copy()
    clean.sync()
    assert follower.checksum() == clean.checksum()
    assert not [e for e in follower.entries() if e.block_hash == orphan]


def test_reorgs_while_watching(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    fresh_copy: Callable[[], SyncedLedger],
) -> None:
    """A follower polls in a thread (as `ledger watch` does) while sales and reorgs happen."""
    d = deployed
    follower = make_ledger(anvil_node.url, confirmations=CONFIRMATIONS)
    stop = threading.Event()
    errors: list[BaseException] = []

    def watch() -> None:
        while not stop.is_set():
            try:
                follower.sync()
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)
                return
            stop.wait(0.02)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        for round_, depth in enumerate([1, 3, 12, 2, 7]):
            sell_in_last_blocks(d, anvil_node, 110 + round_, depth)
            stop.wait(0.2)
            reorg(anvil_node, d, depth)
            stop.wait(0.1)
        anvil_node.rpc("anvil_mine", [hex(CONFIRMATIONS + 2)])
        stop.wait(1.0)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    follower.sync()
    clean = fresh_copy()
    clean.sync()
    assert follower.checksum() == clean.checksum()


def test_reorg_below_the_final_block_halts_until_repaired(
    deployed: Deployment,
    anvil_node: Anvil,
    make_ledger: Callable[..., SyncedLedger],
    fresh_copy: Callable[[], SyncedLedger],
) -> None:
    d = deployed
    ledger = make_ledger(anvil_node.url)  # finality from anvil's `finalized` tag: head - 2
    orphan = sell_in_last_blocks(d, anvil_node, 101, 4)
    report = ledger.sync()
    booked = [e for e in ledger.entries() if e.block_hash == orphan]
    assert booked and report.booked_to >= report.head - 2
    sold = {k: v for k, v in ledger.editions().items() if k[1] == 101}
    assert sold and all(status == "sold" for status, _ in sold.values())
    reorg(anvil_node, d, 4)  # deeper than anvil's finality: a provider "lied"
    anvil_node.rpc("anvil_mine", [hex(3)])
    with pytest.raises(DeepReorgError, match="already booked as final"):
        ledger.sync()
    with pytest.raises(SyncHaltedError, match="--repair"):
        ledger.sync()
    repaired = ledger.sync(repair=True)
    assert repaired.retracted_entries == len(booked)
    entries = ledger.entries()
    reversals = [e for e in entries if e.reverses_entry_id in {b.id for b in booked}]
    assert len(reversals) == len(booked)  # history kept: the originals are still there
    clean = fresh_copy()
    clean.sync()
    assert ledger.balances() == clean.balances()
    # The sale is gone from the chain: its edition is listed again, held by the market, as a
    # clean sync of the canonical chain leaves it (not "sold" to a buyer it never reached).
    assert repaired.restored_editions == len(sold)
    assert ledger.editions() == clean.editions()
    assert all(status == "listed" for k, (status, _) in ledger.editions().items() if k[1] == 101)
    again = ledger.sync()
    assert again.entries_posted == 0 and not again.reorgs


def test_reorg_deeper_than_the_pending_window_halts(
    deployed: Deployment, anvil_node: Anvil, make_ledger: Callable[..., SyncedLedger]
) -> None:
    d = deployed
    ledger = make_ledger(anvil_node.url, confirmations=4, reorg_window=2)
    sell_in_last_blocks(d, anvil_node, 101, 10)
    ledger.sync()
    reorg(anvil_node, d, 10)
    with pytest.raises(DeepReorgError):
        ledger.sync()
