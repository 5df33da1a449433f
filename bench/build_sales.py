"""Time to build a big sales fixture on a fresh anvil with devchain.scenarios.build_many_sales.

Run: .venv/bin/python bench/build_sales.py [--sales 20000] [--per-block 250]
Starts its own anvil, deploys the test contracts, creates the sales (mint, list and buy each,
``--per-block`` sales a block) and prints the time and the block range. Prints one JSON line
last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform

from devchain.anvil import Anvil
from devchain.deploy import deploy_all
from devchain.scenarios import build_many_sales


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=20_000)
    parser.add_argument("--per-block", type=int, default=250)
    args = parser.parse_args()

    with Anvil() as node:
        d = deploy_all(node.web3())
        bulk = build_many_sales(d, args.sales, per_block=args.per_block)
    blocks = bulk.last_block - bulk.first_block + 1
    result = {
        "bench": "build_many_sales",
        "sales": bulk.sales,
        "per_block": args.per_block,
        "transactions": bulk.transactions,
        "blocks": blocks,
        "seconds": round(bulk.seconds, 1),
        "sales_per_s": round(bulk.sales / bulk.seconds),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(
        f"{bulk.sales:,} sales ({bulk.transactions:,} transactions, {blocks} blocks) "
        f"built in {bulk.seconds:.1f} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
