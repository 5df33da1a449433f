"""Find the split rule in force for a receipt: the most specific scope, the newest version.

Scopes from the most specific: edition, artwork, collection, initiative. Within the first scope
that has a rule in force at the receipt's date, the rule with the latest ``effective_from``
(then the highest version) applies. Rules are never changed, only superseded by new versions,
so a past allocation always names the rule that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Artwork, Collection, NftEdition, RuleScope, SplitRule

Recipient = tuple[str, int]  # ("beneficiary" | "artist", id)


@dataclass(frozen=True)
class Target:
    """What a receipt is about (any of them may be unknown)."""

    edition_id: int | None = None
    artwork_id: int | None = None
    collection_id: int | None = None


def get_rule_in_force(session: Session, target: Target, at: datetime) -> SplitRule | None:
    """Return the rule that applies to ``target`` at ``at``, or None when no rule is in force."""
    for scope, scope_id in (
        (RuleScope.EDITION, target.edition_id),
        (RuleScope.ARTWORK, target.artwork_id),
        (RuleScope.COLLECTION, target.collection_id),
        (RuleScope.INITIATIVE, None),
    ):
        if scope != RuleScope.INITIATIVE and scope_id is None:
            continue
        query = select(SplitRule).where(
            SplitRule.scope == scope,
            SplitRule.effective_from <= at,
            SplitRule.scope_id.is_(None) if scope_id is None else SplitRule.scope_id == scope_id,
        )
        rule = session.scalars(
            query.order_by(SplitRule.effective_from.desc(), SplitRule.version.desc()).limit(1)
        ).first()
        if rule is not None:
            return rule
    return None


class RuleBook:
    """Every split rule, read once, answering get_rule_in_force's question in memory (for
    routing many receipts at a time: the sync routes each range it books)."""

    def __init__(self, session: Session) -> None:
        self._by_scope: dict[tuple[RuleScope, int | None], list[SplitRule]] = {}
        for rule in session.scalars(select(SplitRule)):
            self._by_scope.setdefault((rule.scope, rule.scope_id), []).append(rule)
        for rules in self._by_scope.values():
            rules.sort(key=lambda r: (r.effective_from, r.version), reverse=True)

    def in_force(self, target: Target, at: datetime) -> SplitRule | None:
        """The same answer as get_rule_in_force."""
        for scope, scope_id in (
            (RuleScope.EDITION, target.edition_id),
            (RuleScope.ARTWORK, target.artwork_id),
            (RuleScope.COLLECTION, target.collection_id),
            (RuleScope.INITIATIVE, None),
        ):
            if scope != RuleScope.INITIATIVE and scope_id is None:
                continue
            for rule in self._by_scope.get((scope, scope_id), []):
                if rule.effective_from <= at:
                    return rule
        return None


def rule_shares(rule: SplitRule) -> tuple[list[tuple[Recipient, int]], Recipient]:
    """Return the rule's shares as (recipient, bps) and its remainder recipient."""
    shares: list[tuple[Recipient, int]] = []
    for share in rule.shares:
        if share.beneficiary_id is not None:
            shares.append((("beneficiary", share.beneficiary_id), share.bps))
        elif share.artist_id is not None:
            shares.append((("artist", share.artist_id), share.bps))
    return shares, ("beneficiary", rule.remainder_beneficiary_id)


def describe_rule(session: Session, rule: SplitRule) -> str:
    """Name a rule by its scope's key and version (``split rule for artwork venera, v2``)."""
    target = ""
    if rule.scope == RuleScope.COLLECTION and rule.scope_id is not None:
        collection = session.get(Collection, rule.scope_id)
        target = f" {collection.key}" if collection else ""
    elif rule.scope == RuleScope.ARTWORK and rule.scope_id is not None:
        artwork = session.get(Artwork, rule.scope_id)
        target = f" {artwork.key}" if artwork else ""
    elif rule.scope == RuleScope.EDITION and rule.scope_id is not None:
        edition = session.get(NftEdition, rule.scope_id)
        target = f" {edition.artwork.key}#{edition.edition_number}" if edition else ""
    return f"split rule for {rule.scope.value}{target}, version {rule.version}"
