"""A raw JSON-RPC client for one chain behind several endpoint URLs.

    with RpcClient(["https://a.example", "https://b.example"]) as client:
        head = client.fetch_block_header("finalized")
        logs = client.fetch_logs(100, 199, [market], [[TRADE]])

Results come back as the node sent them (hex strings, no web3 formatters). Every request is
retried with exponential backoff and jitter on transport faults (timeouts, resets, HTTP 429 and
5xx, truncated or malformed bodies) and on JSON-RPC errors that read as transient (rate limits,
"header not found"); after ``failover_after`` failures in a row the client moves on to the next
URL, and an endpoint that keeps failing sits out a short cool-down. After ``max_attempts``
attempts in all, :class:`RpcUnavailableError` carries the last cause. Other JSON-RPC errors raise
:class:`RpcError` at once; an ``eth_getLogs`` refusal of its block range or result size raises
:class:`LogRangeError`, with the provider's suggested range or stated cap when the message has
one (see :func:`classify_rpc_error` and docs/sync.md).

Requests that name a block (``fetch_logs``, ``fetch_block_header`` by number) only go to an
endpoint whose head has reached that block: a lagging node answers such queries with fewer logs
or ``null`` instead of an error, so the client checks the endpoint's ``eth_blockNumber`` first
(once per endpoint while its known head is high enough) and fails over when it lags; when no
endpoint has reached the block, ``fetch_logs`` raises :class:`BlockNotReachedError` and
``fetch_block_header`` returns None.

The client is thread-safe: each thread gets its own pooled ``requests.Session``.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import requests
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from ledger.errors import LedgerError

__all__ = [
    "BlockHeader",
    "BlockNotReachedError",
    "LogRangeError",
    "RpcClient",
    "RpcError",
    "RpcStats",
    "RpcUnavailableError",
    "classify_rpc_error",
    "make_web3",
]

_TAGS = frozenset({"latest", "finalized", "safe", "earliest", "pending"})


# ------------------------------------------------------------------------------ errors


class RpcError(LedgerError):
    """The node answered a JSON-RPC error that retrying the same request will not cure."""

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        detail = f" ({data})" if data not in (None, "") else ""
        super().__init__(f"{method}: JSON-RPC error {code}: {message}{detail}")


class LogRangeError(RpcError):
    """``eth_getLogs`` refused the block range or the size of its answer.

    ``suggested_range`` is the (from, to) block range the provider proposed, ``max_range`` the
    most blocks per request it stated (a ceiling), ``kind`` whether it named the block span
    ("range"), the result size ("results"), or neither ("unknown", the generic fallback).
    """

    def __init__(
        self,
        method: str,
        code: int | None,
        message: str,
        data: Any = None,
        *,
        kind: Literal["range", "results", "unknown"] = "unknown",
        suggested_range: tuple[int, int] | None = None,
        max_range: int | None = None,
    ) -> None:
        super().__init__(method, code, message, data)
        self.kind = kind
        self.suggested_range = suggested_range
        self.max_range = max_range

    @property
    def suggested_to_block(self) -> int | None:
        return None if self.suggested_range is None else self.suggested_range[1]


class RpcUnavailableError(LedgerError):
    """No endpoint gave a usable answer within the attempt budget.

    ``__cause__`` is the last fault (timeout, reset, HTTP status, malformed body, lagging head).
    """


class BlockNotReachedError(LedgerError):
    """No endpoint's head has reached the block a request names (asked too early, or all lag)."""

    def __init__(self, block: int, highest_head: int) -> None:
        self.block = block
        self.highest_head = highest_head
        super().__init__(f"no endpoint has reached block {block} (highest head {highest_head})")


class _Transient(Exception):
    """Internal: one attempt failed in a way worth retrying; ``kind`` names the fault."""

    def __init__(
        self, kind: str, detail: str, *, retry_after_s: float | None = None, url: str = ""
    ) -> None:
        super().__init__(f"{kind} from {url}: {detail}" if url else f"{kind}: {detail}")
        self.kind = kind
        self.retry_after_s = retry_after_s
        self.is_refused = False


# ------------------------------------------------------------------ error classification

_HEX_RANGE = r"\[\s*0x([0-9a-fA-F]+)\s*,\s*0x([0-9a-fA-F]+)\s*\]"
# Provider suggests a concrete range: Infura/thirdweb/zkSync ("Try with this block range
# [0x.., 0x..]") and Alchemy ("this block range should work: [0x.., 0x..]").
_SUGGESTED = re.compile(
    r"(?:try with this block range|this block range should work:?)\s*" + _HEX_RANGE, re.IGNORECASE
)
_NUM = r"(\d[\d,._]*)\s*(k)?"
# Provider states how many blocks a request may span. Each pattern's first group is the cap.
_CAPS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"exceed(?:s|ed)? maximum block range:?\s*" + _NUM,  # BSC/geth forks: "... range: 5000"
        r"maximum block range:?\s*" + _NUM,  # publicnode
        r"max(?:imum)? block range\s*(?:=|is|of)?\s*" + _NUM,  # "..., max block range = 5000"
        r"limited to an? " + _NUM + r"\s*(?:block)?\s*range",  # QuickNode "a 10,000 range"
        r"limited to " + _NUM + r"\s*blocks?",  # BlockPI
        # Infura's -32602 "range N exceeds limit of 10000", thirdweb's "range limit 2000"
        r"range \d+ (?:exceeds limit of|is bigger than range limit)\s*" + _NUM,
        r"max range:\s*" + _NUM,  # Cloudflare "Max range: 800"
        r"up to an? " + _NUM + r"\s*block range",  # Alchemy "up to a 2K block range"
        r"at most " + _NUM + r"\s*blocks",  # Coinbase "limit the query to at most N blocks"
        r"range allowed for your plan \(\d+ > " + _NUM + r"\)",  # Blast
        r"query exceeds max block range " + _NUM,  # Hyperliquid
    )
]
# Wordings that name the span of blocks without a number.
_RANGE_WORDS = re.compile(
    r"block range|range (?:is )?too (?:wide|large|big|high)|range limit|too many blocks"
    r"|range exceeds|exceeds? (?:the )?(?:maximum|max) range",
    re.IGNORECASE,
)
# Wordings that name the size of the answer.
_RESULT_WORDS = re.compile(
    r"more than \d[\d,]* results|too many (?:results|logs)|response size|response too large"
    r"|exceeds max results|logs matched by query exceeds|result(?:s)? (?:limit|set too large)"
    r"|query timeout exceeded|log response size",
    re.IGNORECASE,
)
# Rate limits and node hiccups: retry the same request (possibly elsewhere).
_TRANSIENT_WORDS = re.compile(
    r"rate.?limit|too many requests|request rate|requests? per second|daily request count"
    r"|compute units|capacity|throttl|try again|temporar|unavailable|overload|busy"
    r"|header not found|timed? ?out|upstream|bad gateway|gateway timeout|connection reset"
    r"|internal server error|no healthy|not synced|syncing",
    re.IGNORECASE,
)
# The generic fallback: on eth_getLogs, anything range- or size-like is a range refusal.
_GENERIC_RANGE_WORDS = re.compile(
    r"range|block|limit|exceed|too many|too large|results|size|logs", re.IGNORECASE
)
_TRANSIENT_CODES = frozenset({429, -32005, -32016, -32603})


def _number(digits: str, kilo: str | None) -> int:
    value = int(re.sub(r"[,._]", "", digits))
    return value * 1000 if kilo else value


def _error_text(message: str, data: Any) -> str:
    if data is None or data == "":
        return message
    return f"{message} {data if isinstance(data, str) else json.dumps(data, default=str)}"


def classify_rpc_error(
    method: str, code: int | None, message: str, data: Any = None
) -> RpcError | None:
    """Turn a JSON-RPC error into the error to raise, or None when it is worth retrying.

    Order matters: a provider's explicit range wording wins, then rate-limit and hiccup
    wordings (retried), then, for ``eth_getLogs`` only, the generic fallback that treats any
    range- or size-like message as a range refusal. Pure; raises nothing.
    """
    text = _error_text(message, data)
    if method == "eth_getLogs":
        suggested = _SUGGESTED.search(text)
        cap = next((m for p in _CAPS if (m := p.search(text)) is not None), None)
        is_results = _RESULT_WORDS.search(text) is not None
        if suggested or cap or is_results or _RANGE_WORDS.search(text):
            return LogRangeError(
                method,
                code,
                message,
                data,
                kind="results" if is_results else "range",
                suggested_range=(
                    (int(suggested.group(1), 16), int(suggested.group(2), 16))
                    if suggested
                    else None
                ),
                # A result-size refusal (Alchemy) may also name a block span that would be
                # unlimited; that span is still the safe ceiling for this provider.
                max_range=_number(cap.group(1), cap.group(2)) if cap else None,
            )
    if code == 429 or (code in _TRANSIENT_CODES and method != "eth_getLogs"):
        return None
    if _TRANSIENT_WORDS.search(text):
        return None
    if method == "eth_getLogs" and (
        code == -32005 or _GENERIC_RANGE_WORDS.search(text) is not None
    ):
        return LogRangeError(method, code, message, data, kind="unknown")
    return RpcError(method, code, message, data)


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The header fields the sync needs; BSC's long ``extraData`` is never read."""

    number: int
    hash: str  # lower-case 0x hex
    parent_hash: str  # lower-case 0x hex
    timestamp: int  # seconds; consecutive BSC blocks can share one


@dataclass
class RpcStats:
    """Counters for progress displays and benchmarks; read them, do not write them."""

    calls: int = 0  # request() calls
    requests: int = 0  # HTTP requests sent, retries and head checks included
    retries: int = 0  # attempts after the first, over all calls
    failovers: int = 0  # moves to another endpoint
    cooldowns: int = 0  # times an endpoint was benched
    range_errors: int = 0  # LogRangeError raised
    head_checks: int = 0  # eth_blockNumber sent to see whether an endpoint lags
    faults: Counter[str] = field(default_factory=Counter)  # per fault kind
    by_method: Counter[str] = field(default_factory=Counter)  # HTTP requests per method

    def copy(self) -> RpcStats:
        return RpcStats(
            calls=self.calls,
            requests=self.requests,
            retries=self.retries,
            failovers=self.failovers,
            cooldowns=self.cooldowns,
            range_errors=self.range_errors,
            head_checks=self.head_checks,
            faults=Counter(self.faults),
            by_method=Counter(self.by_method),
        )


@dataclass
class _Endpoint:
    url: str
    failures: int = 0  # consecutive
    cooldown_until: float = 0.0
    refused_at: float = -1e18  # last refused connection: down, not busy
    head: int = -1  # highest eth_blockNumber seen
    head_checked_at: float = -1e18
    head_lock: threading.Lock = field(default_factory=threading.Lock)  # one check at a time


# ------------------------------------------------------------------------------ client


class RpcClient:
    """JSON-RPC over HTTP to one chain through several endpoint URLs; thread-safe."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout_s: float = 15.0,
        max_attempts: int = 8,
        backoff_initial_s: float = 0.125,
        backoff_max_s: float = 10.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        failover_after: int = 2,
        cooldown_after: int = 4,
        cooldown_s: float = 5.0,
        head_recheck_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("RpcClient needs at least one URL")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.failover_after = failover_after
        self.cooldown_after = cooldown_after
        self.cooldown_s = cooldown_s
        self.head_recheck_s = head_recheck_s
        self.stats = RpcStats()
        self._endpoints = [_Endpoint(url) for url in urls]
        self._preferred = 0
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(e.url for e in self._endpoints)

    def get_stats(self) -> RpcStats:
        """A consistent copy of :attr:`stats` (the live object changes under other threads)."""
        with self._lock:
            return self.stats.copy()

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close every thread's HTTP session."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Content-Type"] = "application/json"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    # ------------------------------------------------------------------ core

    def request(self, method: str, params: Sequence[Any], *, min_block: int | None = None) -> Any:
        """Send one JSON-RPC call, retrying and failing over; return its ``result``.

        With ``min_block``, only endpoints whose head has reached that block are asked, and
        BlockNotReachedError is raised when none has. Raises RpcError (LogRangeError for a
        refused ``eth_getLogs``) for an error the node means, RpcUnavailableError when
        ``max_attempts`` attempts all failed.
        """
        with self._lock:
            self.stats.calls += 1
        last: _Transient | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                with self._lock:
                    self.stats.retries += 1
                self._sleep(self._delay(attempt, last))
            endpoint = self._choose(min_block)
            try:
                if min_block is not None:
                    self._require_head(endpoint, min_block)
                result = self._send(endpoint, method, list(params))
            except _Transient as fault:
                last = fault
                self._record_failure(endpoint, fault)
                if fault.kind == "lagging" and min_block is not None:
                    self._raise_if_none_reached(min_block)
                continue
            except RpcError as error:
                self._record_success(endpoint)
                if isinstance(error, LogRangeError):
                    with self._lock:
                        self.stats.range_errors += 1
                raise
            self._record_success(endpoint)
            self._note_head(endpoint, method, params, result)
            return result
        raise RpcUnavailableError(
            f"{method}: no usable answer after {self.max_attempts} attempts; last: {last}"
        ) from last

    def _delay(self, attempt: int, last: _Transient | None) -> float:
        """Exponential backoff with equal jitter; a server's Retry-After wins, capped."""
        if last is not None and last.kind == "lagging":
            return 0.0  # nothing to wait for: the next attempt goes to another endpoint
        if last is not None and last.retry_after_s is not None:
            return min(max(last.retry_after_s, 0.0), self.backoff_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** (attempt - 1))
        with self._lock:
            jitter = self._rng.random()
        return ceiling / 2 + jitter * ceiling / 2

    def _choose(self, min_block: int | None) -> _Endpoint:
        """The preferred endpoint, or the next one that is neither benched nor known to lag."""
        now = self._clock()
        with self._lock:
            n = len(self._endpoints)
            order = [self._endpoints[(self._preferred + i) % n] for i in range(n)]

            def lags(e: _Endpoint) -> bool:
                return (
                    min_block is not None
                    and e.head < min_block
                    and now - e.head_checked_at < self.head_recheck_s
                )

            usable = [e for e in order if e.cooldown_until <= now and not lags(e)]
            if usable:
                return usable[0]
            fresh = [e for e in order if not lags(e)]
            if fresh:
                return min(fresh, key=lambda e: e.cooldown_until)
            return max(order, key=lambda e: e.head)

    def _note_head(
        self, endpoint: _Endpoint, method: str, params: Sequence[Any], result: Any
    ) -> None:
        """Learn an endpoint's head from answers that show it (so a block just seen as the
        head is not refused as unreached because the cached head check is recent)."""
        head: int | None = None
        if method == "eth_blockNumber" and isinstance(result, str):
            head = int(result, 16)
        elif (
            method == "eth_getBlockByNumber"
            and params
            and params[0] in ("latest", "finalized", "safe")
            and isinstance(result, dict)
            and isinstance(result.get("number"), str)
        ):
            head = int(result["number"], 16)
        if head is not None:
            with self._lock:
                if head > endpoint.head:
                    endpoint.head = head
                    endpoint.head_checked_at = self._clock()

    def _require_head(self, endpoint: _Endpoint, min_block: int) -> None:
        if endpoint.head >= min_block:
            return
        with endpoint.head_lock:  # threads arriving together share one eth_blockNumber
            is_stale = self._clock() - endpoint.head_checked_at >= self.head_recheck_s
            if endpoint.head < min_block and is_stale:
                head = int(self._send(endpoint, "eth_blockNumber", [], is_head_check=True), 16)
                with self._lock:
                    endpoint.head = max(endpoint.head, head)
                    endpoint.head_checked_at = self._clock()
                    self.stats.head_checks += 1
        if endpoint.head < min_block:
            raise _Transient(
                "lagging", f"head {endpoint.head} < block {min_block}", url=endpoint.url
            )

    def _raise_if_none_reached(self, min_block: int) -> None:
        """Raise BlockNotReachedError when every endpoint was just seen below ``min_block``."""
        now = self._clock()
        with self._lock:
            if all(
                e.head < min_block and now - e.head_checked_at < self.head_recheck_s
                for e in self._endpoints
            ):
                raise BlockNotReachedError(min_block, max(e.head for e in self._endpoints))

    def _record_failure(self, endpoint: _Endpoint, fault: _Transient) -> None:
        with self._lock:
            self.stats.faults[fault.kind] += 1
            if fault.kind == "lagging":  # behind, not broken: only move on
                if self._endpoints[self._preferred] is endpoint and len(self._endpoints) > 1:
                    self._preferred = (self._preferred + 1) % len(self._endpoints)
                    self.stats.failovers += 1
                return
            endpoint.failures += 1
            if fault.is_refused:
                endpoint.refused_at = self._clock()
            # A refused or reset connection means the endpoint is down, not busy: move at once.
            if fault.kind == "connection" or endpoint.failures % self.failover_after == 0:
                if len(self._endpoints) > 1 and self._endpoints[self._preferred] is endpoint:
                    self._preferred = (self._preferred + 1) % len(self._endpoints)
                    self.stats.failovers += 1
            if endpoint.failures >= self.cooldown_after:
                bench = min(self.cooldown_s * 2 ** (endpoint.failures - self.cooldown_after), 60.0)
                endpoint.cooldown_until = self._clock() + bench
                self.stats.cooldowns += 1

    def _record_success(self, endpoint: _Endpoint) -> None:
        with self._lock:
            endpoint.failures = 0
            endpoint.cooldown_until = 0.0

    def _send(
        self, endpoint: _Endpoint, method: str, params: list[Any], *, is_head_check: bool = False
    ) -> Any:
        """One HTTP round trip. Raises _Transient, or RpcError for a meant error."""
        request_id = next(self._ids)
        body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        with self._lock:
            self.stats.requests += 1
            self.stats.by_method[method] += 1
        url = endpoint.url
        try:
            response = self._session().post(url, data=body, timeout=self.timeout_s)
            content = response.content
        except requests.Timeout as exc:
            raise _Transient("timeout", str(exc), url=url) from exc
        except requests.ConnectionError as exc:
            fault = _Transient("connection", str(exc), url=url)
            # Refused (nothing listens: down) differs from reset (a busy or flaky peer).
            fault.is_refused = "refused" in str(exc).lower() or isinstance(
                exc.__context__, ConnectionRefusedError
            )
            raise fault from exc
        except requests.RequestException as exc:  # broken chunked body, bad encoding
            raise _Transient("truncated", str(exc), url=url) from exc
        try:
            reply = json.loads(content)
        except ValueError:
            reply = None
        if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            # Some providers send JSON-RPC errors with HTTP 4xx (QuickNode's 413): read them.
            error = reply["error"]
            code = error.get("code")
            error_message = str(error.get("message", ""))
            meant = classify_rpc_error(
                method, code if isinstance(code, int) else None, error_message, error.get("data")
            )
            if meant is None:
                raise _Transient("rpc_transient", f"{code}: {error_message}", url=url)
            if is_head_check:  # an endpoint that cannot tell its head is of no use here
                raise _Transient("rpc_error", str(meant), url=url)
            raise meant
        status = response.status_code
        if status == 429:
            raise _Transient(
                "http_429",
                "Too Many Requests",
                retry_after_s=_retry_after(response.headers.get("Retry-After")),
                url=url,
            )
        if status >= 500:
            raise _Transient("http_5xx", f"HTTP {status}", url=url)
        if status != 200:
            raise _Transient("http_status", f"HTTP {status}", url=url)
        if not isinstance(reply, dict) or "result" not in reply:
            raise _Transient("malformed", f"unreadable body of {len(content)} bytes", url=url)
        if reply.get("id") != request_id:
            raise _Transient("malformed", f"reply id {reply.get('id')!r}", url=url)
        return reply["result"]

    # ------------------------------------------------------------------ typed helpers

    def fetch_chain_id(self) -> int:
        """The chain id the endpoints answer. Raises RpcError, RpcUnavailableError."""
        return int(self.request("eth_chainId", []), 16)

    def fetch_block_number(self) -> int:
        """The head block number of whichever endpoint answered. Raises as :meth:`request`."""
        return int(self.request("eth_blockNumber", []), 16)

    def fetch_block_header(self, tag_or_number: int | str) -> BlockHeader | None:
        """A block's header by number or tag ("latest", "finalized", "safe"); None if unknown.

        A number beyond every endpoint's head gives None. Raises ValueError for an unknown
        tag, RpcError and RpcUnavailableError as :meth:`request`.
        """
        if isinstance(tag_or_number, int):
            try:
                raw = self.request(
                    "eth_getBlockByNumber", [hex(tag_or_number), False], min_block=tag_or_number
                )
            except BlockNotReachedError:
                return None
        elif tag_or_number in _TAGS:
            raw = None
            if tag_or_number in ("latest", "finalized", "safe") and len(self._endpoints) > 1:
                raw = self._freshest(tag_or_number)
            if raw is None:
                raw = self.request("eth_getBlockByNumber", [tag_or_number, False])
        else:
            raise ValueError(f"unknown block tag {tag_or_number!r}")
        if raw is None:
            return None
        return _header(raw)

    def _freshest(self, tag: str) -> Any:
        """The highest answer to a head tag among the endpoints: a load-balanced or lagging
        endpoint must not hold the sync behind the chain. An endpoint benched after transient
        faults is still asked (a head read is cheap, and skipping the healthy endpoint would
        leave a lagging one's lower answer to stand); the endpoint with the highest known head
        gets up to ``max_attempts`` tries, the others three (transient faults back off as in
        :meth:`request`). One that keeps failing is skipped and the answers already in hand
        stand; None when none answered."""
        best: Any = None
        with self._lock:
            highest = max(e.head for e in self._endpoints)
        for endpoint in self._endpoints:
            now = self._clock()
            if now - endpoint.refused_at < self.cooldown_s:
                continue  # its connection was just refused: down, not behind
            tries = self.max_attempts if endpoint.head >= highest else 3
            raw = None
            for attempt in range(1, tries + 1):
                try:
                    raw = self._send(endpoint, "eth_getBlockByNumber", [tag, False])
                    break
                except RpcError:
                    break
                except _Transient as fault:
                    self._record_failure(endpoint, fault)
                    with self._lock:
                        self.stats.retries += 1
                    if fault.is_refused:
                        break
                    self._sleep(self._delay(attempt, fault))
            if not isinstance(raw, dict) or not isinstance(raw.get("number"), str):
                continue
            self._note_head(endpoint, "eth_getBlockByNumber", [tag, False], raw)
            if best is None or int(raw["number"], 16) > int(best["number"], 16):
                best = raw
        return best

    def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        address: Sequence[str],
        topics: Sequence[Sequence[str] | None],
    ) -> list[dict[str, Any]]:
        """Raw ``eth_getLogs`` over [from_block, to_block], exactly as the node returned them.

        Only an endpoint whose head has reached ``to_block`` is asked (a node that is behind
        answers with fewer logs, not an error). Raises LogRangeError when the provider refuses
        the range or result size, BlockNotReachedError when no endpoint has reached
        ``to_block``, RpcError and RpcUnavailableError as :meth:`request`.
        """
        if from_block > to_block:
            raise ValueError(f"from_block {from_block} > to_block {to_block}")
        criteria: dict[str, Any] = {"fromBlock": hex(from_block), "toBlock": hex(to_block)}
        if address:
            criteria["address"] = list(address)
        if topics:
            criteria["topics"] = [None if t is None else list(t) for t in topics]
        logs = self.request("eth_getLogs", [criteria], min_block=to_block)
        if not isinstance(logs, list):
            raise RpcError("eth_getLogs", None, f"result is {type(logs).__name__}, not a list")
        return logs

    def fetch_transaction(self, tx_hash: str) -> dict[str, Any] | None:
        """The raw transaction, or None if unknown here. Raises as :meth:`request`."""
        result: dict[str, Any] | None = self.request("eth_getTransactionByHash", [tx_hash])
        return result

    def fetch_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        """The raw receipt, or None if not mined (or unknown here). Raises as :meth:`request`."""
        result: dict[str, Any] | None = self.request("eth_getTransactionReceipt", [tx_hash])
        return result


def _header(raw: Mapping[str, Any]) -> BlockHeader:
    return BlockHeader(
        number=int(raw["number"], 16),
        hash=str(raw["hash"]).lower(),
        parent_hash=str(raw["parentHash"]).lower(),
        timestamp=int(raw["timestamp"], 16),
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)  # display-only: a delay in seconds, never money
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def make_web3(url: str, *, timeout_s: float = 30.0) -> Web3:
    """A web3.py client for ``url`` that reads BSC blocks (POA middleware at layer 0).

    For code that wants web3's formatted objects; the sync's hot path uses :class:`RpcClient`.
    """
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout_s}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3
