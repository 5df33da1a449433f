"""ledger.chain.decode on real logs from anvil agrees with web3's ABI decoding, field by field.

Each scenario runs against the test contracts, fetches the raw logs with a plain
``eth_getLogs`` request (hex strings, as a sync sees them) and decodes them with
``decode_log``; the same logs from the receipt are decoded by web3's
``contract.events.X().process_log`` and every field, and the log position, must agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from eth_utils.abi import event_abi_to_log_topic
from web3.contract import Contract
from web3.types import RPCEndpoint, TxReceipt

from devchain import scenarios
from devchain.deploy import Deployment
from devchain.scenarios import mint_and_list
from ledger.chain.decode import (
    AskEvent,
    CollectionClose,
    CollectionSettings,
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
)

pytestmark = pytest.mark.chain

ASK_PRICE = 1_234_567_890_123_456_789
NATIVE_TOKEN = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"
ZERO_ADDRESS = "0x" + "00" * 20
# Logs the decoder does not read (approvals, metadata, ownership).
IGNORED = {"Approval", "ApprovalForAll", "URI", "OwnershipTransferred"}


# ---------------------------------------------------------------------------- comparison


def _norm(value: Any) -> Any:
    """web3's decoded value -> the decoder's representation."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):
        return tuple(_norm(v) for v in value.values())
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    raise AssertionError(f"unexpected web3 value {value!r}")


def _as_abi_values(event: DecodedEvent) -> tuple[str, list[Any]]:
    """The decoded event as (event name, values in ABI input order)."""
    match event:
        case Erc20Transfer():
            return "Transfer", [event.sender, event.recipient, event.value]
        case Erc721Transfer():
            return "Transfer", [event.sender, event.recipient, event.token_id]
        case TransferSingle():
            return "TransferSingle", [
                event.operator,
                event.sender,
                event.recipient,
                event.token_id,
                event.value,
            ]
        case TransferBatch():
            return "TransferBatch", [
                event.operator,
                event.sender,
                event.recipient,
                event.token_ids,
                event.values,
            ]
        case WbnbDeposit():
            return "Deposit", [event.account, event.amount]
        case WbnbWithdrawal():
            return "Withdrawal", [event.account, event.amount]
        case Trade():
            return "Trade", [
                event.collection,
                event.token_id,
                event.seller,
                event.buyer,
                event.ask_price,
                event.net_price,
                event.with_bnb,
            ]
        case AskEvent():
            name = {"new": "AskNew", "update": "AskUpdate", "cancel": "AskCancel"}[event.kind]
            values = [event.collection, event.seller, event.token_id]
            if event.kind != "cancel":
                values.append(event.ask_price)
            else:
                assert event.ask_price is None
            return name, values
        case CollectionSettings():
            return "CollectionNew" if event.is_new else "CollectionUpdate", [
                event.collection,
                event.creator,
                event.whitelist_checker,
                event.trading_fee_bps,
                event.creator_fee_bps,
            ]
        case CollectionClose():
            return "CollectionClose", [event.collection]
        case RevenueClaim():
            return "RevenueClaim", [event.claimer, event.amount]
        case ElementFill():
            name = f"ERC{event.kind[3:]}{event.side.capitalize()}OrderFilled"
            values = [
                event.order_hash,
                event.maker,
                event.taker,
                event.nonce,
                event.erc20_token,
                event.erc20_amount,
                event.fees,
                event.nft_contract,
                event.token_id,
            ]
            if event.kind == "erc1155":
                values.append(event.amount)
            else:
                assert event.amount == 1
            seller, buyer = (
                (event.maker, event.taker) if event.side == "sell" else (event.taker, event.maker)
            )
            assert (event.seller, event.buyer) == (seller, buyer)
            assert event.is_native is (event.erc20_token == NATIVE_TOKEN.lower())
            return name, values
    raise AssertionError(f"unexpected event {event!r}")


def _contracts(d: Deployment) -> dict[str, Contract]:
    return {
        c.address.lower(): c
        for c in (d.wbnb, d.market, d.element, d.collection721, d.collection1155, d.usdt, d.busd)
    }


def _event_abi(contract: Contract, topic0: str) -> dict[str, Any]:
    for item in contract.abi:
        if item.get("type") == "event" and not item.get("anonymous"):
            if "0x" + event_abi_to_log_topic(item).hex() == topic0:  # type: ignore[arg-type]
                return dict(item)
    raise AssertionError(f"{contract.address} has no event with topic0 {topic0}")


def raw_logs(d: Deployment, receipt: TxReceipt) -> list[dict[str, Any]]:
    block = hex(receipt["blockNumber"])
    reply = d.w3.provider.make_request(
        RPCEndpoint("eth_getLogs"),
        [{"fromBlock": block, "toBlock": block}],
    )
    assert "error" not in reply, reply
    tx_hash = receipt["transactionHash"].to_0x_hex().lower()
    logs = [log for log in reply["result"] if log["transactionHash"].lower() == tx_hash]
    assert all(isinstance(log["data"], str) and isinstance(log["logIndex"], str) for log in logs)
    return logs


def check(d: Deployment, receipts: list[TxReceipt]) -> Counter[str]:
    """Decode every log of the receipts both ways; return how many of each event agreed."""
    contracts = _contracts(d)
    chain_id = d.w3.eth.chain_id
    seen: Counter[str] = Counter()
    for receipt in receipts:
        raws = raw_logs(d, receipt)
        formatted = receipt["logs"]
        assert [int(r["logIndex"], 16) for r in raws] == [f["logIndex"] for f in formatted]
        for raw, log in zip(raws, formatted, strict=True):
            contract = contracts[log["address"].lower()]
            abi = _event_abi(contract, raw["topics"][0])
            event = decode_log(chain_id, raw)
            if event is None:
                assert abi["name"] in IGNORED, abi["name"]
                continue
            name, values = _as_abi_values(event)
            assert name == abi["name"]
            args = contract.events[name]().process_log(log)["args"]
            expected = [_norm(args[i["name"]]) for i in abi["inputs"]]
            assert values == expected, name
            for mine, theirs in zip(values, expected, strict=True):
                assert type(mine) is type(theirs), (name, mine, theirs)
            pos = event.position
            assert pos.chain_id == chain_id == 56
            assert pos.block_number == log["blockNumber"]
            assert pos.block_hash == log["blockHash"].to_0x_hex().lower()
            assert pos.tx_hash == log["transactionHash"].to_0x_hex().lower()
            assert pos.tx_index == log["transactionIndex"]
            assert pos.log_index == log["logIndex"]
            assert pos.address == log["address"].lower()
            seen[name if not isinstance(event, Erc20Transfer) else "Transfer(ERC-20)"] += 1
    return seen


# ----------------------------------------------------------------------------- scenarios


def test_pancake_market_logs_decode_like_web3(deployed: Deployment) -> None:
    d = deployed
    acc, w3 = d.accounts, d.w3
    receipts: list[TxReceipt] = []

    # CollectionNew from the deployment block.
    reply = w3.provider.make_request(
        RPCEndpoint("eth_getLogs"),
        [{"fromBlock": hex(d.deploy_block), "toBlock": hex(d.deploy_block)}],
    )
    (collection_new,) = [decode_log(56, log) for log in reply["result"]]
    assert isinstance(collection_new, CollectionSettings) and collection_new.is_new
    assert (collection_new.trading_fee_bps, collection_new.creator_fee_bps) == (200, 300)
    receipts.append(w3.eth.get_transaction_receipt(reply["result"][0]["transactionHash"]))

    # List and buy with native BNB.
    receipts += mint_and_list(d, 2, acc.seller, ASK_PRICE)
    receipts.append(scenarios.buy_with_bnb(d, 2, acc.buyer, ASK_PRICE))
    # List and buy with WBNB (wrapped through receive()).
    receipts += mint_and_list(d, 3, acc.seller, ASK_PRICE + 1)
    receipts += scenarios.buy_with_wbnb(d, 3, acc.buyer, ASK_PRICE + 1)
    # Update and cancel an ask, update the collection, claim, unwrap, close the collection.
    receipts += mint_and_list(d, 5, acc.seller, ASK_PRICE)
    receipts.append(scenarios.update_ask(d, 5, acc.seller, 2 * ASK_PRICE))
    receipts.append(scenarios.cancel_ask(d, 5, acc.seller))
    receipts.append(scenarios.modify_collection(d, 150, 650, acc.initiative))
    receipts.append(scenarios.claim_revenue(d, acc.initiative))
    receipts.append(scenarios.unwrap_wbnb(d, acc.seller, 10**15))
    receipts.append(scenarios.close_collection(d))

    seen = check(d, receipts)
    assert seen == {
        "CollectionNew": 1,
        "Transfer": 3 + 3 + 2 + 1,  # ERC-721: mints, escrows, sales, cancel
        "AskNew": 3,
        "Deposit": 2,  # market wraps the BNB; the buyer wraps via receive()
        "Transfer(ERC-20)": 1 + 2 + 1,  # net to seller (x2), buyer -> market, claim
        "Trade": 2,
        "AskUpdate": 1,
        "AskCancel": 1,
        "CollectionUpdate": 1,
        "RevenueClaim": 1,
        "Withdrawal": 1,
        "CollectionClose": 1,
    }


def test_element_and_erc1155_logs_decode_like_web3(deployed: Deployment) -> None:
    d = deployed
    acc, nft, multi, usdt = d.accounts, d.collection721, d.collection1155, d.usdt
    element = d.element.address
    platform, royalty = acc.other[1], acc.initiative
    receipts: list[TxReceipt] = []

    # ERC-721 sell order paid in native BNB, with two fees.
    amount = 5 * 10**17 + 3
    fees = [(platform, amount * 200 // 10_000), (royalty, amount * 500 // 10_000)]
    receipts.append(scenarios.mint(d, 21, acc.seller))
    receipts.append(scenarios.approve_all(d, nft, acc.seller, element))
    receipts.append(
        scenarios.element_sell_721(
            d, acc.seller, acc.buyer, 21, amount=amount, fees=fees, order_hash=b"\xab" * 32, nonce=42
        )
    )
    fill = check(d, receipts[-1:])
    assert fill == {"Transfer": 1, "ERC721SellOrderFilled": 1}
    native = decode_log(56, raw_logs(d, receipts[-1])[-1])
    assert isinstance(native, ElementFill) and native.is_native and len(native.fees) == 2

    # ERC-1155 mints, a USDT-paid sell and buy fill, an ERC-721 buy fill, a batch transfer.
    usd, fee = 100 * 10**18, 2 * 10**18
    receipts.append(scenarios.mint_1155(d, acc.seller, 7, 10))
    receipts.append(scenarios.mint_1155(d, acc.seller, 8, 5))
    receipts.append(scenarios.mint_stablecoin(d, usdt, acc.buyer, 10**24))
    receipts.append(scenarios.approve_erc20(d, usdt, acc.buyer, element))
    receipts.append(scenarios.approve_all(d, multi, acc.seller, element))
    receipts.append(scenarios.mint(d, 31, acc.seller))
    receipts.append(
        scenarios.element_buy_721(
            d,
            acc.buyer,
            acc.seller,
            31,
            payment_token=usdt.address,
            amount=usd,
            fees=[(platform, fee)],
            order_hash=b"\x01" * 32,
            nonce=1,
        )
    )
    receipts.append(
        scenarios.element_sell_1155(
            d,
            acc.seller,
            acc.buyer,
            7,
            4,
            payment_token=usdt.address,
            amount=usd,
            fees=[(platform, fee)],
            order_hash=b"\x02" * 32,
            nonce=2,
        )
    )
    receipts.append(
        scenarios.element_buy_1155(
            d,
            acc.buyer,
            acc.seller,
            7,
            3,
            payment_token=usdt.address,
            amount=usd,
            order_hash=b"\x03" * 32,
            nonce=3,
        )
    )
    receipts.append(scenarios.transfer_1155_batch(d, acc.seller, acc.buyer, [7, 8], [2, 5]))
    seen = check(d, receipts)
    assert seen == {
        "Transfer": 2 + 2,  # ERC-721: two mints, two fills
        "ERC721SellOrderFilled": 1,
        "ERC721BuyOrderFilled": 1,
        "ERC1155SellOrderFilled": 1,
        "ERC1155BuyOrderFilled": 1,
        "TransferSingle": 2 + 2,  # two mints, two fills
        "TransferBatch": 1,
        "Transfer(ERC-20)": 1 + 2 + 2 + 1,  # USDT mint; net + fee, net + fee, net (no fees)
    }
