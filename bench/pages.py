"""The artwork page under gunicorn, against a one-line Flask endpoint on the same set-up.

Run: .venv/bin/python bench/pages.py --postgres URL [--artworks 10000] [--sales 100000]
     [--duration 10]
Builds a throwaway PostgreSQL database (the demo catalogue, then N artworks and M routed cash
sales inserted in bulk: each sale is a receipt, its routing entry and its routing record),
starts gunicorn with gunicorn.conf.py on a free port, warms every worker up (the first request
builds the public ledger; then 5 s rounds of the random pages until the rate stops rising, i.e.
every worker has every page in its cache), and drives random artwork pages with `wrk` at 32 and 128
connections; then the same for a one-line Flask endpoint under the same gunicorn settings.
Prints one JSON object last: `page_over_trivial` (trivial requests/s over page requests/s at
32 connections) and `p99_ms_32` (the artwork page's 99th percentile at 32 connections).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger import migrate  # noqa: E402
from ledger.accounts import bank_account, payable_account, routed_account, sales_account  # noqa: E402
from ledger.db import make_engine  # noqa: E402
from ledger.demo.load import load_demo  # noqa: E402
from ledger.journal import open_account  # noqa: E402
from ledger.models import (  # noqa: E402
    Artwork,
    Asset,
    Beneficiary,
    EvidenceKind,
    JournalEntry,
    Posting,
    RoutingRecord,
    RoutingStatus,
    SplitRule,
    TextSet,
    TextVariant,
    VariantStatus,
)

# Warm-up rounds of 5 s at most (the page cache fills in the first few).
MAX_WARM_ROUNDS = 12


def make_trivial_app() -> Flask:
    """The baseline: one route returning a short string."""
    app = Flask("trivial")
    app.add_url_rule("/", "index", lambda: "ok")
    return app


def _fill(url: str, n_artworks: int, n_sales: int) -> list[str]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rnd = random.Random(7)
    with Session(engine) as s:
        load_demo(s)
        bens = {b.key: b for b in s.scalars(select(Beneficiary))}
        crisis, legal = bens["crisis-centre-almaty"], bens["legal-aid-fund"]
        accounts = {
            "bank": open_account(s, bank_account()).id,
            "sales": open_account(s, sales_account("Exhibition")).id,
            "routed": open_account(s, routed_account()).id,
            "crisis": open_account(s, payable_account(crisis.key), beneficiary_id=crisis.id).id,
            "legal": open_account(s, payable_account(legal.key), beneficiary_id=legal.id).id,
        }
        kzt = s.scalars(select(Asset.id).where(Asset.code == "KZT")).one()
        rule = s.scalars(select(SplitRule.id)).first()
        s.flush()
        first_set = (s.scalar(text("SELECT coalesce(max(id), 0) FROM text_set")) or 0) + 1
        s.execute(insert(TextSet), [{"id": first_set + i} for i in range(n_artworks)])
        if engine.dialect.name == "postgresql":
            s.execute(text("SELECT setval('text_set_id_seq', (SELECT max(id) FROM text_set))"))
        s.execute(
            insert(TextVariant),
            [
                {
                    "text_set_id": first_set + i,
                    "lang": "en",
                    "status": VariantStatus.REVIEWED,
                    "text": f"Bench work {i}",
                }
                for i in range(n_artworks)
            ],
        )
        codes = [f"b{i:06d}" for i in range(n_artworks)]
        s.execute(
            insert(Artwork),
            [
                {
                    "key": f"bench-{i}",
                    "public_code": codes[i],
                    "position": 1000 + i,
                    "title_id": first_set + i,
                }
                for i in range(n_artworks)
            ],
        )
        art_ids = list(s.scalars(select(Artwork.id).where(Artwork.key.like("bench-%"))))
        t0 = datetime(2024, 1, 1, tzinfo=UTC)
        batch = 10_000
        for start in range(0, n_sales, batch):
            count = min(batch, n_sales - start)
            entries = []
            for i in range(start, start + count):
                at = t0 + timedelta(minutes=i)
                for kind in ("sale", "route"):
                    entries.append(
                        {
                            "idempotency_key": f"bench:{kind}:{i}",
                            "content_hash": "0" * 64,
                            "effective_at": at,
                            "description": f"bench {kind}",
                            "evidence_kind": EvidenceKind.MANUAL,
                        }
                    )
            s.execute(insert(JournalEntry), entries)
            ids = {
                key: entry_id
                for key, entry_id in s.execute(
                    text("SELECT idempotency_key, id FROM journal_entry ORDER BY id DESC LIMIT :n"),
                    {"n": 2 * count},
                )
            }
            postings, records = [], []
            for i in range(start, start + count):
                sale, route = ids[f"bench:sale:{i}"], ids[f"bench:route:{i}"]
                amount = rnd.randrange(100_00, 500_000_00)
                share = amount * 6000 // 10000
                postings += [
                    {
                        "entry_id": sale,
                        "account_id": accounts["bank"],
                        "asset_id": kzt,
                        "amount": amount,
                    },
                    {
                        "entry_id": sale,
                        "account_id": accounts["sales"],
                        "asset_id": kzt,
                        "amount": -amount,
                    },
                    {
                        "entry_id": route,
                        "account_id": accounts["routed"],
                        "asset_id": kzt,
                        "amount": amount,
                    },
                    {
                        "entry_id": route,
                        "account_id": accounts["crisis"],
                        "asset_id": kzt,
                        "amount": -share,
                    },
                    {
                        "entry_id": route,
                        "account_id": accounts["legal"],
                        "asset_id": kzt,
                        "amount": share - amount,
                    },
                ]
                records.append(
                    {
                        "entry_id": sale,
                        "status": RoutingStatus.ROUTED,
                        "channel": "Exhibition",
                        "artwork_id": rnd.choice(art_ids),
                        "rule_id": rule,
                        "routing_entry_id": route,
                    }
                )
            s.execute(insert(Posting), postings)
            s.execute(insert(RoutingRecord), records)
        s.commit()
    engine.dispose()
    return codes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(app: str | None, env: dict[str, str], port: int, probe: str) -> subprocess.Popen[bytes]:
    args = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gunicorn.conf.py")]
    if app:
        args.append(app)
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=300).read()
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.3)


def _wrk(url: str, connections: int, duration: int, script: Path | None) -> dict[str, float]:
    args = [
        "wrk",
        f"-t{min(4, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("LEDGER_TEST_POSTGRES_URL", ""))
    parser.add_argument("--artworks", type=int, default=10_000)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--redis", default="", help="[web] redis_url for the page cache")
    args = parser.parse_args()
    # Stopped with SIGTERM: still stop gunicorn and drop the database (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if not args.postgres or not shutil.which("wrk"):
        sys.exit("needs --postgres URL (or LEDGER_TEST_POSTGRES_URL) and wrk (apt install wrk)")

    name = f"bench_pages_{os.getpid()}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        started = time.monotonic()
        codes = _fill(url, args.artworks, args.sales)
        fill_s = time.monotonic() - started
        print(f"filled in {fill_s:.0f} s", file=sys.stderr, flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        script = workdir / "random.lua"
        picks = random.Random(3).sample(codes, min(200, len(codes)))
        script.write_text(
            "local codes = {" + ",".join(f'"{c}"' for c in picks) + "}\n"
            "request = function()\n"
            "  return wrk.format('GET', '/artworks/' .. codes[math.random(#codes)])\n"
            "end\n",
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
            "LEDGER_DATABASE_URL": url,
            "LEDGER_PATHS_INSTANCE": str(workdir / "instance"),
            "GUNICORN_WORKERS": str(args.workers),
            "LEDGER_WEB_REDIS_URL": args.redis,
        }
        env = {k: v for k, v in env.items() if not k.startswith("LEDGER_TEST_")}
        page_port, trivial_port = _free_port(), _free_port()
        procs.append(_start(None, env, page_port, "/browser-history"))
        # Warm up: every worker builds the public ledger once, on its first request, and
        # renders each page once per database version (the page cache); then drive the same
        # random pages in 5 s rounds until a round is no faster than the one before (every
        # worker has rendered the pages), so the measured runs see the steady state.
        warm_started = time.monotonic()
        page_url = f"http://127.0.0.1:{page_port}/artworks/{codes[0]}"
        for _ in range(args.workers * 8):
            urllib.request.urlopen(page_url, timeout=600).read()
        warm_rounds: list[float] = []
        while len(warm_rounds) < MAX_WARM_ROUNDS:
            warm_rounds.append(_wrk(f"http://127.0.0.1:{page_port}/", 32, 5, script)["rps"])
            if len(warm_rounds) >= 2 and warm_rounds[-1] < 1.1 * warm_rounds[-2]:
                break
        warm_s = time.monotonic() - warm_started
        print(f"warmed up in {warm_s:.0f} s: {warm_rounds} req/s", file=sys.stderr, flush=True)
        page = {
            c: _wrk(f"http://127.0.0.1:{page_port}/", c, args.duration, script) for c in (32, 128)
        }
        procs.append(_start("pages:make_trivial_app()", env, trivial_port, "/"))
        trivial = {
            c: _wrk(f"http://127.0.0.1:{trivial_port}/", c, args.duration, None) for c in (32, 128)
        }
    finally:
        for process in procs:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    result = {
        "bench": "artwork_page_gunicorn",
        "artworks": args.artworks,
        "sales": args.sales,
        "workers": args.workers,
        "store": "redis" if args.redis else "in-process",
        "fill_s": round(fill_s, 1),
        "warmup_s": round(warm_s, 1),
        "warmup_rounds_rps": warm_rounds,
        "page": {str(c): v for c, v in page.items()},
        "trivial": {str(c): v for c, v in trivial.items()},
        "page_over_trivial": round(trivial[32]["rps"] / page[32]["rps"], 2)
        if page[32]["rps"]
        else None,
        "p99_ms_32": page[32]["p99_ms"],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
