"""Progress of a harvest while it runs: a live line on a terminal, log lines otherwise.

:class:`HarvestProgress` is a Scrapy extension (one instance per crawler: the
run's spiders crawl one after the other). It reads the crawler's stats and the
run's shared objects periodically:

- courts done: courts that have had requests and now have none queued, waiting
  in the gate or in flight (the scheduler's per-court queues and the engine's
  requests in progress; Scrapy is pinned, see pyproject.toml);
- requests sent (``gate/sent``) and queued (``scheduler/enqueued`` minus
  ``scheduler/dequeued``);
- docket entries stored (``harvest/entries_added``, summed over the run's crawlers);
- dollars spent by the run (the shared budget, ``GATE_BUDGET``);
- time left in the harvest window (``GATE_WINDOW`` on the clock ``GATE_CLOCK``).

On a terminal (stderr is a tty) the line is redrawn in place every second; log
records printed meanwhile first clear it, so they never run into it. Every
``PROGRESS_LOG_SECONDS`` (``log.progress_seconds``) and when a crawler finishes,
the same text is logged by the ``harvester.run.progress`` logger: into the log file
always, and on stderr when it is not a terminal (cron mails it).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from harvester.gate.middleware import S_BUDGET, S_CLOCK, S_OVERRIDE, S_WINDOW
from harvester.gate.window import Window, to_central

logger = logging.getLogger(__name__)

S_LOG_SECONDS = "PROGRESS_LOG_SECONDS"
S_LIVE_SECONDS = "PROGRESS_LIVE_SECONDS"
S_LIVE = "PROGRESS_LIVE"  # None: live exactly when stderr is a terminal
CLEAR_LINE = "\r\x1b[K"
# Entries stored by the run's earlier crawlers, per run (the Harvest object all its crawlers share).
_RUN_ENTRIES: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Snapshot:
    """What the progress line says at one instant."""

    spider: str
    courts_done: int
    courts_seen: int
    sent: int
    queued: int
    entries: int
    dollars: float | None
    window_left: timedelta | None
    window_closes: datetime | None
    window_ignored: bool = False

    def text(self) -> str:
        parts = [
            f"{self.spider}: courts {self.courts_done}/{self.courts_seen} done",
            f"requests {self.sent:,} sent, {self.queued:,} queued",
            f"entries {self.entries:,} stored",
        ]
        if self.dollars is not None:
            parts.append(f"${self.dollars:,.2f} spent")
        parts.append(self._window_text())
        return ", ".join(parts)

    def _window_text(self) -> str:
        if self.window_ignored:
            return "window ignored for this run"
        if self.window_left is None or self.window_closes is None:
            return "window closed"
        minutes = int(self.window_left.total_seconds() // 60)
        closes = to_central(self.window_closes).strftime("%H:%M %Z")
        return f"window {minutes // 60}h{minutes % 60:02d}m left (closes {closes})"


class HarvestProgress:
    """Scrapy extension: see the module docstring."""

    def __init__(self, crawler: Any, log_seconds: float, live_seconds: float, stream: TextIO | None) -> None:
        self.crawler = crawler
        self.log_seconds = max(0.1, log_seconds)
        self.live_seconds = max(0.1, live_seconds)
        self.stream = stream  # the terminal, or None when not live
        self.courts_seen: set[str] = set()
        self.carried = 0
        self.run_key = crawler.settings.get("HARVEST")
        settings = crawler.settings
        self.clock = settings.get(S_CLOCK)
        self.window = Window(settings.get(S_WINDOW)) if settings.get(S_WINDOW) is not None else None
        self.budget = settings.get(S_BUDGET)
        self.window_ignored = bool(settings.get(S_OVERRIDE))
        self._task: Any = None
        self._last_log = 0.0
        self._guard: _LiveLineGuard | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> HarvestProgress:
        settings = crawler.settings
        live = settings.get(S_LIVE)
        if live is None:
            live = _is_terminal(sys.stderr)
        extension = cls(crawler, settings.getfloat(S_LOG_SECONDS, 60.0), settings.getfloat(S_LIVE_SECONDS, 1.0),
                        sys.stderr if live else None)  # fmt: skip
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        return extension

    # -- signals ---------------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        self.carried = _RUN_ENTRIES.get(self.run_key, 0) if self.run_key is not None else 0
        if self.stream is not None:
            self._guard = _LiveLineGuard(self.stream)
            self._guard.install()
        self._last_log = time.monotonic()
        self._task = create_looping_call(self.tick)
        if self.stream is not None:
            self._task.start(self.live_seconds)  # draw at once
        else:
            self._task.start(self.log_seconds, now=False)  # a log line only once there is something to say

    def request_scheduled(self, request: Any, spider: Any) -> None:
        court = request.meta.get("court")
        if isinstance(court, str) and court.strip():
            self.courts_seen.add(court.strip().lower())

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        text = f"{self.snapshot().text()} [{reason}]"
        if self.stream is not None:
            self._draw(text, final=True)
        logger.info("%s", text)  # while the guard still keeps it off the terminal
        if self._guard is not None:
            self._guard.remove()
        if self.run_key is not None:
            _RUN_ENTRIES[self.run_key] = self.carried + self._stat("harvest/entries_added")

    # -- the line ----------------------------------------------------------------

    def tick(self) -> None:
        text = self.snapshot().text()
        if self.stream is not None:
            self._draw(text)
        now = time.monotonic()
        if self.stream is None or now - self._last_log >= self.log_seconds:
            self._last_log = now
            logger.info("%s", text)

    def snapshot(self) -> Snapshot:
        pending = self._pending_courts()
        now = self.clock.now() if self.clock is not None else None
        closes = self.window.closes_at(now) if self.window is not None and now is not None else None
        return Snapshot(
            spider=getattr(self.crawler.spider, "name", "harvest"),
            courts_done=len(self.courts_seen - pending),
            courts_seen=len(self.courts_seen),
            sent=self._stat("gate/sent"),
            queued=max(0, self._stat("scheduler/enqueued") - self._stat("scheduler/dequeued")),
            entries=self.carried + self._stat("harvest/entries_added"),
            dollars=self.budget.run_cents() / 100 if self.budget is not None else None,
            window_left=closes - now if closes is not None and now is not None else None,
            window_closes=closes,
            window_ignored=self.window_ignored,
        )

    def _stat(self, key: str) -> int:
        value = self.crawler.stats.get_value(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    def _pending_courts(self) -> set[str]:
        """Courts with requests still queued in the scheduler or in progress in the engine."""
        engine = self.crawler.engine
        pending: set[str] = set()
        slot = getattr(engine, "_slot", None)
        for request in list(getattr(slot, "inprogress", ()) or ()):
            court = request.meta.get("court")
            if isinstance(court, str):
                pending.add(court.strip().lower())
        scheduler = getattr(engine, "scheduler", None)
        for name in ("mqs", "dqs"):
            queues = getattr(getattr(scheduler, name, None), "pqueues", None) or {}
            pending.update(key for key, queue in list(queues.items()) if len(queue))
        return pending

    def _draw(self, text: str, final: bool = False) -> None:
        if self.stream is None:
            return
        line = text if final else text[: max(10, _columns(self.stream) - 1)]
        self.stream.write(CLEAR_LINE + line + ("\n" if final else ""))
        self.stream.flush()


class _LiveLineGuard(logging.Filter):
    """On the console handlers: clear the live line before a record prints; keep progress records off it."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.handlers: list[logging.Handler] = []

    def install(self) -> None:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) \
                    and _same_stream(handler.stream, self.stream):  # fmt: skip
                handler.addFilter(self)
                self.handlers.append(handler)

    def remove(self) -> None:
        for handler in self.handlers:
            handler.removeFilter(self)
        self.handlers.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == logger.name:
            return False  # the live line already shows it
        self.stream.write(CLEAR_LINE)
        return True


def _columns(stream: TextIO) -> int:
    """Width of the terminal the line is drawn on (a cut line never wraps, so \r redraws it)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 120
    except (AttributeError, ValueError, OSError):
        return 120


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _same_stream(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return a.fileno() == b.fileno()
    except (AttributeError, ValueError, OSError):
        return False
