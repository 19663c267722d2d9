"""The Slack issue's "done when", in one story: `paperbell run` in HTTP mode against the fake
Slack and fake arXiv, and `paperbell poll` run beside it as the operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import app
from bot.render.slack_blocks import FAVORITE_ACTION
from bot.support.config import Settings
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.running_bot import free_port
from tests.fakes.slack_app import SIGNING_SECRET, Answer, SlackUser, slack_settings
from tests.fakes.slack_server import CHANNEL_ID, USER_ID, FakeSlack, app_home_opened_event

ROOT = Path(__file__).resolve().parent.parent
BOB = "U0BOB"
MALLORY = "U0MALLORY"


async def paperbell_poll(settings: Settings, cwd: Path) -> tuple[int, str]:
    """`paperbell poll` as a separate process with the same settings."""
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    for name, value in settings.model_dump().items():
        if value is not None:
            shown = value.get_secret_value() if hasattr(value, "get_secret_value") else value
            env[name] = str(shown)
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "poll",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stderr.decode()


async def test_paperbell_in_slack_from_first_card_to_polled_papers(tmp_path: Path) -> None:
    announced = datetime.now(UTC) + timedelta(days=2)
    fresh = make_paper(
        arxiv_id="2601.00042",
        version=1,
        title="Mutation Testing for Flaky Builds",
        primary_category="cs.SE",
        categories=("cs.SE",),
        published=datetime.now(UTC),
        updated=datetime.now(UTC),
    )
    async with FakeSlack(rate_limit=None) as slack:
        with FakeArxiv(announced=announced) as arxiv:
            arxiv.add(SEED_PAPER)
            port = free_port()
            settings = slack_settings(tmp_path, slack, arxiv, SLACK_HTTP_PORT=port)
            stop = asyncio.Event()
            running = asyncio.create_task(app.run(settings, stop))
            bot = SlackUser(slack, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
            await wait_until_listening(bot)

            await bot.command("paper 2508.08189")
            card = await bot.wait_for_card(SEED_PAPER.arxiv_id)
            await bot.command("subscribe cs.SE")
            await slack.wait_for(lambda: any("Subscribed" in r.text for r in slack.responses))
            arxiv.add(fresh)
            polled, poll_log = await paperbell_poll(settings, tmp_path)
            delivered = await bot.wait_for_card(fresh.arxiv_id)

            await bot.click(card, FAVORITE_ACTION, user=USER_ID)
            await bot.click(delivered, FAVORITE_ACTION, user=BOB)
            await slack.wait_for(lambda: USER_ID in slack.views and BOB in slack.views)
            await bot.open_home(USER_ID)
            await slack.wait_for(lambda: len(home_publishes(slack, USER_ID)) == 2)
            forged = await bot.send(app_home_opened_event(MALLORY), secret="not-the-secret")

            stop.set()
            await asyncio.wait_for(running, 15)

    assert polled == 0, poll_log
    assert delivered.channel == CHANNEL_ID
    assert fresh.title in block_texts(delivered.blocks or [])
    home = "\n".join(block_texts(slack.views[USER_ID]["blocks"]))
    assert SEED_PAPER.title in home
    assert fresh.title not in home
    assert forged.status == 401
    assert MALLORY not in slack.views
    bobs = "\n".join(block_texts(slack.views[BOB]["blocks"]))
    assert fresh.title in bobs
    assert SEED_PAPER.title not in bobs


def home_publishes(slack: FakeSlack, user: str) -> list[object]:
    return [c for c in slack.calls if c.method == "views.publish" and c.args["user_id"] == user]


async def wait_until_listening(bot: SlackUser) -> Answer:
    for _ in range(200):
        try:
            return await bot.command("help")
        except OSError:
            await asyncio.sleep(0.05)
    raise AssertionError("paperbell run never listened for Slack")
