"""Per-court and global rate limits, and per-court concurrency, on the injectable clock.

PACER publishes no numeric rate limit, only that a court may suspend an account
that disrupts service. The defaults are therefore deliberately gentle:

- one request every 3 s to any one court (``per_court_per_second = 1/3``),
- one request per second across all courts (``global_per_second = 1``),
- one request in flight per court (``per_court_concurrency = 1``),
- no bursts (``burst = 1``): requests are evenly spaced, never clumped.

Each limit is a GCRA token bucket (a "theoretical arrival time" per bucket).
``acquire(court)`` first takes one of the court's concurrency permits, then
waits for the court's bucket, then -- one request at a time, first come first
served -- for the global bucket, and accounts the send in both buckets, so
both limits hold at the moment the request is sent. A wake-up that is late by
less than half an interval (at most 0.25 s) is accounted at its scheduled time,
so timer latency does not add up into a lower rate; a longer stall is dropped,
never caught up in a burst. With burst 1 no span of ``W`` seconds holds more
than ``W * rate + 1`` requests, and a long harvest runs at the configured rate.

Waiting uses ``Clock.sleep_until`` (asyncio: the Twisted asyncio reactor keeps
running). ``load(court)`` counts requests waiting or in flight per court; the
Scrapy scheduler queue in :mod:`harvester.gate.middleware` reads it to hand out
requests round-robin to the least-loaded court, so one slow court cannot fill
the downloader and stall the night.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harvester.config import default
from harvester.errors import ConfigError
from harvester.gate.clock import Clock
from harvester.shared import SharedInSettings

SLACK_FRACTION = 0.5
MAX_SLACK_SECONDS = 0.25


@dataclass(frozen=True)
class RateLimits:
    """Request rates (per second), concurrency and burst. See the module docstring for why."""

    per_court_per_second: float = default("rate", "per_court_per_second")
    global_per_second: float = default("rate", "global_per_second")
    per_court_concurrency: int = default("rate", "per_court_concurrency")
    burst: int = 1

    def __post_init__(self) -> None:
        rates = (self.per_court_per_second, self.global_per_second)
        if not all(isinstance(r, (int, float)) and math.isfinite(r) for r in rates):
            raise ConfigError("rate limits must be finite numbers of requests per second (not NaN or infinity)")
        if self.per_court_per_second <= 0 or self.global_per_second <= 0:
            raise ConfigError("rate limits must be greater than 0 requests per second")
        if self.per_court_concurrency < 1 or self.burst < 1:
            raise ConfigError("per-court concurrency and burst must be at least 1")

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> RateLimits:
        """Build from the ``[rate]`` table (keys per_court_per_second, global_per_second, per_court_concurrency)."""
        default = cls()
        return cls(
            per_court_per_second=float(section.get("per_court_per_second", default.per_court_per_second)),
            global_per_second=float(section.get("global_per_second", default.global_per_second)),
            per_court_concurrency=int(section.get("per_court_concurrency", default.per_court_concurrency)),
        )


class _Bucket:
    """GCRA: ``tat`` is when the bucket would be empty again; a request may go at ``tat - tolerance``."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.interval = 1.0 / per_second
        self.tolerance = (burst - 1) * self.interval
        # How late a wake-up may be and still count as on time (see take()).
        self.slack = min(SLACK_FRACTION * self.interval, MAX_SLACK_SECONDS)
        self.tat = float("-inf")

    def ready_at(self) -> float:
        return self.tat - self.tolerance

    def take(self, scheduled: float, sent: float) -> None:
        """Account a request scheduled for ``scheduled`` and really sent at ``sent``.

        A wake-up up to ``slack`` late is charged at its scheduled time, so timer
        latency does not add up into a lower rate; beyond that the lost time is
        dropped rather than caught up, so no span of W seconds ever holds more
        than ``W * rate + burst`` requests.
        """
        self.tat = max(self.tat, scheduled, sent - self.slack) + self.interval


class _Court:
    def __init__(self, limits: RateLimits) -> None:
        self.bucket = _Bucket(limits.per_court_per_second, limits.burst)
        self.permits = asyncio.Semaphore(limits.per_court_concurrency)
        self.reserving = asyncio.Lock()  # one reservation at a time keeps the court's spacing exact
        self.paused_until = float("-inf")


class RateLimiter(SharedInSettings):
    """Hands out send times that respect every limit; see the module docstring."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._global = _Bucket(limits.global_per_second, limits.burst)
        self._global_lock = asyncio.Lock()
        self._courts: dict[str, _Court] = {}
        self._load: defaultdict[str, int] = defaultdict(int)

    def load(self, court: str) -> int:
        """Requests for ``court`` waiting in :meth:`acquire` or holding a permit."""
        return self._load.get(court, 0)

    def pause(self, court: str, seconds: float) -> None:
        """Send nothing to ``court`` for ``seconds`` (backoff after a 5xx, timeout or Retry-After)."""
        state = self._court(court)
        state.paused_until = max(state.paused_until, self.clock.monotonic() + seconds)

    async def acquire(self, court: str, deadline: float | None = None) -> float | None:
        """Wait until a request to ``court`` may be sent; return its (monotonic) send time.

        With a ``deadline`` (monotonic), return None instead -- without taking
        any token -- when the request could not be sent before it. On success
        the caller holds one of the court's permits and must call
        :meth:`release` once the response (or error) is back.
        """
        state = self._court(court)
        self._load[court] += 1
        await state.permits.acquire()
        try:
            async with state.reserving:
                send_at = await self._reserve(state, deadline)
        except BaseException:
            self._give_back(court, state)
            raise
        if send_at is None:
            self._give_back(court, state)
        return send_at

    def release(self, court: str) -> None:
        """Return the permit taken by a successful :meth:`acquire`."""
        self._give_back(court, self._courts[court])

    async def _reserve(self, state: _Court, deadline: float | None) -> float | None:
        court_ready = max(self.clock.monotonic(), state.bucket.ready_at(), state.paused_until)
        if deadline is not None and court_ready >= deadline:
            return None
        await self.clock.sleep_until(court_ready)
        # One global slot at a time, first come first served: nothing is reserved
        # ahead, so a late sender can still be accounted at its real send time.
        async with self._global_lock:
            # The court's scheduled time, not its (late) wake-up: no drift.
            send_at = max(court_ready, self._global.ready_at())
            if deadline is not None and send_at >= deadline:
                return None
            await self.clock.sleep_until(send_at)
            sent = self.clock.monotonic()
            self._global.take(send_at, sent)
            state.bucket.take(send_at, sent)
        return send_at

    def _give_back(self, court: str, state: _Court) -> None:
        state.permits.release()
        self._load[court] -= 1

    def _court(self, court: str) -> _Court:
        if court not in self._courts:
            self._courts[court] = _Court(self.limits)
        return self._courts[court]
