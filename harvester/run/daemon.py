"""``harvester daemon``: start the nightly harvest when the window opens, every night.

An APScheduler ``AsyncIOScheduler`` shares the asyncio loop of Scrapy's reactor (one
loop, no threads: the Twisted reactor is not thread-safe). One cron job per window rule fires at the opening, in
America/Chicago. The gate closes the crawl when the window closes; what was not done
stays in the database for the next night.

Misfires: ``misfire_grace_time`` is the length of the night, so a start missed by a
busy or suspended process still runs late in the same night (an 18:00 start missed
until 19:30 runs at 19:30), and ``coalesce`` makes several missed starts one run: a
missed night never runs twice. A daemon started while the window is open runs at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from harvester.errors import HarvesterError
from harvester.gate.clock import Clock
from harvester.gate.window import CENTRAL, Window, format_both

logger = logging.getLogger(__name__)

NIGHT = timedelta(hours=12)


class Daemon:
    """Runs ``night(stop)`` at every window opening (and at once when started inside the window).

    ``stop`` is set by SIGTERM/SIGINT: a running night ends gracefully, then the daemon.
    """

    def __init__(self, window: Window, clock: Clock, night: Callable[[asyncio.Event], Awaitable[Any]]) -> None:
        self.window = window
        self.clock = clock
        self.night = night
        self.runs = 0
        self._running = asyncio.Lock()
        self._stop = asyncio.Event()
        self.scheduler: AsyncIOScheduler | None = None

    async def _job(self) -> None:
        if self._running.locked():
            logger.info("A harvest is still running; this start is skipped")
            return
        if not self.window.is_open(self.clock.now()):
            logger.info("Woken outside the window (%s); waiting for the next opening", format_both(self.clock.now()))
            return
        async with self._running:
            self.runs += 1
            try:
                result = await self.night(self._stop)
                logger.info("Night %d ended: %s", self.runs, getattr(result, "outcome", result))
            except HarvesterError as exc:  # the next night may succeed (e.g. lock held, login refused)
                logger.error("Night %d failed: %s", self.runs, exc)
        logger.info("Next window opens %s", format_both(self.window.next_open(self.clock.now())))

    def start(self) -> None:
        loop = asyncio.get_event_loop()
        self.scheduler = AsyncIOScheduler(
            event_loop=loop, timezone=CENTRAL,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(NIGHT.total_seconds())},
        )  # fmt: skip
        for number, trigger in enumerate(self.window.opening_triggers()):
            self.scheduler.add_job(self._job, trigger, id=f"window-open-{number}", name="nightly harvest")
        self.scheduler.start()
        now = self.clock.now()
        if self.window.is_open(now):
            logger.info("Started inside the window (%s): harvesting now", format_both(now))
            self.scheduler.add_job(self._job, id="started-in-window")
        else:
            logger.info("Waiting for the window: it opens %s", format_both(self.window.next_open(now)))

    async def serve(self) -> None:
        """Run until SIGTERM/SIGINT; a running harvest is let finish its requests in flight."""
        loop = asyncio.get_event_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(signum, self._stop.set)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        self.start()
        await self._stop.wait()
        logger.info("Daemon stopping")
        async with self._running:  # a night in progress winds down first
            pass
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)


def next_start(window: Window, now: datetime) -> datetime:
    """When the daemon started at ``now`` will first harvest: now if the window is open."""
    return now if window.is_open(now) else window.next_open(now)
