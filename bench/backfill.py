"""Backfill a BSC-sized history through a simulated JSON-RPC endpoint with a range cap.

Run: .venv/bin/python bench/backfill.py [--blocks 50000000] [--latency-ms 50] [--concurrency 16]

A local HTTP server in a child process (so it has its own core and GIL) stands in for a BSC
node: ``--blocks`` blocks of history, ``eth_getLogs`` refused above ``--cap`` blocks with the
BSC node wording "exceed maximum block range: 5000", ``--latency-ms`` of sleep per request and a
few hundred matching logs spread deterministically. ``iter_log_chunks`` walks the whole history
with one filter, starting from ``--initial`` blocks a request, through the real ``RpcClient``.

Reports eth_getLogs requests against the minimum (ceil(blocks / cap)) and the time against the
lower bound (minimum requests x latency / concurrency). Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import multiprocessing
import platform
import random
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any

from ledger.chain.fetch import LogFilter, RangeSizer, iter_log_chunks
from ledger.chain.rpc import RpcClient

ADDRESS = "0x17539cca21c7933df5c980172d22659b8c345c5a"  # the PancakeSwap NFT market
TRADE = "0xdaac0e40b8f01e970d08d4e8ae57ac31a5845fffde104c43f05e19bbec78491e"


def event_blocks(blocks: int, events: int) -> list[int]:
    return sorted(random.Random(56).sample(range(blocks), min(events, blocks)))


def _log(block: int) -> dict[str, Any]:
    word = block.to_bytes(32, "big").hex()
    return {
        "address": ADDRESS,
        "topics": [TRADE, "0x" + word, "0x" + word, "0x" + word],
        "data": "0x" + "00" * 128,
        "blockNumber": hex(block),
        "blockHash": "0x" + word,
        "transactionHash": "0x" + word[::-1],
        "transactionIndex": "0x0",
        "logIndex": "0x0",
        "removed": False,
    }


def serve(blocks: int, events: int, cap: int, latency_s: float, conn: Connection) -> None:
    """The simulated node; sends its port through ``conn`` and serves until killed."""
    marks = event_blocks(blocks, events)
    head = hex(blocks - 1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without it the reply's body waits for the client's delayed ACK of the headers
        # (Nagle's algorithm): about 40 ms more per request.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(latency_s)
            method, params = request["method"], request.get("params") or []
            reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request["id"]}
            if method == "eth_blockNumber":
                reply["result"] = head
            elif method == "eth_chainId":
                reply["result"] = "0x38"
            elif method == "eth_getLogs":
                low, high = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
                if high - low + 1 > cap:
                    error = {"code": -32000, "message": f"exceed maximum block range: {cap}"}
                    reply["error"] = error
                else:
                    lo, hi = bisect.bisect_left(marks, low), bisect.bisect_right(marks, high)
                    reply["result"] = [_log(b) for b in marks[lo:hi]]
            else:
                reply["error"] = {"code": -32601, "message": f"the method {method} does not exist"}
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the default 5 drops SYNs when many workers connect at once

    server = Server(("127.0.0.1", 0), Handler)
    conn.send(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=50_000_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cap", type=int, default=5_000, help="the endpoint's range cap")
    parser.add_argument("--initial", type=int, default=1_000, help="first request's span")
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    latency_s = args.latency_ms / 1000
    server = context.Process(
        target=serve,
        args=(args.blocks, args.events, args.cap, latency_s, child),
        daemon=True,
    )
    server.start()
    try:
        if not parent.poll(30):
            raise SystemExit("the simulated node did not start")
        url = f"http://127.0.0.1:{parent.recv()}"
        print(f"simulated node {url}: {args.blocks:,} blocks, cap {args.cap:,} blocks/request,")
        print(
            f"  {args.latency_ms:g} ms a request, {args.events} logs; concurrency {args.concurrency}"
        )
        sizer = RangeSizer(initial=args.initial)
        log_filter = LogFilter(address=(ADDRESS,), topics=((TRADE,),))
        chunks = logs = 0
        next_report = 0.1
        started = time.perf_counter()
        with RpcClient([url], timeout_s=30.0) as client:
            for chunk in iter_log_chunks(
                client, [log_filter], 0, args.blocks - 1, sizer=sizer, concurrency=args.concurrency
            ):
                chunks += 1
                logs += len(chunk.logs)
                done = (chunk.to_block + 1) / args.blocks
                if done >= next_report:
                    elapsed = time.perf_counter() - started
                    print(f"  {done:4.0%}  block {chunk.to_block:>11,}  {elapsed:6.1f} s")
                    next_report += 0.1
            seconds = time.perf_counter() - started
            stats = client.get_stats()
    finally:
        server.kill()
        server.join(5)

    requests = stats.by_method["eth_getLogs"]
    min_requests = math.ceil(args.blocks / args.cap)
    lower_bound_s = min_requests * latency_s / args.concurrency
    expected_logs = len(event_blocks(args.blocks, args.events))
    if logs != expected_logs:
        raise SystemExit(f"got {logs} logs, expected {expected_logs}")
    print(
        f"eth_getLogs requests: {requests:,} (minimum {min_requests:,}, "
        f"{requests / min_requests:.3f}x; {stats.range_errors} refused), {chunks:,} chunks, "
        f"{logs} logs, final range {sizer.size:,} (ceiling {sizer.ceiling:,})"
    )
    print(
        f"time: {seconds:.1f} s (lower bound {lower_bound_s:.1f} s, "
        f"{seconds / lower_bound_s:.2f}x); {args.blocks / seconds:,.0f} blocks/s; "
        f"HTTP requests {stats.requests:,}, retries {stats.retries}"
    )
    print(
        json.dumps(
            {
                "blocks": args.blocks,
                "cap": args.cap,
                "latency_ms": args.latency_ms,
                "initial_range": args.initial,
                "concurrency": args.concurrency,
                "requests": requests,
                "min_requests": min_requests,
                "requests_over_min": round(requests / min_requests, 4),
                "refused": stats.range_errors,
                "http_requests": stats.requests,
                "retries": stats.retries,
                "logs": logs,
                "seconds": round(seconds, 2),
                "lower_bound_s": round(lower_bound_s, 2),
                "time_over_bound": round(seconds / lower_bound_s, 3),
                "blocks_per_s": round(args.blocks / seconds),
                "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} cores",
            }
        )
    )


if __name__ == "__main__":
    main()
