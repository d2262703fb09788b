"""The harvest window: Central time, both DST changes, across midnight, custom specs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import pytz

from harvester.errors import ConfigError
from harvester.gate.window import CENTRAL, Window, WindowRule, WindowSpec, format_both

UTC = timezone.utc
PARIS = pytz.timezone("Europe/Paris")
LA = pytz.timezone("America/Los_Angeles")
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# Nights of the DST changes: 2026-03-08 and 2027-03-14 spring forward (02:00 -> 03:00),
# 2026-11-01 and 2027-11-07 fall back (02:00 -> 01:00).
SPRING = ["2026-03-08", "2027-03-14"]
FALL = ["2026-11-01", "2027-11-07"]


def central(text: str) -> datetime:
    """A Central wall time, localized the only correct way."""
    return CENTRAL.localize(datetime.fromisoformat(text))


def expected_open(rules: list[WindowRule], dt: datetime) -> bool:
    """Reference oracle from wall-clock arithmetic alone (no cron triggers)."""
    local = dt.astimezone(CENTRAL)
    minutes = local.hour * 60 + local.minute
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    for rule in rules:
        days = _days(rule.days)
        if rule.all_day:
            if today in days:
                return True
            continue
        start = _minutes(rule.start)
        end = _minutes(rule.end)
        if start < end:
            if today in days and start <= minutes < end:
                return True
        elif (today in days and minutes >= start) or (yesterday in days and minutes < end):
            return True
    return False


def _days(spec: str) -> set[int]:
    found: set[int] = set()
    for part in spec.split(","):
        if "-" in part:
            a, b = (DAYS.index(x) for x in part.split("-"))
            found.update(range(a, b + 1))
        else:
            found.add(DAYS.index(part))
    return found


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


SPECS = {
    "default": [WindowRule()],
    "weekends_all_day": [WindowRule(days="mon-fri"), WindowRule(days="sat,sun", all_day=True)],
    "late_evening": [WindowRule(days="mon-sun", start="20:30", end="23:45")],
    "short_nights_plus_sunday": [WindowRule(days="mon-sat", start="22:00", end="05:00"), WindowRule(days="sun", all_day=True)],
}


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("day", SPRING + FALL)
def test_simulated_week_around_each_dst_change_matches_wall_clock(name: str, day: str) -> None:
    rules = SPECS[name]
    window = Window(WindowSpec(tuple(rules)))
    start = central(day + "T00:00") - timedelta(days=3)
    # Step through a week in real (UTC) time, so the repeated and the skipped hour are both visited.
    t = start.astimezone(UTC)
    mismatches = []
    while t < start.astimezone(UTC) + timedelta(days=7):
        if window.is_open(t) != expected_open(rules, t):
            mismatches.append(t.astimezone(CENTRAL).isoformat())
        t += timedelta(minutes=10)
    assert mismatches == []


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2026-03-07T17:59:59", False),
        ("2026-03-07T18:00:00", True),  # CST
        ("2026-03-08T01:59:59", True),
        ("2026-03-08T03:00:00", True),  # just after the skipped hour
        ("2026-03-08T05:59:59.999999", True),  # CDT by now
        ("2026-03-08T06:00:00", False),  # the closing instant is closed
        ("2026-03-08T12:00:00", False),
        ("2026-10-31T18:00:00", True),  # CDT
        ("2026-11-01T05:59:59", True),  # CST by now
        ("2026-11-01T06:00:00", False),
    ],
)
def test_boundaries_in_cst_and_cdt(instant: str, is_open: bool) -> None:
    assert Window().is_open(central(instant)) is is_open


@pytest.mark.parametrize("utc_instant", ["2026-11-01T06:30:00", "2026-11-01T07:30:00"])
def test_both_occurrences_of_the_repeated_hour_are_open(utc_instant: str) -> None:
    # 01:30 happens twice on 2026-11-01: at 06:30 UTC (CDT) and 07:30 UTC (CST).
    instant = datetime.fromisoformat(utc_instant).replace(tzinfo=UTC)
    assert instant.astimezone(CENTRAL).strftime("%H:%M") == "01:30"
    assert Window().is_open(instant)


def test_dst_nights_are_eleven_and_thirteen_hours_long() -> None:
    window = Window()
    spring_open = window.next_open(central("2026-03-07T12:00"))
    spring_close = window.closes_at(spring_open)
    assert spring_open.isoformat() == "2026-03-07T18:00:00-06:00"
    assert spring_close.isoformat() == "2026-03-08T06:00:00-05:00"
    assert spring_close - spring_open == timedelta(hours=11)
    fall_open = window.next_open(central("2026-10-31T06:00"))
    fall_close = window.closes_at(fall_open)
    assert fall_open.isoformat() == "2026-10-31T18:00:00-05:00"
    assert fall_close.isoformat() == "2026-11-01T06:00:00-06:00"
    assert fall_close - fall_open == timedelta(hours=13)


def test_next_open_and_closes_at() -> None:
    window = Window()
    morning = central("2026-07-15T06:00")
    assert window.next_open(morning) == central("2026-07-15T18:00")
    assert window.closes_at(morning) is None
    night = central("2026-07-15T23:30")
    assert window.next_open(night) == night  # already open
    assert window.closes_at(night) == central("2026-07-16T06:00")
    # Across midnight, from the other side.
    assert window.closes_at(central("2026-07-16T00:30")) == central("2026-07-16T06:00")
    # Across a year end.
    assert window.closes_at(central("2026-12-31T23:59")) == central("2027-01-01T06:00")


def test_weekend_spec_joins_friday_night_to_monday_across_spring_forward() -> None:
    # 2026-03-08 is a Sunday: APScheduler 3.11.3 alone would close Sunday's
    # all-day window on Tuesday (it adds 24 h across a 23 h day).
    window = Window(WindowSpec((WindowRule(days="mon-fri"), WindowRule(days="sat,sun", all_day=True))))
    friday_night = central("2026-03-06T19:00")
    assert window.closes_at(friday_night) == central("2026-03-09T00:00")
    assert not window.is_open(central("2026-03-09T00:00"))
    assert window.next_open(central("2026-03-09T00:00")) == central("2026-03-09T18:00")
    assert window.intervals(central("2026-03-06T00:00"), central("2026-03-10T00:00")) == [
        (central("2026-03-05T18:00"), central("2026-03-06T06:00")),
        (central("2026-03-06T18:00"), central("2026-03-09T00:00")),
        (central("2026-03-09T18:00"), central("2026-03-10T06:00")),
    ]


def test_answers_are_in_central_time_whatever_the_input_zone() -> None:
    window = Window()
    in_paris = PARIS.localize(datetime(2026, 1, 15, 8, 0))  # 01:00 CST
    assert window.is_open(in_paris)
    close = window.closes_at(in_paris)
    assert close.tzinfo.zone == "America/Chicago"
    assert close.isoformat() == "2026-01-15T06:00:00-06:00"


def test_lmt_trap_is_refused_and_never_produced() -> None:
    trap = datetime(2026, 1, 15, 20, 0, tzinfo=CENTRAL)  # pytz gives local mean time, -5:51
    assert trap.utcoffset() == -timedelta(hours=5, minutes=51)
    with pytest.raises(ValueError, match="localize"):
        Window().is_open(trap)
    with pytest.raises(ValueError, match="aware"):
        Window().is_open(datetime(2026, 1, 15, 20, 0))
    # Every computed instant carries a real Central offset.
    window = Window()
    opening, closing = window.intervals(central("2026-03-01T00:00"), central("2026-03-02T00:00"))[0]
    for moment in (opening, closing):
        assert moment.utcoffset() in (timedelta(hours=-6), timedelta(hours=-5))


def test_describe_in_central_and_local_time() -> None:
    window = Window()
    closed = central("2026-03-07T12:00")
    assert window.describe(closed, PARIS) == (
        "Harvest window closed; it opens Sat 2026-03-07 18:00 CST (your time: Sun 2026-03-08 01:00 CET)."
    )
    during = central("2026-07-04T22:00")
    assert window.describe(during, LA) == (
        "Harvest window open until Sun 2026-07-05 06:00 CDT (your time: Sun 2026-07-05 04:00 PDT)."
    )
    assert format_both(central("2026-11-01T05:00"), UTC) == "Sun 2026-11-01 05:00 CST (your time: Sun 2026-11-01 11:00 UTC)"


def test_opening_triggers_are_what_a_scheduler_would_fire() -> None:
    (trigger,) = Window().opening_triggers()
    fire = trigger.get_next_fire_time(None, central("2026-03-08T07:00"))
    assert fire.astimezone(CENTRAL).isoformat() == "2026-03-08T18:00:00-05:00"


def test_from_config_table() -> None:
    spec = WindowSpec.from_config({"start": "19:00", "end": "05:30", "all_day": ["sat", "sun"]})
    window = Window(spec)
    assert spec.describe() == "mon-sun 19:00-05:30; sat,sun all day (Central time)"
    assert not window.is_open(central("2026-05-13T18:30"))  # a Wednesday
    assert window.is_open(central("2026-05-16T12:00"))  # a Saturday
    assert Window(WindowSpec.from_config({})).spec == WindowSpec()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((WindowRule(days="funday"),), "funday"),
        ((WindowRule(start="25:00"),), "HH:MM"),
        ((WindowRule(start="six"),), "HH:MM"),
        ((WindowRule(start="18:00", end="18:00"),), "all_day"),
        ((WindowRule(days="mon-sun", all_day=True),), "never closes"),
        ((), "at least one rule"),
    ],
)
def test_bad_specs_are_config_errors(rules: tuple[WindowRule, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Window(WindowSpec(rules))


def test_upcoming_lists_the_current_period_first() -> None:
    window = Window()
    during = central("2026-10-31T23:00")
    assert window.upcoming(during, 2) == [
        (central("2026-10-31T18:00"), CENTRAL.localize(datetime(2026, 11, 1, 6, 0))),
        (central("2026-11-01T18:00"), central("2026-11-02T06:00")),
    ]
    assert window.upcoming(central("2026-11-01T12:00"), 1) == [(central("2026-11-01T18:00"), central("2026-11-02T06:00"))]


def test_cli_window_command(tmp_path) -> None:
    from click.testing import CliRunner

    from harvester.cli import cli

    config = tmp_path / "harvester.toml"
    config.write_text('[window]\nstart = "19:00"\nend = "05:00"\nall_day = ["sun"]\n')
    result = CliRunner().invoke(cli, ["window", "--config", str(config), "--at", "2026-03-07T12:00-06:00", "--nights", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Harvest window closed; it opens Sat 2026-03-07 19:00 CST (your time: "
        + format_both(central("2026-03-07T19:00")).split("your time: ")[1].rstrip(")") + ").",
        "Rules: mon-sun 19:00-05:00; sun all day (Central time)",
    ]
    assert "  until  Mon 2026-03-09 05:00 CDT" in result.output  # Saturday night runs into all-day Sunday
    naive = CliRunner().invoke(cli, ["window", "--config", str(config), "--at", "2026-03-07T12:00"])
    assert naive.exit_code == 2 and "UTC offset" in naive.output
