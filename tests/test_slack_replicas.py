"""Slack behind several replicas: an event Slack sends to more than one of them (a retry
the load balancer routed elsewhere, Socket Mode connections from each) is handled once."""

from __future__ import annotations

from pathlib import Path

from handlers.slack.adapter import SlackAdapter
from tests.fakes.slack_app import SlackHarness, SlackUser, running_slack
from tests.fakes.slack_server import USER_ID, app_home_opened_event


async def test_an_event_sent_to_two_replicas_is_handled_by_one(tmp_path: Path) -> None:
    async with running_slack(tmp_path) as harness:
        replicas = [await _replica(harness) for _ in range(2)]
        try:
            body = app_home_opened_event(USER_ID, event_id="Ev0BOTHREPLICAS")
            answers = [await replica.send(body) for replica in replicas]
            await harness.slack.wait_for(lambda: USER_ID in harness.slack.views)
            await replicas[1].send(app_home_opened_event("U0BOB", event_id="Ev0LATER"))
            await harness.slack.wait_for(lambda: "U0BOB" in harness.slack.views)
        finally:
            for replica in replicas:
                await replica.adapter.stop()

    assert [answer.status for answer in answers] == [200, 200]
    publishes = [c.args["user_id"] for c in harness.slack.calls if c.method == "views.publish"]
    assert publishes == [USER_ID, "U0BOB"]


class _Replica(SlackUser):
    def __init__(self, harness: SlackHarness, adapter: SlackAdapter) -> None:
        super().__init__(
            harness.slack, f"http://127.0.0.1:{adapter.port}/slack/events", harness.secret
        )
        self.adapter = adapter


async def _replica(harness: SlackHarness) -> _Replica:
    """Another adapter on the same database, as a second replica would run it."""
    core = harness.core
    adapter = SlackAdapter(core.settings, core.service, timeout=5, cluster=core.cluster)
    await adapter.start()
    return _Replica(harness, adapter)
