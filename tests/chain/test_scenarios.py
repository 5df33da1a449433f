"""devchain.scenarios on a real anvil: each move emits the logs the ledger expects, in order.

Logs are fetched raw (``eth_getLogs``, hex strings, as the sync sees them) and decoded with
``ledger.chain.decode.decode_log``; topic0s are named from the canonical signatures.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from web3.types import RPCEndpoint, TxReceipt

from devchain import scenarios
from devchain.deploy import Deployment
from ledger.chain.decode import (
    SIGNATURES,
    AskEvent,
    DecodedEvent,
    ElementFill,
    Erc20Transfer,
    Erc721Transfer,
    RevenueClaim,
    Trade,
    TransferBatch,
    TransferSingle,
    WbnbDeposit,
    WbnbWithdrawal,
    decode_log,
    decode_logs,
    topic0_of,
)

pytestmark = pytest.mark.chain

PRICE = 1_234_567_890_123_456_789
ZERO = "0x" + "00" * 20
NAMES = {
    topic0_of(sig): sig.split("(")[0]
    for sig in [
        *SIGNATURES,
        "Approval(address,address,uint256)",
        "ApprovalForAll(address,address,bool)",
    ]
}


def raw_logs(d: Deployment, receipt: TxReceipt) -> list[dict[str, Any]]:
    block = hex(receipt["blockNumber"])
    reply = d.w3.provider.make_request(
        RPCEndpoint("eth_getLogs"), [{"fromBlock": block, "toBlock": block}]
    )
    tx_hash = receipt["transactionHash"].to_0x_hex().lower()
    return [log for log in reply["result"] if log["transactionHash"].lower() == tx_hash]


def names(d: Deployment, receipt: TxReceipt) -> list[str]:
    """The event names of a transaction's logs, in log order, from their topic0s."""
    return [NAMES.get(log["topics"][0], log["topics"][0]) for log in raw_logs(d, receipt)]


def events(d: Deployment, receipt: TxReceipt) -> list[DecodedEvent | None]:
    return [decode_log(56, log) for log in raw_logs(d, receipt)]


def low(address: str) -> str:
    return address.lower()


# ------------------------------------------------------------------------------- market


def test_mint_list_update_cancel(deployed: Deployment) -> None:
    d, seller = deployed, deployed.accounts.seller
    mint, approve, ask = scenarios.mint_and_list(d, 7, seller, PRICE)
    assert names(d, mint) == ["Transfer"]
    assert names(d, approve) == ["Approval"]
    assert names(d, ask) == ["Transfer", "AskNew"]
    escrow, new = events(d, ask)
    assert isinstance(escrow, Erc721Transfer)
    assert (escrow.sender, escrow.recipient, escrow.token_id) == (
        low(seller),
        low(d.market.address),
        7,
    )
    assert isinstance(new, AskEvent) and (new.kind, new.ask_price) == ("new", PRICE)

    (update,) = events(d, scenarios.update_ask(d, 7, seller, 2 * PRICE))
    assert isinstance(update, AskEvent) and (update.kind, update.ask_price) == ("update", 2 * PRICE)

    back, cancel = events(d, scenarios.cancel_ask(d, 7, seller))
    assert isinstance(back, Erc721Transfer) and back.recipient == low(seller)
    assert isinstance(cancel, AskEvent) and (cancel.kind, cancel.ask_price) == ("cancel", None)


def test_buy_with_bnb_and_with_wbnb(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    net = PRICE - PRICE * d.trading_fee_bps // 10_000 - PRICE * d.creator_fee_bps // 10_000
    scenarios.mint_and_list(d, 8, acc.seller, PRICE)
    scenarios.mint_and_list(d, 9, acc.seller, PRICE)

    receipt = scenarios.buy_with_bnb(d, 8, acc.buyer, PRICE)
    assert names(d, receipt) == ["Deposit", "Transfer", "Transfer", "Trade"]
    deposit, paid, moved, trade = events(d, receipt)
    assert isinstance(deposit, WbnbDeposit) and deposit.account == low(d.market.address)
    assert isinstance(paid, Erc20Transfer) and (paid.recipient, paid.value) == (low(acc.seller), net)
    assert isinstance(moved, Erc721Transfer) and moved.recipient == low(acc.buyer)
    assert isinstance(trade, Trade) and (trade.with_bnb, trade.net_price) == (True, net)

    wrap, approve, buy = scenarios.buy_with_wbnb(d, 9, acc.buyer, PRICE)
    assert names(d, wrap) == ["Deposit"]
    assert names(d, approve) == ["Approval"]
    assert names(d, buy) == ["Transfer", "Transfer", "Transfer", "Trade"]
    pay_in, paid, moved, trade = events(d, buy)
    assert isinstance(pay_in, Erc20Transfer)
    assert (pay_in.sender, pay_in.recipient, pay_in.value) == (
        low(acc.buyer),
        low(d.market.address),
        PRICE,
    )
    assert isinstance(trade, Trade) and (trade.with_bnb, trade.buyer) == (False, low(acc.buyer))


def test_resale_accrues_the_creator_fee_until_claimed(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    collector = acc.other[3]
    scenarios.mint_and_list(d, 10, acc.initiative, PRICE)
    scenarios.buy_with_bnb(d, 10, acc.buyer, PRICE)
    before = scenarios.pending_revenue(d, acc.initiative)

    receipts = scenarios.resale(d, 10, acc.buyer, collector, 2 * PRICE, with_bnb=False)
    assert [names(d, r) for r in receipts] == [
        ["Approval"],
        ["Transfer", "AskNew"],
        ["Deposit"],
        ["Approval"],
        ["Transfer", "Transfer", "Transfer", "Trade"],
    ]
    trade = events(d, receipts[-1])[-1]
    assert isinstance(trade, Trade) and trade.seller == low(acc.buyer)
    creator_fee = 2 * PRICE * d.creator_fee_bps // 10_000
    accrued = scenarios.pending_revenue(d, acc.initiative)
    assert accrued == before + creator_fee

    receipt = scenarios.claim_revenue(d, acc.initiative)
    assert names(d, receipt) == ["Transfer", "RevenueClaim"]
    paid, claim = events(d, receipt)
    assert isinstance(paid, Erc20Transfer) and paid.sender == low(d.market.address)
    assert isinstance(claim, RevenueClaim) and claim.amount == paid.value == accrued
    assert scenarios.pending_revenue(d, acc.initiative) == 0


def test_collection_settings_and_close(deployed: Deployment) -> None:
    d = deployed
    assert names(d, scenarios.modify_collection(d, 150, 650)) == ["CollectionUpdate"]
    assert names(d, scenarios.close_collection(d)) == ["CollectionClose"]


# ------------------------------------------------------------------ BNB, WBNB and tokens


def test_wrap_unwrap_transfers_and_native_bnb(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    treasury, beneficiary = acc.other[2], acc.other[0]

    (deposit,) = events(d, scenarios.wrap_bnb(d, treasury, 3 * 10**18))
    assert isinstance(deposit, WbnbDeposit) and deposit.amount == 3 * 10**18
    (withdrawal,) = events(d, scenarios.unwrap_wbnb(d, treasury, 10**18))
    assert isinstance(withdrawal, WbnbWithdrawal) and withdrawal.account == low(treasury)

    (minted,) = events(d, scenarios.mint_stablecoin(d, d.usdt, treasury, 500))
    assert isinstance(minted, Erc20Transfer) and (minted.sender, minted.value) == (ZERO, 500)
    for token, amount in ((d.wbnb, 10**18), (d.usdt, 200)):
        receipt = scenarios.erc20_transfer(d, token, treasury, beneficiary, amount)
        (transfer,) = events(d, receipt)
        assert isinstance(transfer, Erc20Transfer)
        assert transfer.position.address == low(token.address)
        assert (transfer.sender, transfer.recipient, transfer.value) == (
            low(treasury),
            low(beneficiary),
            amount,
        )

    receipt = scenarios.send_bnb(d, treasury, beneficiary, 10**17)
    assert raw_logs(d, receipt) == []  # native BNB: read the transaction instead
    tx = d.w3.eth.get_transaction(receipt["transactionHash"])
    assert (tx["to"], tx["value"], receipt["status"]) == (beneficiary, 10**17, 1)


def test_erc1155_single_and_batch(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    (minted,) = events(d, scenarios.mint_1155(d, acc.seller, 3, 10))
    assert isinstance(minted, TransferSingle) and (minted.sender, minted.value) == (ZERO, 10)
    scenarios.mint_1155(d, acc.seller, 4, 2)
    (single,) = events(d, scenarios.transfer_1155(d, acc.seller, acc.buyer, 3, 4))
    assert isinstance(single, TransferSingle) and single.recipient == low(acc.buyer)
    receipt = scenarios.transfer_1155_batch(d, acc.seller, acc.buyer, [3, 4], [1, 2])
    (batch,) = events(d, receipt)
    assert isinstance(batch, TransferBatch)
    assert (batch.token_ids, batch.values) == ((3, 4), (1, 2))


# ------------------------------------------------------------------------------ Element


def test_element_fills(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    element, platform = d.element.address, acc.other[1]
    scenarios.mint(d, 41, acc.seller)
    scenarios.mint(d, 42, acc.seller)
    scenarios.mint_1155(d, acc.seller, 5, 10)
    scenarios.approve_all(d, d.collection721, acc.seller, element)
    scenarios.approve_all(d, d.collection1155, acc.seller, element)
    scenarios.mint_stablecoin(d, d.usdt, acc.buyer, 10**21)
    scenarios.approve_erc20(d, d.usdt, acc.buyer, element)

    fees = [(platform, 10**15)]
    receipt = scenarios.element_sell_721(d, acc.seller, acc.buyer, 41, amount=10**17, fees=fees)
    assert names(d, receipt) == ["Transfer", "ERC721SellOrderFilled"]
    fill = events(d, receipt)[-1]
    assert isinstance(fill, ElementFill) and fill.is_native
    assert (fill.seller, fill.buyer, fill.token_id) == (low(acc.seller), low(acc.buyer), 41)

    usdt = d.usdt.address
    receipt = scenarios.element_buy_721(
        d, acc.buyer, acc.seller, 42, payment_token=usdt, amount=10**20, fees=fees
    )
    assert names(d, receipt) == ["Transfer", "Transfer", "Transfer", "ERC721BuyOrderFilled"]
    fill = events(d, receipt)[-1]
    assert isinstance(fill, ElementFill) and (fill.maker, fill.is_native) == (low(acc.buyer), False)

    receipt = scenarios.element_sell_1155(d, acc.seller, acc.buyer, 5, 3, amount=3 * 10**16)
    assert names(d, receipt) == ["TransferSingle", "ERC1155SellOrderFilled"]
    fill = events(d, receipt)[-1]
    assert isinstance(fill, ElementFill) and (fill.amount, fill.is_native) == (3, True)

    receipt = scenarios.element_buy_1155(
        d, acc.buyer, acc.seller, 5, 2, payment_token=usdt, amount=10**19
    )
    assert names(d, receipt) == ["TransferSingle", "Transfer", "ERC1155BuyOrderFilled"]
    assert d.collection1155.functions.balanceOf(acc.buyer, 5).call() == 5


# --------------------------------------------------------------------------------- bulk


def test_build_many_sales_packs_sales_into_few_blocks(deployed: Deployment) -> None:
    d, acc = deployed, deployed.accounts
    bulk = scenarios.build_many_sales(d, 30, per_block=8, first_token_id=5_000, price=10**15)
    assert bulk.sales == 30 and bulk.token_ids == range(5_000, 5_030)
    assert bulk.transactions == 3 + 3 * 30  # approval for all, wrap + approve; mint, ask, buy
    assert bulk.last_block == d.w3.eth.block_number

    reply = d.w3.provider.make_request(
        RPCEndpoint("eth_getLogs"),
        [{"fromBlock": hex(bulk.first_block), "toBlock": hex(bulk.last_block)}],
    )
    decoded = decode_logs(56, reply["result"])
    trades = [e for e in decoded if isinstance(e, Trade)]
    assert [t.token_id for t in trades] == list(bulk.token_ids)
    assert Counter(t.with_bnb for t in trades) == {True: 15, False: 15}
    assert {t.seller for t in trades} == {low(acc.initiative)}
    per_block = Counter(t.position.block_number for t in trades)
    assert sorted(per_block.values()) == [6, 8, 8, 8]  # 30 sales, 8 a block
    asks = [e for e in decoded if isinstance(e, AskEvent)]
    assert len(asks) == 30
    # Each sale's ask comes before its trade, in the same block.
    ask_at = {a.token_id: (a.position.block_number, a.position.log_index) for a in asks}
    for t in trades:
        assert ask_at[t.token_id] < (t.position.block_number, t.position.log_index)
    owners = {d.collection721.functions.ownerOf(t).call() for t in bulk.token_ids}
    assert owners == {acc.buyer, acc.seller}
    # Automine is back on.
    scenarios.send_bnb(d, acc.buyer, acc.seller, 1)
    assert d.w3.eth.block_number == bulk.last_block + 1
