"""Rate limits on virtual time: per court, global, concurrency, deadlines, pauses, no drift."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

import pytest

from harvester.errors import ConfigError
from harvester.gate.clock import FakeClock
from harvester.gate.ratelimit import RateLimiter, RateLimits

START = datetime.fromisoformat("2026-03-07T19:00:00-06:00")


class LateClock(FakeClock):
    """A fake clock whose sleeps wake late, as real timers do; every ``stall_every``-th by ``stall``."""

    def __init__(self, lateness: float, stall: float = 0.0, stall_every: int = 0) -> None:
        super().__init__(START)
        self.lateness, self.stall, self.stall_every = lateness, stall, stall_every
        self.wakes = 0

    async def sleep_until(self, deadline: float) -> None:
        if deadline > self.monotonic():
            self.wakes += 1
            stalled = self.stall_every and self.wakes % self.stall_every == 0
            deadline += self.stall if stalled else self.lateness
        await super().sleep_until(deadline)


async def send_all(limiter: RateLimiter, courts: list[str], log: list[tuple[float, str]]) -> None:
    """One task per request; each sends, then answers instantly (releases its permit)."""

    async def one(court: str) -> None:
        sent = await limiter.acquire(court)
        assert sent is not None
        log.append((limiter.clock.monotonic(), court))
        limiter.release(court)

    await asyncio.gather(*(one(c) for c in courts))


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]  # n - 1 gaps


def max_in_span(times: list[float], span: float) -> int:
    """Most events in any half-open span of ``span`` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - span:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_defaults_are_gentle() -> None:
    limits = RateLimits()
    assert limits.per_court_per_second == pytest.approx(1 / 3)
    assert limits.global_per_second == 1.0
    assert limits.per_court_concurrency == 1 and limits.burst == 1


def test_one_court_is_spaced_by_its_interval() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(), clock)
    log: list[tuple[float, str]] = []
    asyncio.run(send_all(limiter, ["cand"] * 6, log))
    assert [t for t, _ in log] == pytest.approx([0, 3, 6, 9, 12, 15])


def test_global_limit_binds_across_courts_and_courts_keep_their_own() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(per_court_per_second=1 / 3, global_per_second=1.0), clock)
    log: list[tuple[float, str]] = []
    courts = ["cand", "nysd", "ilnd", "txsd", "flsd"] * 8
    asyncio.run(send_all(limiter, courts, log))
    times = [t for t, _ in log]
    assert min(gaps(times)) >= 1.0 - 1e-9
    per_court: dict[str, list[float]] = defaultdict(list)
    for t, court in log:
        per_court[court].append(t)
    for court_times in per_court.values():
        assert min(gaps(court_times)) >= 3.0 - 1e-9
    # Five courts at 1/3 per second each could do 5/3 per second: the global 1/s binds, fully used.
    assert times[-1] == pytest.approx(len(courts) - 1)


def test_courts_interleave_when_the_global_limit_binds() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(per_court_per_second=1.0, global_per_second=1.0), clock)
    log: list[tuple[float, str]] = []
    asyncio.run(send_all(limiter, ["a"] * 5 + ["b"] * 5, log))
    order = "".join(court for _, court in log)
    assert order == "ababababab"


def test_concurrency_one_waits_for_the_answer() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(per_court_per_second=100, global_per_second=100), clock)
    events: list[str] = []

    async def first() -> None:
        await limiter.acquire("cand")
        events.append("first sent")
        clock.advance(30)  # a slow answer
        await asyncio.sleep(0)
        events.append("first answered")
        limiter.release("cand")

    async def second() -> None:
        await asyncio.sleep(0)
        assert limiter.load("cand") == 1
        await limiter.acquire("cand")
        events.append(f"second sent at {clock.monotonic():.0f}")
        limiter.release("cand")

    async def main() -> None:
        await asyncio.gather(first(), second())

    asyncio.run(main())
    assert events == ["first sent", "first answered", "second sent at 30"]
    assert limiter.load("cand") == 0


def test_deadline_refuses_without_taking_a_token() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(), clock)

    async def main() -> list[float | None]:
        first = await limiter.acquire("cand", deadline=10)
        limiter.release("cand")
        too_late = await limiter.acquire("cand", deadline=2)  # next cand slot is at 3
        other = await limiter.acquire("nysd", deadline=2)  # the global slot at 1 is still free
        limiter.release("nysd")
        return [first, too_late, other]

    assert asyncio.run(main()) == [0, None, 1]
    assert limiter.load("cand") == 0


def test_pause_holds_a_court_back() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(), clock)

    async def main() -> float | None:
        limiter.pause("cand", 42)
        sent = await limiter.acquire("cand")
        limiter.release("cand")
        return sent

    assert asyncio.run(main()) == 42


def test_burst_allows_that_many_at_once_then_spaces() -> None:
    clock = FakeClock(START)
    limiter = RateLimiter(RateLimits(per_court_per_second=1, global_per_second=1, burst=3), clock)
    log: list[tuple[float, str]] = []
    asyncio.run(send_all(limiter, ["cand"] * 6, log))
    assert [t for t, _ in log] == pytest.approx([0, 0, 0, 1, 2, 3])


@pytest.mark.parametrize(("lateness", "stall"), [(0.0003, 0.0), (0.002, 0.0), (0.009, 0.0), (0.0, 0.06)])
@pytest.mark.parametrize("binding", ["global", "per_court"])
def test_late_wakeups_do_not_drift_and_no_span_overflows(lateness: float, stall: float, binding: str) -> None:
    # 1,000 requests at R = 50/s, every sleep waking late and, in one case, every
    # 100th stalled for three intervals: the schedule stays anchored, so the achieved
    # rate is ~R, and a stall is not caught up, so no 10 s span holds more than 10R + 1.
    rate = 50.0
    clock = LateClock(lateness, stall=stall, stall_every=100)
    if binding == "global":  # 10 courts that could each do 10/s
        limits, courts = RateLimits(per_court_per_second=10, global_per_second=rate), [f"c{i % 10}" for i in range(1000)]
    else:  # one court, the global limit above it
        limits, courts = RateLimits(per_court_per_second=rate, global_per_second=2 * rate), ["cand"] * 1000
    limiter = RateLimiter(limits, clock)
    log: list[tuple[float, str]] = []
    asyncio.run(send_all(limiter, courts, log))
    times = sorted(t for t, _ in log)
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 0.95 * rate
    assert max_in_span(times, 10.0) <= 10 * rate + 1


def test_a_stall_is_dropped_not_caught_up_in_a_burst() -> None:
    # 50/s: the second request is scheduled at 20 ms but its wake-up stalls until 80 ms.
    clock = LateClock(0.0, stall=0.06, stall_every=1)
    limiter = RateLimiter(RateLimits(per_court_per_second=50, global_per_second=100), clock)
    log: list[tuple[float, str]] = []

    async def main() -> None:
        await send_all(limiter, ["cand"] * 2, log)
        clock.stall_every = 0  # no more stalls
        await send_all(limiter, ["cand"] * 3, log)

    asyncio.run(main())
    # Not 0.08, 0.08, 0.08 (catching up the two lost slots): spaced again, less the slack.
    assert [t for t, _ in log] == pytest.approx([0.0, 0.08, 0.09, 0.11, 0.13])


def test_bad_limits_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        RateLimits(per_court_per_second=0)
    with pytest.raises(ConfigError):
        RateLimits(per_court_concurrency=0)


def test_from_config_table() -> None:
    limits = RateLimits.from_config({"per_court_per_second": 0.5, "global_per_second": 2, "per_court_concurrency": 2})
    assert limits == RateLimits(per_court_per_second=0.5, global_per_second=2.0, per_court_concurrency=2)
