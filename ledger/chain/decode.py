"""Hot-path decoder for raw ``eth_getLogs`` log dicts (hex strings, no web3 formatters).

Every event the ledger reads has a decoder in :data:`DECODERS`, keyed by topic0 (lower-case
0x hex), built at import from the canonical signatures. Fixed-size fields are sliced straight
from the 32-byte words of the data; only events with dynamic data (ERC-1155 ``TransferBatch``
and the four Element fills) go through :func:`eth_abi.decode`.

Addresses come out as lower-case 0x hex, amounts as Python ints. ``decode_log`` returns None for
an unknown topic0 or a removed log, and raises :class:`MalformedLogError` when a log with a
known topic0 does not have the shape its declaration demands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from ledger.errors import LedgerError

__all__ = [
    "DECODERS",
    "ELEMENT_721_TYPES",
    "ELEMENT_1155_TYPES",
    "NATIVE_TOKEN",
    "SIGNATURES",
    "AskEvent",
    "CollectionClose",
    "CollectionSettings",
    "DecodedEvent",
    "ElementFill",
    "Erc20Transfer",
    "Erc721Transfer",
    "LogPosition",
    "MalformedLogError",
    "RevenueClaim",
    "Trade",
    "TransferBatch",
    "TransferSingle",
    "WbnbDeposit",
    "WbnbWithdrawal",
    "decode_log",
    "decode_logs",
    "topic0_of",
    "topic0s_named",
]

NATIVE_TOKEN = "0x" + "ee" * 20  # Element's marker for native BNB, lower-case

_WORD = 32
_ADDRESS_PAD = b"\x00" * 12
_TOPIC_ADDRESS_PREFIX = "0x" + "0" * 24


class MalformedLogError(LedgerError):
    """A log whose topic0 is known does not match its event's declaration."""


class _Bad(Exception):
    """Internal: what is wrong with a log; decode_log adds where the log is."""


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class LogPosition:
    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    address: str  # the emitting contract, lower-case


@dataclass(frozen=True, slots=True)
class Erc20Transfer:
    position: LogPosition
    sender: str
    recipient: str
    value: int


@dataclass(frozen=True, slots=True)
class Erc721Transfer:
    position: LogPosition
    sender: str
    recipient: str
    token_id: int


@dataclass(frozen=True, slots=True)
class TransferSingle:
    position: LogPosition
    operator: str
    sender: str
    recipient: str
    token_id: int
    value: int


@dataclass(frozen=True, slots=True)
class TransferBatch:
    position: LogPosition
    operator: str
    sender: str
    recipient: str
    token_ids: tuple[int, ...]
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WbnbDeposit:
    position: LogPosition
    account: str  # dst
    amount: int  # wad


@dataclass(frozen=True, slots=True)
class WbnbWithdrawal:
    position: LogPosition
    account: str  # src
    amount: int  # wad


@dataclass(frozen=True, slots=True)
class Trade:
    position: LogPosition
    collection: str
    token_id: int
    seller: str
    buyer: str
    ask_price: int
    net_price: int
    with_bnb: bool


@dataclass(frozen=True, slots=True)
class AskEvent:
    position: LogPosition
    kind: Literal["new", "update", "cancel"]
    collection: str
    seller: str
    token_id: int
    ask_price: int | None  # None for a cancel


@dataclass(frozen=True, slots=True)
class CollectionSettings:
    position: LogPosition
    is_new: bool  # True for CollectionNew, False for CollectionUpdate
    collection: str
    creator: str
    whitelist_checker: str
    trading_fee_bps: int
    creator_fee_bps: int


@dataclass(frozen=True, slots=True)
class CollectionClose:
    position: LogPosition
    collection: str


@dataclass(frozen=True, slots=True)
class RevenueClaim:
    position: LogPosition
    claimer: str
    amount: int


@dataclass(frozen=True, slots=True)
class ElementFill:
    position: LogPosition
    kind: Literal["erc721", "erc1155"]
    side: Literal["sell", "buy"]
    order_hash: str  # 0x + 64 hex, lower-case
    maker: str
    taker: str
    nonce: int
    erc20_token: str
    erc20_amount: int  # includes the fees
    fees: tuple[tuple[str, int], ...]  # (recipient, amount)
    nft_contract: str
    token_id: int
    amount: int  # 1 for ERC-721
    seller: str
    buyer: str
    is_native: bool


DecodedEvent = (
    Erc20Transfer
    | Erc721Transfer
    | TransferSingle
    | TransferBatch
    | WbnbDeposit
    | WbnbWithdrawal
    | Trade
    | AskEvent
    | CollectionSettings
    | CollectionClose
    | RevenueClaim
    | ElementFill
)

_Decoder = Callable[[LogPosition, list[str], bytes], DecodedEvent]


# ------------------------------------------------------------------------ word helpers


def _topic_address(topic: str) -> str:
    if len(topic) != 66 or not topic.startswith(_TOPIC_ADDRESS_PREFIX):
        raise _Bad(f"topic {topic!r} is not an address")
    return "0x" + topic[26:].lower()


def _topic_uint(topic: str) -> int:
    if len(topic) != 66:
        raise _Bad(f"topic {topic!r} is not a 32-byte word")
    return int(topic, 16)


def _word_address(data: bytes, index: int) -> str:
    start = index * _WORD
    if data[start : start + 12] != _ADDRESS_PAD:
        raise _Bad(f"data word {index} is not an address")
    return "0x" + data[start + 12 : start + _WORD].hex()


def _word_uint(data: bytes, index: int) -> int:
    start = index * _WORD
    return int.from_bytes(data[start : start + _WORD], "big")


def _word_bool(data: bytes, index: int) -> bool:
    value = _word_uint(data, index)
    if value > 1:
        raise _Bad(f"data word {index} is not a bool")
    return value == 1


def _expect(topics: list[str], data: bytes, n_topics: int, n_words: int) -> None:
    if len(topics) != n_topics:
        raise _Bad(f"expected {n_topics} topics, got {len(topics)}")
    if len(data) != n_words * _WORD:
        raise _Bad(f"expected {n_words * _WORD} data bytes, got {len(data)}")


def _abi(types: list[str], data: bytes) -> tuple[Any, ...]:
    try:
        return tuple(abi_decode(types, data))
    except (DecodingError, ValueError, OverflowError) as exc:
        raise _Bad(f"ABI data does not decode as ({','.join(types)}): {exc}") from exc


# ---------------------------------------------------------------------------- decoders


def _transfer(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    n = len(topics)
    if n == 3:
        _expect(topics, data, 3, 1)
        return Erc20Transfer(
            pos, _topic_address(topics[1]), _topic_address(topics[2]), _word_uint(data, 0)
        )
    if n == 4:
        _expect(topics, data, 4, 0)
        return Erc721Transfer(
            pos, _topic_address(topics[1]), _topic_address(topics[2]), _topic_uint(topics[3])
        )
    raise _Bad(f"Transfer needs 3 topics (ERC-20) or 4 (ERC-721), got {n}")


def _transfer_single(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 4, 2)
    return TransferSingle(
        pos,
        _topic_address(topics[1]),
        _topic_address(topics[2]),
        _topic_address(topics[3]),
        _word_uint(data, 0),
        _word_uint(data, 1),
    )


def _transfer_batch(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    if len(topics) != 4:
        raise _Bad(f"expected 4 topics, got {len(topics)}")
    ids, values = _abi(["uint256[]", "uint256[]"], data)
    if len(ids) != len(values):
        raise _Bad(f"TransferBatch has {len(ids)} ids but {len(values)} values")
    return TransferBatch(
        pos,
        _topic_address(topics[1]),
        _topic_address(topics[2]),
        _topic_address(topics[3]),
        tuple(ids),
        tuple(values),
    )


def _deposit(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 2, 1)
    return WbnbDeposit(pos, _topic_address(topics[1]), _word_uint(data, 0))


def _withdrawal(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 2, 1)
    return WbnbWithdrawal(pos, _topic_address(topics[1]), _word_uint(data, 0))


def _trade(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 4, 4)
    return Trade(
        pos,
        collection=_topic_address(topics[1]),
        token_id=_topic_uint(topics[2]),
        seller=_topic_address(topics[3]),
        buyer=_word_address(data, 0),
        ask_price=_word_uint(data, 1),
        net_price=_word_uint(data, 2),
        with_bnb=_word_bool(data, 3),
    )


def _ask(kind: Literal["new", "update", "cancel"]) -> _Decoder:
    words = 0 if kind == "cancel" else 1

    def decode(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
        _expect(topics, data, 4, words)
        return AskEvent(
            pos,
            kind,
            collection=_topic_address(topics[1]),
            seller=_topic_address(topics[2]),
            token_id=_topic_uint(topics[3]),
            ask_price=_word_uint(data, 0) if words else None,
        )

    return decode


def _collection_settings(is_new: bool) -> _Decoder:
    def decode(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
        _expect(topics, data, 4, 2)
        return CollectionSettings(
            pos,
            is_new,
            collection=_topic_address(topics[1]),
            creator=_topic_address(topics[2]),
            whitelist_checker=_topic_address(topics[3]),
            trading_fee_bps=_word_uint(data, 0),
            creator_fee_bps=_word_uint(data, 1),
        )

    return decode


def _collection_close(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 2, 0)
    return CollectionClose(pos, _topic_address(topics[1]))


def _revenue_claim(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
    _expect(topics, data, 2, 1)
    return RevenueClaim(pos, _topic_address(topics[1]), _word_uint(data, 0))


#: Element fill parameters (none indexed), in declaration order; ERC-1155 adds the fill amount.
ELEMENT_721_TYPES = [
    "bytes32",
    "address",
    "address",
    "uint256",
    "address",
    "uint256",
    "(address,uint256)[]",
    "address",
    "uint256",
]
ELEMENT_1155_TYPES = [*ELEMENT_721_TYPES, "uint128"]


def _element(kind: Literal["erc721", "erc1155"], side: Literal["sell", "buy"]) -> _Decoder:
    types = ELEMENT_721_TYPES if kind == "erc721" else ELEMENT_1155_TYPES

    def decode(pos: LogPosition, topics: list[str], data: bytes) -> DecodedEvent:
        if len(topics) != 1:
            raise _Bad(f"expected 1 topic (nothing indexed), got {len(topics)}")
        fields = _abi(types, data)
        maker = str(fields[1]).lower()
        taker = str(fields[2]).lower()
        token = str(fields[4]).lower()
        seller, buyer = (maker, taker) if side == "sell" else (taker, maker)
        return ElementFill(
            pos,
            kind,
            side,
            order_hash="0x" + bytes(fields[0]).hex(),
            maker=maker,
            taker=taker,
            nonce=int(fields[3]),
            erc20_token=token,
            erc20_amount=int(fields[5]),
            fees=tuple((str(r).lower(), int(a)) for r, a in fields[6]),
            nft_contract=str(fields[7]).lower(),
            token_id=int(fields[8]),
            amount=int(fields[9]) if kind == "erc1155" else 1,
            seller=seller,
            buyer=buyer,
            is_native=token == NATIVE_TOKEN,
        )

    return decode


# ---------------------------------------------------------------------- topic0 table

_ELEMENT_FILL_PARAMS = ",".join(ELEMENT_721_TYPES)

#: canonical signature -> decoder; the topic0 table below is computed from these.
SIGNATURES: dict[str, _Decoder] = {
    "Transfer(address,address,uint256)": _transfer,
    "TransferSingle(address,address,address,uint256,uint256)": _transfer_single,
    "TransferBatch(address,address,address,uint256[],uint256[])": _transfer_batch,
    "Deposit(address,uint256)": _deposit,
    "Withdrawal(address,uint256)": _withdrawal,
    "Trade(address,uint256,address,address,uint256,uint256,bool)": _trade,
    "AskNew(address,address,uint256,uint256)": _ask("new"),
    "AskUpdate(address,address,uint256,uint256)": _ask("update"),
    "AskCancel(address,address,uint256)": _ask("cancel"),
    "CollectionNew(address,address,address,uint256,uint256)": _collection_settings(True),
    "CollectionUpdate(address,address,address,uint256,uint256)": _collection_settings(False),
    "CollectionClose(address)": _collection_close,
    "RevenueClaim(address,uint256)": _revenue_claim,
    f"ERC721SellOrderFilled({_ELEMENT_FILL_PARAMS})": _element("erc721", "sell"),
    f"ERC721BuyOrderFilled({_ELEMENT_FILL_PARAMS})": _element("erc721", "buy"),
    f"ERC1155SellOrderFilled({','.join(ELEMENT_1155_TYPES)})": _element("erc1155", "sell"),
    f"ERC1155BuyOrderFilled({','.join(ELEMENT_1155_TYPES)})": _element("erc1155", "buy"),
}


def topic0_of(signature: str) -> str:
    """keccak-256 of a canonical event signature, as lower-case 0x hex."""
    return "0x" + keccak(text=signature).hex()


def topic0s_named(*names: str) -> tuple[str, ...]:
    """The topic0 of each named event of SIGNATURES, in the order given (KeyError if unknown).

    The one place other modules get topic0s from, so no signature is written twice.
    """
    by_name = {sig.split("(", 1)[0]: topic0_of(sig) for sig in SIGNATURES}
    return tuple(by_name[name] for name in names)


#: topic0 (lower-case 0x hex) -> decoder.
DECODERS: dict[str, _Decoder] = {topic0_of(sig): fn for sig, fn in SIGNATURES.items()}


# ------------------------------------------------------------------------- entry points


def _hex_int(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise _Bad(f"{name} is {value!r}, not a hex string")
    return int(value, 16)


def _hex_str(value: Any, name: str, length: int) -> str:
    if not isinstance(value, str) or len(value) != length or value[:2] not in ("0x", "0X"):
        raise _Bad(f"{name} is {value!r}, not 0x + {length - 2} hex digits")
    return value.lower()


def _position(chain_id: int, log: Mapping[str, Any]) -> LogPosition:
    """The careful (slow) reading of a log's position; names the field that is wrong."""
    return LogPosition(
        chain_id,
        _hex_int(log.get("blockNumber"), "blockNumber"),
        _hex_str(log.get("blockHash"), "blockHash", 66),
        _hex_str(log.get("transactionHash"), "transactionHash", 66),
        _hex_int(log.get("transactionIndex"), "transactionIndex"),
        _hex_int(log.get("logIndex"), "logIndex"),
        _hex_str(log.get("address"), "address", 42),
    )


def _data(log: Mapping[str, Any]) -> bytes:
    raw = log.get("data")
    if not isinstance(raw, str) or raw[:2] not in ("0x", "0X"):
        raise _Bad(f"data is {raw!r}, not 0x hex")
    return bytes.fromhex(raw[2:])


def decode_log(chain_id: int, log: Mapping[str, Any]) -> DecodedEvent | None:
    """Decode one raw ``eth_getLogs`` log; None for an unknown topic0 or a removed log."""
    if log.get("removed") is True:
        return None
    topics = log.get("topics")
    if not topics:
        return None
    decoder = DECODERS.get(topics[0]) or DECODERS.get(str(topics[0]).lower())
    if decoder is None:
        return None
    try:
        try:
            # Fast path: a well-formed node reply. Anything odd goes to the careful path.
            block_hash: str = log["blockHash"]
            tx_hash: str = log["transactionHash"]
            address: str = log["address"]
            raw: str = log["data"]
            if (
                len(block_hash) != 66
                or len(tx_hash) != 66
                or len(address) != 42
                or not raw.startswith("0x")
            ):
                raise _Bad("slow path")
            pos = LogPosition(
                chain_id,
                int(log["blockNumber"], 16),
                block_hash.lower(),
                tx_hash.lower(),
                int(log["transactionIndex"], 16),
                int(log["logIndex"], 16),
                address.lower(),
            )
            data = bytes.fromhex(raw[2:])
        except (_Bad, KeyError, TypeError, ValueError, AttributeError):
            pos = _position(chain_id, log)
            data = _data(log)
        return decoder(pos, topics, data)
    except (_Bad, ValueError, TypeError) as exc:
        raise MalformedLogError(
            f"malformed {_event_name(decoder)} log at block hash {log.get('blockHash')}, "
            f"log index {_log_index(log.get('logIndex'))} "
            f"(tx {log.get('transactionHash')}): {exc}"
        ) from exc


def decode_logs(chain_id: int, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent]:
    """Decode many raw logs in order, skipping unknown topic0s and removed logs."""
    out: list[DecodedEvent] = []
    append = out.append
    for log in logs:
        event = decode_log(chain_id, log)
        if event is not None:
            append(event)
    return out


_NAMES: dict[int, str] = {id(fn): sig.split("(", 1)[0] for sig, fn in SIGNATURES.items()}


def _log_index(value: Any) -> str:
    try:
        return str(int(value, 16))
    except (TypeError, ValueError):
        return repr(value)


def _event_name(decoder: _Decoder) -> str:
    return _NAMES.get(id(decoder), "event")
