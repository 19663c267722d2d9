"""`paperbell doctor`'s Telegram line: getMe with the configured token, against TELEGRAM_API_URL."""

from __future__ import annotations

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.support.checks import CheckResult
from bot.support.config import Settings

NAME = "Telegram"
TIMEOUT = 10.0


async def doctor_check(settings: Settings) -> CheckResult:
    """getMe, and in webhook mode the last error Telegram met delivering to the webhook."""
    if settings.TELEGRAM_BOT_TOKEN is None:
        return CheckResult.skipped(NAME, "TELEGRAM_BOT_TOKEN is empty")
    api = settings.TELEGRAM_API_URL.rstrip("/")
    bot = Bot(
        settings.TELEGRAM_BOT_TOKEN.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=HTTPXRequest(connect_timeout=TIMEOUT, read_timeout=TIMEOUT),
    )
    try:
        async with bot:
            username = bot.username
            webhook = await bot.get_webhook_info() if settings.TELEGRAM_WEBHOOK_URL else None
    except InvalidToken:
        # The library's message quotes the token; this line must not.
        return CheckResult.failed(
            NAME,
            f"{api} refused TELEGRAM_BOT_TOKEN",
            "copy the token again from @BotFather (/mybots → API Token)",
        )
    except NetworkError as exc:
        return CheckResult.failed(
            NAME,
            f"{api} does not answer: {exc}",
            "check the network (proxy, firewall) or TELEGRAM_API_URL",
        )
    except TelegramError as exc:
        return CheckResult.failed(NAME, f"getMe failed: {exc}", "check TELEGRAM_* settings")
    if webhook is not None and webhook.last_error_message:
        return CheckResult.failed(
            NAME,
            f"@{username}: Telegram cannot deliver to {webhook.url}: {webhook.last_error_message}",
            "make the URL reachable from the internet over HTTPS with a valid certificate",
        )
    return CheckResult.ok(NAME, f"token works for @{username}")
