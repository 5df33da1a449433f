"""Discrepancy checks: what ``ledger check`` lists (and exits non-zero for).

Each check returns a list of Discrepancy values instead of raising halfway, Beancount style:

- ``unpaid``: proceeds accrued or pledged (a receivable) and still not received after the
  configured number of days;
- ``unrouted``: a receipt with no split rule in force at its date;
- ``overpaid``: more disbursed to a beneficiary in an asset than was routed to it;
- ``never_owed``: a beneficiary paid in an asset nothing was ever routed to it in;
- ``wallet``: a wallet's journal balance of a token differs from the balance the chain reports,
  with the first entry after which they diverge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import PAYABLE_PREFIX, RECEIVABLE_PREFIX, routed_account, wallet_account
from ledger.chain.rpc import RpcClient
from ledger.journal import get_balances
from ledger.models import (
    Account,
    Asset,
    AssetKind,
    JournalEntry,
    Posting,
    RoutingRecord,
    RoutingStatus,
    Wallet,
    WalletOwner,
)


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.subject}: {self.message}"


def _postings(session: Session, prefix: str) -> list[tuple[str, str, int, datetime, int]]:
    rows = session.execute(
        select(Account.name, Asset.code, Posting.amount, JournalEntry.effective_at, JournalEntry.id)
        .join(Posting.account)
        .join(Posting.asset)
        .join(Posting.entry)
        .where(Account.name.startswith(prefix))
        .order_by(JournalEntry.effective_at, JournalEntry.id)
    )
    return [(a, c, amount, at, entry_id) for a, c, amount, at, entry_id in rows]


def find_unpaid(session: Session, *, now: datetime, after_days: int) -> list[Discrepancy]:
    """Receivables whose oldest unsettled accrual is older than ``after_days`` (FIFO)."""
    accruals: dict[tuple[str, str], list[tuple[datetime, int, int]]] = defaultdict(list)
    settled: dict[tuple[str, str], int] = defaultdict(int)
    for account, asset, amount, at, entry_id in _postings(session, RECEIVABLE_PREFIX):
        if amount > 0:
            accruals[(account, asset)].append((at, amount, entry_id))
        else:
            settled[(account, asset)] -= amount
    out = []
    cutoff = now - timedelta(days=after_days)
    for key, items in sorted(accruals.items()):
        left = settled[key]
        for at, amount, entry_id in items:
            if left >= amount:
                left -= amount
                continue
            open_amount = amount - max(left, 0)
            left = 0
            if at < cutoff:
                out.append(
                    Discrepancy(
                        "unpaid",
                        f"{key[0]} {key[1]}",
                        f"{open_amount} accrued by entry {entry_id} on {at:%Y-%m-%d} is still "
                        f"not received after {after_days} days",
                    )
                )
            break
    return out


def find_unrouted(session: Session) -> list[Discrepancy]:
    records = session.scalars(
        select(RoutingRecord).where(RoutingRecord.status == RoutingStatus.NO_RULE)
    )
    return [
        Discrepancy(
            "unrouted",
            f"entry {r.entry_id}",
            "received proceeds, but no split rule was in force at its date",
        )
        for r in records
    ]


def find_payout_problems(session: Session) -> list[Discrepancy]:
    """Overpaid beneficiaries and payouts in an asset never routed to the beneficiary."""
    routed: dict[tuple[str, str], int] = defaultdict(int)
    paid: dict[tuple[str, str], int] = defaultdict(int)
    routing_entries = set(
        session.scalars(
            select(Posting.entry_id).join(Posting.account).where(Account.name == routed_account())
        )
    )
    for account, asset, amount, _, entry_id in _postings(session, PAYABLE_PREFIX):
        if entry_id in routing_entries:
            routed[(account, asset)] -= amount
        else:
            paid[(account, asset)] += amount
    out = []
    for key in sorted(paid):
        if paid[key] <= 0:
            continue
        if routed[key] <= 0:
            out.append(
                Discrepancy(
                    "never_owed",
                    f"{key[0]} {key[1]}",
                    f"{paid[key]} paid out in {key[1]}, which was never routed to it",
                )
            )
        elif paid[key] > routed[key]:
            out.append(
                Discrepancy(
                    "overpaid",
                    f"{key[0]} {key[1]}",
                    f"{paid[key]} disbursed, more than the {routed[key]} routed",
                )
            )
    return out


def compute_discrepancies(
    session: Session, *, now: datetime, unpaid_after_days: int
) -> list[Discrepancy]:
    """Return every open discrepancy found in the journal alone (no network)."""
    return [
        *find_unpaid(session, now=now, after_days=unpaid_after_days),
        *find_unrouted(session),
        *find_payout_problems(session),
    ]


# ------------------------------------------------------------------------------ the chain

_BALANCE_OF = "0x70a08231"


def fetch_token_balance(client: RpcClient, token: str, holder: str, block: int) -> int:
    data = _BALANCE_OF + "0" * 24 + holder[2:]
    result = client.request("eth_call", [{"to": token, "data": data}, hex(block)])
    return int(str(result), 16) if result and result != "0x" else 0


def fetch_wallet_divergences(
    session: Session, client: RpcClient, chain_id: int, *, at_block: int
) -> list[Discrepancy]:
    """Compare each initiative wallet's token balances with the chain at ``at_block``.

    Native coin is left out: gas fees are paid from it and are not booked. For a wallet that
    differs, the first diverging entry is found by bisection over the blocks of its entries
    (assuming a difference, once there, stays: the usual case of a missed or extra transfer).
    """
    out: list[Discrepancy] = []
    wallets = session.scalars(
        select(Wallet).where(Wallet.chain_id == chain_id, Wallet.owner == WalletOwner.INITIATIVE)
    ).all()
    tokens = session.scalars(
        select(Asset).where(Asset.chain_id == chain_id, Asset.kind == AssetKind.TOKEN)
    ).all()
    for wallet in wallets:
        account = wallet_account(wallet)
        balances = get_balances(session, account_prefix=account)
        for token in tokens:
            assert token.contract is not None
            ours = balances.get((account, token.code), 0)
            theirs = fetch_token_balance(client, token.contract, wallet.address, at_block)
            if ours == theirs:
                continue
            first = _first_divergence(session, client, account, token, wallet.address)
            where = f"; first differs after entry {first[0]} (block {first[1]})" if first else ""
            out.append(
                Discrepancy(
                    "wallet",
                    f"{account} {token.code}",
                    f"journal {ours}, chain {theirs} at block {at_block}{where}",
                )
            )
    return out


def _first_divergence(
    session: Session, client: RpcClient, account: str, token: Asset, address: str
) -> tuple[int, int] | None:
    rows = session.execute(
        select(JournalEntry.id, JournalEntry.block_number, Posting.amount)
        .join(Posting.entry)
        .join(Posting.account)
        .where(
            Account.name == account,
            Posting.asset_id == token.id,
            JournalEntry.block_number.is_not(None),
        )
        .order_by(JournalEntry.block_number, JournalEntry.id)
    ).all()
    if not rows:
        return None
    # Running balance after each block that has entries.
    points: list[tuple[int, int, int]] = []  # (block, last entry id, balance after the block)
    running = 0
    for entry_id, block, amount in rows:
        assert block is not None
        running += amount
        if points and points[-1][0] == block:
            points[-1] = (block, entry_id, running)
        else:
            points.append((block, entry_id, running))
    assert token.contract is not None

    def differs(index: int) -> bool:
        block, _, balance = points[index]
        return fetch_token_balance(client, token.contract or "", address, block) != balance

    low, high = 0, len(points) - 1
    if not differs(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if differs(middle):
            high = middle
        else:
            low = middle + 1
    return points[low][1], points[low][0]


def sort_discrepancies(found: Sequence[Discrepancy]) -> list[Discrepancy]:
    return sorted(found, key=lambda d: (d.kind, d.subject, d.message))
