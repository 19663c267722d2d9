"""The Telegram adapter (python-telegram-bot): on whenever TELEGRAM_BOT_TOKEN is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.support.config import Settings
from handlers.telegram.adapter import TelegramAdapter
from handlers.telegram.doctor import doctor_check

if TYPE_CHECKING:
    from bot.core import Core

__all__ = ["TelegramAdapter", "create", "doctor_check"]


def create(settings: Settings, core: Core) -> TelegramAdapter | None:
    if settings.TELEGRAM_BOT_TOKEN is None:
        return None
    return TelegramAdapter(settings, core.service, core.stop, cluster=core.cluster)
