"""Throughput of the chain-sync log decoder on synthetic raw logs.

Run: .venv/bin/python bench/decode.py [--logs 100000] [--web3-logs 2000]
Builds N raw ``eth_getLogs``-style dicts (alternating PancakeSwap ``Trade`` and BEP-20
``Transfer``), then times ``ledger.chain.decode.decode_logs`` on all of them, a plain
``eth_abi.decode`` of the same topics and data, and web3's ``process_log`` on the first
``--web3-logs`` (formatted as web3 receipts format them). Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_abi.abi import decode, encode
from hexbytes import HexBytes
from web3 import Web3

from ledger.chain.decode import decode_logs, topic0_of

ROOT = Path(__file__).resolve().parents[1]
TRADE = topic0_of("Trade(address,uint256,address,address,uint256,uint256,bool)")
TRANSFER = topic0_of("Transfer(address,address,uint256)")
TRANSFER_ABI = {
    "type": "event",
    "name": "Transfer",
    "anonymous": False,
    "inputs": [
        {"name": "from", "type": "address", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "value", "type": "uint256", "indexed": False},
    ],
}


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def synthetic_logs(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(7)
    logs: list[dict[str, Any]] = []
    for i in range(n):
        a, b, c = (rnd.getrandbits(160) for _ in range(3))
        block = 40_000_000 + i // 50
        common = {
            "blockNumber": hex(block),
            "blockHash": _word(rnd.getrandbits(256)),
            "transactionHash": _word(rnd.getrandbits(256)),
            "transactionIndex": hex(i % 50),
            "logIndex": hex(i % 200),
            "removed": False,
        }
        if i % 2 == 0:
            price = rnd.getrandbits(70)
            data = encode(
                ["address", "uint256", "uint256", "bool"],
                [a.to_bytes(20, "big"), price, price * 95 // 100, bool(i % 4)],
            )
            logs.append(
                {
                    **common,
                    "address": "0x17539cca21c7933df5c980172d22659b8c345c5a",
                    "topics": [TRADE, _word(b), _word(rnd.getrandbits(32)), _word(c)],
                    "data": "0x" + data.hex(),
                }
            )
        else:
            logs.append(
                {
                    **common,
                    "address": "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c",
                    "topics": [TRANSFER, _word(a), _word(b)],
                    "data": _word(rnd.getrandbits(80)),
                }
            )
    return logs


def eth_abi_only(logs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The same fields through eth_abi.decode (topics and data), no dataclasses."""
    out: list[tuple[Any, ...]] = []
    for log in logs:
        topics = log["topics"]
        data = bytes.fromhex(log["data"][2:])
        if topics[0] == TRADE:
            indexed = decode(
                ["address", "uint256", "address"],
                b"".join(bytes.fromhex(t[2:]) for t in topics[1:]),
            )
            out.append(indexed + decode(["address", "uint256", "uint256", "bool"], data))
        else:
            indexed = decode(
                ["address", "address"], b"".join(bytes.fromhex(t[2:]) for t in topics[1:])
            )
            out.append(indexed + decode(["uint256"], data))
    return out


def web3_formatted(log: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": Web3.to_checksum_address(log["address"]),
        "topics": [HexBytes(t) for t in log["topics"]],
        "data": HexBytes(log["data"]),
        "blockNumber": int(log["blockNumber"], 16),
        "blockHash": HexBytes(log["blockHash"]),
        "transactionHash": HexBytes(log["transactionHash"]),
        "transactionIndex": int(log["transactionIndex"], 16),
        "logIndex": int(log["logIndex"], 16),
        "removed": False,
    }


def web3_process(logs: list[dict[str, Any]]) -> list[Any]:
    market_abi = json.loads((ROOT / "contracts_abi" / "PancakeSwapNFTMarket.json").read_text())
    w3 = Web3()
    market = w3.eth.contract(abi=market_abi)
    token = w3.eth.contract(abi=[TRANSFER_ABI])
    trade, transfer = market.events.Trade(), token.events.Transfer()
    return [
        (trade if log["topics"][0].to_0x_hex() == TRADE else transfer).process_log(log)
        for log in logs
    ]


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--web3-logs", type=int, default=2_000)
    args = parser.parse_args()

    logs = synthetic_logs(args.logs)
    events = decode_logs(56, logs)
    assert len(events) == len(logs)
    formatted = [web3_formatted(log) for log in logs[: args.web3_logs]]
    processed = web3_process(formatted)
    for ours, theirs in zip(events, processed, strict=False):  # spot-check agreement
        values = [v.lower() if isinstance(v, str) else v for v in theirs["args"].values()]
        assert sorted(map(str, values)) == sorted(
            str(getattr(ours, f))
            for f in ours.__slots__
            if f != "position"  # type: ignore[attr-defined]
        )

    ours_s = timed(lambda: decode_logs(56, logs))
    abi_s = timed(lambda: eth_abi_only(logs), repeat=1)
    web3_s = timed(lambda: web3_process(formatted), repeat=1)
    result = {
        "bench": "decode",
        "python": platform.python_version(),
        "logs": args.logs,
        "web3_logs": args.web3_logs,
        "decode_logs_per_s": round(args.logs / ours_s),
        "eth_abi_decode_per_s": round(args.logs / abi_s),
        "web3_process_log_per_s": round(args.web3_logs / web3_s),
        "speedup_vs_eth_abi": round(abi_s / ours_s, 1),
        "speedup_vs_web3": round((args.logs / ours_s) / (args.web3_logs / web3_s), 1),
    }
    print(f"decode_logs      {result['decode_logs_per_s']:>10,} logs/s over {args.logs:,} logs")
    print(f"eth_abi.decode   {result['eth_abi_decode_per_s']:>10,} logs/s")
    print(
        f"web3 process_log {result['web3_process_log_per_s']:>10,} logs/s over {args.web3_logs:,}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
