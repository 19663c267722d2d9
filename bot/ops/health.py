"""The health and metrics endpoint, for Docker's HEALTHCHECK, Kubernetes probes and Prometheus.

`/healthz` says whether the bot is doing its job: the database answers and arXiv was
polled successfully recently. Polls are what the bot is for, so a bot whose polls keep
failing is unhealthy even though its process runs. A mailing overdue by more than
MAILING_OVERDUE_MINUTES only makes it `degraded` (still HTTP 200): the bot works, but
arXiv or its feed is late. Neither is the right signal for a liveness probe, though:
restarting does not bring arXiv back, so `/livez` answers as long as the event loop
does, and Kubernetes restarts only on that. `/metrics` is Prometheus.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.ops import metrics
from bot.source.arxiv_calendar import public_at
from bot.store import Store
from bot.support.clock import Clock, utcnow

log = logging.getLogger(__name__)

STALE_AFTER_POLLS = 3
"""Missed polls before the bot counts as unhealthy: one failure is arXiv having a bad minute."""
DATABASE_TIMEOUT = 5.0
"""Seconds the database gets to answer a probe; a probe must answer before its own timeout."""


@dataclass(frozen=True, slots=True)
class Health:
    last_successful_poll: datetime | None
    poll_age: timedelta | None
    uptime: timedelta
    database: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        if self.problems:
            return "unhealthy"
        return "degraded" if self.warnings else "ok"

    def as_json(self) -> dict[str, Any]:
        success = self.last_successful_poll
        return {
            "status": self.status,
            "process": "up",
            "uptime_seconds": round(self.uptime.total_seconds(), 1),
            "database": self.database,
            "last_successful_poll": success.isoformat() if success else None,
            "last_successful_poll_age_seconds": (
                None if self.poll_age is None else round(self.poll_age.total_seconds(), 1)
            ),
            "problems": self.problems,
            "warnings": self.warnings,
        }


class HealthServer:
    def __init__(
        self,
        store: Store,
        *,
        host: str,
        port: int,
        poll_interval: timedelta,
        platforms: Sequence[str] = (),
        overdue_after: timedelta | None = None,
        replica_lease: timedelta = timedelta(seconds=60),
        now: Clock = utcnow,
    ) -> None:
        """`platforms`: the ones running, so their outbox depth shows even when it is 0.
        `overdue_after`: how late a mailing may be before the bot counts as degraded.
        `replica_lease`: a replica not heard from for this long no longer counts as live."""
        self._overdue_after = overdue_after
        self._store = store
        self._replica_lease = replica_lease
        self._host = host
        self._port = port
        self._stale_after = poll_interval * STALE_AFTER_POLLS
        self._platforms = tuple(platforms)
        self._now = now
        self._started_at = now()
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def check(self) -> Health:
        now = self._now()
        uptime = timedelta(seconds=time.monotonic() - self._started)
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                await self._store.ping()
                state = await self._store.get_poll_state()
        except Exception as exc:
            problem = f"database unreachable: {_describe(exc)}"
            return Health(None, None, uptime, "unreachable", [problem])
        success = state.last_success_at
        age = None if success is None else now - success
        # A process that just started has had no chance to poll yet.
        since = max(success, self._started_at) if success else self._started_at
        problems = []
        if now - since > self._stale_after:
            last = "never" if success is None else f"{_minutes(age)} ago"
            problem = (
                f"no successful arXiv poll for {_minutes(now - since)} "
                f"(limit {_minutes(self._stale_after)}; last success: {last})"
            )
            if state.last_error:
                problem += f"; last error: {state.last_error}"
            problems.append(problem)
        warnings = await self._mailing_warnings(now)
        return Health(success, age, uptime, "reachable", problems, warnings)

    async def _mailing_warnings(self, now: datetime) -> list[str]:
        if self._overdue_after is None:
            return []
        overdue = await self._store.overdue_mailing(now, self._overdue_after)
        if overdue is None:
            return []
        late = _minutes(now - public_at(overdue))
        return [f"arXiv mailing of {overdue} overdue: not seen {late} after its announcement"]

    async def replicas(self) -> dict[str, Any]:
        """Which replica polls arXiv and how many dispatch, for `/healthz`; not a health
        condition: a poll lease between holders is a normal minute of a takeover."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                view = await self._store.replica_view(
                    now=self._now(), live_within=self._replica_lease
                )
        except Exception as exc:
            log.warning("healthz: could not read the replicas: %s", _describe(exc))
            return {}
        return {
            "poll_lease_holder": view.poll_leader,
            "live_dispatchers": view.dispatchers,
            "replicas": [replica.name for replica in view.replicas],
        }

    async def _healthz(self, _request: web.Request) -> web.Response:
        health = await self.check()
        body = health.as_json()
        if health.database == "reachable":
            body.update(await self.replicas())
        return web.json_response(body, status=200 if health.healthy else 503)

    async def _livez(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "process": "up"})

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                await metrics.refresh_replicas(self._store, self._now(), self._replica_lease)
                await metrics.refresh(self._store, self._platforms)
        except Exception as exc:
            # The counters are still worth having when the database is away.
            log.warning("metrics: could not read the database: %s", _describe(exc))
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _minutes(span: timedelta | None) -> str:
    if span is None:
        return "never"
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
