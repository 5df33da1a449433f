"""Book a native BNB transfer, which emits no log, from its transaction and receipt.

For example a disbursement paid by hand from the treasury to a beneficiary's wallet: the
organiser runs ``ledger verify-tx HASH`` once it is final. The entry's key is derived from the
block hash and transaction hash, so verifying the same transaction again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.book import classify_transfer
from ledger.chain.rpc import RpcClient
from ledger.chain.watchlist import Watchlist
from ledger.config import ChainSettings
from ledger.errors import LedgerError, NotFoundError
from ledger.journal import EntrySpec, Evidence, PostingSpec, open_account, post_entry
from ledger.models import Account, EvidenceKind
from ledger.routing.disburse import record_chain_disbursements


class VerifyError(LedgerError):
    """The transaction cannot be booked (not final, failed, or not the initiative's)."""


@dataclass(frozen=True)
class VerifiedTransfer:
    tx_hash: str
    block_number: int
    entry_id: int
    description: str
    value: int
    asset: str


def verify_native_transfer(
    session: Session, client: RpcClient, chain: ChainSettings, watch: Watchlist, tx_hash: str
) -> VerifiedTransfer:
    """Read ``tx_hash`` and book its native-coin transfer to or from a known wallet.

    Raises NotFoundError for an unknown transaction and VerifyError when it is pending, not
    final yet, failed, moves no native coin or touches none of the initiative's wallets.
    """
    tx_hash = tx_hash.lower()
    tx = client.fetch_transaction(tx_hash)
    if tx is None:
        raise NotFoundError(f"transaction {tx_hash} is not known to the node")
    receipt = client.fetch_receipt(tx_hash)
    if receipt is None or tx.get("blockNumber") is None:
        raise VerifyError(f"transaction {tx_hash} is not mined yet")
    if int(receipt.get("status", "0x0"), 16) != 1:
        raise VerifyError(f"transaction {tx_hash} failed on chain; nothing to book")
    block_number = int(receipt["blockNumber"], 16)
    block_hash = str(receipt["blockHash"]).lower()
    head = client.fetch_block_header("latest")
    if head is None:
        raise VerifyError("the node does not answer with its latest block")
    if chain.confirmations:
        final = head.number - chain.confirmations
    else:
        finalized = client.fetch_block_header("finalized")
        final = finalized.number if finalized else -1
    if block_number > final:
        raise VerifyError(
            f"transaction {tx_hash} is in block {block_number}, not final yet "
            f"(final block {final}); try again shortly"
        )
    header = client.fetch_block_header(block_number)
    if header is None or header.hash != block_hash:
        raise VerifyError(f"block {block_number} of transaction {tx_hash} was reorganised")
    value = int(tx.get("value", "0x0"), 16)
    sender = str(tx.get("from") or "").lower()
    recipient = str(tx.get("to") or "").lower()
    native = watch.native_asset
    if native is None:
        raise VerifyError(f"the catalogue has no native asset for chain {chain.chain_id}")
    if not value:
        raise VerifyError(
            f"transaction {tx_hash} moves no {native}; token transfers are booked by `ledger sync`"
        )
    booked = classify_transfer(watch, native, sender, recipient, value)
    if booked is None:
        raise VerifyError(f"transaction {tx_hash} touches none of the initiative's wallets")
    description, legs = booked
    for name in {account for account, _, _ in legs}:
        if session.scalar(select(Account.id).where(Account.name == name)) is None:
            open_account(session, name)
    entry = post_entry(
        session,
        EntrySpec(
            idempotency_key=f"chain-tx:{chain.chain_id}:{block_hash}:{tx_hash}",
            effective_at=datetime.fromtimestamp(header.timestamp, UTC),
            description=description,
            postings=[PostingSpec(a, asset, amount) for a, asset, amount in legs],
            evidence=Evidence(
                kind=EvidenceKind.CHAIN_TX,
                chain_id=chain.chain_id,
                block_number=block_number,
                block_hash=block_hash,
                tx_hash=tx_hash,
            ),
        ),
    )
    record_chain_disbursements(session, after_entry_id=entry.id - 1)
    return VerifiedTransfer(tx_hash, block_number, entry.id, description, value, native)
