"""The RPC client and the backfill against a real anvil behind a fault-injecting proxy.

Each proxy prints its seed; rerun a failure with FAULT_SEED=<seed>.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import ExtraDataLengthError
from web3.types import Wei

from devchain.anvil import Anvil, free_port
from devchain.deploy import Deployment, transact
from ledger.chain.fetch import LogFilter, RangeSizer, iter_log_chunks
from ledger.chain.rpc import (
    BlockNotReachedError,
    RpcClient,
    RpcStats,
    RpcUnavailableError,
    make_web3,
)
from tests.chain.faultproxy import TRANSPORT_FAULTS, FaultProxy, FaultRates

pytestmark = pytest.mark.chain

TRANSFER = Web3.keccak(text="Transfer(address,address,uint256)").to_0x_hex()
PRICE = 10**17


@dataclass(frozen=True)
class Scenario:
    from_block: int
    to_block: int
    filters: list[LogFilter]


def build_scenario(d: Deployment, node: Anvil, rounds: int = 5, gap: int = 30) -> Scenario:
    """Mint, list and buy a few tokens, with stretches of empty blocks between the rounds."""
    w3, nft, market = d.w3, d.collection721, d.market
    seller, buyer = d.accounts.seller, d.accounts.buyer
    start = w3.eth.block_number + 1
    for token_id in range(900, 900 + rounds):
        transact(w3, nft.functions.mint(seller, token_id), {"from": d.accounts.initiative})
        transact(w3, nft.functions.approve(market.address, token_id), {"from": seller})
        transact(
            w3, market.functions.createAskOrder(nft.address, token_id, PRICE), {"from": seller}
        )
        transact(
            w3,
            market.functions.buyTokenUsingBNB(nft.address, token_id),
            {"from": buyer, "value": Wei(PRICE)},
        )
        node.rpc("anvil_mine", [hex(gap)])
    market_address, nft_address = market.address.lower(), nft.address.lower()
    filters = [
        LogFilter(address=(market_address,)),
        LogFilter(address=(nft_address,), topics=((TRANSFER,),)),
        # Overlaps both filters above: the chunks must not repeat those logs.
        LogFilter(address=(market_address, nft_address, d.wbnb.address.lower())),
    ]
    return Scenario(start, w3.eth.block_number, filters)


def clean_logs(url: str, s: Scenario) -> list[dict[str, Any]]:
    """The scenario's logs fetched directly, one request per filter, merged the plain way."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    with RpcClient([url]) as client:
        for f in s.filters:
            for log in client.fetch_logs(s.from_block, s.to_block, f.address, f.topics):
                merged.setdefault((log["blockHash"], log["logIndex"]), log)
    return sorted(
        merged.values(), key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16))
    )


def backfill(client: RpcClient, s: Scenario, sizer: RangeSizer, **kw: Any) -> list[dict[str, Any]]:
    chunks = list(iter_log_chunks(client, s.filters, s.from_block, s.to_block, sizer=sizer, **kw))
    assert chunks[0].from_block == s.from_block and chunks[-1].to_block == s.to_block
    for before, after in pairwise(chunks):
        assert after.from_block == before.to_block + 1
    return [log for chunk in chunks for log in chunk.logs]


class FakeSleep:
    """Records the delays the client asks for and sleeps a token amount."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        time.sleep(min(seconds, 0.005))


def client_faults(stats: RpcStats) -> Counter[str]:
    return Counter({k: v for k, v in stats.faults.items() if v})


# ----------------------------------------------------------------------------- tests


def test_heavy_faults_give_exactly_the_clean_logs(deployed: Deployment, anvil_node: Anvil) -> None:
    scenario = build_scenario(deployed, anvil_node)
    expected = clean_logs(anvil_node.url, scenario)
    assert len(expected) >= 5 * 6
    with FaultProxy(
        anvil_node.url,
        rates=FaultRates.heavy(),
        stall_s=1.5,
        max_range=16,
        max_results=6,
        name="heavy",
    ) as proxy:
        sleep = FakeSleep()
        with RpcClient([proxy.url], timeout_s=1.0, max_attempts=12, sleep=sleep) as client:
            got = backfill(client, scenario, RangeSizer(initial=4, target_logs=4), concurrency=4)
        stats = client.get_stats()
    assert got == expected
    injected = sum(proxy.faults[k] for k in (*TRANSPORT_FAULTS, "rpc_transient"))
    assert injected >= 10, proxy.faults  # the run really was faulty
    # Every injected fault cost exactly one retry, and nothing else did.
    assert stats.retries == injected == sum(stats.faults.values()) == len(sleep.delays)
    assert stats.faults["http_5xx"] == proxy.faults["http_502"] + proxy.faults["http_503"]
    assert stats.faults["timeout"] == proxy.faults["timeout"]
    assert stats.faults["http_429"] == proxy.faults["http_429"]
    assert stats.range_errors == proxy.faults["range_limit"] + proxy.faults["result_limit"]
    assert stats.range_errors > 0
    assert max(sleep.delays) <= client.backoff_max_s


def test_attempts_are_bounded_when_every_request_fails(anvil_node: Anvil) -> None:
    with FaultProxy(anvil_node.url, rates=FaultRates(reset=1.0), name="dead") as proxy:
        sleep = FakeSleep()
        with (
            RpcClient([proxy.url], max_attempts=5, sleep=sleep) as client,
            pytest.raises(RpcUnavailableError, match="after 5 attempts") as caught,
        ):
            client.fetch_chain_id()
    assert proxy.requests["eth_chainId"] == 5
    assert caught.value.__cause__ is not None
    assert client.stats.faults["connection"] == 5
    # Exponential backoff with jitter: each delay lies in [d/2, d] for d = 0.125 * 2**k.
    assert len(sleep.delays) == 4
    for k, delay in enumerate(sleep.delays):
        assert 0.0625 * 2**k <= delay <= 0.125 * 2**k


def test_retry_after_is_honoured_and_capped(anvil_node: Anvil) -> None:
    with FaultProxy(
        anvil_node.url, script=["http_429", "http_429"], retry_after_s=3, name="429"
    ) as proxy:
        sleep = FakeSleep()
        with RpcClient([proxy.url], sleep=sleep) as client:
            assert client.fetch_chain_id() == 56
    assert sleep.delays == [3.0, 3.0]
    assert proxy.faults["http_429"] == 2

    with FaultProxy(anvil_node.url, script=["http_429"], retry_after_s=60, name="429cap") as proxy:
        sleep = FakeSleep()
        with RpcClient([proxy.url], sleep=sleep, backoff_max_s=10.0) as client:
            assert client.fetch_chain_id() == 56
    assert sleep.delays == [10.0]


def test_each_transport_fault_is_survived(anvil_node: Anvil) -> None:
    script = ["reset", "truncated", "http_502", "http_503", "rpc_transient", "timeout"]
    with FaultProxy(anvil_node.url, script=script, stall_s=1.5, name="each") as proxy:
        with RpcClient([proxy.url], timeout_s=1.0, sleep=FakeSleep()) as client:
            header = client.fetch_block_header("latest")
        assert header is not None
    assert client_faults(client.stats) == Counter(
        connection=1, malformed=1, http_5xx=2, rpc_transient=1, timeout=1
    )
    assert proxy.faults == Counter(script)


def test_failover_from_a_dead_url(anvil_node: Anvil) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with RpcClient([dead, anvil_node.url], sleep=FakeSleep()) as client:
        assert client.fetch_chain_id() == 56
        assert client.fetch_block_header("finalized") is not None
        stats = client.get_stats()
    assert stats.faults["connection"] == 1
    assert stats.failovers == 1
    assert stats.requests == 3  # the dead one once, then only the live one


def test_failover_from_a_lagging_endpoint(deployed: Deployment, anvil_node: Anvil) -> None:
    scenario = build_scenario(deployed, anvil_node, rounds=2, gap=5)
    expected = clean_logs(anvil_node.url, scenario)
    with (
        FaultProxy(anvil_node.url, lag_blocks=6, name="lagging") as lagging,
        FaultProxy(anvil_node.url, name="fresh") as fresh,
    ):
        # Alone, the lagging endpoint hides the newest blocks and their logs.
        with RpcClient([lagging.url]) as alone:
            latest = alone.fetch_block_header("latest")
            assert latest is not None and latest.number == scenario.to_block - 6
            assert alone.fetch_block_header(scenario.to_block) is None
            only = scenario.filters[0]
            with pytest.raises(BlockNotReachedError):  # rather than fewer logs
                alone.fetch_logs(scenario.from_block, scenario.to_block, only.address, ())
        with RpcClient([lagging.url, fresh.url], sleep=FakeSleep()) as client:
            got = backfill(client, scenario, RangeSizer(initial=1_000))
            header = client.fetch_block_header(scenario.to_block)
            stats = client.get_stats()
    assert got == expected
    assert header is not None and header.number == scenario.to_block
    assert stats.faults["lagging"] >= 1 and stats.failovers >= 1
    assert fresh.requests["eth_getLogs"] == len(scenario.filters)
    assert lagging.requests["eth_getLogs"] == 0  # its head was checked first


def test_range_size_recovers_after_refusals_stop(deployed: Deployment, anvil_node: Anvil) -> None:
    scenario = build_scenario(deployed, anvil_node, rounds=3, gap=60)
    middle = (scenario.from_block + scenario.to_block) // 2
    first = Scenario(scenario.from_block, middle, scenario.filters)
    second = Scenario(middle + 1, scenario.to_block, scenario.filters)
    sizer = RangeSizer(initial=64, probe_after=2)
    with FaultProxy(anvil_node.url, max_range=8, wording="unknown", name="recover") as proxy:
        with RpcClient([proxy.url], sleep=FakeSleep()) as client:
            backfill(client, first, sizer, concurrency=2)
            assert sizer.size <= 8 and sizer.refusals > 0
            proxy.max_range = None  # the provider stops refusing
            backfill(client, second, sizer, concurrency=2)
    assert sizer.size >= 32
    assert sizer.ceiling == sizer.maximum  # unknown wordings state no cap


def test_long_extra_data_blocks_are_read(anvil_node: Anvil) -> None:
    with FaultProxy(anvil_node.url, name="bsc") as proxy:
        with RpcClient([proxy.url]) as client:
            raw = client.request("eth_getBlockByNumber", ["latest", False])
            assert len(bytes.fromhex(raw["extraData"][2:])) == 97
            header = client.fetch_block_header("latest")
            assert header is not None and header.hash == raw["hash"].lower()
            for tag in ("finalized", "safe"):
                tagged = client.fetch_block_header(tag)
                assert tagged is not None and tagged.number <= header.number
        block = make_web3(proxy.url).eth.get_block(header.number)
        assert block["hash"].to_0x_hex() == header.hash
        assert len(block["proofOfAuthorityData"]) == 97
        with pytest.raises(ExtraDataLengthError):
            Web3(Web3.HTTPProvider(proxy.url)).eth.get_block(header.number)
