"""The catalogue: initiative, artists, artworks and their stories, NFT editions, beneficiaries,
wallets and hotlines. How proceeds are shared is not here: see ``ledger.models.routing``."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.models.base import Base, str_enum, utcnow
from ledger.models.text import TextSet
from ledger.types import Amount


class Initiative(Base):
    """The initiative that runs this ledger (one row)."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    proceeds_policy_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    initiator: Mapped[str | None] = mapped_column(String(200))
    venue: Mapped[str | None] = mapped_column(String(300))
    opened: Mapped[str | None] = mapped_column(String(20))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    summary: Mapped[TextSet | None] = relationship(foreign_keys=[summary_id], lazy="joined")
    proceeds_policy: Mapped[TextSet | None] = relationship(
        foreign_keys=[proceeds_policy_id], lazy="joined"
    )


class Artist(Base):
    __tablename__ = "artist"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_id: Mapped[int] = mapped_column(ForeignKey("text_set.id"))

    name: Mapped[TextSet] = relationship(lazy="joined")


class ArtworkArtist(Base):
    __tablename__ = "artwork_artist"

    artwork_id: Mapped[int] = mapped_column(
        ForeignKey("artwork.id", ondelete="CASCADE"), primary_key=True
    )
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    artist: Mapped[Artist] = relationship(lazy="joined")


class Artwork(Base):
    __tablename__ = "artwork"
    __table_args__ = (
        CheckConstraint("year IS NULL OR (year BETWEEN 1000 AND 9999)", name="year_range"),
        CheckConstraint(
            "(height_cm IS NULL OR height_cm > 0) AND (width_cm IS NULL OR width_cm > 0)"
            " AND (depth_cm IS NULL OR depth_cm > 0)",
            name="positive_dimensions",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # Short, stable code printed in QR labels as /a/<code>: never derived from the title, so
    # renaming the artwork keeps every printed label valid.
    public_code: Mapped[str] = mapped_column(String(16), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_id: Mapped[int] = mapped_column(ForeignKey("text_set.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    medium_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    dimensions_text: Mapped[str | None] = mapped_column(String(200))
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    width_cm: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    depth_cm: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    description_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    title: Mapped[TextSet] = relationship(foreign_keys=[title_id], lazy="joined")
    medium: Mapped[TextSet | None] = relationship(foreign_keys=[medium_id], lazy="joined")
    description: Mapped[TextSet | None] = relationship(foreign_keys=[description_id])
    artist_links: Mapped[list[ArtworkArtist]] = relationship(
        order_by=ArtworkArtist.position, cascade="all, delete-orphan", lazy="selectin"
    )
    images: Mapped[list[ArtworkImage]] = relationship(
        order_by="ArtworkImage.position", cascade="all, delete-orphan"
    )
    story: Mapped[Story | None] = relationship(back_populates="artwork", uselist=False)
    editions: Mapped[list[NftEdition]] = relationship(
        order_by="NftEdition.edition_number", back_populates="artwork"
    )

    @property
    def artists(self) -> list[Artist]:
        return [link.artist for link in self.artist_links]


class ArtworkImage(Base):
    __tablename__ = "artwork_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    artwork_id: Mapped[int] = mapped_column(ForeignKey("artwork.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Path under the web app's static image directory: images are served by us, never hot-linked.
    path: Mapped[str] = mapped_column(String(300))
    alt_text_id: Mapped[int] = mapped_column(ForeignKey("text_set.id"))

    alt_text: Mapped[TextSet] = relationship(lazy="joined")


class ConsentStatus(enum.StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class Story(Base):
    """The story behind an artwork. Each field has its own public flag; private notes are
    never public; a withdrawn consent hides the whole story everywhere at once."""

    __tablename__ = "story"
    __table_args__ = (
        CheckConstraint(
            "(consent_status = 'withdrawn') = (consent_withdrawn_at IS NOT NULL)",
            name="withdrawn_has_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artwork_id: Mapped[int] = mapped_column(ForeignKey("artwork.id"), unique=True)
    subject_name: Mapped[str] = mapped_column(String(100))  # first name or pseudonym
    is_subject_name_public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_summary_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    is_summary_public: Mapped[bool] = mapped_column(Boolean, default=False)
    content_note_id: Mapped[int | None] = mapped_column(ForeignKey("text_set.id"))
    private_notes: Mapped[str | None] = mapped_column(Text)
    consent_statement: Mapped[str | None] = mapped_column(Text)
    is_consent_statement_public: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_status: Mapped[ConsentStatus] = mapped_column(
        str_enum(ConsentStatus, "consent_status"), default=ConsentStatus.GIVEN
    )
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column()
    is_deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deceased_public: Mapped[bool] = mapped_column(Boolean, default=False)

    artwork: Mapped[Artwork] = relationship(back_populates="story")
    public_summary: Mapped[TextSet | None] = relationship(foreign_keys=[public_summary_id])
    content_note: Mapped[TextSet | None] = relationship(foreign_keys=[content_note_id])

    @property
    def is_publishable(self) -> bool:
        return self.consent_status == ConsentStatus.GIVEN


class TokenStandard(enum.StrEnum):
    ERC721 = "erc721"
    ERC1155 = "erc1155"


class Collection(Base):
    """An NFT contract the initiative sells from."""

    __tablename__ = "collection"
    __table_args__ = (
        UniqueConstraint("chain_id", "contract"),
        CheckConstraint("contract = lower(contract) AND length(contract) = 42", name="address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    chain_id: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(42))
    standard: Mapped[TokenStandard] = mapped_column(str_enum(TokenStandard, "token_standard"))


class EditionStatus(enum.StrEnum):
    AVAILABLE = "available"
    LISTED = "listed"
    SOLD = "sold"
    RESERVED = "reserved"


# The only status changes an edition may make (see ledger.catalogue.change_edition_status).
EDITION_TRANSITIONS: dict[EditionStatus, frozenset[EditionStatus]] = {
    EditionStatus.AVAILABLE: frozenset(
        {EditionStatus.LISTED, EditionStatus.RESERVED, EditionStatus.SOLD}
    ),
    EditionStatus.LISTED: frozenset(
        {EditionStatus.AVAILABLE, EditionStatus.SOLD, EditionStatus.RESERVED}
    ),
    EditionStatus.RESERVED: frozenset({EditionStatus.AVAILABLE, EditionStatus.SOLD}),
    EditionStatus.SOLD: frozenset(),
}


class NftEdition(Base):
    """Edition ``edition_number`` of ``edition_size`` of an artwork, as a token on a chain."""

    __tablename__ = "nft_edition"
    __table_args__ = (
        UniqueConstraint("collection_id", "token_id", "edition_number"),
        CheckConstraint(
            "edition_number >= 1 AND edition_number <= edition_size", name="edition_in_size"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artwork_id: Mapped[int] = mapped_column(ForeignKey("artwork.id"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"))
    token_id: Mapped[int] = mapped_column(Amount())  # uint256
    edition_number: Mapped[int] = mapped_column(Integer)
    edition_size: Mapped[int] = mapped_column(Integer)
    status: Mapped[EditionStatus] = mapped_column(
        str_enum(EditionStatus, "edition_status"), default=EditionStatus.AVAILABLE
    )
    # Who holds the token, as the chain sync last saw it (lower-case address). Never shown on
    # public pages: a buyer's wallet is personal data.
    holder: Mapped[str | None] = mapped_column(String(42))

    artwork: Mapped[Artwork] = relationship(back_populates="editions")
    collection: Mapped[Collection] = relationship(lazy="joined")


class Beneficiary(Base):
    __tablename__ = "beneficiary"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_id: Mapped[int] = mapped_column(ForeignKey("text_set.id"))
    # Never public (ledger.privacy): the registration number finds the organisation's address in
    # public registers, and a shelter's address is kept quiet. Pages show is_verified instead.
    legal_identifier: Mapped[str | None] = mapped_column(String(100))
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_reference: Mapped[str | None] = mapped_column(String(200))  # never public

    name: Mapped[TextSet] = relationship(lazy="joined")
    wallets: Mapped[list[Wallet]] = relationship(back_populates="beneficiary")


class WalletOwner(enum.StrEnum):
    INITIATIVE = "initiative"
    BENEFICIARY = "beneficiary"


class WalletRole(enum.StrEnum):
    TREASURY = "treasury"  # the initiative's wallet that receives and pays out proceeds
    SELLER = "seller"  # the initiative's wallet that lists and sells editions
    CREATOR = "creator"  # the initiative's wallet named as a collection's creator (royalties)
    PAYOUT = "payout"  # a beneficiary's receiving wallet


class Wallet(Base):
    __tablename__ = "wallet"
    __table_args__ = (
        UniqueConstraint("chain_id", "address"),
        CheckConstraint("address = lower(address) AND length(address) = 42", name="address"),
        CheckConstraint(
            "(owner = 'beneficiary') = (beneficiary_id IS NOT NULL)", name="owner_matches"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(42))
    owner: Mapped[WalletOwner] = mapped_column(str_enum(WalletOwner, "wallet_owner"))
    role: Mapped[WalletRole] = mapped_column(str_enum(WalletRole, "wallet_role"))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"))
    label: Mapped[str | None] = mapped_column(String(200))  # the organisers' own; never public

    beneficiary: Mapped[Beneficiary | None] = relationship(back_populates="wallets")


class Hotline(Base):
    """A help line shown on every public page. Numbers change: each carries when it was last
    checked and where."""

    __tablename__ = "hotline"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name_id: Mapped[int] = mapped_column(ForeignKey("text_set.id"))
    region: Mapped[str] = mapped_column(String(100))
    languages: Mapped[str] = mapped_column(String(40))  # comma-separated language codes
    hours: Mapped[str | None] = mapped_column(String(100))
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[date | None] = mapped_column(Date)
    last_checked: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)

    name: Mapped[TextSet] = relationship(lazy="joined")
