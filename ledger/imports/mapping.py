"""Column mappings: which CSV column holds what, saved as TOML (docs/imports.md).

Three ship with the ledger (``ledger/imports/mappings/*.toml``); any other is a TOML file of the
same shape, passed by path, so a mapping is edited like any text file.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ledger.errors import LedgerError

SHIPPED = ("binance-nft", "physical-sales", "bank-disbursements")


class MappingError(LedgerError):
    """A mapping file is missing or malformed."""


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    format: Literal["epoch_ms", "date", "datetime"] | None = None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    kind: Literal["sale", "disbursement"]
    channel: str
    account: str
    natural_key: tuple[str, ...] = ()
    fee_bps: int = Field(default=0, ge=0, le=10_000)
    # Decimal separator of amounts: "," or "."; empty means decide per value, and ask (an
    # error naming the row) when a value could be read both ways.
    decimal: Literal["", ",", "."] = ""
    encoding: str = ""
    delimiter: Literal["", ",", ";", "\t"] = ""
    date: Column
    amount: Column
    currency: Column
    reference: Column | None = None
    artwork: Column | None = None
    buyer: Column | None = None
    beneficiary: Column | None = None
    network: Column | None = None
    contract: Column | None = None
    token_id: Column | None = None
    kind_column: str | None = None
    kinds: dict[str, Literal["sale", "royalty", "ignore"]] = Field(default_factory=dict)
    networks: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Mapping:
        if self.kind == "disbursement" and (self.beneficiary is None or self.reference is None):
            raise ValueError("a disbursement mapping needs beneficiary and reference columns")
        if (self.kind_column is None) != (not self.kinds):
            raise ValueError("kind_column and kinds go together")
        return self

    def columns(self) -> list[str]:
        named = [
            self.date,
            self.amount,
            self.currency,
            self.reference,
            self.artwork,
            self.buyer,
            self.beneficiary,
            self.network,
            self.contract,
            self.token_id,
        ]
        out = [c.column for c in named if c is not None]
        return out + ([self.kind_column] if self.kind_column else [])


def parse_mapping(text: str, origin: str) -> Mapping:
    """Parse a mapping's TOML. Raises MappingError naming the file and the field."""
    try:
        return Mapping.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise MappingError(f"{origin}: {problems}") from exc


def load_mapping(name_or_path: str) -> Mapping:
    """Return a shipped mapping by name, or the mapping in a TOML file by path."""
    if name_or_path in SHIPPED:
        text = (
            resources.files("ledger.imports")
            .joinpath("mappings", f"{name_or_path}.toml")
            .read_text(encoding="utf-8")
        )
        return parse_mapping(text, name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise MappingError(
            f"no mapping {name_or_path!r}: give one of {', '.join(SHIPPED)} or a TOML file"
        )
    return parse_mapping(path.read_text(encoding="utf-8"), str(path))
