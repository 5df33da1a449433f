"""Link a journal entry to what it is about: channel, collection, artwork and edition.

A chain entry's evidence (chain id, block hash, log index) names its raw log in ``chain_log``;
decoding it gives the Trade or Element fill with the NFT contract and token id, hence the
edition and the artwork. Other entries are attributed by whoever posts them (an import, a manual
entry) or, failing that, by the channel in the name of their income account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.book import ELEMENT, PANCAKE
from ledger.chain.decode import (
    ElementFill,
    MalformedLogError,
    RevenueClaim,
    Trade,
    decode_log,
    topic0s_named,
)
from ledger.models import ChainLog, Collection, EvidenceKind, JournalEntry, NftEdition

# The raw logs compute_attribution reads: Trade, the four Element fills, RevenueClaim.
ATTRIBUTED_TOPICS: tuple[str, ...] = topic0s_named(
    "Trade",
    "ERC721SellOrderFilled",
    "ERC721BuyOrderFilled",
    "ERC1155SellOrderFilled",
    "ERC1155BuyOrderFilled",
    "RevenueClaim",
)


@dataclass(frozen=True)
class Attribution:
    channel: str | None = None
    collection_id: int | None = None
    artwork_id: int | None = None
    edition_id: int | None = None


def _channel_from_accounts(names: Iterable[str]) -> str | None:
    for name in names:
        parts = name.split(":")
        if parts[0] in ("Income", "Expenses") and len(parts) >= 3:
            return parts[2]
        if parts[:2] == ["Assets", "Receivable"] and len(parts) >= 3:
            return parts[2]
    return None


def find_edition(
    session: Session, chain_id: int, contract: str, token_id: int
) -> tuple[int | None, int | None, int | None]:
    """Return (collection id, artwork id, edition id) of a token; None where unknown.

    An ERC-1155 token id shared by several editions of one artwork gives the artwork and no
    single edition.
    """
    collection_id = session.scalar(
        select(Collection.id).where(
            Collection.chain_id == chain_id, Collection.contract == contract.lower()
        )
    )
    if collection_id is None:
        return None, None, None
    editions = session.scalars(
        select(NftEdition).where(
            NftEdition.collection_id == collection_id, NftEdition.token_id == token_id
        )
    ).all()
    return pick_edition(collection_id, editions)


def pick_edition(
    collection_id: int, editions: Sequence[NftEdition]
) -> tuple[int | None, int | None, int | None]:
    """(collection id, artwork id, edition id) from a token's editions (see find_edition)."""
    artworks = {e.artwork_id for e in editions}
    if len(artworks) != 1:
        return collection_id, None, None
    return collection_id, artworks.pop(), editions[0].id if len(editions) == 1 else None


EditionFinder = Callable[[Session, int, str, int], tuple[int | None, int | None, int | None]]
_NOT_GIVEN: Any = object()


def compute_attribution(
    session: Session,
    entry: JournalEntry,
    *,
    row: ChainLog | None = _NOT_GIVEN,
    finder: EditionFinder = find_edition,
    accounts: Sequence[str] | None = None,
) -> Attribution:
    """Attribute ``entry`` from its raw chain log, or else from its account names.

    A caller attributing many entries passes the raw log it has already read (``row``, None
    when there is none), a caching ``finder`` and the entry's account names; otherwise they are
    looked up here.
    """
    names = accounts if accounts is not None else [p.account.name for p in entry.postings]
    fallback = Attribution(channel=_channel_from_accounts(names))
    if entry.evidence_kind != EvidenceKind.CHAIN_LOG:
        return fallback
    if row is _NOT_GIVEN:
        row = session.scalars(
            select(ChainLog).where(
                ChainLog.chain_id == entry.chain_id,
                ChainLog.block_hash == entry.block_hash,
                ChainLog.log_index == entry.log_index,
            )
        ).first()
    if row is None or entry.chain_id is None:
        return fallback
    try:
        event = decode_log(entry.chain_id, row.to_raw_log())
    except MalformedLogError:
        return fallback
    if isinstance(event, Trade):
        ids = finder(session, entry.chain_id, event.collection, event.token_id)
        return Attribution(PANCAKE, *ids)
    if isinstance(event, ElementFill):
        ids = finder(session, entry.chain_id, event.nft_contract, event.token_id)
        return Attribution(ELEMENT, *ids)
    if isinstance(event, RevenueClaim):
        return Attribution(PANCAKE)
    return fallback
