"""The sandbox's simulated America/Chicago clock.

The sandbox keeps its own "now" so that a harvest against it happens at night
whatever the real hour: by default the clock starts at 19:00 Central on today's
(Chicago) date and runs at real speed. It only ever moves forward; advancing it
is how tests make cases grow over several "nights".
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from datetime import time as dtime

from harvester.central import CENTRAL

CHICAGO = CENTRAL  # the program's one Central-time object
TIMEZONE_NAME = "America/Chicago"
DEFAULT_START_HOUR = 19


class ClockError(ValueError):
    """A clock request that cannot be honoured (bad time, or a move backwards)."""


def parse_time(value: str | datetime) -> datetime:
    """Read an ISO 8601 time; a naive one is taken as Chicago wall time."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ClockError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        # pytz zones must be attached with localize(), never tzinfo= (LMT -5:51).
        parsed = CHICAGO.localize(parsed)
    return parsed.astimezone(CHICAGO)


def default_start(real_now: float | None = None) -> datetime:
    """19:00 Central on the current Chicago date."""
    real = datetime.fromtimestamp(time.time() if real_now is None else real_now, CHICAGO)
    return CHICAGO.localize(datetime.combine(real.date(), dtime(DEFAULT_START_HOUR, 0)))


class SandboxClock:
    """A Chicago clock that starts at ``start`` and runs at ``speed`` x real time.

    ``epoch`` (the start instant) anchors the synthetic court timeline, so the
    same seed and start give the same cases, entries and dates.
    """

    def __init__(self, start: str | datetime | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ClockError("clock speed cannot be negative")
        self.epoch: datetime = default_start() if start is None else parse_time(start)
        self.speed = float(speed)
        self._epoch_ts = self.epoch.timestamp()
        self._real_t0 = time.monotonic()
        self._offset = 0.0  # seconds added by advance()
        self._lock = threading.Lock()

    @property
    def epoch_ts(self) -> float:
        """The start instant as a POSIX timestamp."""
        return self._epoch_ts

    def timestamp(self) -> float:
        """Sandbox now as a POSIX timestamp (cheap: used on every request)."""
        return self._epoch_ts + (time.monotonic() - self._real_t0) * self.speed + self._offset

    def now(self) -> datetime:
        """Sandbox now, aware, in America/Chicago."""
        return datetime.fromtimestamp(self.timestamp(), CHICAGO)

    def advance(self, hours: float | None = None, to: str | datetime | None = None) -> datetime:
        """Move the clock forward by ``hours`` or to the instant ``to``; return the new now."""
        if (hours is None) == (to is None):
            raise ClockError("give exactly one of 'hours' or 'to'")
        with self._lock:
            if hours is not None:
                try:
                    delta = float(hours) * 3600.0
                except (TypeError, ValueError):
                    raise ClockError(f"'hours' must be a number, not {hours!r}") from None
                if delta < 0:
                    raise ClockError("the sandbox clock only moves forward")
            else:
                assert to is not None  # the check above: exactly one of hours/to is given
                delta = parse_time(to).timestamp() - self.timestamp()
                if delta < 0:
                    raise ClockError(f"{to} is in the sandbox's past ({self.now().isoformat()})")
            self._offset += delta
        return self.now()

    def to_json(self) -> dict:
        """The body of ``GET /sandbox/clock``."""
        return {"now": self.now().isoformat(), "timezone": TIMEZONE_NAME}


def day_start_ts(day) -> float:
    """POSIX timestamp of 00:00 Chicago on ``day``."""
    return CHICAGO.localize(datetime.combine(day, dtime(0, 0))).timestamp()
