"""Apply a parsed catalogue file to the database: create or update each record by its key.

Loading the same file twice changes nothing (the second report lists no changes). The report
says what was created and changed, so an adapter can show it as a preview and roll back.
Split-rule versions are immutable: a changed version is refused, a new version is added.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import accounts
from ledger.catalogue.fileformat import (
    ArtworkIn,
    CatalogueFile,
    LocalText,
    SplitRuleIn,
    StoryIn,
)
from ledger.errors import CatalogueError, InvalidEntryError
from ledger.journal import ensure_asset, open_account
from ledger.models import (
    Artist,
    Artwork,
    ArtworkArtist,
    ArtworkImage,
    Asset,
    AssetKind,
    Beneficiary,
    Collection,
    ConsentStatus,
    EditionStatus,
    Hotline,
    Initiative,
    NftEdition,
    RuleScope,
    SplitRule,
    SplitShare,
    Story,
    TextSet,
    TextVariant,
    TokenStandard,
    VariantStatus,
    Wallet,
    WalletOwner,
    WalletRole,
)
from ledger.models.base import utcnow

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud and typed by hand


@dataclass
class LoadReport:
    """What a load created and changed, one human-readable line per change."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        if not self.has_changes:
            return "no changes"
        return f"{len(self.created)} created, {len(self.updated)} updated"


def generate_public_code() -> str:
    """Return a random 6-character code for /a/<code> (31**6, about 887 million)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


class _Loader:
    def __init__(self, session: Session, report: LoadReport) -> None:
        self.session = session
        self.report = report

    def set(self, obj: Any, what: str, /, **values: Any) -> None:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed and obj.id is not None:
            self.report.updated.append(f"{what}: {', '.join(changed)}")

    def text(self, current: TextSet | None, wanted: LocalText | None, label: str) -> TextSet | None:
        if wanted is None:
            if current is not None:
                self.report.updated.append(f"{label}: removed")
            return None
        text_set = current if current is not None else TextSet()
        if current is None:
            self.session.add(text_set)
        changed = []
        for lang, variant in wanted.variants().items():
            status = VariantStatus.MISSING if variant is None else VariantStatus(variant.status)
            value = None if variant is None else variant.text
            row = text_set.variant(lang)
            if row is None:
                text_set.variants.append(TextVariant(lang=lang, status=status, text=value))
            elif (row.status, row.text) != (status, value):
                row.status, row.text = status, value
                changed.append(lang)
        if changed and current is not None:
            self.report.updated.append(f"{label}: {'/'.join(changed)} changed")
        return text_set

    def required_text(self, current: TextSet | None, wanted: LocalText, label: str) -> TextSet:
        text_set = self.text(current, wanted, label)
        assert text_set is not None
        return text_set

    def get_or_create(self, model: Any, what: str, **identity: Any) -> Any:
        """Return the row of ``model`` with these identifying values, creating it if absent."""
        row = self.session.scalars(select(model).filter_by(**identity)).one_or_none()
        if row is None:
            row = model(**identity)
            self.session.add(row)
            self.report.created.append(what)
        return row

    def by_key(self, model: Any, key: str) -> Any:
        return self.session.scalars(select(model).where(model.key == key)).one_or_none()


def _load_story(loader: _Loader, artwork: Artwork, data: StoryIn | None) -> None:
    label = f"artwork {artwork.key}: story"
    story = artwork.story
    if data is None:
        if story is not None:
            raise CatalogueError(
                [f"{label}: a story cannot be removed by a catalogue load; withdraw its consent"]
            )
        return
    if story is None:
        story = Story(artwork=artwork, subject_name=data.subject)
        loader.session.add(story)
        loader.report.created.append(label)
    withdrawn = data.consent_withdrawn or story.consent_status == ConsentStatus.WITHDRAWN
    loader.set(
        story,
        label,
        subject_name=data.subject,
        is_subject_name_public=data.subject_public,
        is_summary_public=data.summary_public,
        private_notes=data.private_notes,
        consent_statement=data.consent,
        is_consent_statement_public=data.consent_public,
        is_deceased=data.deceased,
        is_deceased_public=data.deceased_public,
    )
    if withdrawn and story.consent_status != ConsentStatus.WITHDRAWN:
        # A withdrawal is one-way here: reloading an older file never brings a story back.
        loader.set(
            story,
            label,
            consent_status=ConsentStatus.WITHDRAWN,
            consent_withdrawn_at=utcnow(),
        )
    story.public_summary = loader.text(
        story.public_summary, data.public_summary, f"{label}.summary"
    )
    story.content_note = loader.text(story.content_note, data.content_note, f"{label}.content_note")


def _load_artwork(
    loader: _Loader, data: ArtworkIn, position: int, collections: dict[str, Collection]
) -> None:
    session = loader.session
    artwork: Artwork | None = loader.by_key(Artwork, data.key)
    label = f"artwork {data.key}"
    is_new = artwork is None
    if artwork is None:
        code = data.code or generate_public_code()
        artwork = Artwork(key=data.key, public_code=code)
        session.add(artwork)
        loader.report.created.append(label)
    elif data.code and data.code != artwork.public_code:
        raise CatalogueError(
            [
                f"{label}: public code is {artwork.public_code!r}; printed labels point at it, "
                f"so a catalogue load never changes it (file says {data.code!r})"
            ]
        )
    loader.set(
        artwork,
        label,
        position=position,
        year=data.year,
        dimensions_text=data.dimensions,
        height_cm=data.height_cm,
        width_cm=data.width_cm,
        depth_cm=data.depth_cm,
    )
    artwork.title = loader.required_text(artwork.title, data.title, f"{label}.title")
    artwork.medium = loader.text(artwork.medium, data.medium, f"{label}.medium")
    artwork.description = loader.text(artwork.description, data.description, f"{label}.description")

    artist_ids = [loader.by_key(Artist, key).id for key in data.artists]
    if [link.artist_id for link in artwork.artist_links] != artist_ids:
        if not is_new:
            loader.report.updated.append(f"{label}: artists")
        artwork.artist_links.clear()
        session.flush()
        artwork.artist_links.extend(
            ArtworkArtist(artist_id=aid, position=i) for i, aid in enumerate(artist_ids)
        )

    for i, image in enumerate(data.images):
        existing = artwork.images[i] if i < len(artwork.images) else None
        if existing is None:
            existing = ArtworkImage(position=i, path=image.path)
            artwork.images.append(existing)
            loader.report.created.append(f"{label}: image {image.path}")
        loader.set(existing, f"{label}: image {i}", path=image.path)
        existing.alt_text = loader.required_text(
            existing.alt_text, image.alt, f"{label}: image {i} alt"
        )
    del artwork.images[len(data.images) :]

    session.flush()
    _load_story(loader, artwork, data.story)
    if data.editions is not None:
        _load_editions(loader, artwork, data, collections)


def _load_editions(
    loader: _Loader, artwork: Artwork, data: ArtworkIn, collections: dict[str, Collection]
) -> None:
    spec = data.editions
    assert spec is not None
    collection = collections[spec.collection]
    existing = {(e.collection_id, e.token_id, e.edition_number): e for e in artwork.editions}
    for number in range(1, spec.size + 1):
        token_id = spec.first_token_id if spec.same_token_id else spec.first_token_id + number - 1
        key = (collection.id, token_id, number)
        edition = existing.pop(key, None)
        if edition is None:
            loader.session.add(
                NftEdition(
                    artwork=artwork,
                    collection_id=collection.id,
                    token_id=token_id,
                    edition_number=number,
                    edition_size=spec.size,
                    status=EditionStatus.AVAILABLE,
                )
            )
            loader.report.created.append(f"artwork {artwork.key}: edition {number}/{spec.size}")
        else:
            loader.set(edition, f"artwork {artwork.key}: edition {number}", edition_size=spec.size)
    if existing:
        raise CatalogueError(
            [
                f"artwork {artwork.key}: editions {sorted(k[2] for k in existing)} are not in the "
                "file; editions are never deleted by a catalogue load"
            ]
        )


def _scope_id(loader: _Loader, rule: SplitRuleIn) -> int | None:
    if rule.scope == "initiative":
        return None
    target = rule.target or ""
    if rule.scope == "collection":
        found = loader.by_key(Collection, target)
    elif rule.scope == "artwork":
        found = loader.by_key(Artwork, target)
    else:
        art_key, _, number = target.partition("#")
        artwork = loader.by_key(Artwork, art_key)
        found = None
        if artwork is not None and number.isdigit():
            found = next((e for e in artwork.editions if e.edition_number == int(number)), None)
    if found is None:
        raise CatalogueError([f"split rule {rule.scope} {target!r}: no such {rule.scope}"])
    return int(found.id)


def _load_split_rule(loader: _Loader, rule: SplitRuleIn) -> None:
    scope = RuleScope(rule.scope)
    scope_id = _scope_id(loader, rule)
    label = f"split rule {rule.scope}{' ' + rule.target if rule.target else ''} v{rule.version}"
    remainder = loader.by_key(Beneficiary, rule.remainder)
    wanted_shares = sorted(
        (
            loader.by_key(Beneficiary, s.beneficiary).id if s.beneficiary else None,
            loader.by_key(Artist, s.artist).id if s.artist else None,
            s.bps,
        )
        for s in rule.shares
    )
    existing = loader.session.scalars(
        select(SplitRule).where(
            SplitRule.scope == scope,
            SplitRule.scope_id.is_(None) if scope_id is None else SplitRule.scope_id == scope_id,
            SplitRule.version == rule.version,
        )
    ).one_or_none()
    if existing is not None:
        have = sorted((s.beneficiary_id, s.artist_id, s.bps) for s in existing.shares)
        if (
            have != wanted_shares
            or existing.remainder_beneficiary_id != remainder.id
            or existing.effective_from != rule.effective_from
        ):
            raise CatalogueError(
                [
                    f"{label}: differs from the stored version; rule versions are never changed, "
                    "add a new version instead"
                ]
            )
        return
    new_rule = SplitRule(
        scope=scope,
        scope_id=scope_id,
        version=rule.version,
        effective_from=rule.effective_from,
        remainder_beneficiary_id=remainder.id,
        note=rule.note,
    )
    new_rule.shares = [
        SplitShare(beneficiary_id=b, artist_id=a, bps=bps) for b, a, bps in wanted_shares
    ]
    loader.session.add(new_rule)
    loader.report.created.append(label)


def _load_wallet(
    loader: _Loader,
    chain_id: int,
    address: str,
    owner: WalletOwner,
    role: WalletRole,
    label: str | None,
    beneficiary: Beneficiary | None = None,
) -> Wallet:
    address = address.lower()
    desc = f"wallet {chain_id}:{address}"
    wallet: Wallet = loader.get_or_create(Wallet, desc, chain_id=chain_id, address=address)
    loader.set(
        wallet,
        desc,
        owner=owner,
        role=role,
        label=label,
        beneficiary_id=beneficiary.id if beneficiary else None,
    )
    loader.session.flush()
    return wallet


def load_catalogue(session: Session, catalogue: CatalogueFile) -> LoadReport:
    """Create or update every record of ``catalogue``; return what changed.

    Raises CatalogueError when the file conflicts with what is stored (a changed public code or
    split-rule version, a removed edition or story, an asset redefined).
    """
    report = LoadReport()
    loader = _Loader(session, report)

    init = catalogue.initiative
    initiative = loader.get_or_create(Initiative, f"initiative {init.key}", key=init.key)
    loader.set(
        initiative,
        f"initiative {init.key}",
        name=init.name,
        is_demo=init.demo,
        initiator=init.initiator,
        venue=init.venue,
        opened=init.opened,
    )
    initiative.summary = loader.text(initiative.summary, init.summary, "initiative.summary")
    initiative.proceeds_policy = loader.text(
        initiative.proceeds_policy, init.proceeds_policy, "initiative.proceeds_policy"
    )

    for asset in catalogue.assets:
        try:
            existed = session.scalars(select(Asset.id).where(Asset.code == asset.code)).first()
            ensure_asset(
                session,
                asset.code,
                symbol=asset.symbol,
                kind=AssetKind(asset.kind),
                decimals=asset.decimals,
                chain_id=asset.chain_id,
                contract=asset.contract,
            )
        except InvalidEntryError as exc:
            raise CatalogueError([f"assets {asset.code}: {exc}"]) from exc
        if not existed:
            report.created.append(f"asset {asset.code}")

    for artist_in in catalogue.artists:
        artist = loader.get_or_create(Artist, f"artist {artist_in.key}", key=artist_in.key)
        artist.name = loader.required_text(
            artist.name, artist_in.name, f"artist {artist_in.key}.name"
        )

    collections: dict[str, Collection] = {}
    for coll_in in catalogue.collections:
        coll = loader.get_or_create(Collection, f"collection {coll_in.key}", key=coll_in.key)
        loader.set(
            coll,
            f"collection {coll_in.key}",
            name=coll_in.name,
            chain_id=coll_in.chain_id,
            contract=coll_in.contract.lower(),
            standard=TokenStandard(coll_in.standard),
        )
        collections[coll_in.key] = coll
    session.flush()

    for wallet_in in catalogue.wallets:
        wallet = _load_wallet(
            loader,
            wallet_in.chain_id,
            wallet_in.address,
            WalletOwner.INITIATIVE,
            WalletRole(wallet_in.role),
            wallet_in.label,
        )
        open_account(session, accounts.wallet_account(wallet), wallet_id=wallet.id)

    for ben_in in catalogue.beneficiaries:
        ben = loader.get_or_create(Beneficiary, f"beneficiary {ben_in.key}", key=ben_in.key)
        loader.set(
            ben,
            f"beneficiary {ben_in.key}",
            legal_identifier=ben_in.legal_identifier,
            is_verified=ben_in.verified,
            bank_reference=ben_in.bank_reference,
        )
        ben.name = loader.required_text(ben.name, ben_in.name, f"beneficiary {ben_in.key}.name")
        session.flush()
        for w in ben_in.wallets:
            _load_wallet(
                loader, w.chain_id, w.address, WalletOwner.BENEFICIARY, WalletRole.PAYOUT, None, ben
            )
        open_account(session, accounts.payable_account(ben.key), beneficiary_id=ben.id)

    for position, art_in in enumerate(catalogue.artworks):
        _load_artwork(loader, art_in, position, collections)
    session.flush()

    for rule_in in catalogue.split_rules:
        _load_split_rule(loader, rule_in)

    for position, line_in in enumerate(catalogue.hotlines):
        line = loader.get_or_create(Hotline, f"hotline {line_in.number}", number=line_in.number)
        loader.set(
            line,
            f"hotline {line_in.number}",
            region=line_in.region,
            languages=",".join(line_in.languages),
            hours=line_in.hours,
            is_emergency=line_in.emergency,
            since=line_in.since,
            last_checked=line_in.last_checked,
            source=line_in.source,
            position=position,
        )
        line.name = loader.required_text(line.name, line_in.name, f"hotline {line_in.number}.name")

    session.flush()
    return report
