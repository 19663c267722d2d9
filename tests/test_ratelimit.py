"""The shared rate limiter, on a simulated clock so that every wait is exact."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.delivery.platforms import RateLimits
from bot.delivery.ratelimit import RateLimiter, limiter_for
from tests.fakes.platform import InMemoryPlatform

TELEGRAM = RateLimits(global_per_second=30, per_chat_per_second=1, per_group_per_minute=20)


class SimulatedTime:
    """A clock that moves only when the (single) sender sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def simulated() -> SimulatedTime:
    return SimulatedTime()


def limiter(simulated: SimulatedTime, limits: RateLimits = TELEGRAM) -> RateLimiter:
    return RateLimiter(limits, clock=simulated.clock, sleep=simulated.sleep)


async def send_times(
    simulated: SimulatedTime, gate: RateLimiter, chat: str, count: int, group: bool = False
) -> list[float]:
    times = []
    for _ in range(count):
        await gate.acquire(chat, group=group)
        times.append(simulated.now)
    return times


async def test_messages_to_one_private_chat_go_one_second_apart(simulated: SimulatedTime) -> None:
    times = await send_times(simulated, limiter(simulated), "1", 4)

    assert times == pytest.approx([0.0, 1.0, 2.0, 3.0])


async def test_a_group_gets_at_most_twenty_messages_a_minute(simulated: SimulatedTime) -> None:
    times = await send_times(simulated, limiter(simulated), "-1", 21, group=True)

    assert times[20] - times[0] == pytest.approx(60.0)
    assert times[1] - times[0] == pytest.approx(3.0)


async def test_different_chats_share_the_overall_rate(simulated: SimulatedTime) -> None:
    gate = limiter(simulated)
    times = []
    for chat in range(60):
        await gate.acquire(str(chat), group=False)
        times.append(simulated.now)

    assert times[-1] == pytest.approx(59 / 30)
    assert min(b - a for a, b in itertools.pairwise(times)) == pytest.approx(1 / 30)


async def test_a_pause_holds_the_chat_exactly_as_long_as_asked(simulated: SimulatedTime) -> None:
    gate = limiter(simulated)
    await gate.acquire("1", group=False)
    simulated.now = 0.25
    gate.pause("1", 7.0)

    await gate.acquire("1", group=False)

    assert simulated.now == pytest.approx(7.25)


async def test_a_paused_chat_does_not_hold_back_other_chats(simulated: SimulatedTime) -> None:
    gate = limiter(simulated)
    gate.pause("blocked", 30.0)
    await gate.acquire("other", group=False)

    assert simulated.now == pytest.approx(0.0)


async def test_a_message_that_could_not_go_within_the_limit_is_refused_and_not_counted(
    simulated: SimulatedTime,
) -> None:
    gate = limiter(simulated)
    gate.pause("1", 40.0)

    assert not await gate.acquire("1", group=False, within=30.0)
    assert simulated.now == 0.0
    assert await gate.acquire("1", group=False, within=40.0)
    assert simulated.now == pytest.approx(40.0)
    assert await gate.acquire("1", group=False, within=1.0)
    assert simulated.now == pytest.approx(41.0)


def test_everything_sending_through_one_platform_shares_its_one_limiter() -> None:
    telegram, slack = InMemoryPlatform("telegram", TELEGRAM), InMemoryPlatform("slack", TELEGRAM)

    assert limiter_for(telegram) is limiter_for(telegram)
    assert limiter_for(telegram) is not limiter_for(slack)
