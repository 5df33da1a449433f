"""Link a journal entry to what it is about: channel, collection, artwork and edition.

A chain entry's evidence (chain id, block hash, log index) names its raw log in ``chain_log``;
decoding it gives the Trade or Element fill with the NFT contract and token id, hence the
edition and the artwork. Other entries are attributed by whoever posts them (an import, a manual
entry) or, failing that, by the channel in the name of their income account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.chain.book import ELEMENT, PANCAKE
from ledger.chain.decode import (
    DecodedEvent,
    ElementFill,
    MalformedLogError,
    RevenueClaim,
    Trade,
    decode_log,
    topic0s_named,
)
from ledger.models import Collection, EvidenceKind, NftEdition

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


def compute_attribution(
    session: Session,
    *,
    evidence_kind: EvidenceKind,
    chain_id: int | None,
    event: DecodedEvent | None,
    accounts: Sequence[str],
    finder: EditionFinder = find_edition,
) -> Attribution:
    """Attribute an entry from its decoded raw chain log, or else from its account names.

    ``event`` is the decoded log the entry's chain evidence names (None when there is none or
    it does not decode); ``accounts`` are the names of the entry's accounts; a caller
    attributing many entries passes a caching ``finder``.
    """
    if evidence_kind == EvidenceKind.CHAIN_LOG and event is not None and chain_id is not None:
        if isinstance(event, Trade):
            ids = finder(session, chain_id, event.collection, event.token_id)
            return Attribution(PANCAKE, *ids)
        if isinstance(event, ElementFill):
            ids = finder(session, chain_id, event.nft_contract, event.token_id)
            return Attribution(ELEMENT, *ids)
        if isinstance(event, RevenueClaim):
            return Attribution(PANCAKE)
    return Attribution(channel=_channel_from_accounts(accounts))


def decode_attributed(chain_id: int, log: Mapping[str, Any]) -> DecodedEvent | None:
    """Decode a raw log for attribution: None when it does not decode (attributed by name)."""
    try:
        return decode_log(chain_id, log)
    except MalformedLogError:
        return None
