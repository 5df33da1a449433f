from pathlib import Path

import pytest

from ledger.config import load_settings
from ledger.errors import ConfigError


def test_defaults_are_safe_and_complete() -> None:
    s = load_settings(environ={})
    assert s.database.url == ""
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith(
        "instance/ledger.sqlite3"
    )
    assert s.web.secure_cookies is False
    assert s.web.secret_key == ""
    assert s.reports.timezone == "Asia/Almaty"
    assert s.i18n.fallback_order == ("kk", "ru", "en")


def test_file_then_environment_override(tmp_path: Path) -> None:
    cfg = tmp_path / "prod.toml"
    cfg.write_text(
        '[web]\npublic_base_url = "https://art.example.org"\nsecure_cookies = true\n'
        '[reports]\ntimezone = "UTC"\n'
    )
    s = load_settings(environ={"LEDGER_CONFIG": str(cfg), "LEDGER_REPORTS_TIMEZONE": "Asia/Aqtobe"})
    assert s.web.public_base_url == "https://art.example.org"
    assert s.web.secure_cookies is True
    assert s.reports.timezone == "Asia/Aqtobe"  # environment beats the file


def test_environment_lists_and_database_url() -> None:
    s = load_settings(
        environ={
            "LEDGER_I18N_FALLBACK_ORDER": '["ru", "en", "kk"]',
            "LEDGER_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        }
    )
    assert s.i18n.fallback_order == ("ru", "en", "kk")
    assert s.database_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"LEDGER_REPORTS_TIMEZONE": "Mars/Olympus"}, "reports.timezone"),
        ({"LEDGER_WEB_SECURE_COOKIES": "perhaps"}, "web.secure_cookies"),
        ({"LEDGER_WEB_PUBLIC_BASE_URL": "ftp://x"}, "web.public_base_url"),
        ({"LEDGER_SAFETY_EXIT_URL": "weather.example"}, "safety.exit_url"),
        ({"LEDGER_SAFETY_EXIT_URL": "javascript:alert(1)"}, "safety.exit_url"),
        ({"LEDGER_DATABASE_URL": "mysql://x"}, "database.url"),
        ({"LEDGER_DATABASE_URL": "postgresql://x/y"}, "database.url"),
        ({"LEDGER_I18N_LANGUAGES": '["kk", "de"]'}, "i18n.languages"),
        ({"LEDGER_WEB_SECRET_KEY": "short"}, "web.secret_key"),
        ({"LEDGER_DATABASE_SQLITE_BUSY_TIMEOUT_MS": "-1"}, "database.sqlite_busy_timeout_ms"),
        ({"LEDGER_WEB_NO_SUCH": "1"}, "LEDGER_WEB_NO_SUCH"),
        ({"LEDGER_NOSECTION_X": "1"}, "LEDGER_NOSECTION_X"),
    ],
)
def test_bad_values_stop_startup_naming_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ=environ)
    assert named in str(err.value)


def test_bad_config_file_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[web\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"LEDGER_CONFIG": str(cfg)})
    cfg.write_text("[webb]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[webb\]"):
        load_settings(environ={"LEDGER_CONFIG": str(cfg)})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"LEDGER_CONFIG": str(tmp_path / "missing.toml")})


def test_default_file_documents_every_setting() -> None:
    """Every setting the code knows appears in config/default.toml with a comment above it."""
    from ledger.config import DEFAULT_CONFIG_FILE, Settings

    text = DEFAULT_CONFIG_FILE.read_text()
    lines = text.splitlines()
    for section, field in Settings.model_fields.items():
        assert f"[{section}]" in text
        assert field.annotation is not None
        for key in field.annotation.model_fields:
            index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
            assert lines[index - 1].startswith("#"), f"{section}.{key} has no comment"


def test_production_example_validates() -> None:
    from ledger.config import PROJECT_DIR

    example = PROJECT_DIR / "config" / "production.example.toml"
    s = load_settings(environ={"LEDGER_CONFIG": str(example), "LEDGER_WEB_SECRET_KEY": "x" * 40})
    assert s.web.secure_cookies is True
    assert s.web.public_base_url == "https://ledger.example.org"
