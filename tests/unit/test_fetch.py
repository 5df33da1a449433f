"""The backfill against an in-process fake node: exact coverage, order, dedup, adaptive ranges."""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chain.fetch import LogChunk, LogFilter, RangeSizer, iter_log_chunks
from ledger.chain.rpc import LogRangeError, RpcUnavailableError, classify_rpc_error

ADDRESSES = ("0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20)
TOPICS = ("0x" + "01" * 32, "0x" + "02" * 32)


def make_log(block: int, index: int, address: str, topic: str) -> dict[str, Any]:
    return {
        "address": address,
        "topics": [topic],
        "data": "0x",
        "blockNumber": hex(block),
        "blockHash": "0x" + block.to_bytes(32, "big").hex(),
        "transactionHash": "0x" + (block * 1000 + index).to_bytes(32, "big").hex(),
        "transactionIndex": hex(index),
        "logIndex": hex(index),
        "removed": False,
    }


def refusal(message: str, code: int = -32000) -> LogRangeError:
    error = classify_rpc_error("eth_getLogs", code, message)
    assert isinstance(error, LogRangeError), message
    return error


class FakeNode:
    """Answers fetch_logs from a fixed log list, refusing like real providers do."""

    def __init__(
        self,
        logs: list[dict[str, Any]],
        *,
        max_range: int | None = None,
        max_results: int | None = None,
        wording: str = "stated",
        flaky_refusals: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.logs = sorted(logs, key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16)))
        self.blocks = [int(x["blockNumber"], 16) for x in self.logs]
        self.max_range = max_range
        self.max_results = max_results
        self.wording = wording
        self.flaky_refusals = flaky_refusals
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.refused = 0
        self.spans: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def matching(
        self, from_block: int, to_block: int, address: Sequence[str], topics: Sequence[Any]
    ) -> list[dict[str, Any]]:
        lo = bisect.bisect_left(self.blocks, from_block)
        hi = bisect.bisect_right(self.blocks, to_block)
        found = []
        for log in self.logs[lo:hi]:
            if address and log["address"] not in address:
                continue
            if any(t is not None and log["topics"][i] not in t for i, t in enumerate(topics)):
                continue
            found.append(dict(log))
        return found

    def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        address: Sequence[str],
        topics: Sequence[Sequence[str] | None],
    ) -> list[dict[str, Any]]:
        span = to_block - from_block + 1
        with self.lock:
            self.requests += 1
            self.spans.append(span)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            is_flaky = span > 1 and self.rng.random() < self.flaky_refusals
        try:
            if is_flaky:
                self.refused += 1
                raise refusal("backend says: requested block span is over quota")
            if self.max_range is not None and span > self.max_range:
                self.refused += 1
                if self.wording == "stated":
                    raise refusal(f"exceed maximum block range: {self.max_range}")
                if self.wording == "quicknode":
                    raise refusal(f"eth_getLogs is limited to a {self.max_range:,} range", -32614)
                raise refusal("requested block span is over our quota")
            found = self.matching(from_block, to_block, address, topics)
            if self.max_results is not None and len(found) > self.max_results:
                self.refused += 1
                if self.wording == "unknown":
                    raise refusal("answer exceeds what we send")
                end = int(found[self.max_results]["blockNumber"], 16) - 1
                end = max(end, from_block)
                raise refusal(
                    f"query returned more than {self.max_results} results. "
                    f"Try with this block range [{hex(from_block)}, {hex(end)}].",
                    -32005,
                )
            return found
        finally:
            with self.lock:
                self.in_flight -= 1


def expected_logs(
    node: FakeNode, filters: Sequence[LogFilter], from_block: int, to_block: int
) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for f in filters:
        for log in node.matching(from_block, to_block, f.address, f.topics):
            seen.setdefault((log["blockHash"], log["logIndex"]), log)
    return sorted(seen.values(), key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16)))


def assert_exact_cover(chunks: list[LogChunk], from_block: int, to_block: int) -> None:
    assert chunks, "no chunks"
    assert chunks[0].from_block == from_block
    assert chunks[-1].to_block == to_block
    for before, after in pairwise(chunks):
        assert after.from_block == before.to_block + 1
    for chunk in chunks:
        assert chunk.from_block <= chunk.to_block
        numbers = [int(x["blockNumber"], 16) for x in chunk.logs]
        assert all(chunk.from_block <= n <= chunk.to_block for n in numbers)
        keys = [(int(x["blockNumber"], 16), int(x["logIndex"], 16)) for x in chunk.logs]
        assert keys == sorted(set(keys))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    from_block = draw(st.integers(0, 40_000_000))
    length = draw(st.integers(1, 6_000))
    to_block = from_block + length - 1
    per_block = draw(st.integers(1, 4))
    blocks = draw(st.lists(st.integers(from_block, to_block), max_size=150))
    logs: dict[tuple[int, int], dict[str, Any]] = {}
    for block in blocks:
        for index in range(draw(st.integers(1, per_block))):
            address = draw(st.sampled_from(ADDRESSES))
            logs[(block, index)] = make_log(block, index, address, draw(st.sampled_from(TOPICS)))
    filter_options = [
        LogFilter(address=(ADDRESSES[0],)),
        LogFilter(address=(ADDRESSES[0], ADDRESSES[1]), topics=((TOPICS[0],),)),
        LogFilter(address=(), topics=((TOPICS[1],),)),
        LogFilter(address=ADDRESSES, topics=(None,)),
    ]
    filters = draw(st.lists(st.sampled_from(filter_options), min_size=1, max_size=3))
    return {
        "logs": list(logs.values()),
        "from_block": from_block,
        "to_block": to_block,
        "filters": filters,
        "max_range": draw(st.none() | st.integers(40, 5_000)),
        "max_results": draw(st.none() | st.integers(per_block * 2, 60)),
        "wording": draw(st.sampled_from(["stated", "quicknode", "unknown"])),
        "flaky": draw(st.sampled_from([0.0, 0.0, 0.05, 0.2])),
        "initial": draw(st.integers(1, 5_000)),
        "concurrency": draw(st.integers(1, 4)),
        "max_chunks": draw(st.none() | st.integers(1, 6)),
        "seed": draw(st.integers(0, 2**32)),
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_chunks_cover_the_range_once_in_order_with_every_log(s: dict[str, Any]) -> None:
    node = FakeNode(
        s["logs"],
        max_range=s["max_range"],
        max_results=s["max_results"],
        wording=s["wording"],
        flaky_refusals=s["flaky"],
        seed=s["seed"],
    )
    sizer = RangeSizer(initial=s["initial"], target_logs=20)
    chunks = list(
        iter_log_chunks(
            node,
            s["filters"],
            s["from_block"],
            s["to_block"],
            sizer=sizer,
            concurrency=s["concurrency"],
            max_in_flight_chunks=s["max_chunks"],
        )
    )
    assert_exact_cover(chunks, s["from_block"], s["to_block"])
    got = [log for chunk in chunks for log in chunk.logs]
    assert got == expected_logs(node, s["filters"], s["from_block"], s["to_block"])
    assert node.most_in_flight <= s["concurrency"]
    is_cap_stated = s["wording"] != "unknown" and not s["flaky"]
    if s["max_range"] is not None and is_cap_stated and max(node.spans) > s["max_range"]:
        assert sizer.ceiling <= s["max_range"]


def test_a_stated_cap_is_learnt_at_once_and_kept() -> None:
    node = FakeNode([], max_range=5_000)
    sizer = RangeSizer(initial=100)
    chunks = list(iter_log_chunks(node, [LogFilter((ADDRESSES[0],))], 0, 999_999, sizer=sizer))
    assert_exact_cover(chunks, 0, 999_999)
    assert sizer.ceiling == 5_000 and sizer.size == 5_000
    assert node.refused <= 4  # requests already sent at 8,000 when the first refusal came back
    assert node.requests <= 1_000_000 // 5_000 + 25  # the ramp from 100 costs ~20


def test_range_grows_again_after_refusals_stop() -> None:
    node = FakeNode([], max_range=100, wording="unknown")
    sizer = RangeSizer(initial=1_000, probe_after=4)
    only = [LogFilter((ADDRESSES[0],))]
    list(iter_log_chunks(node, only, 0, 20_000, sizer=sizer, concurrency=2))
    assert sizer.size <= 100
    assert sizer.ceiling == sizer.maximum  # an unreadable refusal is no stated cap
    node.max_range = None  # the provider stops refusing
    list(iter_log_chunks(node, only, 20_001, 2_000_000, sizer=sizer, concurrency=2))
    assert sizer.size >= 50_000


def test_unreadable_refusals_cost_few_requests() -> None:
    node = FakeNode([], max_range=1_000, wording="unknown")
    sizer = RangeSizer(initial=10)
    list(iter_log_chunks(node, [LogFilter((ADDRESSES[0],))], 0, 2_000_000, sizer=sizer))
    # It settles at 500-999 blocks a request; each failed probe doubles the wait for the next.
    assert node.refused < 0.1 * node.requests
    assert node.requests < 2_000_000 / 500 * 1.1


def test_dense_answers_shrink_the_range() -> None:
    logs = [make_log(b, i, ADDRESSES[0], TOPICS[0]) for b in range(0, 400) for i in range(10)]
    node = FakeNode(logs)
    sizer = RangeSizer(initial=400, target_logs=100)
    chunks = list(iter_log_chunks(node, [LogFilter((ADDRESSES[0],))], 0, 399, sizer=sizer))
    assert sum(len(c.logs) for c in chunks) == 4_000
    assert sizer.size <= 20


def test_a_refused_single_block_raises() -> None:
    logs = [make_log(7, i, ADDRESSES[0], TOPICS[0]) for i in range(5)]
    node = FakeNode(logs, max_results=3)
    with pytest.raises(LogRangeError):
        list(iter_log_chunks(node, [LogFilter((ADDRESSES[0],))], 0, 100, sizer=RangeSizer(10)))


class FailingAt(FakeNode):
    def __init__(self, bad_block: int) -> None:
        super().__init__([])
        self.bad_block = bad_block

    def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        address: Sequence[str],
        topics: Sequence[Sequence[str] | None],
    ) -> list[dict[str, Any]]:
        if from_block <= self.bad_block <= to_block:
            raise RpcUnavailableError("every endpoint is down")
        return super().fetch_logs(from_block, to_block, address, topics)


def test_chunks_before_a_failure_are_yielded_then_it_raises() -> None:
    node = FailingAt(bad_block=5_500)
    chunks: list[LogChunk] = []
    with pytest.raises(RpcUnavailableError):
        for chunk in iter_log_chunks(
            node, [LogFilter((ADDRESSES[0],))], 0, 9_999, sizer=RangeSizer(1_000), concurrency=4
        ):
            chunks.append(chunk)
    assert chunks[-1].to_block == 4_999
    assert_exact_cover(chunks, 0, 4_999)


class Slow(FakeNode):
    def __init__(self) -> None:
        super().__init__([])
        self.release = threading.Event()

    def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        address: Sequence[str],
        topics: Sequence[Sequence[str] | None],
    ) -> list[dict[str, Any]]:
        if from_block > 0:
            self.release.wait(5)
        return super().fetch_logs(from_block, to_block, address, topics)


def test_closing_the_iterator_cancels_pending_work() -> None:
    node = Slow()
    chunks = iter_log_chunks(
        node, [LogFilter((ADDRESSES[0],))], 0, 10_000_000, sizer=RangeSizer(10), concurrency=3
    )
    first = next(chunks)
    assert (first.from_block, first.to_block) == (0, 9)
    node.release.set()
    chunks.close()
    sent = node.requests
    assert sent <= 1 + 3 + 6  # the first, those in flight, those buffered; nothing after close
    assert threading.active_count() < 20


def test_memory_stays_bounded_when_the_consumer_is_slow() -> None:
    node = FakeNode([])
    chunks = iter_log_chunks(
        node,
        [LogFilter((ADDRESSES[0],))],
        0,
        1_000_000,
        sizer=RangeSizer(10, maximum=10),
        concurrency=4,
        max_in_flight_chunks=5,
    )
    next(chunks)
    # Give the workers time to run ahead: they must stop at the buffer bound.
    threading.Event().wait(0.2)
    assert node.requests <= 1 + 5
    chunks.close()


def test_no_filters_is_an_error() -> None:
    with pytest.raises(ValueError):
        list(iter_log_chunks(FakeNode([]), [], 0, 10))


def test_empty_range_yields_nothing() -> None:
    assert list(iter_log_chunks(FakeNode([]), [LogFilter(())], 10, 9)) == []
