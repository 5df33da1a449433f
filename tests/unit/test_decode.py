"""ledger.chain.decode on hand-built raw eth_getLogs dicts (no chain needed)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from eth_abi.abi import encode

from ledger.chain.decode import (
    DECODERS,
    ELEMENT_721_TYPES,
    ELEMENT_1155_TYPES,
    NATIVE_TOKEN,
    SIGNATURES,
    AskEvent,
    CollectionClose,
    CollectionSettings,
    ElementFill,
    Erc20Transfer,
    Erc721Transfer,
    LogPosition,
    MalformedLogError,
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
from ledger.errors import LedgerError

# Copied from /work/shared/facts/bsc-chain.md on purpose: the table must reproduce them.
FACT_TOPICS = {
    "Transfer": "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    "TransferSingle": "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62",
    "TransferBatch": "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb",
    "Deposit": "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c",
    "Withdrawal": "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65",
    "Trade": "0xdaac0e40b8f01e970d08d4e8ae57ac31a5845fffde104c43f05e19bbec78491e",
    "AskNew": "0xaa0431463bb62c812c04a1e5310cf43dd9baedc7a8eab71e02f572c741467e8c",
    "AskUpdate": "0x492437c0ade072acdf12e63a19d8df68bb5e414e2098dc470239df87702343ea",
    "AskCancel": "0xa5764ea233325154a6388255c54b9f302ec2ed8586af0a9a606cd64e88298eb7",
    "CollectionNew": "0x4863c75720ebabd11e0cf1c60b58786b5572680a20fa1b568c203964ae56026a",
    "CollectionUpdate": "0x655bd8b9d972737b566ec5473b537d81d079c6e251d4986005bf3f36000eacef",
    "CollectionClose": "0xf6df65a3d7d931af345d93f0420a22e8910de36c0d027c1d1ac93d5be509f5a9",
    "RevenueClaim": "0xc6cb6f1a9d5212d4ee3819d9b175a85e8333a7327d53dfbc1b610e1fd8ec3cb5",
    "ERC721SellOrderFilled": "0x9c248aa1a265aa616f707b979d57f4529bb63a4fc34dc7fc61fdddc18410f74e",
    "ERC721BuyOrderFilled": "0xd90a5c60975c6ff8eafcf02088e7b50ae5d9e156a79206ba553df1c4fb4594c2",
    "ERC1155SellOrderFilled": "0xfcde121a3f6a9b14a3ce266d61fc00940de86c4d8c1d733fe62d503ae5d99ff9",
    "ERC1155BuyOrderFilled": "0x105616901449a64554ca9246a5bbcaca973b40b3c0055e5070c6fa191618d9f3",
}

CHAIN = 56
MAX = 2**256 - 1
BLOCK_HASH = "0x" + "AB" * 32
TX_HASH = "0x" + "Cd" * 32
CONTRACT = "0x17539cCa21C7933Df5c980172d22659B8C345C5A"
A = "0x" + "11" * 20
B = "0x" + "22" * 20
C = "0x" + "33" * 20
D = "0x" + "44" * 20
E = "0x" + "55" * 20


def addr_topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def uint_topic(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def raw_log(
    event: str, topics: list[str], data: bytes = b"", *, log_index: int = 7, **extra: Any
) -> dict[str, Any]:
    log: dict[str, Any] = {
        "address": CONTRACT,
        "topics": [FACT_TOPICS[event], *topics],
        "data": "0x" + data.hex(),
        "blockNumber": "0x1b4",
        "blockHash": BLOCK_HASH,
        "transactionHash": TX_HASH,
        "transactionIndex": "0x3",
        "logIndex": hex(log_index),
        "removed": False,
    }
    log.update(extra)
    return log


POSITION = LogPosition(
    chain_id=CHAIN,
    block_number=436,
    block_hash=BLOCK_HASH.lower(),
    tx_hash=TX_HASH.lower(),
    tx_index=3,
    log_index=7,
    address=CONTRACT.lower(),
)


def test_topic_table_matches_the_facts_page() -> None:
    computed = {sig.split("(")[0]: topic0_of(sig) for sig in SIGNATURES}
    assert computed == FACT_TOPICS
    assert set(DECODERS) == set(FACT_TOPICS.values())


def test_erc20_transfer_three_topics() -> None:
    log = raw_log("Transfer", [addr_topic(A), addr_topic(B)], encode(["uint256"], [MAX]))
    assert decode_log(CHAIN, log) == Erc20Transfer(POSITION, A, B, MAX)


def test_erc721_transfer_four_topics() -> None:
    log = raw_log("Transfer", [addr_topic(A), addr_topic(B), uint_topic(MAX)])
    assert decode_log(CHAIN, log) == Erc721Transfer(POSITION, A, B, MAX)


def test_transfer_single_and_batch() -> None:
    topics = [addr_topic(A), addr_topic(B), addr_topic(C)]
    single = raw_log("TransferSingle", topics, encode(["uint256", "uint256"], [9, MAX]))
    assert decode_log(CHAIN, single) == TransferSingle(POSITION, A, B, C, 9, MAX)
    data = encode(["uint256[]", "uint256[]"], [[9, 10, MAX], [2, 5, 1]])
    batch = raw_log("TransferBatch", topics, data)
    assert decode_log(CHAIN, batch) == TransferBatch(POSITION, A, B, C, (9, 10, MAX), (2, 5, 1))
    empty = raw_log("TransferBatch", topics, encode(["uint256[]", "uint256[]"], [[], []]))
    assert decode_log(CHAIN, empty) == TransferBatch(POSITION, A, B, C, (), ())


def test_wbnb_deposit_and_withdrawal() -> None:
    deposit = raw_log("Deposit", [addr_topic(A)], encode(["uint256"], [10**18]))
    assert decode_log(CHAIN, deposit) == WbnbDeposit(POSITION, A, 10**18)
    withdrawal = raw_log("Withdrawal", [addr_topic(B)], encode(["uint256"], [MAX]))
    assert decode_log(CHAIN, withdrawal) == WbnbWithdrawal(POSITION, B, MAX)


@pytest.mark.parametrize("with_bnb", [True, False])
def test_trade(with_bnb: bool) -> None:
    data = encode(
        ["address", "uint256", "uint256", "bool"], [D, MAX, 1_234_567_890_123_456_789, with_bnb]
    )
    log = raw_log("Trade", [addr_topic(A), uint_topic(42), addr_topic(C)], data)
    event = decode_log(CHAIN, log)
    assert event == Trade(
        POSITION,
        collection=A,
        token_id=42,
        seller=C,
        buyer=D,
        ask_price=MAX,
        net_price=1_234_567_890_123_456_789,
        with_bnb=with_bnb,
    )
    assert isinstance(event, Trade) and type(event.ask_price) is int


def test_ask_events() -> None:
    topics = [addr_topic(A), addr_topic(B), uint_topic(5)]
    price = encode(["uint256"], [10**15])
    assert decode_log(CHAIN, raw_log("AskNew", topics, price)) == AskEvent(
        POSITION, "new", A, B, 5, 10**15
    )
    assert decode_log(CHAIN, raw_log("AskUpdate", topics, price)) == AskEvent(
        POSITION, "update", A, B, 5, 10**15
    )
    assert decode_log(CHAIN, raw_log("AskCancel", topics)) == AskEvent(
        POSITION, "cancel", A, B, 5, None
    )


def test_collection_events_and_revenue_claim() -> None:
    topics = [addr_topic(A), addr_topic(B), addr_topic("0x" + "00" * 20)]
    fees = encode(["uint256", "uint256"], [200, 300])
    assert decode_log(CHAIN, raw_log("CollectionNew", topics, fees)) == CollectionSettings(
        POSITION, True, A, B, "0x" + "00" * 20, 200, 300
    )
    assert decode_log(CHAIN, raw_log("CollectionUpdate", topics, fees)) == CollectionSettings(
        POSITION, False, A, B, "0x" + "00" * 20, 200, 300
    )
    assert decode_log(CHAIN, raw_log("CollectionClose", [addr_topic(A)])) == CollectionClose(
        POSITION, A
    )
    claim = raw_log("RevenueClaim", [addr_topic(B)], encode(["uint256"], [MAX]))
    assert decode_log(CHAIN, claim) == RevenueClaim(POSITION, B, MAX)


@pytest.mark.parametrize(
    ("event", "kind", "side"),
    [
        ("ERC721SellOrderFilled", "erc721", "sell"),
        ("ERC721BuyOrderFilled", "erc721", "buy"),
        ("ERC1155SellOrderFilled", "erc1155", "sell"),
        ("ERC1155BuyOrderFilled", "erc1155", "buy"),
    ],
)
def test_element_fills(event: str, kind: str, side: str) -> None:
    order_hash = bytes.fromhex("ab" * 32)
    token = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE" if side == "sell" else E
    fees = [(C, 10**16), (D, MAX - 10**17)]
    values: list[Any] = [order_hash, A, B, 2**255, token, MAX, fees, E, 21]
    types = ELEMENT_721_TYPES
    if kind == "erc1155":
        values.append(2**128 - 1)
        types = ELEMENT_1155_TYPES
    event_ = decode_log(CHAIN, raw_log(event, [], encode(types, values)))
    maker_is_seller = side == "sell"
    assert event_ == ElementFill(
        POSITION,
        kind=kind,  # type: ignore[arg-type]
        side=side,  # type: ignore[arg-type]
        order_hash="0x" + "ab" * 32,
        maker=A,
        taker=B,
        nonce=2**255,
        erc20_token=token.lower(),
        erc20_amount=MAX,
        fees=((C, 10**16), (D, MAX - 10**17)),
        nft_contract=E,
        token_id=21,
        amount=2**128 - 1 if kind == "erc1155" else 1,
        seller=A if maker_is_seller else B,
        buyer=B if maker_is_seller else A,
        is_native=side == "sell",
    )
    assert isinstance(event_, ElementFill) and (event_.erc20_token == NATIVE_TOKEN) is (
        side == "sell"
    )


def test_uint256_max_decodes_exactly_everywhere() -> None:
    log = raw_log("Transfer", [addr_topic(A), addr_topic(B)], b"\xff" * 32)
    event = decode_log(CHAIN, log)
    assert isinstance(event, Erc20Transfer)
    assert (
        event.value
        == MAX
        == 115792089237316195423570985008687907853269984665640564039457584007913129639935
    )


def test_results_are_frozen_and_slotted() -> None:
    event = decode_log(CHAIN, raw_log("CollectionClose", [addr_topic(A)]))
    assert event is not None
    assert not hasattr(event, "__dict__") and not hasattr(event.position, "__dict__")
    with pytest.raises(FrozenInstanceError):
        event.position.block_number = 1  # type: ignore[misc]


def test_unknown_topic_and_removed_logs_give_none() -> None:
    unknown = raw_log("Transfer", [addr_topic(A), addr_topic(B)], encode(["uint256"], [1]))
    unknown["topics"][0] = "0x" + "12" * 32
    assert decode_log(CHAIN, unknown) is None
    assert decode_log(CHAIN, {**unknown, "topics": []}) is None  # anonymous event
    removed = raw_log(
        "Transfer", [addr_topic(A), addr_topic(B)], encode(["uint256"], [1]), removed=True
    )
    assert decode_log(CHAIN, removed) is None


def test_decode_logs_skips_unknowns_and_keeps_order() -> None:
    first = raw_log("Deposit", [addr_topic(A)], encode(["uint256"], [1]), log_index=1)
    unknown = {**first, "topics": ["0x" + "12" * 32], "logIndex": "0x2"}
    second = raw_log("CollectionClose", [addr_topic(B)], log_index=3)
    events = decode_logs(CHAIN, [first, unknown, second])
    assert [type(e) for e in events] == [WbnbDeposit, CollectionClose]
    assert [e.position.log_index for e in events] == [1, 3]


@pytest.mark.parametrize(
    ("log", "problem"),
    [
        (raw_log("Transfer", [addr_topic(A), addr_topic(B)], b"\x00" * 31), "32 data bytes"),
        (raw_log("Transfer", [addr_topic(A), addr_topic(B)], b"\x00" * 64), "got 64"),
        (raw_log("Transfer", [addr_topic(A)], b"\x00" * 32), "3 topics"),
        (raw_log("Transfer", [addr_topic(A), addr_topic(B), uint_topic(1)], b"\x01"), "0 data"),
        (raw_log("Trade", [addr_topic(A), uint_topic(1), addr_topic(B)], b"\x00" * 96), "128"),
        (
            raw_log(
                "Trade",
                [addr_topic(A), uint_topic(1), addr_topic(B)],
                encode(["address", "uint256", "uint256", "uint256"], [D, 1, 1, 2]),
            ),
            "not a bool",
        ),
        (raw_log("Deposit", ["0x" + "ff" * 32], encode(["uint256"], [1])), "not an address"),
        (raw_log("AskCancel", [addr_topic(A), addr_topic(B)]), "expected 4 topics"),
        (raw_log("TransferBatch", [addr_topic(A)] * 3, b"\x00" * 40), "ABI data"),
        (
            raw_log(
                "TransferBatch",
                [addr_topic(A)] * 3,
                encode(["uint256[]", "uint256[]"], [[1, 2], [3]]),
            ),
            "2 ids but 1 values",
        ),
        (raw_log("ERC721SellOrderFilled", [], b"\x00" * 64), "ABI data"),
        (raw_log("ERC721SellOrderFilled", [addr_topic(A)], b""), "expected 1 topic"),
        (raw_log("RevenueClaim", [addr_topic(A)], data=b"", blockNumber=None), "blockNumber"),
        ({**raw_log("RevenueClaim", [addr_topic(A)]), "data": "0xzz"}, "RevenueClaim"),
    ],
)
def test_malformed_logs_raise_with_block_hash_and_log_index(
    log: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MalformedLogError) as info:
        decode_log(CHAIN, log)
    message = str(info.value)
    assert isinstance(info.value, LedgerError)
    assert "log index 7 " in message and BLOCK_HASH in message
    assert problem in message
