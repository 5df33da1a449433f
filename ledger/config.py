"""Load and validate the ledger's settings once, at start-up.

Order: ``config/default.toml``, then the TOML file named by ``LEDGER_CONFIG``, then
``LEDGER_<SECTION>_<KEY>`` environment variables, then an explicit override mapping (tests).
The result is an immutable :class:`Settings`; a bad value raises :class:`ConfigError` naming the
setting and what is wrong with it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledger.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_DIR / "config" / "default.toml"
SUPPORTED_LANGUAGES = ("kk", "ru", "en")

# LEDGER_* variables that are not settings (and every LEDGER_TEST_*, read by the tests only).
_RESERVED_ENV = {"LEDGER_CONFIG", "LEDGER_TEST_POSTGRES_URL"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = ""
    sqlite_busy_timeout_ms: int = Field(default=15000, ge=0, le=600_000)

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be an sqlite:// or postgresql+psycopg:// URL")
        if value.startswith("postgresql") and not value.startswith("postgresql+psycopg"):
            raise ValueError("PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://")
        return value


class PathSettings(_Section):
    instance: str = "instance"
    documents: str = ""


class ReconcileSettings(_Section):
    unpaid_after_days: int = Field(default=30, ge=1, le=3650)


class WebSettings(_Section):
    public_base_url: str = "http://127.0.0.1:5000"
    secure_cookies: bool = False
    secret_key: str = ""
    demo_banner: bool = True
    redis_url: str = ""
    proxy_hops: int = Field(default=0, ge=0, le=5)
    receipt_lookups: int = Field(default=20, ge=1, le=10_000)
    receipt_lookup_window_s: int = Field(default=600, ge=10, le=86_400)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be empty or a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters (or empty to generate one)")
        return value


class SafetySettings(_Section):
    exit_url: str = "https://www.gismeteo.kz/"
    hotline_stale_after_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("exit_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http:// or https:// URL (a neutral site)")
        return value


class I18nSettings(_Section):
    languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    default_language: str = "kk"
    fallback_order: tuple[str, ...] = SUPPORTED_LANGUAGES

    @field_validator("languages", "fallback_order")
    @classmethod
    def _supported(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [lang for lang in value if lang not in SUPPORTED_LANGUAGES]
        if unknown:
            raise ValueError(f"unsupported language(s) {unknown}; supported: {SUPPORTED_LANGUAGES}")
        if not value:
            raise ValueError("must name at least one language")
        if len(set(value)) != len(value):
            raise ValueError("must not repeat a language")
        return value

    @model_validator(mode="after")
    def _default_is_offered(self) -> I18nSettings:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in languages {self.languages}"
            )
        return self


class ReportSettings(_Section):
    timezone: str = "Asia/Almaty"
    public_approximation: Literal["", "KZT", "USD"] = "KZT"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def _address(value: str) -> str:
    if len(value) != 42 or not value.startswith("0x"):
        raise ValueError(f"{value!r} is not a 0x-prefixed 20-byte address")
    int(value[2:], 16)
    return value.lower()


class ChainSettings(_Section):
    explorer_tx_url: dict[str, str] = Field(default_factory=dict)
    chain_id: int = Field(default=56, gt=0)
    rpc_urls: tuple[str, ...] = ("http://127.0.0.1:8545",)
    start_block: int = Field(default=0, ge=0)
    confirmations: int = Field(default=0, ge=0)
    reorg_window: int = Field(default=64, ge=1)
    wbnb: str = ""
    pancake_market: str = ""
    element_market: str = ""
    initial_range: int = Field(default=10, ge=1)
    max_range: int = Field(default=50_000, ge=1)
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout_s: float = Field(default=15.0, gt=0)
    poll_interval_s: float = Field(default=1.0, gt=0)

    @field_validator("rpc_urls")
    @classmethod
    def _http_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} must be an http:// or https:// URL")
        return value

    @field_validator("wbnb", "pancake_market", "element_market")
    @classmethod
    def _optional_address(cls, value: str) -> str:
        return _address(value) if value else ""

    @field_validator("explorer_tx_url")
    @classmethod
    def _has_placeholder(cls, value: dict[str, str]) -> dict[str, str]:
        for chain_id, template in value.items():
            if not chain_id.isdigit():
                raise ValueError(f"key {chain_id!r} must be a chain id")
            if "{hash}" not in template or not template.startswith("https://"):
                raise ValueError(f"{chain_id}: must be an https:// URL containing {{hash}}")
        return value


class ExportSettings(_Section):
    operating_currency: str = "KZT"

    @field_validator("operating_currency")
    @classmethod
    def _asset_code(cls, value: str) -> str:
        if not value or len(value) > 32 or not value.isalnum():
            raise ValueError("must be an asset code such as KZT or USD")
        return value


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    web: WebSettings = WebSettings()
    safety: SafetySettings = SafetySettings()
    i18n: I18nSettings = I18nSettings()
    reports: ReportSettings = ReportSettings()
    chain: ChainSettings = ChainSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    exports: ExportSettings = ExportSettings()

    @property
    def instance_dir(self) -> Path:
        path = Path(self.paths.instance)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def documents_dir(self) -> Path:
        """Where attached documents are stored (by SHA-256); default ``<instance>/documents``."""
        if not self.paths.documents:
            return self.instance_dir / "documents"
        path = Path(self.paths.documents)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def database_url(self) -> str:
        """Return the configured URL, or the embedded SQLite file under the instance directory."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.instance_dir / 'ledger.sqlite3'}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.reports.timezone)


def _merge(base: dict[str, Any], override: Mapping[str, Any], origin: str) -> None:
    for section, values in override.items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: [{section}] must be a table of settings")
        if section not in Settings.model_fields:
            raise ConfigError(f"{origin}: unknown section [{section}]")
        base.setdefault(section, {}).update(values)


def _read_toml(path: Path, origin: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{origin}: file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: {path} is not valid TOML: {exc}") from exc


def _parse_env_value(raw: str, field_annotation: Any) -> Any:
    """Turn an environment string into the shape the setting expects (TOML syntax for lists)."""
    text = str(field_annotation)
    if "tuple" in text or "dict" in text:
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith("LEDGER_") or name in _RESERVED_ENV:
            continue
        if name.startswith("LEDGER_TEST_"):
            continue
        rest = name[len("LEDGER_") :].lower()
        section, _, key = rest.partition("_")
        section_model = Settings.model_fields.get(section)
        if section_model is None or section_model.annotation is None:
            raise ConfigError(f"environment variable {name}: no settings section [{section}]")
        fields = section_model.annotation.model_fields
        if key not in fields:
            raise ConfigError(f"environment variable {name}: [{section}] has no setting {key!r}")
        overrides.setdefault(section, {})[key] = _parse_env_value(raw, fields[key].annotation)
    return overrides


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, LEDGER_CONFIG, LEDGER_* variables and ``overrides``.

    Raises ConfigError naming the setting when a value is missing, unknown or invalid.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    _merge(data, _read_toml(DEFAULT_CONFIG_FILE, "config/default.toml"), "config/default.toml")
    if env.get("LEDGER_CONFIG"):
        path = Path(env["LEDGER_CONFIG"])
        _merge(data, _read_toml(path, f"LEDGER_CONFIG={path}"), f"LEDGER_CONFIG={path}")
    _merge(data, _env_overrides(env), "environment")
    if overrides:
        _merge(data, overrides, "overrides")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"])
            problems.append(f"setting {where}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from exc
