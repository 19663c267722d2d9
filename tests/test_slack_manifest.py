"""deploy/slack-app-manifest.yml describes the app the adapter is: its command, its event,
interactivity, App Home, and a scope for every Web API method the adapter calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.render.slack_blocks import FAVORITE_ACTION, SHARE_ACTION
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import running_slack, user_key
from tests.fakes.slack_server import USER_ID

MANIFEST = Path(__file__).resolve().parent.parent / "deploy" / "slack-app-manifest.yml"

# What each Web API method needs, from its page in Slack's reference; None: any token.
SCOPE_FOR_METHOD: dict[str, tuple[str, ...] | None] = {
    "auth.test": None,
    "chat.postMessage": ("chat:write",),
    "chat.getPermalink": None,
    "views.publish": None,
    "views.open": None,
    "users.info": ("users:read",),
    "users.conversations": ("channels:read", "groups:read"),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.open": ("im:write",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_the_manifest_declares_the_slash_command_events_interactivity_and_home() -> None:
    app = manifest()

    assert [c["command"] for c in app["features"]["slash_commands"]] == ["/paperbell"]
    assert app["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "reaction_added",
        "reaction_removed",
    ]
    assert app["settings"]["interactivity"]["is_enabled"] is True
    assert app["features"]["app_home"]["home_tab_enabled"] is True
    assert app["settings"]["socket_mode_enabled"] is True


def test_the_http_variant_is_documented_with_paperbells_endpoint() -> None:
    commented = [line for line in MANIFEST.read_text().splitlines() if "/slack/events" in line]

    assert len([line for line in commented if "url:" in line]) == 3


async def test_every_web_api_call_the_adapter_makes_is_covered_by_a_manifest_scope(
    tmp_path: Path,
) -> None:
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    async with running_slack(tmp_path, (SEED_PAPER,), SLACK_SUBSCRIBE_POLICY="admins") as app:
        await app.command("paper 2508.08189")
        card = await app.wait_for_card("2508.08189")
        await app.click(card, FAVORITE_ACTION)
        await app.click(card, SHARE_ACTION)
        await app.command("export")
        await app.command("subscribe cs.SE", channel="G0PRIVATE")
        await app.slack.wait_for(lambda: len(app.slack.responses) >= 4 and app.slack.files)
        await app.open_home()
        await app.slack.wait_for(lambda: USER_ID in app.slack.views)
        called = {call.method for call in app.slack.calls}
        assert await app.core.service.favorites_page("slack", user_key(), 1)

    unknown = called - SCOPE_FOR_METHOD.keys()
    assert not unknown, f"add the scopes of {unknown} to SCOPE_FOR_METHOD and the manifest"
    missing = {
        method: needed
        for method in called
        if (needed := SCOPE_FOR_METHOD[method]) is not None and not set(needed) <= granted
    }
    assert not missing
    assert {"commands", "chat:write.public", "reactions:read"} <= granted
