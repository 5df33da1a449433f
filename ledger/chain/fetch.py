"""Adaptive, concurrent ``eth_getLogs`` backfill over a block range.

    filters = [LogFilter(address=(market,), topics=((TRADE, ASK_NEW),))]
    for chunk in iter_log_chunks(client, filters, start, finalized, concurrency=8):
        store(chunk.logs)                     # every filter's logs of chunk's blocks
        save_cursor(chunk.to_block)

Chunks come out contiguous and in block order, each block in exactly one chunk, however the
requests finish. A chunk is yielded only when every filter's request for its blocks succeeded;
its logs are merged, deduplicated by (blockHash, logIndex) and sorted by (blockNumber, logIndex).

The block span of a request comes from a shared :class:`RangeSizer`: it takes a provider's
suggested range or stated cap from a :class:`~ledger.chain.rpc.LogRangeError` (the cap becomes
a ceiling), halves on refusals it cannot read, and grows geometrically while answers are sparse.
A refused request is cut down and retried; the rest of its range is fetched as a new chunk.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.chain.rpc import LogRangeError

__all__ = ["LogChunk", "LogFilter", "LogSource", "RangeSizer", "iter_log_chunks"]


class LogSource(Protocol):
    """What the backfill needs from a client (``RpcClient`` or a test double)."""

    def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        address: Sequence[str],
        topics: Sequence[Sequence[str] | None],
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class LogFilter:
    """One ``eth_getLogs`` filter: any of ``address``; per topic position any of the values
    (None matches anything), as the JSON-RPC method reads them."""

    address: tuple[str, ...]
    topics: tuple[tuple[str, ...] | None, ...] = ()


@dataclass(frozen=True)
class LogChunk:
    """Every filter's logs of blocks [from_block, to_block], deduplicated and in chain order."""

    from_block: int
    to_block: int
    logs: list[dict[str, Any]]


class RangeSizer:
    """The block span of the next ``eth_getLogs`` request; shared by threads, thread-safe.

    Grows by ``grow_factor`` after a full-size answer with at most half ``target_logs`` logs,
    up to the ceiling. On a refusal it moves to the provider's suggested range, or to its stated
    cap (which also becomes the ceiling for good), or else halves and stays there until
    ``probe_after`` full-size answers in a row have come back before growing again; each failed
    probe doubles that wait, so an unreadable fixed cap costs few wasted requests.
    """

    def __init__(
        self,
        initial: int = 1_000,
        *,
        minimum: int = 1,
        maximum: int = 1_000_000,
        target_logs: int = 1_000,
        grow_factor: float = 2.0,
        probe_after: int = 8,
    ) -> None:
        if not 1 <= minimum <= initial <= maximum:
            raise ValueError("need 1 <= minimum <= initial <= maximum")
        if grow_factor <= 1.0:
            raise ValueError("grow_factor must be above 1")
        self.minimum = minimum
        self.maximum = maximum
        self.target_logs = target_logs
        self.grow_factor = grow_factor
        self.refusals = 0
        self._size = initial
        self._ceiling = maximum
        self._hold_at: int | None = None  # no growth past this after an unreadable refusal
        self._probe_after = probe_after
        self._probing_above: int | None = None  # growing past a hold that was just lifted
        self._streak = 0  # full-size answers since the last refusal
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    @property
    def ceiling(self) -> int:
        """The most blocks per request: ``maximum`` or the lowest cap a provider stated."""
        return self._ceiling

    def observe_success(self, span: int, log_count: int) -> None:
        """Record an answer of ``log_count`` logs for a request of ``span`` blocks."""
        with self._lock:
            if log_count > 2 * self.target_logs:  # dense: keep chunks (and memory) modest
                dense = max(self.minimum, span * self.target_logs // log_count)
                self._size = min(self._size, dense)
                return
            if span < self._size:  # a tail or an older, smaller request says little
                return
            self._streak += 1
            if self._probing_above is not None and span > self._probing_above:
                self._probing_above = None  # the probe worked
            if (
                self._hold_at is not None
                and self._size >= self._hold_at
                and self._streak >= self._probe_after
            ):
                self._probing_above, self._hold_at = self._hold_at, None
            if 2 * log_count > self.target_logs:
                return
            limit = self._ceiling if self._hold_at is None else self._hold_at
            grown = min(math.ceil(self._size * self.grow_factor), limit)
            self._size = max(self._size, grown)

    def observe_refusal(self, span: int, error: LogRangeError) -> int:
        """Record that a request of ``span`` blocks was refused; return the span to retry with.

        The returned span is below ``span`` unless ``span`` is already ``minimum``.
        """
        with self._lock:
            self.refusals += 1
            self._streak = 0
            if error.max_range is not None:
                self._ceiling = max(self.minimum, min(self._ceiling, error.max_range))
            retry: int | None = None
            if error.suggested_range is not None:
                low, high = error.suggested_range
                if 1 <= high - low + 1 < span:
                    retry = high - low + 1
            if retry is None and error.max_range is not None and error.max_range < span:
                retry = error.max_range
            is_unreadable = retry is None
            # Another thread may have shrunk the size already: start from there.
            retry = max(self.minimum, min(retry or span // 2, self._size, self._ceiling, span - 1))
            if is_unreadable:
                if self._probing_above is not None:
                    self._probe_after = min(self._probe_after * 2, 1024)  # the probe failed
                    self._probing_above = None
                self._hold_at = retry if self._hold_at is None else min(self._hold_at, retry)
            self._size = max(self.minimum, min(self._size, retry))
            return retry


class _Stopped(Exception):
    """Internal: the consumer closed the iterator; abandon the range."""


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _fetch_range(
    client: LogSource,
    filters: Sequence[LogFilter],
    low: int,
    high: int,
    sizer: RangeSizer,
    stop: threading.Event,
) -> LogChunk:
    """Every filter's logs from ``low`` up to ``high`` or less (when refused, the span shrinks).

    Raises LogRangeError when even one block is refused, and whatever the client raises.
    """
    end = high
    answers: list[list[dict[str, Any]]] = []
    for log_filter in filters:
        while True:
            if stop.is_set():
                raise _Stopped
            try:
                logs = client.fetch_logs(low, end, log_filter.address, log_filter.topics)
                break
            except LogRangeError as error:
                span = end - low + 1
                if span <= 1:
                    raise
                end = low + sizer.observe_refusal(span, error) - 1
        answers.append(logs)
    unique: dict[tuple[Any, int], dict[str, Any]] = {}
    largest = 0
    for logs in answers:
        largest = max(largest, len(logs))
        for log in logs:
            # Earlier answers may cover more blocks than the final span; a provider's
            # stray log outside the requested range is also left for the chunk it belongs to.
            if low <= _int(log["blockNumber"]) <= end:
                unique.setdefault((log.get("blockHash"), _int(log["logIndex"])), log)
    merged = sorted(unique.values(), key=lambda x: (_int(x["blockNumber"]), _int(x["logIndex"])))
    sizer.observe_success(end - low + 1, largest)
    return LogChunk(low, end, merged)


def iter_log_chunks(
    client: LogSource,
    filters: Sequence[LogFilter],
    from_block: int,
    to_block: int,
    *,
    sizer: RangeSizer | None = None,
    concurrency: int = 4,
    max_in_flight_chunks: int | None = None,
) -> Iterator[LogChunk]:
    """Yield :class:`LogChunk` s covering [from_block, to_block] exactly once, in block order.

    At most ``concurrency`` requests are in flight, and at most ``max_in_flight_chunks``
    (default twice ``concurrency``) chunks are fetched or finished ahead of the consumer.
    Closing the iterator cancels the work not yet started and waits for the requests under
    way. Raises ValueError without filters; LogRangeError if a single block is refused;
    RpcError, RpcUnavailableError and BlockNotReachedError from the client, after every chunk
    before the failing range has been yielded.
    """
    if not filters:
        raise ValueError("iter_log_chunks needs at least one filter")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if from_block > to_block:
        return
    sizer = sizer or RangeSizer()
    max_chunks = max(1, max_in_flight_chunks or 2 * concurrency)
    todo: list[tuple[int, int]] = [(from_block, to_block)]  # disjoint ranges, lowest first
    in_flight: dict[Future[LogChunk], tuple[int, int]] = {}  # the range each one was given
    finished: dict[int, LogChunk | BaseException] = {}  # by from_block, not yet yielded
    failed_at: int | None = None  # lowest range that raised: nothing above it is started
    next_from = from_block
    # Slow start, as TCP does: a range longer than any answered so far goes out alone (the
    # others at the longest answered length), so a history that turns dense never has
    # `concurrency` oversized answers in memory at once. The first request is such a probe.
    answered_span = 0
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="getlogs")
    try:
        while next_from <= to_block:
            ready = finished.pop(next_from, None)
            if isinstance(ready, BaseException):
                raise ready
            if ready is not None:
                next_from = ready.to_block + 1
                yield ready
                continue
            while todo and len(in_flight) < concurrency:
                low, high = todo[0]
                is_next = low == next_from  # always start what the consumer waits for
                if failed_at is not None and low >= failed_at:
                    break
                if not is_next and len(in_flight) + len(finished) >= max_chunks:
                    break
                span = sizer.size
                if span > answered_span and any(
                    hi - lo + 1 > answered_span for lo, hi in in_flight.values()
                ):
                    if answered_span == 0:
                        break  # the first probe is out: wait for it
                    span = answered_span
                heapq.heappop(todo)
                end = min(high, low + span - 1)
                if end < high:
                    heapq.heappush(todo, (end + 1, high))
                future = pool.submit(_fetch_range, client, filters, low, end, sizer, stop)
                in_flight[future] = (low, end)
            if not in_flight:  # pragma: no cover - the range holding next_from is always runnable
                raise RuntimeError(f"backfill stalled at block {next_from}")
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                low, high = in_flight.pop(future)
                error = future.exception()
                if error is not None:
                    finished[low] = error
                    failed_at = low if failed_at is None else min(failed_at, low)
                    continue
                chunk = future.result()
                answered_span = max(answered_span, chunk.to_block - chunk.from_block + 1)
                finished[low] = chunk
                if chunk.to_block < high:  # refused and cut short: the rest is a new range
                    heapq.heappush(todo, (chunk.to_block + 1, high))
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
