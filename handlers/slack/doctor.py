"""`paperbell doctor`'s Slack line: auth.test with the configured token, against SLACK_API_URL."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.support.checks import CheckResult
from bot.support.config import Settings

NAME = "Slack"
TIMEOUT = 10


async def doctor_check(settings: Settings) -> CheckResult:
    """auth.test proves the token; the mode settings are checked as the adapter needs them."""
    if settings.SLACK_BOT_TOKEN is None:
        return CheckResult.skipped(NAME, "SLACK_BOT_TOKEN is empty")
    if settings.SLACK_APP_TOKEN is None and settings.SLACK_SIGNING_SECRET is None:
        return CheckResult.failed(
            NAME,
            "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set",
            "set SLACK_APP_TOKEN (xapp-…, Basic Information → App-Level Tokens) "
            "or SLACK_SIGNING_SECRET",
        )
    client = AsyncWebClient(
        token=settings.SLACK_BOT_TOKEN.get_secret_value(),
        base_url=settings.SLACK_API_URL.rstrip("/") + "/",
        timeout=TIMEOUT,
        retry_handlers=[],
    )
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return CheckResult.failed(
            NAME,
            f"Slack refused SLACK_BOT_TOKEN ({error})",
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions; "
            "reinstall the app if it was removed",
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        return CheckResult.failed(
            NAME,
            f"{settings.SLACK_API_URL} does not answer: {exc or type(exc).__name__}",
            "check the network (proxy, firewall) or SLACK_API_URL",
        )
    return CheckResult.ok(
        NAME, f"token works for @{identity.get('user')} in {identity.get('team')}"
    )
