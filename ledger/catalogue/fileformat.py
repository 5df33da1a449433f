"""The catalogue file format (TOML), parsed and validated into plain values.

Documented for organisers in ``docs/catalogue-format.md``. Parsing never touches the database;
every problem is reported with its place in the file (``artworks[2] (alina).title.kk``).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from ledger.errors import CatalogueError

FORMAT_VERSION = 1

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Lang = Literal["kk", "ru", "en"]
Status = Literal["draft", "reviewed"]
AddressStr = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]
PublicCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{4,16}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Model):
    text: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    status: Status = "reviewed"


class LocalText(_Model):
    """A text with kk/ru/en variants. A language left out is stored as missing."""

    kk: Variant | None = None
    ru: Variant | None = None
    en: Variant | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError('must be a table of languages, e.g. { en = "...", ru = "..." }')
        if isinstance(value, dict):
            return {lang: {"text": v} if isinstance(v, str) else v for lang, v in value.items()}
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> LocalText:
        if self.kk is None and self.ru is None and self.en is None:
            raise ValueError("needs at least one of kk, ru, en")
        return self

    def variants(self) -> dict[str, Variant | None]:
        return {"kk": self.kk, "ru": self.ru, "en": self.en}


class InitiativeIn(_Model):
    key: Key
    name: str
    demo: bool = False
    summary: LocalText | None = None
    proceeds_policy: LocalText | None = None
    initiator: str | None = None
    venue: str | None = None
    opened: str | None = None


class ArtistIn(_Model):
    key: Key
    name: LocalText


class ImageIn(_Model):
    path: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]+\.(jpg|jpeg|png|webp)$")]
    alt: LocalText

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be a relative path inside the images directory")
        return value


class StoryIn(_Model):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    subject_public: bool = False
    public_summary: LocalText | None = None
    summary_public: bool = False
    content_note: LocalText | None = None
    private_notes: str | None = None
    consent: str | None = None
    consent_public: bool = False
    consent_withdrawn: bool = False
    deceased: bool = False
    deceased_public: bool = False


class EditionsIn(_Model):
    collection: Key
    first_token_id: int = Field(ge=0, le=2**256 - 1)
    size: int = Field(ge=1, le=100_000)
    # ERC-1155: every edition is one copy of the same token id; ERC-721: consecutive ids.
    same_token_id: bool = False


class ArtworkIn(_Model):
    key: Key
    code: PublicCode | None = None
    title: LocalText
    artists: list[Key] = Field(min_length=1)
    year: int | None = Field(default=None, ge=1000, le=9999)
    medium: LocalText | None = None
    dimensions: str | None = None
    height_cm: Decimal | None = Field(default=None, gt=0, max_digits=8, decimal_places=2)
    width_cm: Decimal | None = Field(default=None, gt=0, max_digits=8, decimal_places=2)
    depth_cm: Decimal | None = Field(default=None, gt=0, max_digits=8, decimal_places=2)
    description: LocalText | None = None
    images: list[ImageIn] = Field(default_factory=list)
    story: StoryIn | None = None
    editions: EditionsIn | None = None


class AssetIn(_Model):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9.]{2,32}$")]
    symbol: str
    kind: Literal["native", "token", "fiat"]
    decimals: int = Field(ge=0, le=36)
    chain_id: int | None = None
    contract: AddressStr | None = None

    @model_validator(mode="after")
    def _shape(self) -> AssetIn:
        if self.kind == "fiat" and (self.chain_id is not None or self.contract is not None):
            raise ValueError("a fiat asset has no chain_id or contract")
        if self.kind == "native" and (self.chain_id is None or self.contract is not None):
            raise ValueError("a native asset has a chain_id and no contract")
        if self.kind == "token" and (self.chain_id is None or self.contract is None):
            raise ValueError("a token needs chain_id and contract")
        return self


class CollectionIn(_Model):
    key: Key
    name: str
    chain_id: int = Field(ge=1)
    contract: AddressStr
    standard: Literal["erc721", "erc1155"]


class WalletIn(_Model):
    chain_id: int = Field(ge=1)
    address: AddressStr
    role: Literal["treasury", "seller", "creator"]
    label: str | None = None


class BeneficiaryWalletIn(_Model):
    chain_id: int = Field(ge=1)
    address: AddressStr


class BeneficiaryIn(_Model):
    key: Key
    name: LocalText
    legal_identifier: str | None = None
    verified: bool = False
    bank_reference: str | None = None
    wallets: list[BeneficiaryWalletIn] = Field(default_factory=list)


class ShareIn(_Model):
    beneficiary: Key | None = None
    artist: Key | None = None
    bps: int = Field(gt=0, le=10_000)

    @model_validator(mode="after")
    def _one_recipient(self) -> ShareIn:
        if (self.beneficiary is None) == (self.artist is None):
            raise ValueError("name exactly one of beneficiary or artist")
        return self


class SplitRuleIn(_Model):
    scope: Literal["initiative", "collection", "artwork", "edition"] = "initiative"
    target: str | None = None  # collection or artwork key; "<artwork>#<edition number>"
    version: int = Field(ge=1)
    effective_from: datetime
    remainder: Key
    shares: list[ShareIn] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _sound(self) -> SplitRuleIn:
        total = sum(share.bps for share in self.shares)
        if total != 10_000:
            raise ValueError(f"shares sum to {total} basis points, not 10000")
        if self.effective_from.tzinfo is None:
            raise ValueError("effective_from needs a time zone offset, e.g. 2022-10-01T00:00:00Z")
        if (self.scope == "initiative") != (self.target is None):
            raise ValueError("target is required for every scope but initiative")
        if self.remainder not in {s.beneficiary for s in self.shares}:
            raise ValueError("the remainder recipient must be one of the shares' beneficiaries")
        return self


class HotlineIn(_Model):
    number: Annotated[str, StringConstraints(pattern=r"^[0-9+ ()-]{2,40}$")]
    name: LocalText
    region: str
    languages: list[Lang] = Field(min_length=1)
    hours: str | None = None
    emergency: bool = False
    since: date | None = None
    last_checked: date
    source: Annotated[str, StringConstraints(min_length=1)]


class CatalogueFile(_Model):
    format: Literal[1]
    initiative: InitiativeIn
    artists: list[ArtistIn] = Field(default_factory=list)
    artworks: list[ArtworkIn] = Field(default_factory=list)
    assets: list[AssetIn] = Field(default_factory=list)
    collections: list[CollectionIn] = Field(default_factory=list)
    wallets: list[WalletIn] = Field(default_factory=list)
    beneficiaries: list[BeneficiaryIn] = Field(default_factory=list)
    split_rules: list[SplitRuleIn] = Field(default_factory=list)
    hotlines: list[HotlineIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> CatalogueFile:
        problems: list[str] = []
        for section in ("artists", "artworks", "collections", "beneficiaries"):
            keys = [item.key for item in getattr(self, section)]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                problems.append(f"{section}: duplicate key(s) {dupes}")
        codes = [a.code for a in self.artworks if a.code]
        if len(codes) != len(set(codes)):
            problems.append("artworks: duplicate public code")
        artists = {a.key for a in self.artists}
        collections = {c.key for c in self.collections}
        beneficiaries = {b.key for b in self.beneficiaries}
        for i, art in enumerate(self.artworks):
            for ref in art.artists:
                if ref not in artists:
                    problems.append(f"artworks[{i}] ({art.key}).artists: unknown artist {ref!r}")
            if art.editions and art.editions.collection not in collections:
                problems.append(
                    f"artworks[{i}] ({art.key}).editions.collection: unknown collection "
                    f"{art.editions.collection!r}"
                )
        for i, rule in enumerate(self.split_rules):
            for share in rule.shares:
                if share.beneficiary and share.beneficiary not in beneficiaries:
                    problems.append(
                        f"split_rules[{i}].shares: unknown beneficiary {share.beneficiary!r}"
                    )
                if share.artist and share.artist not in artists:
                    problems.append(f"split_rules[{i}].shares: unknown artist {share.artist!r}")
        versions = [(r.scope, r.target, r.version) for r in self.split_rules]
        if len(versions) != len(set(versions)):
            problems.append("split_rules: a scope has the same version twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _describe_location(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """Render a pydantic location as ``artworks[2] (alina).title.kk``."""
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            key = (
                node[part].get("key")
                if isinstance(node, list) and part < len(node) and isinstance(node[part], dict)
                else None
            )
            parts[-1] = f"{parts[-1]}[{part}]" + (f" ({key})" if key else "")
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts) or "(file)"


def parse_catalogue(text: str, source: str = "catalogue") -> CatalogueFile:
    """Parse and validate a catalogue file's text.

    Raises CatalogueError listing every problem with its place in the file.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError([f"{source}: not valid TOML: {exc}"]) from exc
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(
                p
                for p in err["loc"]
                if not (isinstance(p, str) and re.fullmatch(r"function-\w+.*", p))
            )
            problems.append(f"{source}: {_describe_location(data, loc)}: {err['msg']}")
        raise CatalogueError(problems) from exc
