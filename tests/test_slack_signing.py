"""Only requests Slack signed reach paperbell, and each only once.

The adapter's clock is set to Slack's documented signing example, so that example's exact
request (secret, timestamp, body and signature from Slack's docs) must be accepted, and
anything that differs from it by a byte, a secret or five minutes must get a 401 and
change nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.signature import Clock

from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import SlackHarness, running_slack
from tests.fakes.slack_server import CHANNEL_ID, signed_headers, slash_command_body

# Slack's documented example: https://api.slack.com/authentication/verifying-requests-from-slack
EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TIMESTAMP = 1531420618
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
EXAMPLE_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
    b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


class SetClock(Clock):
    def __init__(self, now: float) -> None:
        self.time = now

    def now(self) -> float:
        return self.time


def example_headers() -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(EXAMPLE_TIMESTAMP),
        "X-Slack-Signature": EXAMPLE_SIGNATURE,
    }


@pytest.fixture
def clock() -> SetClock:
    return SetClock(EXAMPLE_TIMESTAMP)


@pytest.fixture
async def app(tmp_path: Path, clock: SetClock) -> AsyncIterator[SlackHarness]:
    async with running_slack(
        tmp_path, (SEED_PAPER,), clock=clock, SLACK_SIGNING_SECRET=EXAMPLE_SECRET
    ) as harness:
        yield harness


def subscribe_body(app: SlackHarness) -> bytes:
    return slash_command_body(text="subscribe cs.SE", response_url=app.slack.new_response_url())


async def assert_nothing_changed(app: SlackHarness, calls_before: int) -> None:
    assert len(app.slack.calls) == calls_before
    assert app.slack.responses == []
    assert await app.core.store.get_chat("slack", CHANNEL_ID) is None


async def test_slacks_documented_example_is_accepted_at_its_timestamp(app: SlackHarness) -> None:
    answer = await app.send(EXAMPLE_BODY, headers=example_headers())

    assert answer.status == 200
    # The example's empty command text asks for help, answered in the acknowledgement.
    assert "/webhook-collect subscribe" in "\n".join(block_texts(answer.json()["blocks"]))


@pytest.mark.parametrize(("seconds", "status"), [(-300, 200), (300, 200), (-301, 401), (301, 401)])
async def test_the_example_is_accepted_within_five_minutes_of_its_timestamp_only(
    app: SlackHarness, clock: SetClock, seconds: int, status: int
) -> None:
    clock.time = EXAMPLE_TIMESTAMP + seconds

    answer = await app.send(EXAMPLE_BODY, headers=example_headers())

    assert answer.status == status


async def test_a_tampered_body_is_refused(app: SlackHarness) -> None:
    calls = len(app.slack.calls)
    tampered = EXAMPLE_BODY.replace(b"&text=&", b"&text=subscribe+cs.SE&")

    answer = await app.send(tampered, headers=example_headers())

    assert answer.status == 401
    await assert_nothing_changed(app, calls)


async def test_a_request_signed_with_another_secret_is_refused_and_changes_nothing(
    app: SlackHarness,
) -> None:
    calls = len(app.slack.calls)

    answer = await app.send(
        subscribe_body(app), secret=EXAMPLE_SECRET.replace("8", "9"), timestamp=EXAMPLE_TIMESTAMP
    )

    assert answer.status == 401
    await assert_nothing_changed(app, calls)


async def test_a_stale_request_is_refused_and_changes_nothing(
    app: SlackHarness, clock: SetClock
) -> None:
    clock.time = EXAMPLE_TIMESTAMP + 6 * 60
    calls = len(app.slack.calls)

    answer = await app.send(subscribe_body(app), timestamp=EXAMPLE_TIMESTAMP)

    assert answer.status == 401
    await assert_nothing_changed(app, calls)


async def test_an_unsigned_request_is_refused(app: SlackHarness) -> None:
    calls = len(app.slack.calls)

    answer = await app.send(
        subscribe_body(app), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert answer.status == 401
    await assert_nothing_changed(app, calls)


async def test_a_replayed_command_is_processed_once(app: SlackHarness) -> None:
    body = subscribe_body(app)
    headers = signed_headers(EXAMPLE_SECRET, body, timestamp=EXAMPLE_TIMESTAMP)
    await app.send(body, headers=headers)
    await app.slack.wait_for(lambda: len(app.slack.responses) == 1)

    replayed = await app.send(body, headers=headers)
    await app.send(
        slash_command_body(text="list", response_url=app.slack.new_response_url()),
        timestamp=EXAMPLE_TIMESTAMP,
    )
    await app.slack.wait_for(lambda: len(app.slack.responses) == 2)

    assert replayed.status == 200
    assert replayed.body == ""
    assert "Subscribed" in app.slack.responses[0].text
    assert "cs.SE" in app.slack.responses[1].text


async def test_the_events_url_check_slack_makes_at_setup_is_answered(
    app: SlackHarness,
) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"})

    answer = await app.send(body.encode(), timestamp=EXAMPLE_TIMESTAMP)
    forged = await app.send(body.encode(), secret="0" * 32, timestamp=EXAMPLE_TIMESTAMP)

    assert answer.status == 200
    assert answer.json() == {"challenge": challenge}
    assert forged.status == 401
