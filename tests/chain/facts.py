"""Event declarations and topic0 values copied from the checked facts page.

Source: /work/shared/facts/bsc-chain.md ("Token events", "PancakeSwap NFT Market",
"Element Market"). The topic0 values are hard-coded here on purpose: the tests recompute
keccak-256 of each canonical signature and compare it with these values, with the compiled
test contracts' ABIs and with the hand-written ABIs in contracts_abi/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak


@dataclass(frozen=True)
class Param:
    type: str  # canonical ABI type; tuples as "(address,uint256)[]"
    name: str
    indexed: bool


@dataclass(frozen=True)
class FactEvent:
    family: str  # which contract family declares it
    name: str
    params: tuple[Param, ...]
    topic0: str
    names_known: bool = True  # False when the facts page gives only the types

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.type for p in self.params)})"

    @property
    def topics(self) -> int:
        return 1 + sum(p.indexed for p in self.params)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _canonical_type(text: str) -> str:
    """'(address recipient, uint256 amount)[]' -> '(address,uint256)[]'; 'uint' -> 'uint256'."""
    text = text.strip()
    if text.startswith("("):
        close = text.rindex(")")
        inner = _split_top_level(text[1:close])
        return (
            "("
            + ",".join(_canonical_type(p.split()[0] if not p.startswith("(") else p) for p in inner)
            + ")"
            + text[close + 1 :].strip()
        )
    base = text.split()[0]
    return {"uint": "uint256", "int": "int256"}.get(base, base)


def parse_declaration(declaration: str) -> tuple[str, tuple[Param, ...]]:
    """Parse 'Name(type [indexed] [name], ...)' as written in Solidity."""
    declaration = " ".join(declaration.replace("event ", "", 1).split()).rstrip(";")
    name, rest = declaration.split("(", 1)
    params = []
    for raw in _split_top_level(rest[: rest.rindex(")")]):
        if raw.startswith("("):
            close = raw.rindex(")")
            suffix = raw[close + 1 :].split()
            type_text = raw[: close + 1] + (
                suffix[0] if suffix and suffix[0].startswith("[") else ""
            )
            words = suffix[1:] if suffix and suffix[0].startswith("[") else suffix
        else:
            words = raw.split()
            type_text, words = words[0], words[1:]
        indexed = "indexed" in words
        words = [w for w in words if w != "indexed"]
        params.append(Param(_canonical_type(type_text), words[0] if words else "", indexed))
    return name.strip(), tuple(params)


def _event(family: str, declaration: str, topic0: str, *, names_known: bool = True) -> FactEvent:
    name, params = parse_declaration(declaration)
    return FactEvent(family, name, params, topic0, names_known)


_ELEMENT_721 = (
    "(bytes32 orderHash, address maker, address taker, uint256 nonce, address erc20Token,"
    " uint256 erc20TokenAmount, (address recipient, uint256 amount)[] fees,"
    " address erc721Token, uint256 erc721TokenId)"
)
# The facts page gives only the types of the ERC-1155 events; the names are this project's.
_ELEMENT_1155 = (
    "(bytes32 orderHash, address maker, address taker, uint256 nonce, address erc20Token,"
    " uint256 erc20TokenAmount, (address recipient, uint256 amount)[] fees,"
    " address erc1155Token, uint256 erc1155TokenId, uint128 erc1155FillAmount)"
)

FACT_EVENTS: tuple[FactEvent, ...] = (
    _event(
        "ERC721",
        "Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    ),
    _event(
        "BEP20",
        "Transfer(address indexed from, address indexed to, uint256 value)",
        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    ),
    _event(
        "ERC1155",
        "TransferSingle(address indexed operator, address indexed from, address indexed to,"
        " uint256 id, uint256 value)",
        "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62",
    ),
    _event(
        "ERC1155",
        "TransferBatch(address indexed operator, address indexed from, address indexed to,"
        " uint256[] ids, uint256[] values)",
        "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb",
    ),
    _event(
        "WBNB",
        "Deposit(address indexed dst, uint256 wad)",
        "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c",
    ),
    _event(
        "WBNB",
        "Withdrawal(address indexed src, uint256 wad)",
        "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65",
    ),
    # PancakeSwap NFT Market, in the facts page's order.
    _event(
        "PancakeSwapNFTMarket",
        "Trade(address indexed collection, uint256 indexed tokenId, address indexed seller,"
        " address buyer, uint256 askPrice, uint256 netPrice, bool withBNB)",
        "0xdaac0e40b8f01e970d08d4e8ae57ac31a5845fffde104c43f05e19bbec78491e",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "AskNew(address indexed collection, address indexed seller, uint256 indexed tokenId,"
        " uint256 askPrice)",
        "0xaa0431463bb62c812c04a1e5310cf43dd9baedc7a8eab71e02f572c741467e8c",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "AskUpdate(address indexed collection, address indexed seller, uint256 indexed tokenId,"
        " uint256 askPrice)",
        "0x492437c0ade072acdf12e63a19d8df68bb5e414e2098dc470239df87702343ea",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "AskCancel(address indexed collection, address indexed seller, uint256 indexed tokenId)",
        "0xa5764ea233325154a6388255c54b9f302ec2ed8586af0a9a606cd64e88298eb7",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "CollectionNew(address indexed collection, address indexed creator,"
        " address indexed whitelistChecker, uint256 tradingFee, uint256 creatorFee)",
        "0x4863c75720ebabd11e0cf1c60b58786b5572680a20fa1b568c203964ae56026a",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "CollectionUpdate(address indexed collection, address indexed creator,"
        " address indexed whitelistChecker, uint256 tradingFee, uint256 creatorFee)",
        "0x655bd8b9d972737b566ec5473b537d81d079c6e251d4986005bf3f36000eacef",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "CollectionClose(address indexed collection)",
        "0xf6df65a3d7d931af345d93f0420a22e8910de36c0d027c1d1ac93d5be509f5a9",
    ),
    _event(
        "PancakeSwapNFTMarket",
        "RevenueClaim(address indexed claimer, uint256 amount)",
        "0xc6cb6f1a9d5212d4ee3819d9b175a85e8333a7327d53dfbc1b610e1fd8ec3cb5",
    ),
    _event(
        "ElementMarket",
        "ERC721SellOrderFilled" + _ELEMENT_721,
        "0x9c248aa1a265aa616f707b979d57f4529bb63a4fc34dc7fc61fdddc18410f74e",
    ),
    _event(
        "ElementMarket",
        "ERC721BuyOrderFilled" + _ELEMENT_721,
        "0xd90a5c60975c6ff8eafcf02088e7b50ae5d9e156a79206ba553df1c4fb4594c2",
    ),
    _event(
        "ElementMarket",
        "ERC1155SellOrderFilled" + _ELEMENT_1155,
        "0xfcde121a3f6a9b14a3ce266d61fc00940de86c4d8c1d733fe62d503ae5d99ff9",
        names_known=False,
    ),
    _event(
        "ElementMarket",
        "ERC1155BuyOrderFilled" + _ELEMENT_1155,
        "0x105616901449a64554ca9246a5bbcaca973b40b3c0055e5070c6fa191618d9f3",
        names_known=False,
    ),
)

PANCAKE_EVENT_ORDER = tuple(e.name for e in FACT_EVENTS if e.family == "PancakeSwapNFTMarket")
NATIVE_TOKEN = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"


def topic0(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def abi_type(item: dict[str, Any]) -> str:
    """Canonical type of one ABI input, expanding tuples."""
    type_ = str(item["type"])
    if type_.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in item["components"])
        return f"({inner}){type_[len('tuple') :]}"
    return type_


def abi_event_signature(event: dict[str, Any]) -> str:
    return f"{event['name']}({','.join(abi_type(i) for i in event['inputs'])})"


def abi_event_params(event: dict[str, Any]) -> tuple[Param, ...]:
    return tuple(Param(abi_type(i), i["name"], bool(i.get("indexed"))) for i in event["inputs"])


def matching_fact(event: dict[str, Any]) -> FactEvent | None:
    """The facts-page event with this ABI event's signature and indexed pattern, if any."""
    signature = abi_event_signature(event)
    indexed = tuple(bool(i.get("indexed")) for i in event["inputs"])
    for fact in FACT_EVENTS:
        if fact.signature == signature and tuple(p.indexed for p in fact.params) == indexed:
            return fact
    return None
