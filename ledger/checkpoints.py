"""Published checkpoints: a Merkle root (RFC 6962 hashing) over the public ledger's records.

Each public record (a sale or a payout, exactly as ``/ledger/entries.json`` publishes it) is one
leaf; records are in journal order, so the records of an earlier checkpoint are a prefix of a
later one's. Anyone can recompute a root offline from the JSON export (``ledger checkpoint
verify FILE``), and a donor's receipt carries an inclusion proof for their sale. The leaf
format is documented in docs/checkpoints.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from ledger.models import Checkpoint
from ledger.reports.public import PublicLedger, public_records


class CheckpointError(LedgerError):
    """An export that cannot be read, or a root that does not match."""


def compute_leaf(record: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one record: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return _node_hash(_root(hashes[:k]), _root(hashes[k:]))


def compute_root(leaves: Sequence[bytes]) -> str:
    """The Merkle tree hash (RFC 6962, section 2.1) of ``leaves``, as hex."""
    return _root([_leaf_hash(leaf) for leaf in leaves]).hex()


def _path(hashes: Sequence[bytes], index: int) -> list[bytes]:
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*_path(hashes[:k], index), _root(hashes[k:])]
    return [*_path(hashes[k:], index - k), _root(hashes[:k])]


def compute_inclusion_proof(leaves: Sequence[bytes], index: int) -> list[str]:
    """The audit path (RFC 6962, section 2.1.1) of leaf ``index`` in ``leaves``, as hex."""
    if not 0 <= index < len(leaves):
        raise CheckpointError(f"leaf {index} is outside a tree of {len(leaves)}")
    return [h.hex() for h in _path([_leaf_hash(leaf) for leaf in leaves], index)]


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[str], root: str) -> bool:
    """Whether ``path`` proves ``leaf`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    if not 0 <= index < size:
        return False
    proof = [bytes.fromhex(h) for h in path]

    def climb(lo: int, hi: int, at: int) -> bytes | None:
        # Root of leaves [lo, hi) containing ``at``, consuming the proof from its end.
        if hi - lo == 1:
            return _leaf_hash(leaf)
        k = _split(hi - lo)
        if not proof:
            return None
        sibling = proof.pop()
        if at < lo + k:
            inner = climb(lo, lo + k, at)
            return None if inner is None else _node_hash(inner, sibling)
        inner = climb(lo + k, hi, at)
        return None if inner is None else _node_hash(sibling, inner)

    computed = climb(0, size, index)
    return computed is not None and not proof and computed.hex() == root


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    root: str
    published_at: datetime
    path: list[str]
    leaf: str  # the record's canonical JSON


def get_latest_checkpoint(session: Session) -> Checkpoint | None:
    return session.scalars(select(Checkpoint).order_by(Checkpoint.id.desc())).first()


def list_checkpoints(session: Session) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).order_by(Checkpoint.id)))


def publish_checkpoint(session: Session, ledger: PublicLedger, at: datetime) -> Checkpoint:
    """Store the root over every public record now (adds and flushes; the caller commits)."""
    leaves = [compute_leaf(r) for r in public_records(ledger)]
    checkpoint = Checkpoint(published_at=at, tree_size=len(leaves), root=compute_root(leaves))
    session.add(checkpoint)
    session.flush()
    return checkpoint


def get_inclusion_proofs(
    session: Session, ledger: PublicLedger, entry_id: int
) -> list[InclusionProof]:
    """Proofs that the records of ``entry_id`` are in the latest checkpoint (none if not yet)."""
    checkpoint = get_latest_checkpoint(session)
    if checkpoint is None:
        return []
    leaves = [compute_leaf(r) for r in public_records(ledger)][: checkpoint.tree_size]
    records = public_records(ledger)[: checkpoint.tree_size]
    return [
        InclusionProof(
            leaf_index=i,
            tree_size=checkpoint.tree_size,
            root=checkpoint.root,
            published_at=checkpoint.published_at,
            path=compute_inclusion_proof(leaves, i),
            leaf=leaves[i].decode(),
        )
        for i, record in enumerate(records)
        if record["entry_id"] == entry_id
    ]


@dataclass(frozen=True)
class VerifiedCheckpoint:
    tree_size: int
    root: str
    computed: str

    @property
    def is_match(self) -> bool:
        return self.root == self.computed


def verify_export(data: Mapping[str, Any]) -> list[VerifiedCheckpoint]:
    """Recompute, from a JSON export, the root of every checkpoint it lists (pure, offline).

    Raises CheckpointError when the export has no entries list or lists a checkpoint larger
    than its entries.
    """
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise CheckpointError("the export has no 'entries' list")
    leaves = [compute_leaf(record) for record in entries]
    out = []
    for checkpoint in data.get("checkpoints") or []:
        size, root = int(checkpoint["tree_size"]), str(checkpoint["root"])
        if size > len(leaves):
            raise CheckpointError(f"checkpoint of {size} records, export has {len(leaves)}")
        out.append(VerifiedCheckpoint(size, root, compute_root(leaves[:size])))
    return out
