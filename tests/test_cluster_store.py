"""What replicas agree on through the database: leases, job runs, heartbeats, Slack events,
and (on PostgreSQL) the shared sending budget. Every storage test runs on both backends."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.platforms import RateLimits
from bot.delivery.shared_ratelimit import SharedRateLimiter
from bot.schedule.leader import Cluster, LeaseKeeper, due_time
from bot.store import Store
from bot.store.cluster import POLL_LEASE, Slot

NOON = datetime(2025, 11, 25, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def test_a_held_lease_is_refused_to_others_until_it_expires(store: Store) -> None:
    first = await store.acquire_lease("poll", "a", now=NOON, ttl=MINUTE)
    second = await store.acquire_lease("poll", "b", now=NOON + timedelta(seconds=59), ttl=MINUTE)
    after_expiry = await store.acquire_lease("poll", "b", now=NOON + MINUTE, ttl=MINUTE)

    assert (first, second, after_expiry) == (True, False, True)
    assert await store.lease_holder("poll", now=NOON + MINUTE) == "b"


async def test_renewing_keeps_the_lease_past_its_first_expiry(store: Store) -> None:
    await store.acquire_lease("poll", "a", now=NOON, ttl=MINUTE)
    renewed = await store.acquire_lease("poll", "a", now=NOON + timedelta(seconds=40), ttl=MINUTE)
    taken = await store.acquire_lease("poll", "b", now=NOON + timedelta(seconds=90), ttl=MINUTE)

    assert (renewed, taken) == (True, False)


async def test_a_released_lease_is_free_at_once(store: Store) -> None:
    await store.acquire_lease("poll", "a", now=NOON, ttl=MINUTE)
    await store.release_lease("poll", "a")

    assert await store.acquire_lease("poll", "b", now=NOON, ttl=MINUTE)


@pytest.mark.postgres
async def test_replicas_asking_for_a_free_lease_at_once_get_one_holder(
    postgres_url: str,
) -> None:
    stores = [Store.connect(postgres_url) for _ in range(4)]
    try:
        for _ in range(5):
            now = datetime.now(UTC)
            won = await asyncio.gather(
                *(
                    s.acquire_lease("race", f"r{n}", now=now, ttl=MINUTE)
                    for n, s in enumerate(stores)
                )
            )
            holder = await stores[0].lease_holder("race", now=now)
            assert won.count(True) == 1
            assert holder == f"r{won.index(True)}"
            await stores[0].release_lease("race", holder)
    finally:
        for s in stores:
            await s.close()


async def test_a_job_due_once_is_claimed_once(store: Store) -> None:
    due = due_time(NOON + timedelta(seconds=17), MINUTE)

    claims = [await store.claim_job_run("digests", due, runner) for runner in ("a", "b", "a")]
    next_minute = await store.claim_job_run("digests", due + MINUTE, "b")

    assert due == NOON
    assert claims == [True, False, False]
    assert next_minute


async def test_every_replica_rounds_a_moment_to_the_same_due_time() -> None:
    moments = [NOON + timedelta(seconds=s) for s in (0, 13.5, 59.999)]

    assert {due_time(moment, MINUTE) for moment in moments} == {NOON}
    assert due_time(NOON + MINUTE, MINUTE) == NOON + MINUTE


async def test_a_slack_event_is_new_only_the_first_time(store: Store) -> None:
    seen = [await store.first_sight_of_event("Ev01", now=NOON) for _ in range(2)]

    assert seen == [True, False]
    assert await store.first_sight_of_event("Ev02", now=NOON)


async def test_the_view_names_the_poll_holder_and_counts_live_replicas(store: Store) -> None:
    for name, seen in (
        ("a", NOON),
        ("b", NOON - timedelta(seconds=30)),
        ("old", NOON - MINUTE * 5),
    ):
        await store.heartbeat(name, started_at=NOON - MINUTE * 10, now=seen)
    await store.acquire_lease(POLL_LEASE, "b", now=NOON, ttl=MINUTE)

    view = await store.replica_view(now=NOON, live_within=MINUTE)

    assert view.poll_leader == "b"
    assert [r.name for r in view.replicas] == ["a", "b"]
    assert view.dispatchers == 2


async def test_a_lease_keeper_takes_up_the_role_and_hands_it_back(store: Store) -> None:
    events: list[str] = []
    gained = asyncio.Event()

    async def gain() -> None:
        events.append("gain")
        gained.set()

    async def loss() -> None:
        events.append("loss")

    keeper = LeaseKeeper(store, "updates", "a", ttl=MINUTE, on_gain=gain, on_loss=loss)
    other = LeaseKeeper(store, "updates", "b", ttl=MINUTE)
    stop = asyncio.Event()
    running = asyncio.create_task(keeper.run(stop))
    await gained.wait()
    refused = await other.tick()
    stop.set()
    await running

    assert refused is False
    assert events == ["gain", "loss"]
    assert await other.tick()


async def test_a_lone_replica_leads_and_wins_every_job(store: Store) -> None:
    cluster = Cluster(store, name="solo", lease=MINUTE)

    await cluster.join()

    assert cluster.leads()
    assert await cluster.first_to_run("digests", MINUTE)
    assert not await cluster.first_to_run("digests", MINUTE)


@pytest.mark.postgres
async def test_replicas_booking_at_once_never_overspend_the_overall_budget(
    postgres_url: str,
) -> None:
    stores = [Store.connect(postgres_url) for _ in range(3)]
    try:
        slots = await asyncio.gather(
            *(
                stores[n % 3].reserve_send(
                    "telegram:overall", f"telegram:chat:{n}", overall_gap=1 / 30, chat_gap=1
                )
                for n in range(60)
            )
        )
    finally:
        for s in stores:
            await s.close()

    times = sorted(slot.send_at for slot in slots if slot.send_at is not None)
    assert all(slot.booked for slot in slots)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / 30 - 1e-6


@pytest.mark.postgres
async def test_a_chat_waits_for_its_own_slot_and_a_pause_on_one_replica_holds_for_all(
    postgres_url: str,
) -> None:
    limits = RateLimits(global_per_second=30, per_chat_per_second=1, per_group_per_minute=20)
    stores = [Store.connect(postgres_url) for _ in range(2)]
    limiter = SharedRateLimiter(stores[0], "telegram", limits)

    async def reserve(store: Store, chat: str, gap: float) -> Slot:
        return await store.reserve_send(
            "telegram:overall", f"telegram:chat:{chat}", overall_gap=1 / 30, chat_gap=gap
        )

    try:
        first = await reserve(stores[0], "-100", 3.0)
        group_again = await reserve(stores[1], "-100", 3.0)
        limiter.pause("7", 30)
        await limiter.acquire("8", group=False)  # waits for the pause to be recorded
        paused = await reserve(stores[1], "7", 1.0)
    finally:
        for s in stores:
            await s.close()

    assert first.booked
    assert not group_again.booked and 2.0 < group_again.wait <= 3.0
    assert not paused.booked and 25 < paused.wait <= 30
