"""Real scenarios on a local anvil: the test contracts behave as the facts page describes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
from eth_abi.abi import decode
from eth_typing import ABIEvent
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract
from web3.types import LogReceipt, TxReceipt, Wei

from devchain import scenarios, solidity
from devchain.anvil import Anvil
from devchain.deploy import Deployment, one_block, send
from devchain.scenarios import buy_with_bnb, list_token, mint_and_list
from ledger.chain.decode import ELEMENT_721_TYPES, ELEMENT_1155_TYPES
from tests.chain.conftest import _unavailable
from tests.chain.facts import (
    FACT_EVENTS,
    NATIVE_TOKEN,
    PANCAKE_EVENT_ORDER,
    abi_event_params,
    abi_event_signature,
    abi_type,
    matching_fact,
    topic0,
)

pytestmark = pytest.mark.chain

ROOT = Path(__file__).resolve().parents[2]
ZERO_ADDRESS = "0x" + "00" * 20
TOPIC = {(f.family, f.name): f.topic0 for f in FACT_EVENTS}
TRANSFER = TOPIC[("ERC721", "Transfer")]
DEPOSIT = TOPIC[("WBNB", "Deposit")]
TRADE = TOPIC[("PancakeSwapNFTMarket", "Trade")]

# An ask price whose fees do not divide evenly, so integer division shows.
ASK_PRICE = 1_234_567_890_123_456_789


# ---------------------------------------------------------------------------- helpers


def hex_topics(log: LogReceipt) -> list[str]:
    return ["0x" + HexBytes(t).hex() for t in log["topics"]]


def topic_address(topic: bytes) -> str:
    return to_checksum_address(HexBytes(topic)[-20:])


def decoded(contract: Contract, event: str, log: LogReceipt) -> dict[str, Any]:
    """Decode one log with the contract's ABI after checking address and topic0."""
    assert log["address"] == contract.address
    result = contract.events[event]().process_log(log)
    return dict(result["args"])


def assert_token_transfer(
    log: LogReceipt, token: Contract, src: str, dst: str, amount: int
) -> None:
    """A BEP-20/WBNB Transfer: 3 topics, the amount in data."""
    topics = hex_topics(log)
    assert log["address"] == token.address
    assert len(topics) == 3 and topics[0] == TRANSFER
    assert (topic_address(log["topics"][1]), topic_address(log["topics"][2])) == (src, dst)
    assert int.from_bytes(log["data"], "big") == amount


def assert_nft_transfer(log: LogReceipt, nft: Contract, src: str, dst: str, token_id: int) -> None:
    """An ERC-721 Transfer: 4 topics, tokenId indexed, no data."""
    topics = hex_topics(log)
    assert log["address"] == nft.address
    assert len(topics) == 4 and topics[0] == TRANSFER
    assert (topic_address(log["topics"][1]), topic_address(log["topics"][2])) == (src, dst)
    assert int(topics[3], 16) == token_id
    assert log["data"] == b""


def expected_fees(price: int, trading_bps: int, creator_bps: int) -> tuple[int, int, int]:
    trading = price * trading_bps // 10_000
    creator = price * creator_bps // 10_000
    return price - trading - creator, trading, creator


# -------------------------------------------------------------- (a) event topics and ABIs


def test_compiled_event_topics_match_keccak_and_facts(solc_build: solidity.Build) -> None:
    seen = set()
    for contract in solc_build.contracts.values():
        for event in contract.events():
            signature = abi_event_signature(event)
            computed = topic0(signature)
            assert computed == "0x" + event_abi_to_log_topic(cast(ABIEvent, event)).hex(), signature
            fact = matching_fact(event)
            if fact is None:
                continue  # e.g. Approval, ApprovalForAll, URI, OwnershipTransferred
            assert computed == fact.topic0, f"{contract.name}.{signature}"
            params = abi_event_params(event)
            assert [(p.type, p.indexed) for p in params] == [
                (p.type, p.indexed) for p in fact.params
            ]
            if fact.names_known and contract.name != "WBNB":  # WETH9 names: src, dst, wad
                assert params == fact.params, f"{contract.name}.{event['name']}"
            seen.add((fact.family, fact.name))
    # Every event on the facts page is emitted by some test contract.
    assert seen == {(f.family, f.name) for f in FACT_EVENTS}


def test_market_declares_the_events_in_the_facts_page_order() -> None:
    source = (ROOT / "contracts" / "TestNFTMarket.sol").read_text(encoding="utf-8")
    declared = re.findall(r"^\s*event\s+(\w+)\s*\(", source, flags=re.MULTILINE)
    assert tuple(declared[: len(PANCAKE_EVENT_ORDER)]) == PANCAKE_EVENT_ORDER


def _signature(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["name"],
        tuple((abi_type(i), i["name"], bool(i.get("indexed"))) for i in item["inputs"]),
        tuple(abi_type(o) for o in item.get("outputs", [])),
        item.get("stateMutability"),
    )


@pytest.mark.parametrize(
    ("abi_file", "contract_name"),
    [("PancakeSwapNFTMarket.json", "TestNFTMarket"), ("ElementMarket.json", "ElementEmitter")],
)
def test_real_contract_abis_agree_with_the_test_doubles(
    solc_build: solidity.Build, abi_file: str, contract_name: str
) -> None:
    real = json.loads((ROOT / "contracts_abi" / abi_file).read_text(encoding="utf-8"))
    double = {(i["type"], i["name"]): i for i in solc_build[contract_name].abi if "name" in i}
    for item in real:
        twin = double.get((item["type"], item["name"]))
        assert twin is not None, f"{contract_name} lacks {item['type']} {item['name']}"
        assert _signature(twin) == _signature(item)


# --------------------------------------------------------------- (b)-(d) PancakeSwap market


def test_listing_escrows_the_nft(deployed: Deployment) -> None:
    d, seller = deployed, deployed.accounts.seller
    receipt = mint_and_list(d, 1, seller, ASK_PRICE)[-1]
    logs = receipt["logs"]
    assert len(logs) == 2
    assert_nft_transfer(logs[0], d.collection721, seller, d.market.address, 1)
    ask = decoded(d.market, "AskNew", logs[1])
    assert ask == {
        "collection": d.collection721.address,
        "seller": seller,
        "tokenId": 1,
        "askPrice": ASK_PRICE,
    }
    assert d.collection721.functions.ownerOf(1).call() == d.market.address


def test_buy_with_bnb_log_order_and_net_price(deployed: Deployment) -> None:
    d = deployed
    seller, buyer = d.accounts.seller, d.accounts.buyer
    mint_and_list(d, 2, seller, ASK_PRICE)

    receipt = buy_with_bnb(d, 2, buyer, ASK_PRICE)
    logs = receipt["logs"]
    net, trading, creator = expected_fees(ASK_PRICE, d.trading_fee_bps, d.creator_fee_bps)
    assert trading * 10_000 != ASK_PRICE * d.trading_fee_bps  # the division really truncates

    assert len(logs) == 4
    # 1. WBNB Deposit(market): the market wraps the BNB it received.
    assert hex_topics(logs[0])[0] == DEPOSIT
    assert decoded(d.wbnb, "Deposit", logs[0]) == {"dst": d.market.address, "wad": ASK_PRICE}
    # 2. WBNB Transfer(market -> seller, netPrice): the seller is paid in WBNB, same tx.
    assert_token_transfer(logs[1], d.wbnb, d.market.address, seller, net)
    # 3. NFT Transfer(market -> buyer).
    assert_nft_transfer(logs[2], d.collection721, d.market.address, buyer, 2)
    # 4. Trade.
    assert hex_topics(logs[3])[0] == TRADE
    trade = decoded(d.market, "Trade", logs[3])
    assert trade == {
        "collection": d.collection721.address,
        "tokenId": 2,
        "seller": seller,
        "buyer": buyer,
        "askPrice": ASK_PRICE,
        "netPrice": net,
        "withBNB": True,
    }
    assert trade["netPrice"] == (
        ASK_PRICE
        - ASK_PRICE * d.trading_fee_bps // 10_000
        - ASK_PRICE * d.creator_fee_bps // 10_000
    )
    # Fees are not paid at trade time: they accrue in the market.
    market = d.market.functions
    assert market.pendingRevenue(d.accounts.treasury).call() == trading
    assert market.pendingRevenue(d.accounts.initiative).call() == creator
    assert d.wbnb.functions.balanceOf(seller).call() == net
    assert d.wbnb.functions.balanceOf(d.market.address).call() == trading + creator
    assert d.wbnb.functions.balanceOf(d.accounts.treasury).call() == 0
    assert d.collection721.functions.ownerOf(2).call() == buyer


def test_buy_with_wbnb_first_log_is_buyer_to_market(deployed: Deployment) -> None:
    d = deployed
    seller, buyer = d.accounts.seller, d.accounts.buyer
    mint_and_list(d, 3, seller, ASK_PRICE)

    # Wraps via receive(), approves the market, then buys.
    receipt = scenarios.buy_with_wbnb(d, 3, buyer, ASK_PRICE)[-1]
    logs = receipt["logs"]
    net, _, _ = expected_fees(ASK_PRICE, d.trading_fee_bps, d.creator_fee_bps)
    assert len(logs) == 4
    assert_token_transfer(logs[0], d.wbnb, buyer, d.market.address, ASK_PRICE)
    assert_token_transfer(logs[1], d.wbnb, d.market.address, seller, net)
    assert_nft_transfer(logs[2], d.collection721, d.market.address, buyer, 3)
    trade = decoded(d.market, "Trade", logs[3])
    assert (trade["askPrice"], trade["netPrice"], trade["withBNB"]) == (ASK_PRICE, net, False)


def test_resales_accrue_creator_fees_until_claimed(deployed: Deployment) -> None:
    d = deployed
    acc, nft, market = d.accounts, d.collection721, d.market
    collector = acc.other[0]
    first_price, second_price = 10**18 + 7, 3 * 10**18 + 11

    # Sale 1: seller -> buyer under the initial fees.
    mint_and_list(d, 4, acc.seller, first_price)
    buy_with_bnb(d, 4, acc.buyer, first_price)
    _, trading1, creator1 = expected_fees(first_price, d.trading_fee_bps, d.creator_fee_bps)

    # The admin raises the creator fee; later trades use the new setting.
    new_trading, new_creator = 150, 650
    receipt = scenarios.modify_collection(d, new_trading, new_creator, acc.initiative)
    assert decoded(market, "CollectionUpdate", receipt["logs"][0]) == {
        "collection": nft.address,
        "creator": acc.initiative,
        "whitelistChecker": ZERO_ADDRESS,
        "tradingFee": new_trading,
        "creatorFee": new_creator,
    }

    # Sale 2 (resale): buyer -> collector.
    list_token(d, 4, acc.buyer, second_price)
    trade = decoded(market, "Trade", buy_with_bnb(d, 4, collector, second_price)["logs"][-1])
    net2, trading2, creator2 = expected_fees(second_price, new_trading, new_creator)
    assert trade["seller"] == acc.buyer and trade["netPrice"] == net2
    assert trade["askPrice"] - trade["netPrice"] == trading2 + creator2

    accrued = creator1 + creator2
    assert market.functions.pendingRevenue(acc.initiative).call() == accrued
    assert market.functions.pendingRevenue(acc.treasury).call() == trading1 + trading2

    # The creator claims: WBNB Transfer(market -> creator, whole balance), then RevenueClaim.
    receipt = scenarios.claim_revenue(d, acc.initiative)
    logs = receipt["logs"]
    assert len(logs) == 2
    assert_token_transfer(logs[0], d.wbnb, market.address, acc.initiative, accrued)
    assert decoded(market, "RevenueClaim", logs[1]) == {
        "claimer": acc.initiative,
        "amount": accrued,
    }
    assert market.functions.pendingRevenue(acc.initiative).call() == 0
    assert d.wbnb.functions.balanceOf(acc.initiative).call() == accrued
    # The treasury's accrual is untouched until it claims too.
    assert market.functions.pendingRevenue(acc.treasury).call() == trading1 + trading2


def test_ask_update_cancel_and_collection_close(deployed: Deployment) -> None:
    d = deployed
    acc, nft, market = d.accounts, d.collection721, d.market
    mint_and_list(d, 5, acc.seller, ASK_PRICE)

    receipt = scenarios.update_ask(d, 5, acc.seller, 2 * ASK_PRICE)
    assert decoded(market, "AskUpdate", receipt["logs"][0]) == {
        "collection": nft.address,
        "seller": acc.seller,
        "tokenId": 5,
        "askPrice": 2 * ASK_PRICE,
    }

    receipt = scenarios.cancel_ask(d, 5, acc.seller)
    logs = receipt["logs"]
    assert len(logs) == 2
    assert_nft_transfer(logs[0], nft, market.address, acc.seller, 5)
    assert decoded(market, "AskCancel", logs[1]) == {
        "collection": nft.address,
        "seller": acc.seller,
        "tokenId": 5,
    }

    receipt = scenarios.close_collection(d)
    assert decoded(market, "CollectionClose", receipt["logs"][0]) == {"collection": nft.address}


def test_collection_new_was_emitted_at_deployment(deployed: Deployment) -> None:
    d = deployed
    logs = d.w3.eth.get_logs(
        {
            "address": d.market.address,
            "fromBlock": d.deploy_block,
            "toBlock": d.deploy_block,
            "topics": [TOPIC[("PancakeSwapNFTMarket", "CollectionNew")]],
        }
    )
    assert len(logs) == 1
    assert decoded(d.market, "CollectionNew", logs[0]) == {
        "collection": d.collection721.address,
        "creator": d.accounts.initiative,
        "whitelistChecker": ZERO_ADDRESS,
        "tradingFee": d.trading_fee_bps,
        "creatorFee": d.creator_fee_bps,
    }


# ---------------------------------------------------------------------- (e) Element market


def _element_log(receipt: TxReceipt, d: Deployment, event: str) -> LogReceipt:
    logs = [log for log in receipt["logs"] if log["address"] == d.element.address]
    assert len(logs) == 1
    fact = next(f for f in FACT_EVENTS if f.family == "ElementMarket" and f.name == event)
    assert hex_topics(logs[0]) == [fact.topic0]  # nothing indexed: topic0 only
    return logs[0]


def test_element_erc721_sell_order_with_native_bnb_and_fees(deployed: Deployment) -> None:
    d = deployed
    acc, w3, nft = d.accounts, d.w3, d.collection721
    platform, royalty = acc.other[1], acc.initiative
    amount = 5 * 10**17 + 3
    fees = [(platform, amount * 200 // 10_000), (royalty, amount * 500 // 10_000)]
    net = amount - sum(f[1] for f in fees)
    order_hash = bytes.fromhex("ab" * 32)

    scenarios.mint(d, 21, acc.seller)
    scenarios.approve_all(d, nft, acc.seller, d.element.address)
    before = {a: w3.eth.get_balance(a) for a in (acc.seller, acc.buyer, platform, royalty)}

    # Paid in native BNB (the default payment token), sent as the value.
    receipt = scenarios.element_sell_721(
        d, acc.seller, acc.buyer, 21, amount=amount, fees=fees, order_hash=order_hash, nonce=42
    )
    # Native BNB moves without logs: the NFT transfer and the fill event are all there is.
    assert len(receipt["logs"]) == 2
    assert_nft_transfer(receipt["logs"][0], nft, acc.seller, acc.buyer, 21)
    log = _element_log(receipt, d, "ERC721SellOrderFilled")
    fields = decode(ELEMENT_721_TYPES, bytes(log["data"]))
    assert fields == (
        order_hash,
        acc.seller.lower(),  # maker = seller
        acc.buyer.lower(),  # taker = buyer
        42,
        NATIVE_TOKEN.lower(),
        amount,  # includes the fees
        tuple((r.lower(), a) for r, a in fees),
        nft.address.lower(),
        21,
    )
    # web3 decodes it with the compiled ABI too.
    args = decoded(d.element, "ERC721SellOrderFilled", log)
    assert args["erc20TokenAmount"] == amount and args["erc721TokenId"] == 21

    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    after = {a: w3.eth.get_balance(a) for a in before}
    assert after[acc.seller] - before[acc.seller] == net
    assert after[platform] - before[platform] == fees[0][1]
    assert after[royalty] - before[royalty] == fees[1][1]
    assert before[acc.buyer] - after[acc.buyer] == amount + gas_cost
    assert nft.functions.ownerOf(21).call() == acc.buyer
    assert w3.eth.get_balance(d.element.address) == 0


def test_element_buy_orders_and_erc1155_orders_pay_in_erc20(deployed: Deployment) -> None:
    d = deployed
    acc, w3 = d.accounts, d.w3
    nft, multi, usdt = d.collection721, d.collection1155, d.usdt
    platform = acc.other[1]
    element = d.element.address

    with one_block(w3) as setup:
        setup.transact(nft.functions.mint(acc.seller, 31), {"from": acc.initiative})
        setup.transact(multi.functions.mint(acc.seller, 7, 10), {"from": acc.initiative})
        setup.transact(usdt.functions.mint(acc.buyer, 10**24), {"from": acc.deployer})
        setup.transact(usdt.functions.approve(element, 2**256 - 1), {"from": acc.buyer})
        setup.transact(nft.functions.setApprovalForAll(element, True), {"from": acc.seller})
        setup.transact(multi.functions.setApprovalForAll(element, True), {"from": acc.seller})
    assert len({r["blockNumber"] for r in setup.receipts}) == 1

    amount, fee = 100 * 10**18, 2 * 10**18
    fees = [(platform, fee)]

    # ERC-721 buy order: maker = buyer (pays USDT), taker = seller = msg.sender.
    receipt = scenarios.element_buy_721(
        d,
        acc.buyer,
        acc.seller,
        31,
        payment_token=usdt.address,
        amount=amount,
        fees=fees,
        order_hash=b"\x01" * 32,
        nonce=1,
    )
    logs = receipt["logs"]
    assert_nft_transfer(logs[0], nft, acc.seller, acc.buyer, 31)
    assert_token_transfer(logs[1], usdt, acc.buyer, acc.seller, amount - fee)
    assert_token_transfer(logs[2], usdt, acc.buyer, platform, fee)
    fields = decode(
        ELEMENT_721_TYPES, bytes(_element_log(receipt, d, "ERC721BuyOrderFilled")["data"])
    )
    assert fields[1:3] == (acc.buyer.lower(), acc.seller.lower())  # maker = buyer
    assert fields[5] == amount

    # ERC-1155 sell order: buyer takes 4 of the seller's 10 units of id 7.
    receipt = scenarios.element_sell_1155(
        d,
        acc.seller,
        acc.buyer,
        7,
        4,
        payment_token=usdt.address,
        amount=amount,
        fees=fees,
        order_hash=b"\x02" * 32,
        nonce=2,
    )
    fields = decode(
        ELEMENT_1155_TYPES, bytes(_element_log(receipt, d, "ERC1155SellOrderFilled")["data"])
    )
    assert fields == (
        b"\x02" * 32,
        acc.seller.lower(),
        acc.buyer.lower(),
        2,
        usdt.address.lower(),
        amount,
        ((platform.lower(), fee),),
        multi.address.lower(),
        7,
        4,
    )

    # ERC-1155 buy order: the seller fills the buyer's order for 3 more units.
    receipt = scenarios.element_buy_1155(
        d,
        acc.buyer,
        acc.seller,
        7,
        3,
        payment_token=usdt.address,
        amount=amount,
        fees=fees,
        order_hash=b"\x03" * 32,
        nonce=3,
    )
    args = decoded(
        d.element, "ERC1155BuyOrderFilled", _element_log(receipt, d, "ERC1155BuyOrderFilled")
    )
    assert (args["maker"], args["taker"], args["erc1155FillAmount"]) == (acc.buyer, acc.seller, 3)

    assert multi.functions.balanceOf(acc.buyer, 7).call() == 7
    assert usdt.functions.balanceOf(acc.seller).call() == 3 * (amount - fee)
    assert usdt.functions.balanceOf(platform).call() == 3 * fee


# ------------------------------------------------------------------------- (f) ERC-1155


def test_erc1155_transfer_single_and_batch(deployed: Deployment) -> None:
    d = deployed
    acc, multi = d.accounts, d.collection1155
    single = TOPIC[("ERC1155", "TransferSingle")]
    batch = TOPIC[("ERC1155", "TransferBatch")]

    receipt = scenarios.mint_1155(d, acc.seller, 9, 10)
    (log,) = receipt["logs"]
    assert hex_topics(log)[0] == single and len(log["topics"]) == 4
    assert [topic_address(t) for t in log["topics"][1:]] == [
        acc.initiative,
        ZERO_ADDRESS,
        acc.seller,
    ]
    assert decode(["uint256", "uint256"], bytes(log["data"])) == (9, 10)

    receipt = scenarios.transfer_1155(d, acc.seller, acc.buyer, 9, 3)
    args = decoded(multi, "TransferSingle", receipt["logs"][0])
    assert args == {
        "operator": acc.seller,
        "from": acc.seller,
        "to": acc.buyer,
        "id": 9,
        "value": 3,
    }

    scenarios.mint_1155(d, acc.seller, 10, 5)
    receipt = scenarios.transfer_1155_batch(d, acc.seller, acc.buyer, [9, 10], [2, 5])
    (log,) = receipt["logs"]
    assert hex_topics(log)[0] == batch
    assert decode(["uint256[]", "uint256[]"], bytes(log["data"])) == ((9, 10), (2, 5))


# ----------------------------------------------------------------- (g) anvil and the helper


def test_anvil_is_bsc_like_and_finalized_is_head_minus_two(anvil_node: Anvil) -> None:
    w3 = anvil_node.web3()
    assert w3.eth.chain_id == 56
    snapshot = anvil_node.rpc("evm_snapshot")
    try:
        anvil_node.rpc("anvil_mine", ["0x5"])
        head = w3.eth.get_block("latest")["number"]
        assert w3.eth.get_block("finalized")["number"] == head - 2
        raw = anvil_node.rpc("eth_getBlockByNumber", ["finalized", False])
        assert int(raw["number"], 16) == head - 2
    finally:
        anvil_node.rpc("evm_revert", [snapshot])


def test_one_block_packs_transactions_in_sending_order(deployed: Deployment) -> None:
    d = deployed
    start = d.w3.eth.block_number
    with one_block(d.w3) as batch:
        for token_id in range(100, 140):
            minter = d.accounts.initiative
            batch.transact(
                d.collection721.functions.mint(d.accounts.buyer, token_id), {"from": minter}
            )
        batch.send({"from": d.accounts.buyer, "to": d.wbnb.address, "value": 10**18})
    receipts = batch.receipts
    assert {r["blockNumber"] for r in receipts} == {start + 1}
    assert [r["transactionIndex"] for r in receipts] == list(range(41))
    assert d.collection721.functions.balanceOf(d.accounts.buyer).call() == 40
    assert d.w3.eth.get_block("latest")["number"] == start + 1
    # Automine is back on.
    send(d.w3, {"from": d.accounts.buyer, "to": d.accounts.seller, "value": Wei(1)})
    assert d.w3.eth.block_number == start + 2


# ---------------------------------------------------------------------- (h) solc build cache


def test_solc_build_is_cached(solc_build: solidity.Build, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (solc_build.path / solidity.MANIFEST).is_file()
    assert solc_build.path.parent == solidity.BUILD_DIR
    assert solc_build.solc_version == solidity.solc_version()

    def no_compiler(_input: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the compiler ran although the cache holds this build")

    monkeypatch.setattr(solidity, "_run_solc", no_compiler)
    invocations = solidity.node_invocations
    again = solidity.compile_contracts()
    assert again.from_cache is True
    assert solidity.node_invocations == invocations
    assert again.key == solc_build.key
    assert again["TestNFTMarket"].bytecode == solc_build["TestNFTMarket"].bytecode
    for name in (
        "DemoCollection721",
        "DemoCollection1155",
        "WBNB",
        "TestStablecoin",
        "TestNFTMarket",
        "ElementEmitter",
    ):
        data = json.loads((solc_build.path / f"{name}.json").read_text(encoding="utf-8"))
        assert data["abi"] and data["bytecode"].startswith("0x6")


def test_cache_key_changes_with_any_source(solc_build: solidity.Build, tmp_path: Path) -> None:
    assert solc_build.key == solidity.cache_key()
    for source in (ROOT / "contracts").glob("*.sol"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    key = solidity.cache_key(tmp_path)
    assert key == solidity.cache_key(ROOT / "contracts")
    wbnb = tmp_path / "WBNB.sol"
    wbnb.write_text(wbnb.read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
    assert solidity.cache_key(tmp_path) != key


# ------------------------------------------------------------ missing toolchain behaviour


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("", "skip")])
def test_missing_toolchain_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="npm ci"):
        _unavailable("node_modules/.bin/anvil is missing")
