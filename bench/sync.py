"""Chain sync speed on a real anvil with many sales, against baselines measured in the same run.

Run: .venv/bin/python bench/sync.py [--sales 20000] [--per-block 250] [--naive-sales 1000]

1. Starts a fresh anvil, deploys the test contracts (the demo catalogue's addresses) and builds
   ``--sales`` primary sales of the initiative (mint, list, buy), many per block.
2. (a) bare fetch: the same eth_getLogs requests the sync makes (same filters, client, range
   sizer and concurrency), JSON parsed, nothing decoded or stored. (a') and (b') repeat (a) and
   (b) through a proxy that adds ``--latency-ms`` to every request, as a remote provider does:
   local anvil answers in microseconds, which no real endpoint does.
   (b) ``ledger sync`` (the Syncer) into a fresh SQLite database: fetch, decode, store raw
   logs, book journal entries, advance the cursor.
   (c) a naive web3.py baseline on the first ``--naive-sales`` sales' blocks:
   ``contract.events.X.get_logs`` + ``process_log`` + one ORM insert and commit per event; the
   sync is timed on the same sub-range, so the ratio compares equal work.
3. Memory: the sync runs again in child processes over a quarter, a half and all of the range;
   each reports its peak RSS, to show whether memory grows with the range.
4. Live following: a follower polls (as ``ledger watch``) while sales are made one per block;
   for each sale, the delay from its block becoming finalized to its entry in the ledger.

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, Integer, String, Text, create_engine, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Session  # noqa: E402

from devchain import scenarios as sc  # noqa: E402
from devchain.anvil import Anvil  # noqa: E402
from devchain.deploy import deploy_all  # noqa: E402
from devchain.solidity import compile_contracts  # noqa: E402
from ledger import migrate  # noqa: E402
from ledger.chain.decode import decode_log, decode_logs  # noqa: E402
from ledger.chain.fetch import RangeSizer, iter_log_chunks  # noqa: E402
from ledger.chain.rpc import RpcClient  # noqa: E402
from ledger.chain.sync import LOG_INSERT, Syncer, collecting_per_range, log_row  # noqa: E402
from ledger.chain.watchlist import get_watchlist  # noqa: E402
from ledger.config import load_settings  # noqa: E402
from ledger.db import execute_many, make_engine, make_session_factory, session_scope  # noqa: E402
from ledger.demo.load import load_demo  # noqa: E402
from ledger.models import ChainLog, JournalEntry  # noqa: E402


def fresh_db(directory: Path, name: str, template: Path | None = None) -> str:
    path = directory / f"{name}.sqlite3"
    if template is not None:
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        load_demo(session)
    engine.dispose()
    return f"sqlite:///{path}"


def chain_settings(url: str, rpc_url: str) -> Any:
    return load_settings(
        overrides={"database": {"url": url}, "chain": {"rpc_urls": [rpc_url]}}, environ={}
    )


def bare_fetch(settings: Any, start: int, end: int) -> tuple[float, int]:
    """(a): the sync's own eth_getLogs requests (filters, client, range sizer, concurrency and
    garbage-collection policy), JSON parsed, each range dropped once counted."""
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        filters = get_watchlist(session, settings.chain).log_filters()
    engine.dispose()
    chain = settings.chain
    client = RpcClient(chain.rpc_urls, timeout_s=60)
    sizer = RangeSizer(min(chain.initial_range, chain.max_range), maximum=chain.max_range)
    began, cpu_began = time.perf_counter(), time.process_time()
    fetched = 0
    with collecting_per_range() as collect:
        for chunk in iter_log_chunks(
            client, filters, start, end, sizer=sizer, concurrency=chain.concurrency
        ):
            fetched += len(chunk.logs)
            collect()
    elapsed = time.perf_counter() - began
    bare_fetch.cpu_seconds = time.process_time() - cpu_began  # type: ignore[attr-defined]
    client.close()
    return elapsed, fetched


def fetch_all(settings: Any, start: int, end: int) -> list[dict[str, Any]]:
    """Every followed log of the range, for timing the decoder on them (not timed)."""
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        filters = get_watchlist(session, settings.chain).log_filters()
    engine.dispose()
    chain = settings.chain
    client = RpcClient(chain.rpc_urls, timeout_s=60)
    sizer = RangeSizer(min(chain.initial_range, chain.max_range), maximum=chain.max_range)
    logs: list[dict[str, Any]] = []
    for chunk in iter_log_chunks(client, filters, start, end, sizer=sizer, concurrency=4):
        logs.extend(chunk.logs)
    client.close()
    return logs


def fetch_floor(settings: Any, start: int, end: int, *, store: bool) -> tuple[float, float]:
    """The bare fetch plus a floor of the sync's own work, in the same loop: every log decoded
    and kept if followed, as the sync decodes it (and with ``store``, its chain_log rows
    inserted and committed per range, as the sync stores them), nothing booked.

    Returns (wall seconds, CPU seconds of this process). What this costs over the bare fetch
    no sync that decodes and stores every log in Python can avoid.
    """
    engine = make_engine(settings.database_url, writer=True)
    factory = make_session_factory(engine)
    with factory() as session:
        watch = get_watchlist(session, settings.chain)
    filters = watch.log_filters()
    chain = settings.chain
    client = RpcClient(chain.rpc_urls, timeout_s=60)
    sizer = RangeSizer(min(chain.initial_range, chain.max_range), maximum=chain.max_range)
    began, cpu_began = time.perf_counter(), time.process_time()
    with collecting_per_range() as collect:
        for chunk in iter_log_chunks(
            client, filters, start, end, sizer=sizer, concurrency=chain.concurrency
        ):
            rows = []
            for log in chunk.logs:
                event = decode_log(chain.chain_id, log)
                if event is not None and watch.is_relevant(event):
                    rows.append(log_row(log, event, booked=True))
            if store:
                with factory() as session:
                    execute_many(session, LOG_INSERT, rows)
                    session.commit()
            del rows
            collect()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    client.close()
    engine.dispose()
    return elapsed, cpu


def run_sync(settings: Any, to_block: int | None = None) -> tuple[float, Any]:
    engine = make_engine(settings.database_url, writer=True)
    client = RpcClient(settings.chain.rpc_urls, timeout_s=60)
    syncer = Syncer(make_session_factory(engine), client, settings.chain)
    began = time.perf_counter()
    report = syncer.sync(to_block=to_block, include_pending=False)
    elapsed = time.perf_counter() - began
    client.close()
    engine.dispose()
    return elapsed, report


class _Base(DeclarativeBase):
    pass


class NaiveEvent(_Base):
    __tablename__ = "naive_event"
    id = Column(Integer, primary_key=True)
    event = Column(String(40))
    block_hash = Column(String(66))
    log_index = Column(Integer)
    args = Column(Text)


def naive_baseline(d: Any, directory: Path, start: int, end: int) -> tuple[float, int]:
    """web3's own way: ``contract.events.X.get_logs`` (web3's result formatters, then
    ``process_log`` on every log inside it), one ORM insert and commit per event."""
    engine = create_engine(f"sqlite:///{directory / 'naive.sqlite3'}")
    _Base.metadata.create_all(engine)
    initiative = d.accounts.initiative
    queries = [
        (d.market.events.Trade, {"collection": d.collection721.address}),
        (d.market.events.AskNew, {"collection": d.collection721.address}),
        (d.collection721.events.Transfer, None),
        (d.wbnb.events.Transfer, {"src": initiative}),
        (d.wbnb.events.Transfer, {"dst": initiative}),
    ]
    began = time.perf_counter()
    count = 0
    for event, argument_filters in queries:
        raw = event.get_logs(from_block=start, to_block=end, argument_filters=argument_filters)
        for decoded in raw:  # already through process_log
            with Session(engine) as session:
                session.add(
                    NaiveEvent(
                        event=decoded["event"],
                        block_hash=decoded["blockHash"].to_0x_hex(),
                        log_index=decoded["logIndex"],
                        args=json.dumps({k: str(v) for k, v in decoded["args"].items()}),
                    )
                )
                session.commit()
            count += 1
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, count


def serve_latency_proxy(upstream: str, latency_s: float) -> None:
    """Forward JSON-RPC to ``upstream`` after ``latency_s``; print the URL, serve until killed."""
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(latency_s)
            request = urllib.request.Request(
                upstream, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=120) as reply:
                payload = reply.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


class LatencyProxy:
    """A provider across a network: JSON-RPC forwarded to anvil after ``latency_s``, by a
    process of its own (in the benchmark's process, relaying 95 MB of replies took CPU and the
    GIL from the sync it measured, which a remote provider does not)."""

    def __init__(self, upstream: str, latency_s: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--latency-proxy", upstream, str(latency_s)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError("the latency proxy did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def child_sync(url: str, rpc_url: str, to_block: int) -> None:
    """Run in a child process: sync to ``to_block`` and print peak RSS (MB) as JSON."""
    elapsed, report = run_sync(chain_settings(url, rpc_url), to_block)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent at fork, so a child
    # would report the (bigger) benchmark process; VmHWM belongs to the child's own memory.
    status = Path("/proc/self/status").read_text()
    hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    peak = hwm_kb / 1024
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak, "logs": report.logs_stored}))


def follow_latency(node: Anvil, d: Any, url: str, sales: int) -> list[float]:
    """Delays from a sale's block becoming finalized to its entry being in the ledger."""
    settings = load_settings(
        overrides={
            "database": {"url": url},
            "chain": {"rpc_urls": [node.url], "poll_interval_s": 0.1},
        },
        environ={},
    )
    engine = make_engine(url, writer=True)
    sessions = make_session_factory(engine)
    client = RpcClient(settings.chain.rpc_urls, timeout_s=30)
    syncer = Syncer(sessions, client, settings.chain)
    syncer.sync()
    stop = threading.Event()

    def follow() -> None:
        while not stop.is_set():
            syncer.sync()
            stop.wait(settings.chain.poll_interval_s)

    follower = threading.Thread(target=follow)
    follower.start()
    delays: list[float] = []
    reader = make_engine(url)
    try:
        for i in range(sales):
            token = 9_000_000 + i
            sc.mint_and_list(d, token, d.accounts.initiative, 10**16)
            receipt = sc.buy_with_bnb(d, token, d.accounts.buyer, 10**16)
            block = receipt["blockNumber"]
            node.rpc("anvil_mine", ["0x2"])  # now final (head - 2)
            final_at = time.perf_counter()
            while True:
                with Session(reader) as session:
                    found = session.scalar(
                        select(JournalEntry.id).where(JournalEntry.block_number == block)
                    )
                if found is not None:
                    delays.append(time.perf_counter() - final_at)
                    break
                if time.perf_counter() - final_at > 30:
                    raise RuntimeError(f"sale in block {block} not booked within 30 s")
                time.sleep(0.005)
    finally:
        stop.set()
        follower.join()
        client.close()
        engine.dispose()
        reader.dispose()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=20_000)
    parser.add_argument("--per-block", type=int, default=250)
    parser.add_argument("--naive-sales", type=int, default=1_000)
    parser.add_argument("--follow-sales", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--child-sync", nargs=3, metavar=("URL", "RPC", "TO_BLOCK"))
    parser.add_argument("--latency-proxy", nargs=2, metavar=("UPSTREAM", "LATENCY_S"))
    args = parser.parse_args()
    if args.latency_proxy:
        upstream, latency_s = args.latency_proxy
        serve_latency_proxy(upstream, float(latency_s))
        return
    if args.child_sync:
        url, rpc_url, to_block = args.child_sync
        child_sync(url, rpc_url, int(to_block))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    result: dict[str, Any] = {
        "benchmark": "sync",
        "sales": args.sales,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }
    with Anvil() as node:
        d = deploy_all(node.web3(), compile_contracts())
        first = node.web3().eth.block_number
        bulk = sc.build_many_sales(d, args.sales, per_block=args.per_block)
        node.rpc("anvil_mine", ["0x3"])
        head = node.web3().eth.block_number
        final = head - 2
        result["build_seconds"] = round(bulk.seconds, 1)
        result["blocks"] = head
        print(f"built {args.sales} sales in {bulk.seconds:.1f} s, blocks {first}..{head}")

        template = Path(fresh_db(work, "template").removeprefix("sqlite:///"))
        settings = chain_settings(fresh_db(work, "sync", template), node.url)

        fetch_s, fetched = bare_fetch(settings, 0, final)
        fetch_cpu_s = bare_fetch.cpu_seconds  # type: ignore[attr-defined]
        print(f"(a) bare fetch: {fetched} logs in {fetch_s:.2f} s ({fetch_cpu_s:.2f} s of CPU)")
        logs = fetch_all(settings, 0, final)
        # Under the sync's garbage-collection policy, as the sync decodes: with the automatic
        # collector on, 120,001 live logs made this time the collector as much as the decoder.
        with collecting_per_range():
            began = time.perf_counter()
            decoded_count = len(decode_logs(56, logs))
            decode_s = time.perf_counter() - began
        del logs

        # Floors: what decoding (and storing) every log costs on top of the same fetch.
        floor_settings = chain_settings(fresh_db(work, "floor", template), node.url)
        decode_floor_s, decode_floor_cpu = fetch_floor(floor_settings, 0, final, store=False)
        store_floor_s, store_floor_cpu = fetch_floor(floor_settings, 0, final, store=True)
        print(
            f"(a2) fetch + decode, nothing stored: {decode_floor_s:.2f} s "
            f"({decode_floor_cpu:.2f} s of CPU); (a3) + raw rows stored: {store_floor_s:.2f} s "
            f"({store_floor_cpu:.2f} s of CPU)"
        )

        sync_s, report = run_sync(settings)
        with Session(make_engine(settings.database_url)) as session:
            rows = session.query(ChainLog).count()
            entries = session.query(JournalEntry).count()
        print(
            f"(b) ledger sync: {report.logs_stored} logs stored, {report.entries_posted} entries "
            f"in {sync_s:.2f} s"
        )

        # (a') and (b') again through a proxy adding a provider's round-trip latency.
        proxy = LatencyProxy(node.url, args.latency_ms / 1000)
        lat_settings = chain_settings(fresh_db(work, "latency", template), proxy.url)
        lat_fetch_s, _ = bare_fetch(lat_settings, 0, final)
        lat_sync_s, _ = run_sync(lat_settings)
        proxy.close()
        print(
            f"with {args.latency_ms:.0f} ms per request: bare fetch {lat_fetch_s:.2f} s, "
            f"ledger sync {lat_sync_s:.2f} s"
        )

        # (c) naive baseline and the sync on the same sub-range.
        sub_end = bulk.first_block + max(1, args.naive_sales // args.per_block) * 2
        sub_end = min(sub_end, final)
        naive_s, naive_events = naive_baseline(d, work, 0, sub_end)
        sub_settings = chain_settings(fresh_db(work, "sub", template), node.url)
        sub_sync_s, sub_report = run_sync(sub_settings, to_block=sub_end)
        print(
            f"(c) naive web3 on blocks 0..{sub_end}: {naive_events} events in {naive_s:.2f} s; "
            f"ledger sync on the same range: {sub_report.logs_stored} logs in {sub_sync_s:.2f} s"
        )

        # Memory as the range grows: child processes over 1/4, 1/2 and all of it.
        rss: dict[str, float] = {}
        for fraction in (4, 2, 1):
            to_block = final // fraction
            url = fresh_db(work, f"mem{fraction}", template)
            out = subprocess.run(
                [sys.executable, __file__, "--child-sync", url, node.url, str(to_block)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip().splitlines()[-1]
            child = json.loads(out)
            rss[f"1/{fraction}"] = round(child["peak_rss_mb"], 1)
            print(f"memory: sync to block {to_block}: peak RSS {child['peak_rss_mb']:.1f} MB")

        delays = follow_latency(node, d, fresh_db(work, "follow", template), args.follow_sales)
        delays_ms = sorted(x * 1000 for x in delays)
        p50 = statistics.median(delays_ms)
        p99 = delays_ms[min(len(delays_ms) - 1, round(0.99 * (len(delays_ms) - 1)))]
        print(f"live following: {len(delays)} sales, final -> booked p50 {p50:.0f} ms, p99 {p99:.0f} ms")

    result.update(
        {
            "fetch_seconds": round(fetch_s, 3),
            "sync_seconds": round(sync_s, 3),
            "logs": fetched,
            "rows_stored": rows,
            "entries": entries,
            "sync_over_fetch": round(sync_s / fetch_s, 3),
            "fetch_cpu_seconds": round(fetch_cpu_s, 3),
            "decode_floor_over_fetch": round(decode_floor_s / fetch_s, 3),
            "store_floor_over_fetch": round(store_floor_s / fetch_s, 3),
            "latency_ms": args.latency_ms,
            "fetch_seconds_at_latency": round(lat_fetch_s, 3),
            "sync_seconds_at_latency": round(lat_sync_s, 3),
            "sync_over_fetch_at_latency": round(lat_sync_s / lat_fetch_s, 3),
            "naive_events": naive_events,
            "naive_seconds": round(naive_s, 3),
            "sync_subrange_seconds": round(sub_sync_s, 3),
            "naive_over_sync": round(naive_s / sub_sync_s, 2),
            "decode_logs_per_s": round(decoded_count / decode_s) if decode_s else None,
            "sync_logs_per_s": round(fetched / sync_s),
            "rows_stored_per_s": round((rows + entries) / sync_s),
            "peak_rss_mb": max(rss.values()),
            "peak_rss_mb_by_range": rss,
            "follow_p50_ms": round(p50, 1),
            "follow_p99_ms": round(p99, 1),
            "poll_interval_s": 0.1,
        }
    )
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
