"""The Merkle tree of published checkpoints (RFC 6962 hashing): roots, proofs, exports."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.checkpoints import (
    CheckpointError,
    compute_inclusion_proof,
    compute_leaf,
    compute_root,
    verify_export,
    verify_inclusion,
)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_root_follows_rfc6962() -> None:
    a, b, c = b"a", b"b", b"c"
    la, lb, lc = (sha(b"\x00" + x) for x in (a, b, c))
    assert compute_root([]) == sha(b"").hex()
    assert compute_root([a]) == la.hex()
    assert compute_root([a, b]) == sha(b"\x01" + la + lb).hex()
    # Three leaves: the left subtree holds the largest power of two below 3.
    assert compute_root([a, b, c]) == sha(b"\x01" + sha(b"\x01" + la + lb) + lc).hex()


def test_leaf_is_canonical_json() -> None:
    assert compute_leaf({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40), st.data())
def test_every_inclusion_proof_verifies_and_a_changed_leaf_does_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = compute_root(leaves)
    path = compute_inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, len(leaves), path, root)
    assert not verify_inclusion(leaves[index] + b"x", index, len(leaves), path, root)
    if len(leaves) > 1:
        assert not verify_inclusion(leaves[index], index, len(leaves), path[:-1], root)


def test_verify_export_recomputes_each_listed_checkpoint() -> None:
    entries = [{"entry_id": i, "amount": str(i)} for i in range(5)]
    leaves = [compute_leaf(e) for e in entries]
    good = {"tree_size": 3, "root": compute_root(leaves[:3])}
    results = verify_export({"entries": entries, "checkpoints": [good]})
    assert [r.is_match for r in results] == [True]
    entries[1]["amount"] = "999"
    assert [r.is_match for r in verify_export({"entries": entries, "checkpoints": [good]})] == [
        False
    ]
    with pytest.raises(CheckpointError):
        verify_export({"entries": entries, "checkpoints": [{"tree_size": 9, "root": "00"}]})
    with pytest.raises(CheckpointError):
        verify_export({"checkpoints": []})
