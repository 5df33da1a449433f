"""The artwork page right after the ledger changes: the path a visitor meets after a sale.

Run: .venv/bin/python bench/page_after_change.py --postgres URL [--artworks 10000]
     [--sales 100000] [--changes 5]
Fills a throwaway PostgreSQL database as bench/pages.py does (the demo catalogue, then N
artworks and M routed cash sales in bulk), builds the web app in this process, and times with
Flask's test client, on one artwork's page in each language (ru, kk, en):
  - the first visits of a fresh worker (the public ledger built from scratch: the baseline),
  - visits while nothing changes (the rendered page kept),
  - after each of ``--changes`` new cash sales, each recorded and routed in its own committed
    session as the console and the CLI do (the flows, sums and sales brought up to date).
Prints one JSON object last: `after_change_over_fresh_build` (the median first visit after a
sale, over the fresh worker's first visit), and the figures behind it, in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import _fill  # noqa: E402

from ledger.audit import Actor  # noqa: E402
from ledger.config import load_settings  # noqa: E402
from ledger.db import make_engine, make_session_factory, session_scope  # noqa: E402
from ledger.manual import ManualEntry, ManualKind, record_manual_entry  # noqa: E402
from ledger.models import Artwork  # noqa: E402
from ledger.routing.route import route_pending  # noqa: E402
from web import create_app  # noqa: E402

LANGUAGES = ("ru", "kk", "en")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("LEDGER_TEST_POSTGRES_URL", ""))
    parser.add_argument("--artworks", type=int, default=10_000)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=5)
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("needs --postgres URL (or LEDGER_TEST_POSTGRES_URL)")
    name = f"bench_after_change_{os.getpid()}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        started = time.monotonic()
        _fill(url, args.artworks, args.sales)
        print(f"filled in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        result = measure(url, args.changes)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    result.update(
        bench="artwork_page_after_change",
        artworks=args.artworks,
        sales=args.sales,
        cpus=os.cpu_count(),
        python=platform.python_version(),
        date=datetime.now(UTC).date().isoformat(),
    )
    print(json.dumps(result))


def measure(url: str, changes: int) -> dict[str, object]:
    instance = Path(tempfile.mkdtemp(prefix="bench-after-change-"))
    settings = load_settings(
        overrides={"database": {"url": url}, "paths": {"instance": str(instance)}}, environ={}
    )
    app = create_app(settings=settings)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        artwork = session.scalars(select(Artwork).where(Artwork.key == "venera")).one()
        code, key = artwork.public_code, artwork.key

    def visit(lang: str) -> float:
        began = time.perf_counter()
        response = app.test_client().get(f"/artworks/{code}?lang={lang}")
        assert response.status_code == 200, response.status_code
        return time.perf_counter() - began

    fresh = {lang: visit(lang) for lang in LANGUAGES}
    kept = {lang: statistics.median(visit(lang) for _ in range(20)) for lang in LANGUAGES}
    after: list[dict[str, float]] = []
    for _ in range(changes):
        with session_scope(factory) as session:
            record_manual_entry(
                session,
                settings.instance_dir / "documents",
                ManualEntry(
                    kind=ManualKind.CASH_SALE,
                    reference=f"R-{uuid.uuid4().hex[:8]}",
                    asset="KZT",
                    amount=150_000,
                    at=datetime.now(UTC),
                    artwork=key,
                ),
                Actor(name="bench", via="cli"),
            )
            route_pending(session)
        after.append({lang: visit(lang) for lang in LANGUAGES})
        print(f"after a sale: {after[-1]}", file=sys.stderr, flush=True)
    engine.dispose()
    first_after = statistics.median(a[LANGUAGES[0]] for a in after)
    others_after = statistics.median(a[lang] for a in after for lang in LANGUAGES[1:])
    return {
        "fresh_first_s": round(fresh[LANGUAGES[0]], 3),
        "fresh_other_languages_s": [round(fresh[lang], 3) for lang in LANGUAGES[1:]],
        "kept_page_ms": round(statistics.median(kept.values()) * 1000, 2),
        "after_change_first_s": round(first_after, 3),
        "after_change_other_languages_s": round(others_after, 3),
        "after_change_over_fresh_build": round(first_after / fresh[LANGUAGES[0]], 3),
    }


if __name__ == "__main__":
    main()
