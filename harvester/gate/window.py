"""The harvest window: when requests may leave, always judged in Central time.

PACER asks for large pulls between 6 p.m. and 6 a.m. Central (America/Chicago:
CST or CDT as the date says). A :class:`WindowSpec` is a list of
:class:`WindowRule`; each rule opens on the days it names and closes at the
first ``end`` after its ``start`` (the next morning when ``end <= start``), or
lasts the whole day with ``all_day``. The window is the union of the rules'
intervals; an interval belongs to the day it opens on, so the default rule
``days="mon-sun" start="18:00" end="06:00"`` is open Monday 00:00-06:00
because Sunday's night runs until then.

Openings and closings are computed with APScheduler ``CronTrigger`` in the
pytz zone -- the triggers the daemon schedules with -- so the window and the
schedule cannot disagree, on DST change nights included (APScheduler returns a
non-existent 02:30 as the instant 03:30 CDT; ``astimezone`` normalizes it).
Central datetimes are only ever made by ``astimezone``/``normalize``, never by
``tzinfo=`` (which would give the zone's LMT offset, -5:51).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from harvester.central import CENTRAL
from harvester.errors import ConfigError

_TICK = timedelta(microseconds=1)
_LOOKBACK = timedelta(hours=49)  # longer than any one interval, DST days included


@dataclass(frozen=True)
class WindowRule:
    """One rule: open on ``days`` (APScheduler day_of_week syntax) from ``start`` to ``end``."""

    days: str = "mon-sun"
    start: str = "18:00"
    end: str = "06:00"
    all_day: bool = False

    def describe(self) -> str:
        hours = "all day" if self.all_day else f"{self.start}-{self.end}"
        return f"{self.days} {hours}"


@dataclass(frozen=True)
class WindowSpec:
    """The window's rules, in Central time. The default is PACER's 18:00-06:00 every night."""

    rules: tuple[WindowRule, ...] = field(default_factory=lambda: (WindowRule(),))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> WindowSpec:
        """Build from the ``[window]`` table: ``start``, ``end`` and ``all_day`` (a list of days)."""
        rules = [WindowRule(days="mon-sun", start=str(section.get("start", "18:00")), end=str(section.get("end", "06:00")))]
        all_day = [str(day) for day in section.get("all_day") or ()]
        if all_day:
            rules.append(WindowRule(days=",".join(all_day), all_day=True))
        return cls(tuple(rules))

    def describe(self) -> str:
        return "; ".join(rule.describe() for rule in self.rules) + " (Central time)"


class _CompiledRule:
    """A rule as two cron triggers: when it opens, and the wall time it closes at."""

    def __init__(self, rule: WindowRule) -> None:
        self.rule = rule
        try:
            if rule.all_day:
                self.opens = CronTrigger(day_of_week=rule.days, hour=0, minute=0, timezone=CENTRAL)
                self.closes = CronTrigger(hour=0, minute=0, timezone=CENTRAL)
            else:
                (sh, sm), (eh, em) = _hhmm(rule.start, "start"), _hhmm(rule.end, "end")
                if (sh, sm) == (eh, em):
                    raise ConfigError(f"window rule {rule.describe()!r}: start equals end; use all_day for a whole day")
                self.opens = CronTrigger(day_of_week=rule.days, hour=sh, minute=sm, timezone=CENTRAL)
                self.closes = CronTrigger(hour=eh, minute=em, timezone=CENTRAL)
        except ValueError as exc:
            raise ConfigError(f"window rule {rule.describe()!r}: {exc}") from None

    def opening_at_or_after(self, dt: datetime) -> datetime:
        return next_fire(self.opens, dt)

    def closing_after(self, opening: datetime) -> datetime:
        return next_fire(self.closes, opening + _TICK)

    def intervals_from(self, start: datetime, stop: datetime) -> list[tuple[datetime, datetime]]:
        """Intervals of this rule that open in [start, stop]."""
        found = []
        opening = self.opening_at_or_after(start)
        while opening <= stop:
            found.append((opening, self.closing_after(opening)))
            opening = self.opening_at_or_after(opening + _TICK)
        return found


class Window:
    """When the harvest may send requests. All answers are aware datetimes in Central time."""

    def __init__(self, spec: WindowSpec | None = None) -> None:
        self.spec = spec or WindowSpec()
        if not self.spec.rules:
            raise ConfigError("the harvest window needs at least one rule")
        self._rules = [_CompiledRule(rule) for rule in self.spec.rules]
        self._cached: tuple[datetime, datetime] | None = None  # last interval found open
        self._check_it_closes()

    def opening_triggers(self) -> list[CronTrigger]:
        """The cron triggers of every opening: what a scheduler should fire the harvest on."""
        return [rule.opens for rule in self._rules]

    def is_open(self, dt: datetime) -> bool:
        """True when a request may be sent at ``dt`` (an aware datetime); closing instants are closed."""
        dt = to_central(dt)
        if self._cached and self._cached[0] <= dt < self._cached[1]:
            return True
        containing = self._containing(dt)
        if containing:
            self._cached = max(containing, key=lambda iv: iv[1])
        return bool(containing)

    def next_open(self, dt: datetime) -> datetime:
        """``dt`` itself when the window is open, otherwise the instant it next opens."""
        dt = to_central(dt)
        if self.is_open(dt):
            return dt
        return min(rule.opening_at_or_after(dt) for rule in self._rules)

    def closes_at(self, dt: datetime) -> datetime | None:
        """When the window that is open at ``dt`` closes (joining rules that overlap), or None when closed."""
        dt = to_central(dt)
        if not self.is_open(dt):
            return None
        close = dt
        while True:  # terminates: _check_it_closes proved every week has a closed moment
            containing = self._containing(close)
            if not containing:
                return close
            close = max(end for _, end in containing)

    def intervals(self, start: datetime, stop: datetime) -> list[tuple[datetime, datetime]]:
        """The merged open intervals that overlap [start, stop), in order."""
        start, stop = to_central(start), to_central(stop)
        raw = sorted(iv for rule in self._rules for iv in rule.intervals_from(start - _LOOKBACK, stop))
        merged: list[tuple[datetime, datetime]] = []
        for opening, closing in raw:
            if merged and opening <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closing))
            else:
                merged.append((opening, closing))
        return [(o, c) for o, c in merged if c > start and o < stop]

    def upcoming(self, dt: datetime, count: int) -> list[tuple[datetime, datetime]]:
        """The next ``count`` open periods (the current one first when open at ``dt``)."""
        found: list[tuple[datetime, datetime]] = []
        start = to_central(dt)
        while len(found) < count:
            batch = [iv for iv in self.intervals(start, start + timedelta(days=8)) if iv[1] > dt and iv not in found]
            found.extend(batch[: count - len(found)])
            start += timedelta(days=8)
        return found

    def describe(self, dt: datetime, local_tz: tzinfo | None = None) -> str:
        """A sentence for humans: open until / closed until, in Central and the user's time."""
        close = self.closes_at(dt)
        if close is not None:
            return f"Harvest window open until {format_both(close, local_tz)}."
        return f"Harvest window closed; it opens {format_both(self.next_open(dt), local_tz)}."

    def _containing(self, dt: datetime) -> list[tuple[datetime, datetime]]:
        return [
            (o, c)
            for rule in self._rules
            for o, c in rule.intervals_from(dt - _LOOKBACK, dt)
            if o <= dt < c
        ]

    def _check_it_closes(self) -> None:
        # A window that never closes would defeat the point; closes_at relies on this.
        monday = CENTRAL.localize(datetime(2026, 3, 2))  # a week with a DST change in it
        week = self.intervals(monday, monday + timedelta(days=8))
        if len(week) == 1 and week[0][0] <= monday and week[0][1] >= monday + timedelta(days=8):
            raise ConfigError(f"the harvest window {self.spec.describe()} never closes")


def next_fire(trigger: CronTrigger, dt: datetime) -> datetime:
    """The trigger's first fire time at or after ``dt``, in Central time.

    APScheduler 3.11.3 skips a whole day when asked on a spring-forward day
    before 02:00 for a time of day before the query's (issues #529, #606: it adds
    24 h across a 23 h day), e.g. 00:00 on Sunday 2026-03-08 -> Tuesday. Asking
    again from the start of every Central day up to its answer finds the
    skipped fire; the earliest answer is the right one.
    """
    dt = to_central(dt)
    best = to_central(trigger.get_next_fire_time(None, dt))
    day = dt.date() + timedelta(days=1)
    while day <= best.date():
        midnight = CENTRAL.localize(datetime(day.year, day.month, day.day))  # 00:00 always exists in Chicago
        best = min(best, to_central(trigger.get_next_fire_time(None, midnight)))
        day += timedelta(days=1)
    return best


def format_both(dt: datetime, local_tz: tzinfo | None = None) -> str:
    """``Fri 2026-03-06 18:00 CST (your time: Sat 2026-03-07 01:00 CET)``."""
    central = to_central(dt)
    local = dt.astimezone(local_tz) if local_tz is not None else dt.astimezone()
    return f"{_fmt(central)} (your time: {_fmt(local)})"


def _fmt(dt: datetime) -> str:
    return dt.strftime("%a %Y-%m-%d %H:%M %Z").strip()


def to_central(dt: datetime) -> datetime:
    """``dt`` in Central time; naive datetimes and pytz LMT offsets are refused."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got naive {dt.isoformat()}")
    if dt.tzname() == "LMT":
        # datetime(..., tzinfo=pytz.timezone(...)) silently means local mean time (-5:51 in Chicago).
        raise ValueError(f"{dt.isoformat()} carries a pytz zone's LMT offset; build it with tz.localize()")
    return dt.astimezone(CENTRAL)


def _hhmm(text: str, what: str) -> tuple[int, int]:
    parts = text.strip().split(":")
    try:
        hour, minute = (int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"window {what} must be HH:MM, got {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigError(f"window {what} must be a time of day HH:MM, got {text!r}")
    return hour, minute

