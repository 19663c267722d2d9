"""The settings contract: names, defaults, documentation and one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.support.config import ConfigError, Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings read the environment and ./.env: isolate both from the developer's own."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M))
    assert set(Settings.model_fields) <= documented, set(Settings.model_fields) - documented


def test_env_example_loads_as_valid_settings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text())
    settings = load_settings()
    assert settings.ARXIV_API_URL == "https://export.arxiv.org/api/query"
    assert settings.TELEGRAM_BOT_TOKEN is None or not settings.TELEGRAM_BOT_TOKEN.get_secret_value()


def test_defaults_follow_the_contract() -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite+aiosqlite:///data/paperbell.db"
    assert settings.ARXIV_RSS_URL == "https://rss.arxiv.org/rss/"
    assert settings.ARXIV_REQUEST_INTERVAL == 3
    assert settings.TELEGRAM_API_URL == "https://api.telegram.org"
    assert settings.SLACK_API_URL == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_as_providers_write_them_get_the_async_driver(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert expected == load_settings().DATABASE_URL


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POLL_INTERVAL_MINUTES", "soon"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("ARXIV_REQUEST_INTERVAL", "-1"),
        ("DATABASE_URL", "mysql://x"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("LOG_LEVEL", "chatty"),
        # A dead replica's roles must pass to another within two minutes: ≤ 90 + 30 s.
        ("REPLICA_LEASE_SECONDS", "300"),
        ("REPLICA_LEASE_SECONDS", "0"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{name}:")
    assert "\n" not in message


def test_a_bad_setting_error_never_echoes_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET-TOKEN")
    monkeypatch.setenv("POLL_INTERVAL_MINUTES", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SECRET-TOKEN" not in str(caught.value)


def test_case_of_language_and_log_level_is_forgiven(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "ZH")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert (settings.DEFAULT_LANGUAGE, settings.LOG_LEVEL) == ("zh", "DEBUG")
