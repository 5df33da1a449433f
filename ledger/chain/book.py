"""Interpret one transaction's decoded logs as journal entries and edition changes (pure).

Logs are read per transaction, not one by one: the WBNB transfer that pays the seller inside a
PancakeSwap ``Trade``, or the claimer inside a ``RevenueClaim``, is part of that sale or claim,
not a second inflow. Each marketplace event says which payments to the initiative's wallets it
explains (wallet, asset, amount); token transfers in the same transaction that match one are
consumed by it, and only the rest are booked as plain transfers.

Every entry's idempotency key is derived from the log it rests on: chain id, block hash and log
index (see docs/accounts.md). Amounts are in the asset's smallest unit; a debit is positive.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ledger.accounts import (
    conversions_account,
    marketplace_fees_account,
    payable_account,
    receivable_account,
    royalties_account,
    sales_account,
    suspense_account,
)
from ledger.chain.decode import (
    AskEvent,
    CollectionSettings,
    DecodedEvent,
    ElementFill,
    Erc20Transfer,
    Erc721Transfer,
    LogPosition,
    RevenueClaim,
    Trade,
    TransferBatch,
    TransferSingle,
    WbnbDeposit,
    WbnbWithdrawal,
)
from ledger.chain.watchlist import Watchlist
from ledger.errors import LedgerError
from ledger.journal import EntrySpec, Evidence, PostingSpec
from ledger.models import EditionStatus, NftEdition

ZERO_ADDRESS = "0x" + "0" * 40
PANCAKE = "PancakeSwap"
ELEMENT = "Element"
BPS = 10_000


class BookingError(LedgerError):
    """A log the ledger follows cannot be booked as it stands (names the log)."""


@dataclass(frozen=True)
class EditionChange:
    """A change to the editions of a token. With ``quantity`` 0 (ERC-721, marketplace asks) it
    applies to every edition of the token; with a quantity (an ERC-1155 transfer of that many
    units from ``sender``) to that many of the token's editions ``sender`` holds, lowest
    edition numbers first (the zero address: editions nobody holds yet, for a mint)."""

    collection_id: int
    token_id: int
    status: EditionStatus | None = None
    holder: str | None = None
    quantity: int = 0
    sender: str | None = None

    def applies_to(self, of_token: Sequence[NftEdition]) -> list[NftEdition]:
        """The editions (of this change's token) it changes. A transfer of more units than
        the catalogue has editions for moves the editions there are."""
        if not self.quantity:
            return list(of_token)
        if self.sender in (None, ZERO_ADDRESS):
            held = [e for e in of_token if e.holder in (None, ZERO_ADDRESS)]
        else:
            held = [e for e in of_token if e.holder == self.sender]
        return sorted(held, key=lambda e: e.edition_number)[: self.quantity]


@dataclass(frozen=True)
class FeeSetting:
    position: tuple[int, int]  # (block number, log index) of the CollectionNew/Update
    trading_bps: int
    creator_bps: int
    creator: str


@dataclass
class FeeSchedule:
    """PancakeSwap collection settings over time: the fees in force at any block."""

    by_collection: dict[str, list[FeeSetting]] = field(default_factory=dict)

    def record(self, event: CollectionSettings) -> None:
        settings = self.by_collection.setdefault(event.collection, [])
        setting = FeeSetting(
            (event.position.block_number, event.position.log_index),
            event.trading_fee_bps,
            event.creator_fee_bps,
            event.creator,
        )
        if setting not in settings:
            bisect.insort(settings, setting, key=lambda s: s.position)

    def in_force(self, collection: str, position: LogPosition) -> FeeSetting | None:
        settings = self.by_collection.get(collection, [])
        index = bisect.bisect_left(
            settings, (position.block_number, position.log_index), key=lambda s: s.position
        )
        return settings[index - 1] if index else None


@dataclass
class Booking:
    entries: list[EntrySpec] = field(default_factory=list)
    edition_changes: list[EditionChange] = field(default_factory=list)


def chain_log_key(position: LogPosition) -> str:
    return f"chain:{position.chain_id}:{position.block_hash}:{position.log_index}"


def _evidence(p: LogPosition) -> Evidence:
    return Evidence.chain_log(p.chain_id, p.block_number, p.block_hash, p.log_index, p.tx_hash)


def _entry(
    position: LogPosition, at: datetime, description: str, legs: Sequence[tuple[str, str, int]]
) -> EntrySpec:
    return EntrySpec(
        idempotency_key=chain_log_key(position),
        effective_at=at,
        description=description,
        postings=[PostingSpec(account, asset, amount) for account, asset, amount in legs if amount],
        evidence=_evidence(position),
    )


def _where(p: LogPosition) -> str:
    return f"block {p.block_number} ({p.block_hash}), log index {p.log_index}, tx {p.tx_hash}"


class _Transaction:
    """State while booking one transaction."""

    def __init__(self, watch: Watchlist, fees: FeeSchedule, at: datetime) -> None:
        self.watch = watch
        self.fees = fees
        self.at = at
        self.booking = Booking()
        self.explained: dict[tuple[str, str, int], int] = {}  # (wallet, asset, amount) -> n
        # ERC-1155 units sold in this transaction: (contract, token id, buyer) -> units; the
        # transfers that move them mark the editions they move as sold.
        self.sold_units: dict[tuple[str, int, str], int] = {}

    def explain(self, wallet: str, asset: str, amount: int) -> None:
        if amount:
            key = (wallet, asset, amount)
            self.explained[key] = self.explained.get(key, 0) + 1

    def consume(self, wallet: str, asset: str, amount: int) -> bool:
        key = (wallet, asset, amount)
        if self.explained.get(key, 0) > 0:
            self.explained[key] -= 1
            return True
        return False

    def add(self, position: LogPosition, description: str, *legs: tuple[str, str, int]) -> None:
        for _, _, amount in legs:
            if amount:
                self.booking.entries.append(_entry(position, self.at, description, legs))
                return

    def edition(
        self,
        contract: str,
        token_id: int,
        *,
        status: EditionStatus | None = None,
        holder: str | None = None,
    ) -> None:
        collection_id = self.watch.collections.get(contract)
        if collection_id is not None:
            self.booking.edition_changes.append(
                EditionChange(collection_id, token_id, status, holder)
            )

    def move_units(self, contract: str, sender: str, recipient: str, token_id: int,
                   units: int) -> None:
        """An ERC-1155 transfer: ``units`` of ``token_id`` from ``sender`` to ``recipient``;
        those sold to the recipient in this transaction are marked sold."""
        if units <= 0 or contract not in self.watch.collections:
            return
        key = (contract, token_id, recipient)
        sold = min(self.sold_units.get(key, 0), units)
        if sold:
            self.sold_units[key] -= sold
            self._move(contract, sender, recipient, token_id, sold, EditionStatus.SOLD)
        if units - sold:
            self._move(contract, sender, recipient, token_id, units - sold, None)

    def _move(self, contract: str, sender: str, recipient: str, token_id: int, units: int,
              status: EditionStatus | None) -> None:
        self.booking.edition_changes.append(
            EditionChange(self.watch.collections[contract], token_id, status, recipient,
                          quantity=units, sender=sender)
        )

    # -- PancakeSwap ------------------------------------------------------------------

    def trade(self, e: Trade) -> None:
        own = self.watch.own_wallets
        wbnb = self.watch.tokens.get(self.watch.wbnb or "")
        setting = self.fees.in_force(e.collection, e.position)
        if setting is None:
            raise BookingError(
                f"Trade at {_where(e.position)}: no CollectionNew for {e.collection} before it; "
                "set chain.start_block at or before the collection's registration on the market"
            )
        if wbnb is None:
            raise BookingError(f"Trade at {_where(e.position)}: chain.wbnb is not configured")
        trading = e.ask_price * setting.trading_bps // BPS
        creator = e.ask_price * setting.creator_bps // BPS
        if trading + creator != e.ask_price - e.net_price:
            raise BookingError(
                f"Trade at {_where(e.position)}: askPrice - netPrice = "
                f"{e.ask_price - e.net_price}, but the fees in force "
                f"({setting.trading_bps} + {setting.creator_bps} bps) give {trading + creator}"
            )
        creator_account = (
            receivable_account(PANCAKE)
            if setting.creator in own
            else marketplace_fees_account(PANCAKE)
        )
        what = f"#{e.token_id} of {e.collection}"
        self.edition(e.collection, e.token_id, status=EditionStatus.SOLD, holder=e.buyer)
        if e.seller in own:
            self.explain(e.seller, wbnb, e.net_price)
            self.add(
                e.position,
                f"Sale of {what} on {PANCAKE}",
                (own[e.seller], wbnb, e.net_price),
                (marketplace_fees_account(PANCAKE), wbnb, trading),
                (creator_account, wbnb, creator),
                (sales_account(PANCAKE), wbnb, -e.ask_price),
            )
        elif setting.creator in own and creator:
            self.add(
                e.position,
                f"Creator fee accrued on the resale of {what} on {PANCAKE} (paid at claim)",
                (receivable_account(PANCAKE), wbnb, creator),
                (royalties_account(PANCAKE), wbnb, -creator),
            )

    def claim(self, e: RevenueClaim) -> None:
        wbnb = self.watch.tokens.get(self.watch.wbnb or "")
        if wbnb is None:
            raise BookingError(f"RevenueClaim at {_where(e.position)}: chain.wbnb not configured")
        self.explain(e.claimer, wbnb, e.amount)
        self.add(
            e.position,
            f"Revenue claimed from {PANCAKE} (accrued creator fees)",
            (self.watch.own_wallets[e.claimer], wbnb, e.amount),
            (receivable_account(PANCAKE), wbnb, -e.amount),
        )

    # -- Element ----------------------------------------------------------------------

    def element_fill(self, e: ElementFill) -> None:
        own = self.watch.own_wallets
        if e.is_native:
            asset = self.watch.native_asset
        else:
            asset = self.watch.tokens.get(e.erc20_token)
        if asset is None:
            raise BookingError(
                f"Element fill at {_where(e.position)} is paid in {e.erc20_token}, which is not "
                "an asset of the catalogue: add it to [[assets]]"
            )
        total_fees = sum(amount for _, amount in e.fees)
        net = e.erc20_amount - total_fees
        what = f"#{e.token_id} of {e.nft_contract}"
        if e.kind == "erc721":
            self.edition(e.nft_contract, e.token_id, status=EditionStatus.SOLD, holder=e.buyer)
        else:
            key = (e.nft_contract, e.token_id, e.buyer)
            self.sold_units[key] = self.sold_units.get(key, 0) + e.amount
        if e.seller in own:
            legs: list[tuple[str, str, int]] = [(own[e.seller], asset, net)]
            self.explain(e.seller, asset, net)
            for recipient, amount in e.fees:
                if recipient in own:
                    legs.append((own[recipient], asset, amount))
                    self.explain(recipient, asset, amount)
                else:
                    legs.append((marketplace_fees_account(ELEMENT), asset, amount))
            legs.append((sales_account(ELEMENT), asset, -e.erc20_amount))
            self.add(e.position, f"Sale of {what} on {ELEMENT}", *legs)
            return
        legs = []
        for recipient, amount in e.fees:
            if recipient in own and amount:
                legs.append((own[recipient], asset, amount))
                legs.append((royalties_account(ELEMENT), asset, -amount))
                self.explain(recipient, asset, amount)
        self.add(e.position, f"Creator fee on the sale of {what} on {ELEMENT}", *legs)

    # -- tokens -----------------------------------------------------------------------

    def erc20_transfer(self, e: Erc20Transfer) -> None:
        asset = self.watch.tokens[e.position.address]
        if e.recipient in self.watch.own_wallets and self.consume(e.recipient, asset, e.value):
            return
        booked = classify_transfer(self.watch, asset, e.sender, e.recipient, e.value)
        if booked is not None:
            self.add(e.position, booked[0], *booked[1])

    def wrap(self, e: WbnbDeposit | WbnbWithdrawal) -> None:
        watch = self.watch
        wbnb = watch.tokens.get(watch.wbnb or "")
        native = watch.native_asset
        if wbnb is None or native is None:
            raise BookingError(
                f"WBNB {type(e).__name__} at {_where(e.position)}: the catalogue needs both the "
                "native asset and WBNB"
            )
        account = watch.own_wallets[e.account]
        sign = 1 if isinstance(e, WbnbDeposit) else -1
        verb = "wrapped into" if sign > 0 else "unwrapped from"
        self.add(
            e.position,
            f"{native} {verb} {wbnb}",
            (account, wbnb, sign * e.amount),
            (conversions_account(), wbnb, -sign * e.amount),
            (conversions_account(), native, sign * e.amount),
            (account, native, -sign * e.amount),
        )


def classify_transfer(
    watch: Watchlist, asset: str, sender: str, recipient: str, value: int
) -> tuple[str, list[tuple[str, str, int]]] | None:
    """Describe and leg a plain transfer touching the initiative's wallets (None: nothing)."""
    own = watch.own_wallets
    if sender == recipient or not value:
        return None
    if sender in own and recipient in own:
        return f"{asset} moved between the initiative's wallets", [
            (own[recipient], asset, value),
            (own[sender], asset, -value),
        ]
    if sender in own and recipient in watch.beneficiary_wallets:
        key = watch.beneficiary_wallets[recipient]
        return f"{asset} paid out to beneficiary {key}", [
            (payable_account(key), asset, value),
            (own[sender], asset, -value),
        ]
    if sender in own:
        return (
            f"{asset} sent from the initiative's wallet to an address the ledger does not know",
            [
                (suspense_account(), asset, value),
                (own[sender], asset, -value),
            ],
        )
    if recipient in own:
        return f"{asset} received from an address the ledger does not know", [
            (own[recipient], asset, value),
            (suspense_account(), asset, -value),
        ]
    return None


def book_transaction(
    watch: Watchlist, fees: FeeSchedule, events: Sequence[DecodedEvent], at: datetime
) -> Booking:
    """Book one transaction's relevant logs (in log order); ``at`` is the block's time.

    Marketplace events are read first so the transfers they explain are known; the fee schedule
    is updated in place by CollectionNew/CollectionUpdate. Raises BookingError naming the log
    when a followed fact cannot be booked.
    """
    tx = _Transaction(watch, fees, at)
    for event in events:
        if isinstance(event, CollectionSettings):
            fees.record(event)
        elif isinstance(event, Trade):
            tx.trade(event)
        elif isinstance(event, RevenueClaim):
            tx.claim(event)
        elif isinstance(event, ElementFill):
            tx.element_fill(event)
        elif isinstance(event, AskEvent):
            if event.kind == "new":
                tx.edition(event.collection, event.token_id, status=EditionStatus.LISTED)
            elif event.kind == "cancel":
                tx.edition(event.collection, event.token_id, status=EditionStatus.AVAILABLE)
        elif isinstance(event, Erc721Transfer):
            tx.edition(event.position.address, event.token_id, holder=event.recipient)
    for event in events:
        if isinstance(event, Erc20Transfer):
            tx.erc20_transfer(event)
        elif isinstance(event, TransferSingle):
            tx.move_units(event.position.address, event.sender, event.recipient,
                          event.token_id, event.value)
        elif isinstance(event, TransferBatch):
            for token_id, units in zip(event.token_ids, event.values, strict=True):
                tx.move_units(event.position.address, event.sender, event.recipient,
                              token_id, units)
        elif isinstance(event, WbnbDeposit | WbnbWithdrawal):
            tx.wrap(event)
    # Entries in log order, so a rebuild posts them in the same order.
    tx.booking.entries.sort(key=lambda spec: spec.evidence.log_index or 0)
    return tx.booking
