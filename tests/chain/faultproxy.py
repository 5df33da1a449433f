"""A seeded, reproducible fault-injecting JSON-RPC proxy in front of a real node (anvil).

    with FaultProxy(node.url, seed=7, rates=FaultRates(reset=0.05), max_range=16) as proxy:
        client = RpcClient([proxy.url])
        ...
        proxy.faults   # Counter of what was injected, per kind

What it does to the requests it forwards:

- transport faults, drawn per request with the given rates: ``timeout`` (stalls ``stall_s``,
  longer than the client's timeout, then drops the connection), ``http_429`` (with
  ``Retry-After``), ``http_502``, ``http_503``, ``reset`` (closes the socket with an RST and no
  reply), ``truncated`` (half the JSON body, with a matching Content-Length) and
  ``rpc_transient`` (a JSON-RPC rate-limit or "header not found" error);
- ``eth_getLogs`` refusals: wider than ``max_range`` blocks (``range_limit``), or more than
  ``max_results`` logs (``result_limit``), each in a real provider's wording or an unknown one
  (``wording``: "real", "unknown" or "mixed");
- ``latency_s``: every request waits this long first, as across a network to a provider;
- ``lag_blocks``: a lagging endpoint. Its head, ``latest``, ``finalized`` and ``safe`` are that
  many blocks behind; later blocks are ``null`` and ``eth_getLogs`` stops at its head silently,
  as a node that is behind does;
- every block it returns carries a BSC-style 97-byte ``extraData``.

Faults are drawn from a ``random.Random`` keyed by (seed, method, params, how many times that
exact request was seen), so thread scheduling does not change which request fails. The seed is
printed; set FAULT_SEED to replay one. ``script`` forces the first faults in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import struct
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

# BSC headers: 32 bytes of vanity, 65 bytes of seal (and more since Luban; 97 is the floor).
BSC_EXTRA_DATA = (
    "0x" + "d883010202846765746888676f312e32302e38856c696e7578000000b19df4a2" + "ab" * 65
)
TRANSPORT_FAULTS = ("timeout", "http_429", "http_502", "http_503", "reset", "truncated")
ALCHEMY_SIZE = (
    "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
    "and no limit on the response size, or you can request any block range with a cap of 10K "
    "logs in the response. Based on your parameters, this block range should work: [{lo}, {hi}]"
)


@dataclass(frozen=True)
class FaultRates:
    """Probability of each fault per request (they add up; the rest pass)."""

    timeout: float = 0.0
    http_429: float = 0.0
    http_502: float = 0.0
    http_503: float = 0.0
    reset: float = 0.0
    truncated: float = 0.0
    rpc_transient: float = 0.0

    @classmethod
    def heavy(cls) -> FaultRates:
        return cls(0.03, 0.05, 0.04, 0.04, 0.05, 0.05, 0.05)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so resets hit pooled connections
    disable_nagle_algorithm = True  # else each reply waits ~40 ms for a delayed ACK
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.proxy._handle(self, body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        *,
        seed: int | None = None,
        rates: FaultRates | None = None,
        stall_s: float = 1.0,
        retry_after_s: int = 1,
        max_range: int | None = None,
        max_results: int | None = None,
        wording: str = "mixed",
        lag_blocks: int = 0,
        latency_s: float = 0.0,
        script: Sequence[str] = (),
        name: str = "proxy",
    ) -> None:
        env_seed = os.environ.get("FAULT_SEED")
        if env_seed:
            seed = int(env_seed)
        elif seed is None:
            seed = random.SystemRandom().randrange(2**32)
        self.seed = seed
        self.upstream = upstream
        self.rates = rates or FaultRates()
        self.stall_s = stall_s
        self.retry_after_s = retry_after_s
        self.max_range = max_range
        self.max_results = max_results
        self.wording = wording
        self.lag_blocks = lag_blocks
        self.latency_s = latency_s
        self.name = name
        self.faults: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._script = deque(script)
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultProxy:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        print(f"fault proxy {self.name}: seed={self.seed} (FAULT_SEED={self.seed} replays it)")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    # ------------------------------------------------------------------ decisions

    def _rng_for(self, method: str, params: Any) -> random.Random:
        key = json.dumps([method, params], sort_keys=True)
        with self._lock:
            self._seen[key] += 1
            n = self._seen[key]
            self.requests[method] += 1
        return random.Random(f"{self.seed}|{key}|{n}")

    def _pick_fault(self, rng: random.Random) -> str | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
        draw = rng.random()
        for field in fields(self.rates):
            rate = getattr(self.rates, field.name)
            if draw < rate:
                return field.name
            draw -= rate
        return None

    def _count(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def _is_real_wording(self, rng: random.Random) -> bool:
        if self.wording == "mixed":
            return rng.random() < 0.7
        return self.wording == "real"

    # ------------------------------------------------------------------ upstream

    def _upstream_raw(self, body: bytes) -> bytes:
        request = urllib.request.Request(
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data: bytes = response.read()
            return data

    def _upstream(self, method: str, params: list[Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        reply = json.loads(self._upstream_raw(body.encode()))
        if "error" in reply:
            raise RuntimeError(f"upstream {method}: {reply['error']}")
        return reply["result"]

    def _head(self) -> int:
        real = int(self._upstream("eth_blockNumber", []), 16)
        return max(0, real - self.lag_blocks)

    # ------------------------------------------------------------------ handling

    def _handle(self, handler: _Handler, body: bytes) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):  # batches and garbage pass through untouched
            self._reply(handler, 200, self._upstream_raw(body))
            return
        method = str(payload.get("method"))
        params = payload.get("params") or []
        rng = self._rng_for(method, params)
        fault = self._pick_fault(rng)
        if fault is not None and fault != "truncated":
            self._count(fault)
        if fault == "timeout":
            time.sleep(self.stall_s)
            self._drop(handler)
            return
        if fault == "reset":
            self._drop(handler)
            return
        if fault == "http_429":
            headers = {"Retry-After": str(self.retry_after_s)}
            self._reply(handler, 429, b"Too Many Requests", headers, "text/plain")
            return
        if fault in ("http_502", "http_503"):
            text = b"Bad Gateway" if fault == "http_502" else b"Service Unavailable"
            self._reply(handler, int(fault[-3:]), text, content_type="text/plain")
            return
        if fault == "rpc_transient":
            code, message = rng.choice(
                [
                    (-32005, "request rate exceeded"),
                    (429, "Your app has exceeded its compute units per second capacity"),
                    (-32000, "header not found"),
                ]
            )
            self._reply_error(handler, payload, code, message)
            return
        status, reply, refusal = self._answer(payload, method, params, rng)
        if fault == "truncated":
            self._count("truncated")  # the client never reads a refusal it may carry
            reply = reply[: len(reply) // 2]
        elif refusal is not None:
            self._count(refusal)
        self._reply(handler, status, reply)

    def _answer(
        self, payload: dict[str, Any], method: str, params: list[Any], rng: random.Random
    ) -> tuple[int, bytes, str | None]:
        """The node's answer, with range refusals, lag and BSC extraData applied, and the kind
        of refusal it is, if it is one."""
        if method == "eth_getLogs" and params and isinstance(params[0], dict):
            return self._get_logs(payload, params[0], rng)
        if method == "eth_blockNumber" and self.lag_blocks:
            self._count("lagging")
            return 200, self._result(payload, hex(self._head())), None
        if method == "eth_getBlockByNumber" and self.lag_blocks and params:
            tag = params[0]
            head = self._head()
            if tag in ("latest", "pending"):
                number = head
            elif tag in ("finalized", "safe"):
                real = self._upstream("eth_getBlockByNumber", [tag, False])
                number = max(0, int(real["number"], 16) - self.lag_blocks)
            elif tag == "earliest":
                number = 0
            else:
                number = int(tag, 16)
            self._count("lagging")
            if number > head:
                return 200, self._result(payload, None), None
            params = [hex(number), *params[1:]]
            payload = {**payload, "params": params}
        reply = json.loads(self._upstream_raw(json.dumps(payload).encode()))
        result = reply.get("result")
        if isinstance(result, dict) and "extraData" in result:
            result["extraData"] = BSC_EXTRA_DATA
        return 200, json.dumps(reply).encode(), None

    def _get_logs(
        self, payload: dict[str, Any], criteria: dict[str, Any], rng: random.Random
    ) -> tuple[int, bytes, str | None]:
        head = self._head()
        low = self._block(criteria.get("fromBlock", "latest"), head)
        high = self._block(criteria.get("toBlock", "latest"), head)
        span = high - low + 1
        if self.max_range is not None and span > self.max_range:
            return (*self._range_refusal(payload, low, span, rng), "range_limit")
        if self.lag_blocks:
            if low > head:
                return 200, self._result(payload, []), None
            criteria = {**criteria, "toBlock": hex(min(high, head))}
        logs = self._upstream("eth_getLogs", [criteria])
        if self.max_results is not None and len(logs) > self.max_results:
            end = max(low, int(logs[self.max_results]["blockNumber"], 16) - 1)
            return (*self._result_refusal(payload, low, end, rng), "result_limit")
        return 200, self._result(payload, logs), None

    @staticmethod
    def _block(value: Any, head: int) -> int:
        if value in ("latest", "pending", "finalized", "safe"):
            return head
        if value == "earliest":
            return 0
        return int(value, 16)

    def _range_refusal(
        self, payload: dict[str, Any], low: int, span: int, rng: random.Random
    ) -> tuple[int, bytes]:
        cap = self.max_range or 1
        if not self._is_real_wording(rng):
            return 200, self._error(payload, -32000, "requested block span is over our quota")
        choice = rng.randrange(5)
        if choice == 0:  # BSC nodes
            return 200, self._error(payload, -32000, f"exceed maximum block range: {cap}")
        if choice == 1:  # QuickNode, sent with HTTP 413
            return 413, self._error(payload, -32614, f"eth_getLogs is limited to a {cap:,} range")
        if choice == 2:  # Infura live
            return 200, self._error(payload, -32602, f"range {span} exceeds limit of {cap}")
        if choice == 3:  # Alchemy
            message = (
                f"You can make eth_getLogs requests with up to a {cap} block range. Based on "
                f"your parameters, this block range should work: [{hex(low)}, {hex(low + cap - 1)}]"
            )
            return 200, self._error(payload, -32600, message)
        return 200, self._error(payload, -32600, "block range is too wide")  # Ankr

    def _result_refusal(
        self, payload: dict[str, Any], low: int, end: int, rng: random.Random
    ) -> tuple[int, bytes]:
        n = self.max_results
        if not self._is_real_wording(rng):
            return 200, self._error(payload, -32000, "answer exceeds what we send")
        choice = rng.randrange(3)
        if choice == 0:  # Infura
            message = (
                f"query returned more than {n} results. "
                f"Try with this block range [{hex(low)}, {hex(end)}]."
            )
            return 200, self._error(payload, -32005, message)
        if choice == 1:  # Alchemy; its "2K block range" becomes the client's ceiling
            message = ALCHEMY_SIZE.format(lo=hex(low), hi=hex(end))
            return 200, self._error(payload, -32602, message)
        return 200, self._error(payload, -32000, f"logs matched by query exceeds limit of {n}")

    # ------------------------------------------------------------------ wire

    @staticmethod
    def _result(payload: dict[str, Any], result: Any) -> bytes:
        reply = {"jsonrpc": "2.0", "id": payload.get("id"), "result": result}
        return json.dumps(reply).encode()

    @staticmethod
    def _error(payload: dict[str, Any], code: int, message: str) -> bytes:
        error = {"code": code, "message": message}
        return json.dumps({"jsonrpc": "2.0", "id": payload.get("id"), "error": error}).encode()

    def _reply_error(
        self, handler: _Handler, payload: dict[str, Any], code: int, message: str
    ) -> None:
        self._reply(handler, 200, self._error(payload, code, message))

    @staticmethod
    def _reply(
        handler: _Handler,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        with contextlib.suppress(OSError):
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body)

    @staticmethod
    def _drop(handler: _Handler) -> None:
        """Close the connection with an RST and no reply."""
        with contextlib.suppress(OSError):
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        handler.close_connection = True
