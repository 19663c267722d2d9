"""The Prometheus figures of one paperbell process, on a registry of its own.

A dedicated registry keeps the library's default process-wide one (which other code in
the process may fill) out of `/metrics`. Counters are bumped where things happen
(`poll_finished`, `deliveries_settled`); the figures the database already knows (the
outbox depth, when arXiv last answered) are read from the store at scrape time by
`refresh`, so they are right even when another process (the CronJob) did the work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.source.arxiv_calendar import public_at
from bot.store import Store
from bot.support.clock import utcnow

if TYPE_CHECKING:
    from bot.summarize.llm import LLMStats

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

PAPERS_DISCOVERED = Counter(
    "paperbell_papers_discovered",
    "Papers announced in a followed category and stored for the first time.",
    registry=REGISTRY,
)
POLL_DURATION = Histogram(
    "paperbell_poll_duration_seconds",
    "How long one poll cycle took: discovery, summaries and dispatch.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800),
    registry=REGISTRY,
)
CARDS_SENT = Counter(
    "paperbell_cards_sent",
    "Papers delivered to chats, as cards or inside digests.",
    ["platform"],
    registry=REGISTRY,
)
CARDS_FAILED = Counter(
    "paperbell_cards_failed",
    "Deliveries given up for good (refused, chat gone, out of retries) or of unknown outcome.",
    ["platform"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "paperbell_rate_limited",
    "Sends a platform answered with 429 (rate limited); each is sent again later.",
    ["platform"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "paperbell_delivery_queue_depth",
    "Deliveries waiting in the outbox or in flight, read from the database at scrape time.",
    ["platform"],
    registry=REGISTRY,
)
LAST_SUCCESSFUL_POLL = Gauge(
    "paperbell_last_successful_poll_timestamp_seconds",
    "When arXiv's announcement feed last answered a poll (Unix time; 0: never).",
    registry=REGISTRY,
)
LAST_ANNOUNCEMENT = Gauge(
    "paperbell_last_announcement_seen_timestamp_seconds",
    "When the newest arXiv mailing was first seen in the feed (Unix time; 0: never).",
    registry=REGISTRY,
)
STALE_CATEGORIES = Counter(
    "paperbell_stale_feed",
    "Times a category's feed stayed on an older mailing and the API was asked instead.",
    ["category"],
    registry=REGISTRY,
)
AUDIT_SHORTFALL = Counter(
    "paperbell_audit_shortfall",
    "Papers the coverage audit found that the feed had left out (delivered late).",
    ["category"],
    registry=REGISTRY,
)
MAILING_AGE = Gauge(
    "paperbell_mailing_age_seconds",
    "Age of the newest mailing recorded for each followed category (since its announcement).",
    ["category"],
    registry=REGISTRY,
)
MAILING_PAPERS = Gauge(
    "paperbell_mailing_papers",
    "Papers of each category's newest mailing: announced by arXiv, delivered to at least "
    "one chat, and found late by the audit.",
    ["category", "kind"],
    registry=REGISTRY,
)

POLL_LEASE_HOLDER = Gauge(
    "paperbell_poll_lease_holder",
    "1 for the replica holding the arXiv poll lease (none while it passes between replicas).",
    ["replica"],
    registry=REGISTRY,
)
LIVE_DISPATCHERS = Gauge(
    "paperbell_live_dispatchers",
    "Replicas (each one dispatcher) heard from within one replica lease.",
    registry=REGISTRY,
)


class DeliveryOutcomes(Protocol):
    """What a dispatch did for one chat (`bot.delivery.delivery.DispatchReport` is one)."""

    delivered: int
    failed: int
    unknown: int
    throttled: int


def poll_finished(*, new_papers: int, seconds: float) -> None:
    PAPERS_DISCOVERED.inc(new_papers)
    POLL_DURATION.observe(seconds)


def deliveries_settled(platform: str, outcomes: DeliveryOutcomes) -> None:
    CARDS_SENT.labels(platform).inc(outcomes.delivered)
    CARDS_FAILED.labels(platform).inc(outcomes.failed + outcomes.unknown)
    RATE_LIMITED.labels(platform).inc(outcomes.throttled)


async def refresh(store: Store, platforms: Iterable[str]) -> None:
    """Read the figures the database holds; a platform with nothing waiting shows 0."""
    waiting = await store.waiting_by_platform()
    for platform in {*platforms, *waiting}:
        QUEUE_DEPTH.labels(platform).set(waiting.get(platform, 0))
    state = await store.get_poll_state()
    success, seen = state.last_success_at, state.last_mailing_seen_at
    LAST_SUCCESSFUL_POLL.set(success.timestamp() if success else 0)
    LAST_ANNOUNCEMENT.set(seen.timestamp() if seen else 0)
    await refresh_coverage(store, utcnow())


def stale_category(category: str) -> None:
    STALE_CATEGORIES.labels(category).inc()


def audit_shortfall(category: str, papers: int) -> None:
    AUDIT_SHORTFALL.labels(category).inc(papers)


async def refresh_coverage(store: Store, now: datetime) -> None:
    """Per category: how old its newest mailing is, and what became of its papers."""
    for figures in await store.mailing_figures():
        age = now - public_at(figures.mailing)
        MAILING_AGE.labels(figures.category).set(max(0.0, age.total_seconds()))
        for kind, count in (
            ("announced", figures.announced),
            ("delivered", figures.delivered),
            ("late", figures.late),
        ):
            MAILING_PAPERS.labels(figures.category, kind).set(count)


async def refresh_replicas(store: Store, now: datetime, live_within: timedelta) -> None:
    """Read who polls and how many dispatch, as every replica sees it alike."""
    view = await store.replica_view(now=now, live_within=live_within)
    POLL_LEASE_HOLDER.clear()
    if view.poll_leader is not None:
        POLL_LEASE_HOLDER.labels(view.poll_leader).set(1)
    LIVE_DISPATCHERS.set(view.dispatchers)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class _LLMCollector(Collector):
    """Reads the summarizer's own counters at scrape time, so they are never copied twice."""

    def __init__(self) -> None:
        self.stats: LLMStats | None = None

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        if stats is None:
            return
        model = [stats.model]
        requests = CounterMetricFamily(
            "paperbell_llm_requests", "Requests sent to the LLM endpoint.", labels=["model"]
        )
        requests.add_metric(model, stats.requests)
        tokens = CounterMetricFamily(
            "paperbell_llm_tokens", "Tokens the endpoint reported using.", labels=["model", "kind"]
        )
        tokens.add_metric([*model, "prompt"], stats.prompt_tokens)
        tokens.add_metric([*model, "completion"], stats.completion_tokens)
        fallbacks = CounterMetricFamily(
            "paperbell_llm_fallbacks",
            "Summaries given to the offline summarizer instead, by reason.",
            labels=["model", "reason"],
        )
        for reason, count in sorted(stats.fallbacks.items()):
            fallbacks.add_metric([*model, reason], count)
        replaced = CounterMetricFamily(
            "paperbell_llm_sections_replaced",
            "Card sections that failed the grounding check twice and came from the offline "
            "summarizer.",
            labels=["model", "section"],
        )
        for section, count in sorted(stats.sections_replaced.items()):
            replaced.add_metric([*model, section], count)
        yield from (requests, tokens, fallbacks, replaced)


_LLM = _LLMCollector()
REGISTRY.register(_LLM)


def watch_summarizer(summarizer: object) -> None:
    """Expose the LLM summarizer's counters; the offline summarizer has none."""
    _LLM.stats = getattr(summarizer, "stats", None)
