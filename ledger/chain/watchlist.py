"""What the chain sync follows: the initiative's contracts and wallets, as eth_getLogs filters.

Built from the catalogue (collections, wallets, token assets) and the ``[chain]`` settings
(marketplaces, WBNB). Filters use the indexed topics wherever an event has them: WBNB alone moves
millions of times a day, so token transfers are asked for by sender or recipient, never by
contract alone. Element's fills have no indexed field and are filtered after decoding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.accounts import wallet_account
from ledger.chain.decode import (
    AskEvent,
    CollectionClose,
    CollectionSettings,
    DecodedEvent,
    ElementFill,
    Erc20Transfer,
    Erc721Transfer,
    RevenueClaim,
    Trade,
    TransferBatch,
    TransferSingle,
    WbnbDeposit,
    WbnbWithdrawal,
    topic0s_named,
)
from ledger.chain.fetch import LogFilter
from ledger.config import ChainSettings
from ledger.errors import ConfigError
from ledger.models import Asset, AssetKind, Collection, Wallet, WalletOwner

TRANSFER, TRANSFER_SINGLE, TRANSFER_BATCH, DEPOSIT, WITHDRAWAL, REVENUE_CLAIM = topic0s_named(
    "Transfer", "TransferSingle", "TransferBatch", "Deposit", "Withdrawal", "RevenueClaim"
)
MARKET_COLLECTION_EVENTS = topic0s_named(
    "Trade",
    "AskNew",
    "AskUpdate",
    "AskCancel",
    "CollectionNew",
    "CollectionUpdate",
    "CollectionClose",
)
ELEMENT_FILLS = topic0s_named(
    "ERC721SellOrderFilled",
    "ERC721BuyOrderFilled",
    "ERC1155SellOrderFilled",
    "ERC1155BuyOrderFilled",
)


def _topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


@dataclass(frozen=True)
class Watchlist:
    """Addresses are lower-case 0x hex throughout."""

    chain_id: int
    own_wallets: Mapping[str, str]  # address -> the wallet's account name
    beneficiary_wallets: Mapping[str, str]  # address -> beneficiary key
    tokens: Mapping[str, str]  # token contract -> asset code
    native_asset: str | None  # code of the chain's own coin (BNB), if registered
    collections: Mapping[str, int]  # NFT contract -> collection id
    wbnb: str | None
    pancake_market: str | None
    element_market: str | None

    def log_filters(self) -> list[LogFilter]:
        """The eth_getLogs filters that together return every log the ledger books."""
        own = tuple(sorted(_topic(a) for a in self.own_wallets))
        collections = tuple(sorted(self.collections))
        collection_topics = tuple(_topic(c) for c in collections)
        filters: list[LogFilter] = []
        if self.pancake_market and collections:
            filters.append(
                LogFilter((self.pancake_market,), (MARKET_COLLECTION_EVENTS, collection_topics))
            )
        if self.pancake_market and own:
            filters.append(LogFilter((self.pancake_market,), ((REVENUE_CLAIM,), own)))
        if collections:
            filters.append(LogFilter(collections, ((TRANSFER, TRANSFER_SINGLE, TRANSFER_BATCH),)))
        tokens = tuple(sorted(self.tokens))
        if tokens and own:
            filters.append(LogFilter(tokens, ((TRANSFER,), own)))
            filters.append(LogFilter(tokens, ((TRANSFER,), None, own)))
        if self.wbnb and own:
            filters.append(LogFilter((self.wbnb,), ((DEPOSIT, WITHDRAWAL), own)))
        if self.element_market and collections:
            filters.append(LogFilter((self.element_market,), (ELEMENT_FILLS,)))
        return filters

    def compute_filters_hash(self) -> str:
        shape = [[f.address, f.topics] for f in self.log_filters()]
        blob = json.dumps(shape, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def is_relevant(self, event: DecodedEvent) -> bool:
        """Whether a decoded log concerns the initiative (filters cannot narrow every event)."""
        own = self.own_wallets
        if isinstance(event, ElementFill):
            return event.position.address == self.element_market and (
                event.nft_contract in self.collections
                or event.seller in own
                or event.buyer in own
                or any(recipient in own for recipient, _ in event.fees)
            )
        if isinstance(event, Erc20Transfer):
            return event.position.address in self.tokens and (
                event.sender in own or event.recipient in own
            )
        if isinstance(event, Erc721Transfer | TransferSingle | TransferBatch):
            return event.position.address in self.collections
        if isinstance(event, Trade | AskEvent | CollectionSettings | CollectionClose):
            return event.position.address == self.pancake_market and (
                event.collection in self.collections
            )
        if isinstance(event, RevenueClaim):
            return event.position.address == self.pancake_market and event.claimer in own
        if isinstance(event, WbnbDeposit | WbnbWithdrawal):
            return event.position.address == self.wbnb and event.account in own
        return False


def get_watchlist(session: Session, chain: ChainSettings) -> Watchlist:
    """Build the watchlist of ``chain.chain_id`` from the catalogue and the settings.

    Raises ConfigError when a followed token has no asset to count it in.
    """
    chain_id = chain.chain_id
    own: dict[str, str] = {}
    beneficiaries: dict[str, str] = {}
    for wallet in session.scalars(select(Wallet).where(Wallet.chain_id == chain_id)):
        if wallet.owner == WalletOwner.INITIATIVE:
            own[wallet.address] = wallet_account(wallet)
        elif wallet.beneficiary is not None:
            beneficiaries[wallet.address] = wallet.beneficiary.key
    tokens: dict[str, str] = {}
    native: str | None = None
    for asset in session.scalars(select(Asset).where(Asset.chain_id == chain_id)):
        if asset.kind == AssetKind.NATIVE:
            native = asset.code
        elif asset.contract:
            tokens[asset.contract] = asset.code
    wbnb = chain.wbnb or None
    if wbnb and wbnb not in tokens:
        raise ConfigError(
            f"chain.wbnb {wbnb} is not among the catalogue's assets of chain {chain_id}"
        )
    collections = {
        c.contract: c.id
        for c in session.scalars(select(Collection).where(Collection.chain_id == chain_id))
    }
    return Watchlist(
        chain_id=chain_id,
        own_wallets=own,
        beneficiary_wallets=beneficiaries,
        tokens=tokens,
        native_asset=native,
        collections=collections,
        wbnb=wbnb,
        pancake_market=chain.pancake_market or None,
        element_market=chain.element_market or None,
    )
