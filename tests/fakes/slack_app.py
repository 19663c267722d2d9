"""The Slack adapter running against the fake Slack and fake arXiv, driven like Slack drives it.

`running_slack` starts the fakes, the core on a fresh SQLite file and the real
`SlackAdapter` in HTTP mode on 127.0.0.1; `SlackUser` sends any app listening for Slack
what Slack would: signed slash commands, button clicks and Events API callbacks, over
HTTP to POST /slack/events.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.signature import Clock

from bot.app import open_core
from bot.core import Core
from bot.source.papers import Paper
from bot.support.config import Settings
from handlers.slack import SlackAdapter
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import make_paper
from tests.fakes.slack_server import (
    BOT_TOKEN,
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    FakeSlack,
    Post,
    RateLimit,
    Response,
    app_home_opened_event,
    block_actions_body,
    reaction_event,
    signed_headers,
    slash_command_body,
)

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
# A second paper, in another category than the seed paper, for tests that need two.
OTHER_PAPER = make_paper(
    arxiv_id="2509.01234",
    version=1,
    title="Testing Flaky Builds at Scale",
    primary_category="cs.SE",
    categories=("cs.SE",),
)


@dataclass(frozen=True)
class Answer:
    """The app's HTTP answer to one request from Slack."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def slack_settings(
    tmp_path: Path, slack: FakeSlack, arxiv: FakeArxiv, **overrides: Any
) -> Settings:
    """Settings for the Slack adapter against the fakes, HTTP mode, SQLite in `tmp_path`."""
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'paperbell.db'}",
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_RSS_URL": arxiv.rss_url,
        "ARXIV_REQUEST_INTERVAL": 0,
        "ARXIV_TIMEOUT": 5,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url + "/api/",
        "SLACK_HTTP_HOST": "127.0.0.1",
        "SLACK_HTTP_PORT": 0,
        "TELEGRAM_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class SlackUser:
    """Slack's side of the conversation with an app listening at `url`: signed requests in,
    and what the app posted, read from the fake Slack."""

    def __init__(self, slack: FakeSlack, url: str, secret: str) -> None:
        self.slack = slack
        self.url = url
        self.secret = secret

    async def send(
        self,
        body: bytes,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """POST `body` signed as Slack signs it, with the app's signing secret unless given
        another (or with exactly `headers`)."""
        if headers is None:
            headers = signed_headers(secret or self.secret, body, timestamp=timestamp)
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as r,
        ):
            return Answer(r.status, await r.text())

    async def command(
        self, text: str, *, user: str = USER_ID, channel: str = CHANNEL_ID, **fields: Any
    ) -> Answer:
        body = slash_command_body(
            text=text,
            response_url=self.slack.new_response_url(),
            user_id=user,
            channel_id=channel,
            **fields,
        )
        return await self.send(body)

    async def click(
        self,
        post: Post,
        action_id: str,
        *,
        user: str = USER_ID,
        value: str | None = None,
    ) -> Answer:
        """Click a button of a message in a channel, with a fresh response_url."""
        body = block_actions_body(
            action_id=action_id,
            value=value,
            user=user,
            channel=post.channel,
            message_ts=post.ts,
            blocks=post.blocks or [],
            response_url=self.slack.new_response_url(),
        )
        return await self.send(body)

    async def click_in_home(self, user: str, action_id: str, value: str | None = None) -> Answer:
        body = block_actions_body(
            action_id=action_id, value=value, user=user, view=self.slack.views[user]
        )
        return await self.send(body)

    async def react(
        self, post: Post, reaction: str, user: str = USER_ID, *, added: bool = True
    ) -> Answer:
        return await self.send(reaction_event(reaction, post, user, added=added))

    async def open_home(self, user: str = USER_ID, *, event_id: str | None = None) -> Answer:
        return await self.send(app_home_opened_event(user, event_id=event_id))

    async def wait_for_card(self, arxiv_id: str, channel: str = CHANNEL_ID) -> Post:
        """The top-level post of `arxiv_id`'s card in `channel`, once it and the first reply
        in its thread are there."""

        def card() -> Post | None:
            return next(
                (
                    post
                    for post in self.slack.posts
                    if post.channel == channel
                    and post.thread_ts is None
                    and arxiv_id in json.dumps(post.blocks)
                ),
                None,
            )

        await self.slack.wait_for(card)
        found = card()
        assert found is not None
        await self.slack.wait_for(lambda: any(p.thread_ts == found.ts for p in self.slack.posts))
        return found


class SlackHarness(SlackUser):
    """The adapter on its own, over a core, in HTTP mode on an ephemeral port."""

    def __init__(
        self, slack: FakeSlack, arxiv: FakeArxiv, core: Core, adapter: SlackAdapter
    ) -> None:
        secret = core.settings.SLACK_SIGNING_SECRET
        assert adapter.port is not None and secret is not None
        url = f"http://127.0.0.1:{adapter.port}/slack/events"
        super().__init__(slack, url, secret.get_secret_value())
        self.arxiv = arxiv
        self.core = core
        self.adapter = adapter


@asynccontextmanager
async def running_slack(
    tmp_path: Path,
    papers: tuple[Paper, ...] = (),
    *,
    clock: Clock | None = None,
    rate_limit: RateLimit | None = None,
    **settings: Any,
) -> AsyncIterator[SlackHarness]:
    async with AsyncExitStack() as stack:
        slack = await stack.enter_async_context(FakeSlack(rate_limit=rate_limit))
        arxiv = await stack.enter_async_context(FakeArxiv())
        arxiv.add_all(papers)
        config = slack_settings(tmp_path, slack, arxiv, **settings)
        core = await stack.enter_async_context(open_core(config))
        adapter = SlackAdapter(config, core.service, clock=clock, timeout=5)
        await adapter.start()
        stack.push_async_callback(adapter.stop)
        yield SlackHarness(slack, arxiv, core, adapter)


def user_key(user: str = USER_ID) -> str:
    """How the adapter names a Slack user to the core: per workspace."""
    return f"{TEAM_ID}:{user}"


def texts(response: Response) -> str:
    """What a person reads in a reply: its blocks' texts, else its fallback text."""
    return "\n".join(block_texts(response.blocks or [])) or response.text


async def nth_response(app: SlackHarness, n: int = 0) -> Response:
    """The `n`-th reply (from 0) sent through a response_url, once it has arrived."""
    await app.slack.wait_for(lambda: len(app.slack.responses) > n)
    return app.slack.responses[n]
