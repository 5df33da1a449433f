"""How JSON-RPC errors are read: real provider wordings, rate limits, the generic fallback."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.chain.rpc import LogRangeError, RpcError, _retry_after, classify_rpc_error

ALCHEMY_SIZE = (
    "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
    "and no limit on the response size, or you can request any block range with a cap of 10K "
    "logs in the response. Based on your parameters, this block range should work: "
    "[0x1000, 0x1bff]"
)

# (code, message, data, kind, suggested_range, max_range)
RANGE_WORDINGS: list[tuple[int, str, Any, str, tuple[int, int] | None, int | None]] = [
    # Infura, documented -32005 with a suggested range
    (
        -32005,
        "query returned more than 10000 results. Try with this block range [0x10, 0x2A].",
        None,
        "results",
        (0x10, 0x2A),
        None,
    ),
    # Infura live, -32602
    (-32602, "range 1000000 exceeds limit of 10000", None, "range", None, 10_000),
    # BSC nodes (geth fork)
    (-32000, "exceed maximum block range: 5000", None, "range", None, 5_000),
    # QuickNode (sent with HTTP 413)
    (-32614, "eth_getLogs is limited to a 10,000 range", None, "range", None, 10_000),
    # Alchemy result size, with a suggestion and a 2K range rule
    (-32602, ALCHEMY_SIZE, None, "results", (0x1000, 0x1BFF), 2_000),
    # Alchemy block range
    (
        -32600,
        "You can make eth_getLogs requests with up to a 500 block range. Based on your "
        "parameters, this block range should work: [0x123c9b2, 0x123cba5]",
        None,
        "range",
        (0x123C9B2, 0x123CBA5),
        500,
    ),
    # Ankr
    (-32600, "block range is too wide", None, "range", None, None),
    # thirdweb: the detail is in data
    (-32602, "invalid params", "range 20000 is bigger than range limit 2000", "range", None, 2_000),
    # Tenderly: data is an object
    (
        -32602,
        "invalid params",
        {"error_id": "x", "payload": "range 9009594 is bigger than range limit 2000"},
        "range",
        None,
        2_000,
    ),
    # Cloudflare
    (
        -32047,
        "Invalid eth_getLogs request. 'fromBlock'-'toBlock' range too large. Max range: 800",
        None,
        "range",
        None,
        800,
    ),
    # Morph / other geth forks
    (
        -32000,
        "block range is larger than max block range, block range = 5120, max block range = 5000",
        None,
        "range",
        None,
        5_000,
    ),
    (-32005, "block range too large, max range: 1000", None, "range", None, 1_000),
    (
        -32000,
        "query exceeds max results 20000, retry with the range 1-10",
        None,
        "results",
        None,
        None,
    ),
    (-32000, "logs matched by query exceeds limit of 10000", None, "results", None, None),
    (-32000, "too many logs", None, "results", None, None),
    (-32000, "response size exceeded", None, "results", None, None),
    (-32000, "please limit the query to at most 1000 blocks", None, "range", None, 1_000),
    # Generic fallback: unknown wordings with range- or size-like words
    (-32005, "limit exceeded", None, "unknown", None, None),
    (-32000, "requested block span is over our quota", None, "unknown", None, None),
    (-32099, "answer exceeds what we send", None, "unknown", None, None),
]


@pytest.mark.parametrize(("code", "message", "data", "kind", "suggested", "cap"), RANGE_WORDINGS)
def test_range_refusals_are_read(
    code: int,
    message: str,
    data: Any,
    kind: str,
    suggested: tuple[int, int] | None,
    cap: int | None,
) -> None:
    error = classify_rpc_error("eth_getLogs", code, message, data)
    assert isinstance(error, LogRangeError)
    assert (error.kind, error.suggested_range, error.max_range) == (kind, suggested, cap)
    assert error.code == code
    assert error.suggested_to_block == (suggested[1] if suggested else None)


@pytest.mark.parametrize(
    ("method", "code", "message"),
    [
        ("eth_getLogs", -32005, "daily request count exceeded, request rate limited"),
        ("eth_getLogs", 429, "Your app has exceeded its compute units per second capacity"),
        ("eth_getLogs", -32000, "Too Many Requests"),
        ("eth_getLogs", 429, "exceeded the limit"),  # the code says rate limit, not range
        ("eth_getBlockByNumber", -32000, "header not found"),
        ("eth_blockNumber", -32005, "limit exceeded"),
        ("eth_chainId", -32603, "internal error"),
        ("eth_getTransactionReceipt", -32000, "upstream request timed out"),
        ("eth_call", -32000, "service temporarily unavailable"),
    ],
)
def test_transient_errors_are_retried(method: str, code: int, message: str) -> None:
    assert classify_rpc_error(method, code, message) is None


@pytest.mark.parametrize(
    ("method", "code", "message"),
    [
        ("eth_call", 3, "execution reverted"),
        ("eth_getBlockByNumber", -32602, "invalid argument 0: hex string without 0x prefix"),
        ("eth_getLogs", -32602, "invalid argument 0: hex string has odd length"),
        ("eth_foo", -32601, "the method eth_foo does not exist/is not available"),
    ],
)
def test_other_errors_raise_at_once(method: str, code: int, message: str) -> None:
    error = classify_rpc_error(method, code, message)
    assert type(error) is RpcError
    assert (error.code, error.message, error.method) == (code, message, method)


def test_range_words_outside_get_logs_are_not_range_errors() -> None:
    error = classify_rpc_error("eth_getBlockByNumber", -32000, "block range is too wide")
    assert type(error) is RpcError


def test_retry_after_reads_seconds_and_dates() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after(" 0.5 ") == 0.5
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
