"""All settings in one place, read from the environment and `.env`.

The setting names are a contract with deployments and outside tools: rename nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["en", "zh"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_LOG_LEVELS = get_args(LogLevel)
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/paperbell.db"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    # A dead replica's roles pass on within the lease plus a third: at most two minutes.
    REPLICA_LEASE_SECONDS: float = Field(default=60.0, ge=1, le=90)
    DATABASE_WAIT_SECONDS: float = Field(default=60.0, ge=0)
    ARXIV_API_URL: str = "https://export.arxiv.org/api/query"
    ARXIV_RSS_URL: str = "https://rss.arxiv.org/rss/"
    ARXIV_REQUEST_INTERVAL: float = Field(default=3.0, ge=0)
    ARXIV_TIMEOUT: float = Field(default=30.0, gt=0)

    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_URL: str = "https://api.telegram.org"
    TELEGRAM_WEBHOOK_URL: str | None = None
    TELEGRAM_WEBHOOK_SECRET: SecretStr | None = None
    TELEGRAM_WEBHOOK_LISTEN: str = "0.0.0.0"
    TELEGRAM_WEBHOOK_PORT: int = Field(default=8443, ge=1, le=65535)
    SLACK_BOT_TOKEN: SecretStr | None = None
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_SIGNING_SECRET: SecretStr | None = None
    SLACK_API_URL: str = "https://slack.com/api/"
    SLACK_HTTP_HOST: str = "0.0.0.0"
    SLACK_HTTP_PORT: int = Field(default=3000, ge=0, le=65535)
    SLACK_SUBSCRIBE_POLICY: str = "members"

    DEFAULT_LANGUAGE: Language = "en"
    POLL_INTERVAL_MINUTES: int = Field(default=30, ge=1, le=24 * 60)
    LOG_LEVEL: LogLevel = "INFO"
    HEALTH_PORT: int | None = Field(default=None, ge=1, le=65535)
    HEALTH_HOST: str = "0.0.0.0"

    # Announcement-aware polling and coverage (see bot/schedule/cadence.py, freshness.py).
    FAST_POLL_SECONDS: int = Field(default=60, ge=1, le=3600)
    FAST_POLL_LEAD_MINUTES: int = Field(default=10, ge=0, le=240)
    FAST_POLL_WINDOW_MINUTES: int = Field(default=120, ge=1, le=24 * 60)
    STALE_CATEGORY_MINUTES: int = Field(default=20, ge=1, le=24 * 60)
    AUDIT_AFTER_MINUTES: int = Field(default=120, ge=0, le=24 * 60)
    MAILING_OVERDUE_MINUTES: int = Field(default=180, ge=1, le=7 * 24 * 60)
    ADMIN_CHATS: str = ""
    LLM_FAILURE_ALERT_COUNT: int = Field(default=5, ge=1)

    LLM_BASE_URL: str | None = None
    LLM_API_KEY: SecretStr | None = None
    LLM_MODEL: str | None = None
    LLM_MAX_CONCURRENCY: int = Field(default=4, ge=1)
    LLM_TIMEOUT: float = Field(default=60.0, gt=0)
    LLM_DAILY_TOKEN_BUDGET: int | None = Field(default=None, ge=1)

    @field_validator("DATABASE_URL")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the URLs people copy from their provider and pick the async driver for them."""
        for plain, driver in (
            ("postgres://", "postgresql+psycopg://"),
            ("postgresql://", "postgresql+psycopg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        if not url.startswith(("postgresql+psycopg://", "sqlite+aiosqlite://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @field_validator(
        "ARXIV_API_URL", "ARXIV_RSS_URL", "TELEGRAM_API_URL", "SLACK_API_URL", "LLM_BASE_URL"
    )
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator(
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "LLM_DAILY_TOKEN_BUDGET",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_WEBHOOK_SECRET",
        "HEALTH_PORT",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`.env.example` lists these empty: empty means the feature is off, not a bad value."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("SLACK_SUBSCRIBE_POLICY")
    @classmethod
    def _subscribe_policy(cls, policy: str) -> str:
        """`members`, `admins`, or the Slack user IDs allowed to change a channel's feed."""
        value = policy.strip()
        if value.lower() in ("members", "admins"):
            return value.lower()
        users = [user.strip() for user in value.split(",") if user.strip()]
        if not users or not all(re.fullmatch(r"[UW][A-Z0-9]{2,}", user) for user in users):
            raise ValueError("must be members, admins, or Slack user IDs like U012AB3CD,U04EF5GH6")
        return ",".join(users)

    @field_validator("TELEGRAM_WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return url

    @field_validator("TELEGRAM_WEBHOOK_SECRET")
    @classmethod
    def _webhook_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        """Telegram refuses any other secret_token, and only at setWebhook time."""
        if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return secret

    @field_validator("ADMIN_CHATS")
    @classmethod
    def _admin_chats(cls, value: str) -> str:
        """`telegram:<chat_id>` or `slack:<channel_id>`, comma-separated; empty: log only."""
        targets = [target.strip() for target in value.split(",") if target.strip()]
        for target in targets:
            platform, _, chat_id = target.partition(":")
            if platform not in ("telegram", "slack") or not chat_id.strip():
                raise ValueError(
                    f"{target!r} is not telegram:<chat_id> or slack:<channel_id> "
                    "(e.g. telegram:-1001234567890,slack:C0123ABCD)"
                )
        return ",".join(targets)

    def admin_chats(self) -> list[tuple[str, str]]:
        """ADMIN_CHATS as (platform, chat ID) pairs."""
        pairs = (target.partition(":") for target in self.ADMIN_CHATS.split(",") if target)
        return [(platform, chat_id.strip()) for platform, _, chat_id in pairs]

    @field_validator("DEFAULT_LANGUAGE", "LOG_LEVEL", mode="before")
    @classmethod
    def _normalise_case(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        upper = value.strip().upper()
        return upper if upper in _LOG_LEVELS else value.strip().lower()

    def sqlite_path(self) -> Path | None:
        """The database file for an SQLite URL, so start-up can create its folder."""
        prefix = "sqlite+aiosqlite:///"
        if not self.DATABASE_URL.startswith(prefix):
            return None
        rest = self.DATABASE_URL[len(prefix) :].split("?", 1)[0]
        return None if rest in ("", ":memory:") else Path(rest)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("; ".join(problems)) from None
