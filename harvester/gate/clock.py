"""The one clock every gate component reads.

Three implementations share the :class:`Clock` protocol:

- :class:`SystemClock`: real wall time and ``time.monotonic``; always used
  against real PACER hosts.
- :class:`FakeClock`: tests. Settable and advanceable; its ``sleep_until``
  moves virtual time forward instead of waiting, so a night of rate-limited
  requests runs in milliseconds.
- :class:`RemoteClock`: reads the sandbox's simulated night from
  ``GET {url}`` -> ``{"now": "<ISO 8601 with offset>", "timezone": ...}`` once,
  then advances it with the local monotonic clock and re-syncs every few
  minutes (the sandbox may jump its clock forward between "nights").

``now()`` is the wall time the harvest window is judged by; ``monotonic()`` and
``sleep_until()`` are what the rate limiter spaces requests with. Rate limits
always run in real seconds, even when the wall time comes from the sandbox.

:func:`make_clock` is the only way the harvest builds a clock: it refuses a
remote clock unless every endpoint is a loopback or sandbox host, so a real
PACER harvest is always judged by the real clock.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import ssl
import time
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from harvester.errors import ConfigError, HarvesterError
from harvester.shared import SharedInSettings

logger = logging.getLogger(__name__)

# Names that can never be a real PACER host (RFC 6761 reserved names).
SANDBOX_SUFFIXES = (".localhost", ".test", ".invalid", ".example")


@runtime_checkable
class Clock(Protocol):
    """What the gate needs from a clock."""

    def now(self) -> datetime:
        """The current wall time, timezone-aware (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``monotonic()`` has reached ``deadline``."""


class SystemClock(SharedInSettings):
    """Real time: the clock of every harvest against real PACER hosts."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        # asyncio.sleep keeps the (asyncio) Twisted reactor running meanwhile.
        delay = deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class FakeClock(SharedInSettings):
    """Virtual time for tests: starts at ``start``, moves only when told or slept on.

    Sleepers wake one at a time in deadline order, each after the tasks that
    are ready to run have had a few turns of the event loop, and the clock
    jumps to each sleeper's deadline as it wakes: a night of rate-limited
    requests runs in milliseconds, in the order real time would give.
    """

    SETTLE_TURNS = 5  # event-loop turns granted to ready tasks before time moves on

    def __init__(self, start: datetime) -> None:
        _require_aware(start, "FakeClock start")
        self._start = start.astimezone(timezone.utc)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._driving = False
        self.sleeps: list[float] = []  # every requested wait, for assertions

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (forwards only: the monotonic clock cannot go back)."""
        _require_aware(when, "FakeClock.set")
        delta = (when.astimezone(timezone.utc) - self.now()).total_seconds()
        if delta < 0:
            raise ValueError(f"FakeClock only moves forward; {when.isoformat()} is in its past")
        self._elapsed += delta

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("FakeClock only moves forward")
        self._elapsed += seconds

    async def sleep_until(self, deadline: float) -> None:
        self.sleeps.append(max(0.0, deadline - self._elapsed))
        if deadline <= self._elapsed:
            await asyncio.sleep(0)  # still let other tasks run, as a real sleep would
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (deadline, self._seq, woken))
        if not self._driving:
            self._driving = True
            loop.call_soon(self._drive, loop, self.SETTLE_TURNS)
        await woken

    def _drive(self, loop: asyncio.AbstractEventLoop, turns: int) -> None:
        if turns:
            loop.call_soon(self._drive, loop, turns - 1)
            return
        deadline, _, woken = heapq.heappop(self._sleepers)
        self._elapsed = max(self._elapsed, deadline)
        if not woken.done():
            woken.set_result(None)
        if self._sleepers:
            loop.call_soon(self._drive, loop, self.SETTLE_TURNS)
        else:
            self._driving = False


class RemoteClock(SystemClock):
    """The sandbox's simulated wall time, advanced locally between re-syncs."""

    def __init__(
        self,
        url: str,
        ssl_context: ssl.SSLContext | None = None,
        resync_seconds: float = 300.0,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._ssl_context = ssl_context
        self._resync_seconds = resync_seconds
        self._timeout = timeout
        self._base_now: datetime
        self._base_mono: float
        self.sync()

    def sync(self) -> datetime:
        """Read the remote time now; return it."""
        try:
            with urllib.request.urlopen(self.url, timeout=self._timeout, context=self._ssl_context) as reply:
                payload = json.loads(reply.read().decode("utf-8"))
            remote = datetime.fromisoformat(payload["now"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HarvesterError(f"cannot read the sandbox clock at {self.url}: {exc}") from None
        _require_aware(remote, f"time from {self.url}")
        self._base_now = remote.astimezone(timezone.utc)
        self._base_mono = time.monotonic()
        return self._base_now

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._base_mono
        if elapsed > self._resync_seconds:
            self.sync()
            elapsed = time.monotonic() - self._base_mono
        return self._base_now + timedelta(seconds=elapsed)


def is_sandbox_host(host: str) -> bool:
    """True for loopback addresses and reserved names that cannot be real PACER hosts."""
    from harvester.gate.destinations import is_loopback_host

    return is_loopback_host(host) or host.strip("[]").lower().rstrip(".").endswith(SANDBOX_SUFFIXES)


def make_clock(
    endpoints: Iterable[str],
    remote_url: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Clock:
    """The harvest's clock: the system clock, or the sandbox's when every endpoint is a sandbox.

    ``endpoints`` are the URLs (or host names) the harvest will contact. A remote
    clock for a harvest that touches any other host is a ConfigError: against
    real PACER the real clock always applies.
    """
    if not remote_url:
        return SystemClock()
    hosts = [_host_of(e) for e in endpoints] + [_host_of(remote_url)]
    foreign = sorted({h for h in hosts if not is_sandbox_host(h)})
    if foreign:
        raise ConfigError(
            "a remote (sandbox) clock is only allowed when every endpoint is a loopback or sandbox host; "
            f"not: {', '.join(foreign)}"
        )
    clock = RemoteClock(remote_url, ssl_context=ssl_context)
    logger.info("Using the sandbox clock at %s: now %s", remote_url, clock.now().isoformat())
    return clock


def _host_of(endpoint: str) -> str:
    if "//" not in endpoint:
        endpoint = "//" + endpoint
    return (urlsplit(endpoint).hostname or "").lower()


def _require_aware(dt: datetime, what: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {dt.isoformat()}")
