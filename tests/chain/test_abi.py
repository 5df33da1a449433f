"""The hand-written ABIs in contracts_abi/ agree with the facts page (pure: no node, no chain)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
from eth_typing import ABIEvent
from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3

from tests.chain.facts import (
    FACT_EVENTS,
    abi_event_params,
    abi_event_signature,
    matching_fact,
    topic0,
)

ABI_DIR = Path(__file__).resolve().parents[2] / "contracts_abi"

# Which facts-page events each file must declare, as (family, event name).
EXPECTED_EVENTS: dict[str, set[tuple[str, str]]] = {
    "PancakeSwapNFTMarket.json": {
        (f.family, f.name) for f in FACT_EVENTS if f.family == "PancakeSwapNFTMarket"
    },
    "ElementMarket.json": {(f.family, f.name) for f in FACT_EVENTS if f.family == "ElementMarket"},
    "ERC721.json": {("ERC721", "Transfer")},
    "ERC1155.json": {("ERC1155", "TransferSingle"), ("ERC1155", "TransferBatch")},
    "BEP20.json": {("BEP20", "Transfer")},
    "WBNB.json": {("WBNB", "Deposit"), ("WBNB", "Withdrawal"), ("BEP20", "Transfer")},
}

PANCAKE_FUNCTIONS = {
    "buyTokenUsingBNB": (["address", "uint256"], "payable"),
    "buyTokenUsingWBNB": (["address", "uint256", "uint256"], "nonpayable"),
    "createAskOrder": (["address", "uint256", "uint256"], "nonpayable"),
    "claimPendingRevenue": ([], "nonpayable"),
    "pendingRevenue": (["address"], "view"),
}


def _load(name: str) -> list[dict[str, Any]]:
    data = json.loads((ABI_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_facts_topic0_values_are_keccak_of_signatures() -> None:
    for fact in FACT_EVENTS:
        assert topic0(fact.signature) == fact.topic0, fact.signature


def test_every_abi_file_is_expected_and_every_fact_is_covered() -> None:
    assert {p.name for p in ABI_DIR.glob("*.json")} == set(EXPECTED_EVENTS)
    covered = set().union(*EXPECTED_EVENTS.values())
    assert covered == {(f.family, f.name) for f in FACT_EVENTS}


@pytest.mark.parametrize("filename", sorted(EXPECTED_EVENTS))
def test_abi_events_hash_to_facts_topic0(filename: str) -> None:
    abi = _load(filename)
    Web3().eth.contract(abi=abi)  # web3 accepts the file
    seen = set()
    for event in (item for item in abi if item["type"] == "event"):
        fact = matching_fact(event)
        assert fact is not None, (
            f"{filename}: {abi_event_signature(event)} is not on the facts page"
        )
        computed = topic0(abi_event_signature(event))
        assert computed == fact.topic0, event["name"]
        assert (
            "0x" + event_abi_to_log_topic(cast(ABIEvent, event)).hex() == fact.topic0
        )  # eth_utils agrees
        assert not event["anonymous"]
        if fact.names_known and filename != "WBNB.json":  # WBNB names its Transfer src/dst/wad
            assert abi_event_params(event) == fact.params, event["name"]
        seen.add((fact.family, fact.name))
    assert seen == EXPECTED_EVENTS[filename]


def test_pancakeswap_abi_has_the_functions_the_ledger_needs() -> None:
    functions = {
        i["name"]: i for i in _load("PancakeSwapNFTMarket.json") if i["type"] == "function"
    }
    for name, (inputs, mutability) in PANCAKE_FUNCTIONS.items():
        assert [i["type"] for i in functions[name]["inputs"]] == inputs, name
        assert functions[name]["stateMutability"] == mutability, name
    assert [o["type"] for o in functions["pendingRevenue"]["outputs"]] == ["uint256"]
