"""The health and metrics endpoint, over HTTP, on both databases.

Figures are read with prometheus-client's own parser, so `/metrics` is checked to be the
exposition format Prometheus reads, not just text containing the right words.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import metrics
from bot.ops.health import HealthServer
from bot.store import Store
from bot.store.cluster import POLL_LEASE
from bot.summarize.llm import LLMSummarizer
from bot.support.config import load_settings
from tests.fakes.mailings import DailyArxiv
from tests.fakes.openai_server import API_KEY, MODEL, FakeOpenAI
from tests.fakes.outbox import TestClock, queue
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.running_bot import (
    announce,
    environment,
    followers,
    free_port,
    start,
    terminate,
)
from tests.fakes.telegram_server import FakeTelegram

INTERVAL = timedelta(minutes=30)
STALE = 3 * INTERVAL


@pytest.fixture
def clock() -> TestClock:
    return TestClock(datetime.now(UTC))


@pytest.fixture
async def health(store: Store, clock: TestClock) -> AsyncIterator[HealthServer]:
    server = HealthServer(
        store,
        host="127.0.0.1",
        port=0,
        poll_interval=INTERVAL,
        platforms=["telegram", "slack"],
        now=clock,
    )
    await server.start()
    yield server
    await server.stop()


async def get(server: HealthServer, path: str) -> tuple[int, str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        body = await response.text()
        is_json = response.content_type == "application/json"
        return (
            response.status,
            response.headers["Content-Type"],
            await response.json() if is_json else body,
        )


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by name and labels, parsed as Prometheus parses it."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


async def test_healthz_is_ok_after_a_recent_successful_poll(
    store: Store, health: HealthServer, clock: TestClock
) -> None:
    polled = clock() - timedelta(minutes=10)
    await store.record_poll(polled_at=polled)

    status, _, body = await get(health, "/healthz")

    assert status == 200
    assert body["status"] == "ok"
    assert body["process"] == "up"
    assert body["database"] == "reachable"
    assert body["problems"] == []
    assert datetime.fromisoformat(body["last_successful_poll"]) == polled
    assert 600 <= body["last_successful_poll_age_seconds"] < 660


async def test_healthz_is_503_with_the_reason_when_polls_keep_failing(
    store: Store, clock: TestClock
) -> None:
    started = clock()
    await store.record_poll(polled_at=started - timedelta(hours=1))
    server = HealthServer(store, host="127.0.0.1", port=0, poll_interval=INTERVAL, now=clock)
    await server.start()
    try:
        clock.advance(STALE + timedelta(minutes=1))
        await store.record_poll(polled_at=clock(), error="HTTP 503 from export.arxiv.org")

        status, _, body = await get(server, "/healthz")
    finally:
        await server.stop()

    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["database"] == "reachable"
    [problem] = body["problems"]
    assert "no successful arXiv poll" in problem
    assert "HTTP 503 from export.arxiv.org" in problem
    assert body["last_successful_poll_age_seconds"] > STALE.total_seconds()


async def test_a_new_process_has_three_poll_intervals_to_poll_successfully(
    health: HealthServer, clock: TestClock
) -> None:
    status, _, body = await get(health, "/healthz")
    assert (status, body["last_successful_poll"]) == (200, None)

    clock.advance(STALE + timedelta(seconds=1))
    status, _, body = await get(health, "/healthz")

    assert status == 503
    assert "last success: never" in body["problems"][0]


async def test_an_old_success_from_before_a_restart_gets_the_same_grace(
    store: Store, health: HealthServer, clock: TestClock
) -> None:
    await store.record_poll(polled_at=clock() - timedelta(days=2))

    status, _, body = await get(health, "/healthz")

    assert status == 200
    assert body["last_successful_poll_age_seconds"] > timedelta(days=2).total_seconds() - 1


async def test_healthz_is_503_when_the_database_does_not_answer(clock: TestClock) -> None:
    store = Store.connect(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/paperbell")
    server = HealthServer(store, host="127.0.0.1", port=0, poll_interval=INTERVAL, now=clock)
    await server.start()
    try:
        status, _, body = await get(server, "/healthz")
        live, _, _ = await get(server, "/livez")
    finally:
        await server.stop()
        await store.close()

    assert status == 503
    assert body["database"] == "unreachable"
    assert body["problems"][0].startswith("database unreachable: ")
    assert live == 200


async def test_livez_answers_whatever_the_polls_do(health: HealthServer, clock: TestClock) -> None:
    clock.advance(STALE * 10)

    status, _, body = await get(health, "/livez")

    assert (status, body["status"]) == (200, "ok")


async def test_metrics_read_the_outbox_depth_and_poll_times_from_the_database(
    store: Store, health: HealthServer, clock: TestClock
) -> None:
    chat = await store.ensure_chat("telegram", "42", language="en")
    await queue(store, chat, [make_paper(arxiv_id=f"2511.0000{n}") for n in range(1, 4)])
    polled = clock() - timedelta(minutes=5)
    await store.record_announcement([], [], polled_at=polled, mailing=polled.date())

    status, content_type, body = await get(health, "/metrics")

    assert status == 200
    assert content_type.startswith("text/plain; version=")
    figures = samples(body)
    assert figures[("paperbell_delivery_queue_depth", (("platform", "telegram"),))] == 3
    assert figures[("paperbell_delivery_queue_depth", (("platform", "slack"),))] == 0
    assert figures[("paperbell_last_successful_poll_timestamp_seconds", ())] == pytest.approx(
        polled.timestamp()
    )
    assert figures[("paperbell_last_announcement_seen_timestamp_seconds", ())] == pytest.approx(
        polled.timestamp()
    )


async def test_metrics_show_the_llm_summarizers_requests_and_fallbacks(
    health: HealthServer,
) -> None:
    async with FakeOpenAI() as llm:
        settings = load_settings(
            _env_file=None, LLM_BASE_URL=llm.base_url, LLM_API_KEY=API_KEY, LLM_MODEL=MODEL
        )
        summarizer = LLMSummarizer(settings, backoff=0.0)
        metrics.watch_summarizer(summarizer)
        try:
            await summarizer.summarize(SEED_PAPER, "en")
            llm.fail_next(500)
            await summarizer.summarize(SEED_PAPER, "zh")
        finally:
            await summarizer.aclose()

        _, _, body = await get(health, "/metrics")
        metrics.watch_summarizer(object())

    figures = samples(body)
    model = ("model", MODEL)
    assert figures[("paperbell_llm_requests_total", (model,))] == len(llm.requests)
    assert figures[("paperbell_llm_fallbacks_total", (model, ("reason", "http_error")))] == 1
    assert figures[("paperbell_llm_tokens_total", (("kind", "prompt"), model))] > 0


async def test_a_running_bot_reports_its_first_poll_in_healthz_and_metrics(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    async with FakeTelegram() as telegram, DailyArxiv() as arxiv:
        chats = await followers(database_url, 3)
        papers = announce(arxiv, 2)
        env = environment(database_url, telegram, arxiv, HEALTH_PORT=str(port))
        bot = await start("run", env, tmp_path)
        try:
            await telegram.wait_for(lambda: len(telegram.sent) == len(chats) * len(papers), 60)
            figures = await scrape_until(port, "paperbell_poll_duration_seconds_count", 1)
            status, body = await fetch_json(port, "/healthz")
        finally:
            _, log = await terminate(bot, within=15)

    assert bot.returncode == 0, log
    assert (status, body["status"], body["database"]) == (200, "ok", "reachable")
    assert body["last_successful_poll_age_seconds"] < 60
    telegram_label = (("platform", "telegram"),)
    assert figures[("paperbell_papers_discovered_total", ())] == len(papers)
    assert figures[("paperbell_cards_sent_total", telegram_label)] == len(telegram.sent)
    assert figures[("paperbell_cards_failed_total", telegram_label)] == 0
    assert figures[("paperbell_rate_limited_total", telegram_label)] == telegram.throttled
    assert figures[("paperbell_delivery_queue_depth", telegram_label)] == 0
    assert figures[("paperbell_poll_duration_seconds_sum", ())] > 0
    last_poll = figures[("paperbell_last_successful_poll_timestamp_seconds", ())]
    assert abs(last_poll - datetime.now(UTC).timestamp()) < 60
    assert figures[("paperbell_last_announcement_seen_timestamp_seconds", ())] == last_poll


async def fetch_json(port: int, path: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.json()


async def scrape_until(
    port: int, name: str, value: float
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Read /metrics until `name` (without labels) reaches `value`; the last figures."""
    async with asyncio.timeout(30):
        while True:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/metrics") as response,
            ):
                figures = samples(await response.text())
            if figures.get((name, ()), 0) >= value:
                return figures
            await asyncio.sleep(0.1)


async def test_healthz_and_metrics_name_the_poll_lease_holder_and_count_live_dispatchers(
    store: Store, health: HealthServer, clock: TestClock
) -> None:
    now = clock()
    for name in ("pod-a:7", "pod-b:7"):
        await store.heartbeat(name, started_at=now, now=now)
    await store.heartbeat("gone:1", started_at=now, now=now - timedelta(minutes=5))
    await store.acquire_lease(POLL_LEASE, "pod-b:7", now=now, ttl=timedelta(minutes=1))

    _, _, body = await get(health, "/healthz")
    _, _, exposition = await get(health, "/metrics")

    assert body["poll_lease_holder"] == "pod-b:7"
    assert body["live_dispatchers"] == 2
    assert body["replicas"] == ["pod-a:7", "pod-b:7"]
    figures = samples(exposition)
    assert figures[("paperbell_poll_lease_holder", (("replica", "pod-b:7"),))] == 1
    assert ("paperbell_poll_lease_holder", (("replica", "pod-a:7"),)) not in figures
    assert figures[("paperbell_live_dispatchers", ())] == 2
