"""Change the catalogue one record at a time (the console's edits), each change audited.

Every function takes the session and the actor, changes what it names, flushes, and records
one audit entry with the changed fields' values before and after (``ledger.audit``). Nothing
commits here. Values that could identify a survivor (a story's subject name, private notes,
consent statement) are recorded as changed, not written out: the audit log is append-only and
must not keep what a withdrawn consent takes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import accounts
from ledger.audit import Actor, changed_fields, record_change
from ledger.catalogue.editions import change_edition_status
from ledger.catalogue.fileformat import ShareIn, SplitRuleIn
from ledger.catalogue.keys import check_new_key, compute_key
from ledger.catalogue.load import (
    LoadReport,
    _load_split_rule,
    _Loader,
    _scope_id,
    generate_public_code,
)
from ledger.catalogue.texts import TextIn, apply_text, flatten
from ledger.catalogue.uploads import check_document, check_image
from ledger.documents import store_document
from ledger.errors import CatalogueError, NotFoundError
from ledger.journal import open_account
from ledger.models import (
    Artist,
    Artwork,
    ArtworkArtist,
    ArtworkImage,
    Beneficiary,
    BeneficiaryUpdate,
    Collection,
    ConsentStatus,
    EditionStatus,
    Hotline,
    NftEdition,
    RuleScope,
    SplitRule,
    Story,
    Wallet,
    WalletOwner,
    WalletRole,
)
from ledger.models.base import utcnow
from ledger.models.text import LANGUAGES

NOT_RECORDED = "(changed; value not recorded)"
# Story fields whose values never enter the audit log (see the module docstring).
UNRECORDED_STORY_FIELDS = frozenset({"subject_name", "private_notes", "consent_statement"})


def _audit_update(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    unrecorded: frozenset[str] = frozenset(),
) -> bool:
    """Record the changed fields; return False (recording nothing) when nothing changed."""
    old, new = changed_fields(before, after)
    if not old and not new:
        return False
    for key in unrecorded & set(old):
        old[key] = new[key] = NOT_RECORDED
    record_change(session, actor, action, target_type, target_id,
                  summary=f"changed {', '.join(sorted(old))}", before=old, after=new)
    return True


# --- artists -----------------------------------------------------------------------------


def get_artist(session: Session, key: str) -> Artist:
    """Raises NotFoundError."""
    artist = session.scalars(select(Artist).where(Artist.key == key)).one_or_none()
    if artist is None:
        raise NotFoundError(f"no artist {key!r}")
    return artist


def update_artist(session: Session, actor: Actor, key: str, name: TextIn) -> Artist:
    """Change an artist's name variants. Raises NotFoundError, CatalogueError."""
    artist = get_artist(session, key)
    before = flatten("name", artist.name)
    text = apply_text(session, artist.name, name, label=f"artist {key}.name", required=True)
    assert text is not None
    artist.name = text
    session.flush()
    _audit_update(session, actor, "artist.update", "artist", key, before,
                  flatten("name", artist.name))
    return artist


def add_artist(session: Session, actor: Actor, name: TextIn, key: str | None = None) -> Artist:
    """Create an artist; the key is made from the name when not given.

    Raises CatalogueError (a malformed or taken key, no name in any language).
    """
    problems = []
    if key and key.strip():
        key = key.strip()
        problems += check_new_key(session, Artist, "artist", key)
    else:
        key = compute_key(session, Artist, name, fallback="artist")
    text = None
    try:
        text = apply_text(session, None, name, label="artist.name", required=True)
    except CatalogueError as exc:
        problems += exc.problems
    if problems:
        raise CatalogueError(problems)
    assert text is not None
    artist = Artist(key=key, name=text)
    session.add(artist)
    session.flush()
    record_change(session, actor, "artist.add", "artist", key, summary=f"artist {key}",
                  after={"key": key, **flatten("name", artist.name)})
    return artist


# --- artworks ----------------------------------------------------------------------------


def get_artwork(session: Session, key: str) -> Artwork:
    """Raises NotFoundError."""
    artwork = session.scalars(select(Artwork).where(Artwork.key == key)).unique().one_or_none()
    if artwork is None:
        raise NotFoundError(f"no artwork {key!r}")
    return artwork


@dataclass(frozen=True)
class ArtworkChanges:
    title: TextIn
    medium: TextIn
    description: TextIn
    artists: Sequence[str]  # artist keys, in order
    year: int | None = None
    dimensions_text: str | None = None
    height_cm: Decimal | None = None
    width_cm: Decimal | None = None
    depth_cm: Decimal | None = None


def artwork_values(artwork: Artwork) -> dict[str, Any]:
    """Every editable field of an artwork, flat, for the audit log."""
    return {
        "year": artwork.year,
        "dimensions_text": artwork.dimensions_text,
        "height_cm": artwork.height_cm,
        "width_cm": artwork.width_cm,
        "depth_cm": artwork.depth_cm,
        "artists": ", ".join(a.key for a in artwork.artists),
        **flatten("title", artwork.title),
        **flatten("medium", artwork.medium),
        **flatten("description", artwork.description),
    }


def _apply_artwork(session: Session, artwork: Artwork, changes: ArtworkChanges,
                   label: str) -> None:
    """Set an artwork's fields, texts and artists; every problem is reported at once, each
    naming its field. Raises CatalogueError."""
    problems = []
    artist_ids: list[int] = []
    if not changes.artists:
        problems.append(f"{label}.artists: name at least one artist")
    for artist_key in changes.artists:
        try:
            artist_ids.append(get_artist(session, artist_key).id)
        except NotFoundError:
            problems.append(f"{label}.artists: unknown artist {artist_key!r}")
    if len(set(artist_ids)) != len(artist_ids):
        problems.append(f"{label}.artists: an artist is named twice")
    if changes.year is not None and not 1000 <= changes.year <= 9999:
        problems.append(f"{label}.year: a year of four digits")
    for name in ("height_cm", "width_cm", "depth_cm"):
        value = getattr(changes, name)
        if value is not None and not Decimal("0") < value < Decimal("1000000"):
            problems.append(f"{label}.{name}: more than 0 and less than 1,000,000")
    if len((changes.dimensions_text or "").strip()) > 200:
        problems.append(f"{label}.dimensions_text: at most 200 characters")
    title = medium = description = None
    try:
        title = apply_text(session, artwork.title if artwork.id else None, changes.title,
                           label=f"{label}.title", required=True)
    except CatalogueError as exc:
        problems += exc.problems
    if problems:
        raise CatalogueError(problems)
    assert title is not None
    medium = apply_text(session, artwork.medium if artwork.id else None, changes.medium,
                        label=f"{label}.medium", required=False)
    description = apply_text(session, artwork.description if artwork.id else None,
                             changes.description, label=f"{label}.description", required=False)
    artwork.title, artwork.medium, artwork.description = title, medium, description
    artwork.year = changes.year
    artwork.dimensions_text = (changes.dimensions_text or "").strip() or None
    artwork.height_cm = changes.height_cm
    artwork.width_cm = changes.width_cm
    artwork.depth_cm = changes.depth_cm
    if [link.artist_id for link in artwork.artist_links] != artist_ids:
        if artwork.artist_links:
            artwork.artist_links.clear()
            session.flush()
        artwork.artist_links.extend(
            ArtworkArtist(artist_id=aid, position=i) for i, aid in enumerate(artist_ids)
        )


def update_artwork(session: Session, actor: Actor, key: str, changes: ArtworkChanges) -> Artwork:
    """Change an artwork's fields and texts. Raises NotFoundError, CatalogueError."""
    artwork = get_artwork(session, key)
    before = artwork_values(artwork)
    _apply_artwork(session, artwork, changes, f"artwork {key}")
    session.flush()
    session.refresh(artwork)
    _audit_update(session, actor, "artwork.update", "artwork", key, before,
                  artwork_values(artwork))
    return artwork


def _new_public_code(session: Session) -> str:
    """A public code no artwork has (a clash among 887 million is rare; try again)."""
    while True:
        code = generate_public_code()
        if session.scalars(select(Artwork.id).where(Artwork.public_code == code)).first() is None:
            return code


def add_artwork(
    session: Session, actor: Actor, changes: ArtworkChanges, key: str | None = None
) -> Artwork:
    """Create an artwork at the end of the catalogue, with a new public code for its QR label
    (as a catalogue load does); the key is made from the title when not given.

    Raises CatalogueError (a malformed or taken key, no title, unknown artists, bad values).
    """
    problems = []
    if key and key.strip():
        key = key.strip()
        problems += check_new_key(session, Artwork, "artwork", key)
    else:
        key = compute_key(session, Artwork, changes.title, fallback="artwork")
    position = session.scalar(select(func.coalesce(func.max(Artwork.position), -1)))
    artwork = Artwork(key=key, public_code=_new_public_code(session),
                      position=int(position if position is not None else -1) + 1)
    try:
        _apply_artwork(session, artwork, changes, "artwork")
    except CatalogueError as exc:
        problems = [*problems, *exc.problems]
    if problems:
        raise CatalogueError(problems)
    session.add(artwork)
    session.flush()
    session.refresh(artwork)
    record_change(session, actor, "artwork.add", "artwork", key,
                  summary=f"artwork {key}, public code {artwork.public_code}",
                  after={"key": key, "public_code": artwork.public_code,
                         **artwork_values(artwork)})
    return artwork


# --- stories -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryChanges:
    subject_name: str
    public_summary: TextIn
    content_note: TextIn
    is_subject_name_public: bool = False
    is_summary_public: bool = False
    private_notes: str | None = None
    consent_statement: str | None = None
    is_consent_statement_public: bool = False
    is_deceased: bool = False
    is_deceased_public: bool = False


def story_values(story: Story | None) -> dict[str, Any]:
    if story is None:
        return {}
    return {
        "subject_name": story.subject_name,
        "is_subject_name_public": story.is_subject_name_public,
        "is_summary_public": story.is_summary_public,
        "private_notes": story.private_notes,
        "consent_statement": story.consent_statement,
        "is_consent_statement_public": story.is_consent_statement_public,
        "is_deceased": story.is_deceased,
        "is_deceased_public": story.is_deceased_public,
        "consent_status": story.consent_status,
        **flatten("public_summary", story.public_summary),
        **flatten("content_note", story.content_note),
    }


def update_story(session: Session, actor: Actor, artwork_key: str, changes: StoryChanges) -> Story:
    """Change (or add) an artwork's story and its per-field public flags.

    Consent is not changed here: see withdraw_consent. Raises NotFoundError, CatalogueError.
    """
    artwork = get_artwork(session, artwork_key)
    subject = changes.subject_name.strip()
    if not subject or len(subject) > 100:
        raise CatalogueError([f"artwork {artwork_key}.story.subject: 1 to 100 characters"])
    story = artwork.story
    before = story_values(story)
    if story is None:
        story = Story(artwork=artwork, subject_name=subject)
        session.add(story)
    label = f"artwork {artwork_key}.story"
    story.subject_name = subject
    story.is_subject_name_public = changes.is_subject_name_public
    story.is_summary_public = changes.is_summary_public
    story.private_notes = (changes.private_notes or "").strip() or None
    story.consent_statement = (changes.consent_statement or "").strip() or None
    story.is_consent_statement_public = changes.is_consent_statement_public
    story.is_deceased = changes.is_deceased
    story.is_deceased_public = changes.is_deceased_public
    story.public_summary = apply_text(session, story.public_summary, changes.public_summary,
                                      label=f"{label}.public_summary", required=False)
    story.content_note = apply_text(session, story.content_note, changes.content_note,
                                    label=f"{label}.content_note", required=False)
    session.flush()
    _audit_update(session, actor, "story.update", "artwork", artwork_key, before,
                  story_values(story), unrecorded=UNRECORDED_STORY_FIELDS)
    return story


def _story_of(session: Session, artwork_key: str) -> Story:
    story = get_artwork(session, artwork_key).story
    if story is None:
        raise NotFoundError(f"artwork {artwork_key!r} has no story")
    return story


def withdraw_consent(session: Session, actor: Actor, artwork_key: str) -> Story:
    """Withdraw the story's consent: from now on no public page, API or export shows any of
    it (``ledger.catalogue.queries`` filters on it). Withdrawing twice changes nothing.

    Raises NotFoundError.
    """
    story = _story_of(session, artwork_key)
    if story.consent_status == ConsentStatus.WITHDRAWN:
        return story
    story.consent_status = ConsentStatus.WITHDRAWN
    story.consent_withdrawn_at = utcnow()
    session.flush()
    record_change(session, actor, "story.consent_withdrawn", "artwork", artwork_key,
                  summary="consent withdrawn: the story is hidden from every public surface",
                  before={"consent_status": ConsentStatus.GIVEN.value},
                  after={"consent_status": ConsentStatus.WITHDRAWN.value,
                         "consent_withdrawn_at": story.consent_withdrawn_at})
    return story


def restore_consent(session: Session, actor: Actor, artwork_key: str) -> Story:
    """Record that consent was given again; the story's own public flags apply once more.

    Raises NotFoundError.
    """
    story = _story_of(session, artwork_key)
    if story.consent_status == ConsentStatus.GIVEN:
        return story
    withdrawn_at = story.consent_withdrawn_at
    story.consent_status = ConsentStatus.GIVEN
    story.consent_withdrawn_at = None
    session.flush()
    record_change(session, actor, "story.consent_given", "artwork", artwork_key,
                  summary="consent given again",
                  before={"consent_status": ConsentStatus.WITHDRAWN.value,
                          "consent_withdrawn_at": withdrawn_at},
                  after={"consent_status": ConsentStatus.GIVEN.value})
    return story


# --- images ------------------------------------------------------------------------------

UPLOADED_PREFIX = "uploads/"


def add_image(
    session: Session, actor: Actor, documents_dir: Path, artwork_key: str,
    data: bytes, filename: str, alt: TextIn,
) -> ArtworkImage:
    """Check, store (by SHA-256) and attach an image with its alt text.

    Raises NotFoundError, UploadRejectedError (size, type), CatalogueError (no alt text),
    DocumentError.
    """
    artwork = get_artwork(session, artwork_key)
    checked = check_image(data)
    alt_text = apply_text(session, None, alt, label=f"artwork {artwork_key}: image alt",
                          required=True)
    assert alt_text is not None
    document = store_document(session, documents_dir, data, filename)
    path = f"{UPLOADED_PREFIX}{document.sha256}.{checked.extension}"
    position = max((i.position for i in artwork.images), default=-1) + 1
    image = ArtworkImage(position=position, path=path, alt_text=alt_text)
    artwork.images.append(image)
    session.flush()
    record_change(session, actor, "artwork.image_added", "artwork", artwork_key,
                  summary=f"image {path}", after={"path": path, **flatten("alt", alt_text)})
    return image


def _image(session: Session, artwork_key: str, image_id: int) -> ArtworkImage:
    artwork = get_artwork(session, artwork_key)
    image = next((i for i in artwork.images if i.id == image_id), None)
    if image is None:
        raise NotFoundError(f"artwork {artwork_key!r} has no image {image_id}")
    return image


def update_image_alt(
    session: Session, actor: Actor, artwork_key: str, image_id: int, alt: TextIn
) -> ArtworkImage:
    """Raises NotFoundError, CatalogueError."""
    image = _image(session, artwork_key, image_id)
    before = {"path": image.path, **flatten("alt", image.alt_text)}
    text = apply_text(session, image.alt_text, alt, label=f"artwork {artwork_key}: image alt",
                      required=True)
    assert text is not None
    image.alt_text = text
    session.flush()
    _audit_update(session, actor, "artwork.image_alt", "artwork", artwork_key, before,
                  {"path": image.path, **flatten("alt", image.alt_text)})
    return image


def remove_image(session: Session, actor: Actor, artwork_key: str, image_id: int) -> None:
    """Detach an image (its stored file stays, as every document does). Raises NotFoundError."""
    image = _image(session, artwork_key, image_id)
    before = {"path": image.path, **flatten("alt", image.alt_text)}
    artwork = get_artwork(session, artwork_key)
    artwork.images.remove(image)
    session.flush()
    record_change(session, actor, "artwork.image_removed", "artwork", artwork_key,
                  summary=f"image {before['path']}", before=before)


# --- editions ----------------------------------------------------------------------------


def set_edition_status(
    session: Session, actor: Actor, edition_id: int, status: EditionStatus
) -> NftEdition:
    """Move an edition along the allowed transitions. Raises NotFoundError,
    InvalidTransitionError."""
    edition = session.get(NftEdition, edition_id)
    before = edition.status if edition is not None else None
    edition = change_edition_status(session, edition_id, status)
    if before != edition.status:
        record_change(
            session, actor, "edition.status", "edition",
            f"{edition.artwork.key}#{edition.edition_number}",
            summary=f"edition {edition.edition_number}/{edition.edition_size}",
            before={"status": before}, after={"status": edition.status},
        )
    return edition


# --- beneficiaries -----------------------------------------------------------------------


def get_beneficiary(session: Session, key: str) -> Beneficiary:
    """Raises NotFoundError."""
    found = session.scalars(select(Beneficiary).where(Beneficiary.key == key)).one_or_none()
    if found is None:
        raise NotFoundError(f"no beneficiary {key!r}")
    return found


def beneficiary_values(ben: Beneficiary) -> dict[str, Any]:
    return {
        "is_verified": ben.is_verified,
        "legal_identifier": ben.legal_identifier,
        "bank_reference": ben.bank_reference,
        **flatten("name", ben.name),
    }


def update_beneficiary(
    session: Session, actor: Actor, key: str, *, name: TextIn, is_verified: bool,
    legal_identifier: str | None, bank_reference: str | None,
) -> Beneficiary:
    """Raises NotFoundError, CatalogueError."""
    ben = get_beneficiary(session, key)
    before = beneficiary_values(ben)
    text = apply_text(session, ben.name, name, label=f"beneficiary {key}.name", required=True)
    assert text is not None
    ben.name = text
    ben.is_verified = is_verified
    ben.legal_identifier = (legal_identifier or "").strip() or None
    ben.bank_reference = (bank_reference or "").strip() or None
    session.flush()
    _audit_update(session, actor, "beneficiary.update", "beneficiary", key, before,
                  beneficiary_values(ben))
    return ben


def add_beneficiary(
    session: Session, actor: Actor, *, name: TextIn, key: str | None = None,
    is_verified: bool = False, legal_identifier: str | None = None,
    bank_reference: str | None = None,
) -> Beneficiary:
    """Create a beneficiary and open its payable account (what is routed to it and not yet
    paid out); the key is made from the name when not given.

    Raises CatalogueError (a malformed or taken key, no name, too long).
    """
    problems = []
    if key and key.strip():
        key = key.strip()
        problems += check_new_key(session, Beneficiary, "beneficiary", key)
    else:
        key = compute_key(session, Beneficiary, name, fallback="beneficiary")
    legal = (legal_identifier or "").strip() or None
    bank = (bank_reference or "").strip() or None
    if legal is not None and len(legal) > 100:
        problems.append("beneficiary.legal_identifier: at most 100 characters")
    if bank is not None and len(bank) > 200:
        problems.append("beneficiary.bank_reference: at most 200 characters")
    text = None
    try:
        text = apply_text(session, None, name, label="beneficiary.name", required=True)
    except CatalogueError as exc:
        problems += exc.problems
    if problems:
        raise CatalogueError(problems)
    assert text is not None
    ben = Beneficiary(key=key, name=text, is_verified=is_verified, legal_identifier=legal,
                      bank_reference=bank)
    session.add(ben)
    session.flush()
    open_account(session, accounts.payable_account(key), beneficiary_id=ben.id)
    record_change(session, actor, "beneficiary.add", "beneficiary", key,
                  summary=f"beneficiary {key}", after={"key": key, **beneficiary_values(ben)})
    return ben


def add_beneficiary_wallet(
    session: Session, actor: Actor, key: str, chain_id: int, address: str
) -> Wallet:
    """Add a payout wallet. Raises NotFoundError, CatalogueError (malformed or already known)."""
    ben = get_beneficiary(session, key)
    address = address.strip().lower()
    if len(address) != 42 or not address.startswith("0x") or any(
        c not in "0123456789abcdef" for c in address[2:]
    ):
        raise CatalogueError([f"beneficiary {key}.wallets: an address is 0x and 40 hex digits"])
    if chain_id < 1:
        raise CatalogueError([f"beneficiary {key}.wallets: chain id must be positive"])
    taken = session.scalars(
        select(Wallet).where(Wallet.chain_id == chain_id, Wallet.address == address)
    ).first()
    if taken is not None:
        raise CatalogueError([f"wallet {chain_id}:{address} is already recorded"])
    wallet = Wallet(chain_id=chain_id, address=address, owner=WalletOwner.BENEFICIARY,
                    role=WalletRole.PAYOUT, beneficiary=ben)
    session.add(wallet)
    session.flush()
    record_change(session, actor, "beneficiary.wallet_added", "beneficiary", key,
                  summary=f"payout wallet on chain {chain_id}",
                  after={"chain_id": chain_id, "address": address})
    return wallet


@dataclass(frozen=True)
class UpdateText:
    """A beneficiary update's words in one language."""

    text: str
    used_for: str


def add_beneficiary_update(
    session: Session, actor: Actor, documents_dir: Path, key: str, *, reported_on: date,
    texts: dict[str, UpdateText], document: bytes, filename: str,
) -> list[BeneficiaryUpdate]:
    """Record a beneficiary's report back: one row per language written, sharing the date
    and the document (unpublished until someone publishes it).

    Raises NotFoundError, CatalogueError (no language, too long), UploadRejectedError.
    """
    ben = get_beneficiary(session, key)
    written = {
        lang: UpdateText(t.text.strip(), t.used_for.strip())
        for lang, t in texts.items() if lang in LANGUAGES and (t.text.strip() or t.used_for.strip())
    }
    problems = []
    if not written:
        problems.append(f"beneficiary {key}.update: write the text in at least one language")
    for lang, t in written.items():
        if not t.text or not t.used_for:
            problems.append(f"beneficiary {key}.update.{lang}: needs both the text and the use")
        if len(t.text) > 1000:
            problems.append(f"beneficiary {key}.update.{lang}.text: at most 1000 characters")
        if len(t.used_for) > 300:
            problems.append(f"beneficiary {key}.update.{lang}.used_for: at most 300 characters")
    if problems:
        raise CatalogueError(problems)
    check_document(document)
    stored = store_document(session, documents_dir, document, filename)
    rows = [
        BeneficiaryUpdate(beneficiary_id=ben.id, reported_on=reported_on, language=lang,
                          text=t.text, used_for=t.used_for, document_sha256=stored.sha256,
                          is_published=False)
        for lang, t in written.items()
    ]
    session.add_all(rows)
    session.flush()
    record_change(
        session, actor, "beneficiary.update_added", "beneficiary", key,
        summary=f"report of {reported_on.isoformat()} in {', '.join(written)}",
        after={"reported_on": reported_on, "document_sha256": stored.sha256,
               **{f"{lang}.text": t.text for lang, t in written.items()},
               **{f"{lang}.used_for": t.used_for for lang, t in written.items()}},
    )
    return rows


def set_update_published(
    session: Session, actor: Actor, update_id: int, published: bool
) -> BeneficiaryUpdate:
    """Publish or unpublish a beneficiary update. Raises NotFoundError."""
    update = session.get(BeneficiaryUpdate, update_id)
    if update is None:
        raise NotFoundError(f"no beneficiary update {update_id}")
    if update.is_published != published:
        update.is_published = published
        session.flush()
        ben = session.get(Beneficiary, update.beneficiary_id)
        record_change(session, actor,
                      "beneficiary.update_published" if published
                      else "beneficiary.update_unpublished",
                      "beneficiary_update", update_id,
                      summary=f"{ben.key if ben else ''} report of {update.reported_on}",
                      before={"is_published": not published}, after={"is_published": published})
    return update


# --- hotlines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HotlineIn:
    number: str
    name: TextIn
    region: str
    languages: Sequence[str]
    last_checked: date
    source: str
    hours: str | None = None
    is_emergency: bool = False
    since: date | None = None


def hotline_values(line: Hotline) -> dict[str, Any]:
    return {
        "number": line.number,
        "region": line.region,
        "languages": line.languages,
        "hours": line.hours,
        "is_emergency": line.is_emergency,
        "since": line.since,
        "last_checked": line.last_checked,
        "source": line.source,
        **flatten("name", line.name),
    }


def _apply_hotline(session: Session, line: Hotline, data: HotlineIn) -> None:
    number = data.number.strip()
    problems = []
    if not (2 <= len(number) <= 40) or any(c not in "0123456789+ ()-" for c in number):
        problems.append("hotline.number: digits, spaces, + ( ) - only, 2 to 40 characters")
    languages = [lang for lang in LANGUAGES if lang in data.languages]
    if not languages:
        problems.append("hotline.languages: choose at least one language")
    if not data.region.strip():
        problems.append("hotline.region: required")
    if not data.source.strip():
        problems.append("hotline.source: say where the number was checked")
    other = session.scalars(select(Hotline).where(Hotline.number == number)).first()
    if other is not None and other is not line:
        problems.append(f"hotline.number: {number} is already listed")
    if problems:
        raise CatalogueError(problems)
    name = apply_text(session, line.name if line.id else None, data.name,
                      label="hotline.name", required=True)
    assert name is not None
    line.name = name
    line.number = number
    line.region = data.region.strip()
    line.languages = ",".join(languages)
    line.hours = (data.hours or "").strip() or None
    line.is_emergency = data.is_emergency
    line.since = data.since
    line.last_checked = data.last_checked
    line.source = data.source.strip()


def add_hotline(session: Session, actor: Actor, data: HotlineIn) -> Hotline:
    """Raises CatalogueError."""
    position = session.scalar(select(func.coalesce(func.max(Hotline.position), -1))) or 0
    line = Hotline(position=int(position) + 1)
    _apply_hotline(session, line, data)
    session.add(line)
    session.flush()
    record_change(session, actor, "hotline.add", "hotline", line.id,
                  summary=f"hotline {line.number}", after=hotline_values(line))
    return line


def update_hotline(session: Session, actor: Actor, hotline_id: int, data: HotlineIn) -> Hotline:
    """Raises NotFoundError, CatalogueError."""
    line = session.get(Hotline, hotline_id)
    if line is None:
        raise NotFoundError(f"no hotline {hotline_id}")
    before = hotline_values(line)
    _apply_hotline(session, line, data)
    session.flush()
    _audit_update(session, actor, "hotline.update", "hotline", hotline_id, before,
                  hotline_values(line))
    return line


def is_hotline_stale(line: Hotline, today: date, stale_after_days: int) -> bool:
    """True when the number was last checked more than ``stale_after_days`` days ago."""
    return line.last_checked < today - timedelta(days=stale_after_days)


# --- split rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleVersions:
    """Every version of the rules for one scope, newest first."""

    scope: RuleScope
    target: str | None  # the key named in the catalogue file (None for the initiative)
    versions: list[SplitRule] = field(default_factory=list)


def _scope_target(session: Session, rule: SplitRule) -> str | None:
    if rule.scope_id is None:
        return None
    if rule.scope == RuleScope.COLLECTION:
        collection = session.get(Collection, rule.scope_id)
        return collection.key if collection else str(rule.scope_id)
    if rule.scope == RuleScope.ARTWORK:
        artwork = session.get(Artwork, rule.scope_id)
        return artwork.key if artwork else str(rule.scope_id)
    edition = session.get(NftEdition, rule.scope_id)
    return f"{edition.artwork.key}#{edition.edition_number}" if edition else str(rule.scope_id)


def list_rule_versions(session: Session) -> list[RuleVersions]:
    """Every split rule grouped by scope, each group's versions newest first."""
    groups: dict[tuple[RuleScope, int | None], RuleVersions] = {}
    rules = session.scalars(select(SplitRule).order_by(SplitRule.scope, SplitRule.scope_id,
                                                       SplitRule.version.desc()))
    for rule in rules:
        key = (rule.scope, rule.scope_id)
        if key not in groups:
            groups[key] = RuleVersions(rule.scope, _scope_target(session, rule))
        groups[key].versions.append(rule)
    return list(groups.values())


def add_split_rule_version(
    session: Session, actor: Actor, *, scope: str, target: str | None,
    effective_from: datetime, remainder: str, shares: Sequence[ShareIn], note: str | None,
) -> SplitRule:
    """Add the next version of a scope's split rule (versions are never changed).

    The shares are checked as a catalogue file's are (basis points summing to 10,000, the
    remainder recipient among them); the new version may not take effect before the newest
    existing one, so the rule behind every past allocation stays the rule in force for it.
    Raises CatalogueError.
    """
    try:
        draft = SplitRuleIn(scope=scope, target=target or None, version=1,
                            effective_from=effective_from, remainder=remainder,
                            shares=list(shares), note=note or None)
    except ValueError as exc:
        raise CatalogueError([f"split rule: {exc}"]) from exc
    for share in draft.shares:
        if share.beneficiary:
            get_beneficiary(session, share.beneficiary)
        if share.artist:
            get_artist(session, share.artist)
    report = LoadReport()
    loader = _Loader(session, report)
    scope_id = _scope_id(loader, draft)
    existing = list(session.scalars(select(SplitRule).where(
        SplitRule.scope == RuleScope(scope),
        SplitRule.scope_id.is_(None) if scope_id is None else SplitRule.scope_id == scope_id,
    )))
    version = max((r.version for r in existing), default=0) + 1
    latest = max((r.effective_from for r in existing), default=None)
    if latest is not None and effective_from < latest:
        raise CatalogueError([
            f"split rule: takes effect {effective_from.isoformat()}, before version "
            f"{version - 1} ({latest.isoformat()}); a new version starts at or after the newest"
        ])
    final = draft.model_copy(update={"version": version})
    _load_split_rule(loader, final)
    session.flush()
    rule = session.scalars(select(SplitRule).where(
        SplitRule.scope == RuleScope(scope), SplitRule.version == version,
        SplitRule.scope_id.is_(None) if scope_id is None else SplitRule.scope_id == scope_id,
    )).one()
    record_change(
        session, actor, "split_rule.add_version", "split_rule", rule.id,
        summary=f"{scope}{' ' + target if target else ''} version {version}",
        after={"scope": scope, "target": target, "version": version,
               "effective_from": effective_from, "remainder": remainder, "note": note,
               "shares": [f"{s.beneficiary or 'artist ' + (s.artist or '')}: {s.bps}"
                          for s in draft.shares]},
    )
    return rule
