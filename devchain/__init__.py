"""Development chain tooling: a real anvil node, the Solidity test contracts and their scenarios.

Used by the tests, by ``make demo`` (the demo chain) and by the benchmarks. Never imported by
``ledger/``: the product talks to any chain over JSON-RPC only.
"""
