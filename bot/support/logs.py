"""Logging set-up that never prints a secret.

httpx logs every request URL at INFO, and Telegram's URLs carry the bot token, so the
filter below scrubs every configured secret from every record, whoever logs it.
"""

from __future__ import annotations

import logging
import sys

from bot.support.config import Settings

_REDACTED = "***"
NOISY_LOGGERS = (
    # Request lines: noise at INFO, and they carry tokens in their URLs.
    "httpx",
    "httpcore",
    "arxiv",
    "apscheduler.executors.default",
    # The plugins Alembic loads: commands import it after logging is set up.
    "alembic.runtime.plugins",
)
"""Kept at DEBUG: shown only when LOG_LEVEL=DEBUG."""


class SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        scrubbed = message
        for secret in self._secrets:
            scrubbed = scrubbed.replace(secret, _REDACTED)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def secrets_of(settings: Settings) -> list[str]:
    values = [
        getattr(settings, name)
        for name in type(settings).model_fields
        if name.endswith(("_TOKEN", "_SECRET", "_KEY"))
    ]
    return [
        v.get_secret_value() for v in values if v is not None and hasattr(v, "get_secret_value")
    ]


def configure_logging(settings: Settings, *, one_shot: bool = False) -> None:
    """`one_shot` commands (preview) print their own one-line errors; logs stay quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets_of(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.getLevelName(settings.LOG_LEVEL)
    root.setLevel(logging.ERROR if one_shot and level > logging.DEBUG else level)
    quiet = logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(quiet)
