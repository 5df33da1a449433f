"""What exact uint256 sums cost: balances over N postings, exact_sum vs a native 64-bit sum.

Run: .venv/bin/python bench/sums.py [--postings 200000] [--postgres URL]
Builds a throwaway database per backend, inserts N postings through the journal's Amount type
(bulk insert), then times `get_balances` (exact_sum, grouped per account and asset) against the
same GROUP BY over a native BIGINT copy of the amounts in the same run. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.orm import Session

from ledger import migrate
from ledger.db import make_engine
from ledger.journal import get_balances
from ledger.models import Account, Asset, AssetKind, EvidenceKind, JournalEntry, Posting


def _fill(engine: Engine, n: int) -> None:
    rnd = random.Random(7)
    with Session(engine) as s:
        accounts = [Account(name=f"Assets:A{i}") for i in range(20)] + [
            Account(name="Income:Sales")
        ]
        assets = [
            Asset(code=f"T{i}", symbol=f"T{i}", kind=AssetKind.FIAT, decimals=2) for i in range(3)
        ]
        s.add_all(accounts + assets)
        s.flush()
        entries = [
            {
                "idempotency_key": f"k{i}",
                "content_hash": "0" * 64,
                "effective_at": datetime(2024, 1, 1, tzinfo=UTC),
                "description": "bench",
                "evidence_kind": EvidenceKind.MANUAL,
            }
            for i in range(n // 2)
        ]
        s.execute(insert(JournalEntry), entries)
        ids = [row[0] for row in s.execute(text("SELECT id FROM journal_entry ORDER BY id"))]
        postings = []
        for entry_id in ids:
            amount = rnd.randrange(1, 10**12)  # small enough for the native BIGINT baseline
            asset = rnd.choice(assets).id
            postings.append(
                {
                    "entry_id": entry_id,
                    "account_id": rnd.choice(accounts[:20]).id,
                    "asset_id": asset,
                    "amount": amount,
                }
            )
            postings.append(
                {
                    "entry_id": entry_id,
                    "account_id": accounts[20].id,
                    "asset_id": asset,
                    "amount": -amount,
                }
            )
        s.execute(insert(Posting), postings)
        s.execute(
            text(
                "CREATE TABLE bench_native AS SELECT account_id, asset_id, CAST(amount AS BIGINT) AS amount FROM posting"
            )
        )
        s.commit()


def _time(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _measure(engine: Engine, n: int) -> dict[str, float]:
    migrate.upgrade(engine)
    _fill(engine, n)
    native_sql = text(
        "SELECT a.name, s.code, sum(b.amount) FROM bench_native b JOIN account a ON a.id = b.account_id "
        "JOIN asset s ON s.id = b.asset_id GROUP BY a.name, s.code"
    )
    with Session(engine) as s:
        exact = _time(lambda: get_balances(s))
        native = _time(lambda: s.execute(native_sql).all())
        assert sum(get_balances(s).values()) == 0
    return {
        "exact_s": round(exact, 4),
        "native_s": round(native, 4),
        "exact_over_native": round(exact / native, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postings", type=int, default=200_000)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    result: dict[str, object] = {
        "postings": args.postings,
        "machine": platform.machine(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        result["sqlite"] = _measure(engine, args.postings)
        engine.dispose()
    if args.postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS ledger_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE ledger_bench"))
        engine = make_engine(args.postgres.rsplit("/", 1)[0] + "/ledger_bench")
        result["postgresql"] = _measure(engine, args.postings)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS ledger_bench WITH (FORCE)"))
        admin.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
