"""Many nights, one truth: feeds that cover only some news, nights counted as nights, pay once, one fetch a case,
a budget that spends what it may, and a fresh token on requests that waited through a re-login.

Planner and budget rules are unit tests; what a feed, a night or a double listing does to a whole
harvest is tried end to end (`harvester run` against the sandbox, whose request log is the proof).
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from harvest_support import HarvestDir, LogTail, requests_to, start_sandbox, wait_for
from scrapy import Request

from harvester import config as config_module
from harvester.errors import EXIT_BUDGET, EXIT_OK, EXIT_PARTIAL
from harvester.gate.budget import Budget, BudgetCaps, BudgetRefusal, Quarter
from harvester.gate.clock import FakeClock
from harvester.gate.window import CENTRAL, Window, WindowSpec
from harvester.parsers.rss_scope import FeedScope, feed_scope
from harvester.run.harvest import Endpoints, Harvest, feed_verdict, incremental_filter, night_of
from harvester.run.session import META_AUTH, SessionMiddleware
from harvester.store import cases
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.rss import record_feed_night, store_rss, uncovered_hours

UTC = timezone.utc
FEED_OK = FeedScope("all", [])


# ---------------------------------------------------------------- planner rules (database only)


def _harvest(tmp_path, now: datetime, court: str = "cand", cases: dict | None = None, **watch) -> Harvest:
    # The cap is pinned to refresh_days unless a test studies the longer wait of quiet cases.
    watch.setdefault("refresh_max_days", watch.get("refresh_days", 3))
    cases = cases or {"pacer_case_ids": ["1", "2"]}
    cfg = config_module.from_dict({"watch": {"courts": [court], "refresh_days": 3, **watch,
                                             "cases": {court: cases}}})  # fmt: skip
    db = open_db(tmp_path / "pacer.db")
    endpoints = Endpoints("https://l", "https://o", "https://c", "https://ecf.{court}.uscourts.gov")
    return Harvest(cfg, db, endpoints, [court], writer=None, clock=FakeClock(now))  # type: ignore[arg-type]


def _docket(entries: list[tuple[str, str | None]]) -> dict:
    return {"docket_number": "3:26-cv-1", "case_name": "A v. B",
            "docket_entries": [{"date_filed": d, "date_entered": d, "document_number": n, "description": f"entry {i}"}
                               for i, (d, n) in enumerate(entries)]}  # fmt: skip


def _feed(harvest: Harvest, when: datetime, kind: str = "all", outcome: str = "ok", oldest: str | None = None,
          court: str = "cand"):  # fmt: skip
    night = night_of(Window(WindowSpec()), when).isoformat()
    record_feed_night(harvest.db, court, night, kind=kind, outcome=outcome, fetched_at=when, oldest_item_at=oldest,
                      newest_item_at=when.isoformat())  # fmt: skip


def _list_feed(harvest: Harvest) -> None:
    """The court lookup lists a feed for cand."""
    harvest.db.conn.execute("INSERT INTO courts (court_id, pacer_code, rss_url) VALUES ('cand', 'CANDC', 'https://x')")
    harvest.db.conn.commit()


def _plan(harvest: Harvest) -> dict[str, str]:
    harvest._tonight.clear()
    harvest._weekdays.clear()
    harvest._claimed.clear()
    return {t.pacer_case_id: t.reason for t in harvest.docket_tasks(appellate=False)}


def _store_both(harvest: Harvest, docket: dict, at: datetime) -> None:
    """Cases "1" and "2" of cand, harvested at ``at`` with ``docket``."""
    for case_id in ("1", "2"):
        store_docket(harvest.db, "cand", case_id, docket, fetched_at=at)


def test_nights_are_counted_in_the_windows_calendar():
    window = Window(WindowSpec())
    evening = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    assert night_of(window, evening) == date(2026, 3, 3)
    assert night_of(window, CENTRAL.localize(datetime(2026, 3, 4, 2, 0))) == date(2026, 3, 3)  # after midnight
    assert night_of(window, CENTRAL.localize(datetime(2026, 3, 6, 19, 0, 1))) == date(2026, 3, 6)


def test_the_harvests_cached_nights_agree_with_the_window(tmp_path):
    now = CENTRAL.localize(datetime(2026, 3, 10, 19, 0))  # after the spring-forward night
    harvest = _harvest(tmp_path, now)
    moments = [now - timedelta(hours=h) for h in range(0, 24 * 70, 7)] + [now + timedelta(hours=h) for h in (1, 11, 30)]
    assert [harvest.night(m) for m in moments] == [night_of(Window(WindowSpec()), m) for m in moments]


def test_refresh_days_3_is_due_on_the_third_night_whatever_the_second(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start)
    _store_both(harvest, _docket([("2026-03-02", "1")]), start)
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 5, 19, 0, 1)))
    assert _plan(harvest) == {}
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 6, 19, 0, 1)))  # 4 seconds short of 72 hours
    assert _plan(harvest) == {"1": "refresh", "2": "refresh"}


def test_a_busy_case_with_no_feed_is_rechecked_by_its_pace_a_quiet_one_on_schedule(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start, refresh_days=7)
    busy = [(f"2026-02-{d:02d}", str(i)) for i, d in enumerate(range(10, 28), start=1)]  # 18 entries in 28 nights
    store_docket(harvest.db, "cand", "1", _docket(busy), fetched_at=start)
    store_docket(harvest.db, "cand", "2", _docket([("2025-11-02", "1"), ("2026-02-20", "2")]), fetched_at=start)
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 4, 19, 0)))
    assert _plan(harvest) == {}  # 18/28 entries a night: under one expected entry after one night
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 5, 19, 0)))
    assert _plan(harvest) == {"1": "refresh"}  # two nights: more than one entry expected
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 10, 19, 0)))
    assert _plan(harvest) == {"1": "refresh", "2": "refresh"}  # the quiet case on refresh_days


def test_a_busy_case_is_not_re_checked_after_days_its_court_does_not_file_on(tmp_path):
    friday = CENTRAL.localize(datetime(2026, 2, 27, 19, 0, 5))
    harvest = _harvest(tmp_path, friday, refresh_days=7)
    weekdays = [date(2026, 2, d) for d in range(2, 28) if date(2026, 2, d).weekday() < 5]
    busy = [(d.isoformat(), None) for d in weekdays for _ in range(3)]  # 57 entries, Monday to Friday only
    store_docket(harvest.db, "cand", "1", _docket(busy), fetched_at=friday)
    store_docket(harvest.db, "cand", "2", _docket([("2026-01-20", "1")]), fetched_at=friday)
    for day, due in ((28, False), (1, False), (2, True)):  # Saturday, Sunday, Monday nights
        month = 2 if day == 28 else 3
        harvest.clock.set(CENTRAL.localize(datetime(2026, month, day, 19, 0)))
        assert _plan(harvest) == ({"1": "refresh"} if due else {}), f"{month}/{day}"


def _first_due(harvest: Harvest, start: datetime, case_id: str, nights: int = 40) -> int | None:
    """The first night after ``start`` on which the planner re-checks ``case_id`` (a fresh planner each night)."""
    for night in range(1, nights):
        planner = Harvest(harvest.config, harvest.db, harvest.endpoints, ["cand"], writer=None,  # type: ignore[arg-type]
                          clock=FakeClock(start + timedelta(days=night)))  # fmt: skip
        if case_id in _plan(planner):
            return night
    return None


def test_a_case_quiet_longer_than_refresh_days_waits_as_long_as_it_was_quiet(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start, refresh_days=7, refresh_max_days=28)
    store_docket(harvest.db, "cand", "1", _docket([("2026-02-01", "1"), ("2026-02-11", "2")]), fetched_at=start)  # 20
    store_docket(harvest.db, "cand", "2", _docket([("2025-06-01", "1")]), fetched_at=start)  # quiet for months
    assert _first_due(harvest, start, "1") == 20
    assert _first_due(harvest, start, "2") == 28  # no longer than refresh_max_days


def test_a_case_that_files_again_is_back_on_refresh_days(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start, refresh_days=7, refresh_max_days=28)
    store_docket(harvest.db, "cand", "1", _docket([("2025-06-01", "1")]), fetched_at=start)
    recheck = start + timedelta(days=28)
    store_docket(harvest.db, "cand", "1", _docket([("2025-06-01", "1"), ("2026-03-31", "2")]), fetched_at=recheck)
    assert _first_due(harvest, recheck, "1") == 7
    quiet = recheck + timedelta(days=7)  # that re-check came back empty: 7 nights quiet, still 7
    store_docket(harvest.db, "cand", "1", _docket([("2025-06-01", "1"), ("2026-03-31", "2")]), fetched_at=quiet)
    assert _first_due(harvest, quiet, "1") == 7
    quieter = quiet + timedelta(days=7)  # empty again: 14 nights quiet, so it waits 14 (the wait doubles)
    store_docket(harvest.db, "cand", "1", _docket([("2025-06-01", "1"), ("2026-03-31", "2")]), fetched_at=quieter)
    assert _first_due(harvest, quieter, "1") == 14


def test_a_closed_case_waits_refresh_max_days(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start, refresh_days=7, refresh_max_days=21, refresh_by_pace=False)
    closed = {**_docket([("2026-03-02", "1")]), "date_terminated": "2026-03-02"}
    store_docket(harvest.db, "cand", "1", closed, fetched_at=start)
    store_docket(harvest.db, "cand", "2", _docket([("2026-03-02", "1")]), fetched_at=start)
    assert _first_due(harvest, start, "2") == 7
    assert _first_due(harvest, start, "1") == 21


def test_without_refresh_by_pace_every_case_waits_for_refresh_days(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0, 5))
    harvest = _harvest(tmp_path, start, refresh_days=7, refresh_by_pace=False)
    busy = [(f"2026-02-{d:02d}", str(i)) for i, d in enumerate(range(10, 28), start=1)]
    store_docket(harvest.db, "cand", "1", _docket(busy), fetched_at=start)
    store_docket(harvest.db, "cand", "2", _docket([("2026-02-20", "1")]), fetched_at=start)
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 9, 19, 0)))
    assert _plan(harvest) == {}
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 10, 19, 0)))
    assert _plan(harvest) == {"1": "refresh", "2": "refresh"}


def test_only_a_gap_free_all_entries_feed_read_tonight_stands_in_for_polling(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))
    harvest = _harvest(tmp_path, start)
    _list_feed(harvest)
    _store_both(harvest, _docket([("2026-03-02", "1")]), start)
    _feed(harvest, CENTRAL.localize(datetime(2026, 3, 3, 19, 30)))  # read after the first harvest, that night
    for day in (4, 5, 6):  # a good feed each night: no polling, even when refresh_days (3) is past
        harvest.clock.set(CENTRAL.localize(datetime(2026, 3, day, 19, 0)))
        _feed(harvest, harvest.clock.now())
        assert _plan(harvest) == {}, f"night {day}"
    # Partial feeds from tonight: the nights they leave uncovered count, and cases they do
    # not name are polled once refresh_days (3) of them have passed.
    for day in (7, 8, 9):
        harvest.clock.set(CENTRAL.localize(datetime(2026, 3, day, 19, 0)))
        _feed(harvest, harvest.clock.now(), kind="partial")
        assert _plan(harvest) == ({"1": "refresh", "2": "refresh"} if day == 9 else {}), f"night {day}"


@pytest.mark.parametrize("outcome", ["failed", "stale"])
def test_a_failing_or_stale_feed_makes_the_court_a_no_feed_court(tmp_path, outcome):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))
    harvest = _harvest(tmp_path, start)
    _list_feed(harvest)
    store_docket(harvest.db, "cand", "1", _docket([("2026-03-02", "1")]), fetched_at=start)
    store_docket(harvest.db, "cand", "2", _docket([("2026-03-02", "1")]), fetched_at=start)
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 6, 19, 0)))
    _feed(harvest, harvest.clock.now(), kind="all" if outcome == "stale" else "failing", outcome=outcome)
    assert _plan(harvest) == {"1": "refresh", "2": "refresh"}


def test_a_missed_night_leaves_a_gap_in_the_feeds_coverage(tmp_path):
    harvest = _harvest(tmp_path, CENTRAL.localize(datetime(2026, 3, 3, 19, 0)))
    first, second = CENTRAL.localize(datetime(2026, 3, 3, 19, 0)), CENTRAL.localize(datetime(2026, 3, 4, 19, 5))
    third = CENTRAL.localize(datetime(2026, 3, 7, 19, 0))  # three nights not run
    for when in (first, second):
        _feed(harvest, when)
    since = CENTRAL.localize(datetime(2026, 3, 3, 12, 0))
    assert uncovered_hours(harvest.db, "cand", since, second, read_tonight=True) == 0.0  # each read reaches back a day
    _feed(harvest, third)
    gap = uncovered_hours(harvest.db, "cand", since, third, read_tonight=True)
    assert gap == pytest.approx(48 - 5 / 60 - 0.5)  # 3/4 19:05 to 3/6 19:00, less the reads' 30-minute slack
    # Tonight's read failed: the day since the last good read is uncovered as well.
    assert uncovered_hours(harvest.db, "cand", since, third, read_tonight=False) == pytest.approx(gap)
    later = CENTRAL.localize(datetime(2026, 3, 8, 19, 0))
    assert uncovered_hours(harvest.db, "cand", since, later, read_tonight=False) == pytest.approx(gap + 23)  # DST night


def test_a_late_night_re_checks_only_the_cases_likely_to_have_news_in_its_gap(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))
    harvest = _harvest(tmp_path, start, refresh_days=7)
    _list_feed(harvest)
    busy = [(f"2026-02-{d:02d}", None) for d in range(4, 28) for _ in range(4)]
    store_docket(harvest.db, "cand", "1", _docket(busy), fetched_at=start)  # 96 entries in 28 nights
    store_docket(harvest.db, "cand", "2", _docket([("2026-02-20", "1")]), fetched_at=start)
    _feed(harvest, CENTRAL.localize(datetime(2026, 3, 3, 19, 5)))
    late = CENTRAL.localize(datetime(2026, 3, 5, 5, 59))  # the next night's read came at 05:59, not 19:00
    harvest.clock.set(late)
    _feed(harvest, late)
    assert _plan(harvest) == {"1": "refresh"}  # ~10 uncovered hours: the busy case, not the quiet one
    harvest.clock.set(CENTRAL.localize(datetime(2026, 3, 5, 19, 0)))
    _feed(harvest, harvest.clock.now())
    store_docket(harvest.db, "cand", "1", _docket(busy), fetched_at=late)
    assert _plan(harvest) == {}  # the feeds vouch for everything since


def test_feed_verdicts():
    now = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    item = {"dockets": [{"docket_entries": [{"date_filed": "2026-03-03T20:00:00+00:00"}]}]}
    assert feed_verdict(200, item, FEED_OK, None, now, 72)["outcome"] == "ok"
    assert feed_verdict(200, item, FeedScope("partial", ["order"]), None, now, 72)["kind"] == "partial"
    assert feed_verdict(503, None, None, None, now, 72) == {
        "kind": "failing", "outcome": "failed", "entry_types": [], "newest_item_at": None, "oldest_item_at": None,
        "message": "HTTP 503"}  # fmt: skip
    assert feed_verdict(200, {"dockets": []}, FEED_OK, None, now, 72)["outcome"] == "stale"  # nothing vouches for it
    old = {"dockets": [{"docket_entries": [{"date_filed": "2026-02-27T20:00:00+00:00"}]}]}
    assert feed_verdict(200, old, FEED_OK, None, now, 72)["outcome"] == "stale"


def test_an_empty_feed_built_tonight_is_a_quiet_court_not_a_stale_feed():
    """A weekend, or a small court's quiet day: the feed is current and names no case.

    Taken as stale, it broke the feed's coverage every Saturday, and every case of an
    all-entries court was re-bought on the refresh_days schedule.
    """
    now = datetime(2026, 3, 8, 1, 0, tzinfo=UTC)
    built_tonight = FeedScope("all", [], "2026-03-07T18:59:00-06:00")
    verdict = feed_verdict(200, {"dockets": []}, built_tonight, None, now, 72)
    assert (verdict["kind"], verdict["outcome"]) == ("all", "ok")
    frozen = FeedScope("all", [], "2026-03-01T18:59:00-06:00")  # a cached feed that stopped being rebuilt
    assert feed_verdict(200, {"dockets": []}, frozen, None, now, 72)["outcome"] == "stale"
    item = {"dockets": [{"docket_entries": [{"date_filed": "2026-03-07T20:00:00+00:00"}]}]}
    assert feed_verdict(200, item, frozen, None, now, 72)["outcome"] == "stale"


def test_the_channel_build_date_is_read_from_the_feed():
    body = (b"<?xml version='1.0' encoding='ISO-8859-1'?><rss version='2.0'><channel><title>t</title>"
            b"<description>Docket entries of type: all</description>"
            b"<lastBuildDate>Fri, 03 Feb 2023 10:58:42 MST</lastBuildDate></channel></rss>")  # fmt: skip
    assert feed_scope(body) == FeedScope("all", [], "2023-02-03T10:58:42-07:00")
    assert feed_scope(body.replace(b"<lastBuildDate>Fri, 03 Feb 2023 10:58:42 MST</lastBuildDate>", b"")).built_at is None


def _state(tmp_path, entries, fetched: datetime) -> cases.CaseState:
    db = open_db(tmp_path / "state.db")
    store_docket(db, "cand", "1", _docket(entries), fetched_at=fetched)
    state = cases.case_state(db, "cand", "1")
    db.close()
    return state


def test_an_incremental_report_asks_from_the_day_of_the_last_fetch_not_the_last_entry(tmp_path):
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 19, 0))
    state = _state(tmp_path, [("2026-03-02", "1"), ("2026-03-02", None)], fetched)
    # Old rule: the last entry's date (2026-03-02), re-buying that day. Everything entered
    # before the fetch is known; anything entered after it is dated the fetch day or later.
    assert incremental_filter(state, numbers_every_entry=False) == (date(2026, 3, 9), None)


def test_entries_sharing_the_last_date_entered_after_the_fetch_are_not_missed(tmp_path):
    # Fetched at 23:30 Central on the 9th: still the 9th in Hawaii, the court's day may not be over,
    # so the 9th is asked again (the day after would miss a same-day late entry).
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 23, 30))
    state = _state(tmp_path, [("2026-03-09", "1"), ("2026-03-09", None)], fetched)
    assert incremental_filter(state, numbers_every_entry=False) == (date(2026, 3, 9), None)
    # At 05:00 Central on the 10th the 9th is over even in Hawaii (01:00 HST): start on the 10th.
    late = _state(tmp_path / "x", [("2026-03-09", "1")], CENTRAL.localize(datetime(2026, 3, 10, 5, 0)))
    assert incremental_filter(late, numbers_every_entry=False) == (date(2026, 3, 10), None)


def _feed_items(harvest: Harvest, case_id: str, items: list[tuple[str | None, str]], seen: datetime,
               court: str = "cand", docket_number: str = "3:26-cv-1") -> None:  # fmt: skip
    """Store an all-entries feed read at ``seen`` naming ``case_id`` with (document number, pubDate) items."""
    entries = [{"document_number": n, "date_filed": at, "short_description": f"item {i}"} for i, (n, at) in enumerate(items)]
    store_rss(harvest.db, court, [{"pacer_case_id": case_id, "docket_number": docket_number, "docket_entries": entries}],
              fetched_at=seen)  # fmt: skip
    _feed(harvest, seen, court=court)


def test_a_gap_free_feed_starts_the_report_at_its_earliest_new_item_not_the_day_of_the_fetch(tmp_path):
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 19, 0))  # the 9th's entries are stored
    harvest = _harvest(tmp_path, fetched)
    _list_feed(harvest)
    _store_both(harvest, _docket([("2026-03-09", "1"), ("2026-03-09", None)]), fetched)
    _feed(harvest, fetched + timedelta(minutes=30))
    tonight = CENTRAL.localize(datetime(2026, 3, 10, 19, 0))
    harvest.clock.set(tonight)
    _feed_items(harvest, "1", [(None, "2026-03-10T15:00:00Z"), ("3", "2026-03-10T20:00:00Z")], tonight)
    # Entered the evening of the 9th (03:30 UTC on the 10th is 17:30 in Hawaii on the 9th): the 9th again.
    _feed_items(harvest, "2", [("2", "2026-03-10T03:30:00Z")], tonight)
    harvest._tonight.clear()
    tasks = {t.pacer_case_id: t for t in harvest.docket_tasks(appellate=False)}
    assert (tasks["1"].reason, tasks["1"].since, tasks["1"].numbered_from) == ("rss", date(2026, 3, 10), None)
    assert (tasks["2"].since, tasks["2"].numbered_from) == (date(2026, 3, 9), 2)


def test_a_minute_entry_in_the_feed_lifts_the_number_filter_of_a_court_that_numbered_every_entry(tmp_path):
    # Every stored entry of the court is numbered, so a re-check asks by document number;
    # a number filter leaves out unnumbered entries, and the feed names one tonight.
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 19, 0))
    harvest = _harvest(tmp_path, fetched)
    _list_feed(harvest)
    _store_both(harvest, _docket([("2026-03-09", "1")]), fetched)
    _feed(harvest, fetched + timedelta(minutes=30))
    tonight = CENTRAL.localize(datetime(2026, 3, 10, 19, 0))
    harvest.clock.set(tonight)
    _feed_items(harvest, "1", [(None, "2026-03-10T15:00:00Z")], tonight)
    _feed_items(harvest, "2", [("2", "2026-03-10T15:00:00Z")], tonight)
    harvest._tonight.clear()
    tasks = {t.pacer_case_id: t for t in harvest.docket_tasks(appellate=False)}
    assert (tasks["1"].since, tasks["1"].numbered_from) == (date(2026, 3, 10), None)
    assert (tasks["2"].since, tasks["2"].numbered_from) == (date(2026, 3, 10), 2)


def test_news_in_a_feed_gap_is_fetched_within_refresh_max_days_though_good_reads_follow(tmp_path):
    # Two failed reads, then good ones every night: the gap's news never shows in a feed,
    # and the two uncovered nights alone never reach the quiet case's wait.
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))
    harvest = _harvest(tmp_path, start, refresh_days=3, refresh_max_days=10, refresh_by_pace=False)
    _list_feed(harvest)
    store_docket(harvest.db, "cand", "1", _docket([("2026-01-02", "1")]), fetched_at=start)  # quiet: waits 10
    _feed(harvest, start + timedelta(minutes=30))
    due = []
    for night in range(1, 16):
        harvest.clock.set(start + timedelta(days=night))
        _feed(harvest, harvest.clock.now(), kind="failing" if night in (2, 3) else "all",
              outcome="failed" if night in (2, 3) else "ok")  # fmt: skip
        if "1" in _plan(harvest):
            due.append(night)
    assert due[:1] == [11]  # 10 nights after the gap began (the read of night 1 was its last good one)


def test_an_appeals_court_feed_does_not_narrow_the_date_filed_filter(tmp_path):
    # CaseSummary's dateFrom counts the date filed: a brief filed on the 9th and entered on
    # the 10th is published on the 10th, and a report from the 10th would leave it out.
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 19, 0))
    harvest = _harvest(tmp_path, fetched, court="ca1", cases={"docket_numbers": ["26-1001"]})
    harvest.db.conn.execute("INSERT INTO courts (court_id, pacer_code, rss_url) VALUES ('ca1', 'CA1', 'https://x')")
    harvest.db.conn.commit()
    docket = {**_docket([("2026-03-09", "1")]), "docket_number": "26-1001"}
    store_docket(harvest.db, "ca1", "26-1001", docket, fetched_at=fetched, kind="appellate")
    _feed(harvest, fetched + timedelta(minutes=30), court="ca1")
    tonight = CENTRAL.localize(datetime(2026, 3, 10, 19, 0))
    harvest.clock.set(tonight)
    _feed_items(harvest, "26-1001", [("2", "2026-03-10T15:00:00Z")], tonight, court="ca1", docket_number="26-1001")
    [task] = list(harvest.docket_tasks(appellate=True))
    assert (task.reason, task.since) == ("rss", date(2026, 3, 9))


@pytest.mark.parametrize(("lag_days", "since"), [(0, date(2026, 3, 9)), (1, date(2026, 3, 9)), (6, date(2026, 3, 4))])
def test_an_appeals_court_report_reaches_back_by_the_courts_filing_lag(tmp_path, lag_days, since):
    # dateFrom counts the date filed: a brief filed six days before it was entered must not
    # fall before a report that starts on the fetch day. (A day's lag is covered: what was
    # entered on the fetch day came before the night's fetch.)
    fetched = CENTRAL.localize(datetime(2026, 3, 9, 19, 0))
    harvest = _harvest(tmp_path, fetched, court="ca1", cases={"docket_numbers": ["26-1001"]}, refresh_days=1)
    filed = (date(2026, 3, 9) - timedelta(days=lag_days)).isoformat()
    docket = {"docket_number": "26-1001", "case_name": "A v. B", "docket_entries": [
        {"date_filed": filed, "date_entered": "2026-03-09", "document_number": "1", "description": "BRIEF"}]}  # fmt: skip
    store_docket(harvest.db, "ca1", "26-1001", docket, fetched_at=fetched, kind="appellate")
    harvest.clock.set(fetched + timedelta(days=1))
    [task] = list(harvest.docket_tasks(appellate=True))
    assert (task.reason, task.since) == ("refresh", since)


def test_courts_that_number_every_entry_are_asked_by_document_number(tmp_path):
    (tmp_path / "x").mkdir()
    state = _state(tmp_path / "x", [("2026-03-02", "1"), ("2026-03-03", "7")], CENTRAL.localize(datetime(2026, 3, 3, 19)))
    assert incremental_filter(state, numbers_every_entry=True) == (date(2026, 3, 3), 8)
    db = open_db(tmp_path / "n.db")
    store_docket(db, "nysb", "1", _docket([("2026-03-02", "1"), ("2026-03-02", "2")]))
    store_docket(db, "cand", "1", _docket([("2026-03-02", "1"), ("2026-03-02", None)]))
    assert cases.court_numbers_every_entry(db, "nysb") and not cases.court_numbers_every_entry(db, "cand")


def test_a_case_named_by_id_and_by_docket_number_is_planned_once(tmp_path):
    start = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))
    harvest = _harvest(tmp_path, start)
    harvest.config.cases["cand"]["docket_numbers"] = ["3:26-cv-1"]
    # Night one: the number is not resolved yet; the id's fetch claims the case first.
    tasks = list(harvest.docket_tasks(appellate=False))
    assert [t.pacer_case_id for t in tasks].count("1") == 1
    assert harvest.claim("cand", "1") is False  # what possible_case_numbers resolves to is skipped
    # Later nights: a stored case answers for its docket number.
    store_docket(harvest.db, "cand", "1", _docket([("2026-03-02", "1")]), fetched_at=start)
    assert harvest._resolved("cand", "3:26-cv-1") == "1"


# ---------------------------------------------------------------- budget


def test_queued_paid_requests_wait_for_receipts_instead_of_being_refused():
    now = CENTRAL.localize(datetime(2026, 3, 3, 20, 0))
    budget = Budget(BudgetCaps(run_dollars=10.0, quarter_dollars=1000.0))

    async def night() -> list[str]:
        held = [budget.reserve("cand", 30, now) for _ in range(3)]  # $9.00 of worst cases in flight
        waiting = asyncio.ensure_future(budget.reserve_when_room("cand", 30, lambda: now))
        await asyncio.sleep(0)
        assert not waiting.done()  # not refused: the money was not spent
        budget.settle(held[0], now, {"billable_pages": 4, "cost": 0.4})
        fourth = await asyncio.wait_for(waiting, 1)
        for reservation in (*held[1:], fourth):
            budget.settle(reservation, now, {"billable_pages": 30, "cost": 3.0})
        with pytest.raises(BudgetRefusal):  # $9.40 spent: $3.00 more cannot fit, however long it waits
            await budget.reserve_when_room("cand", 30, lambda: now)
        return [c.source for c in budget.charges]

    assert asyncio.run(night()) == ["receipt"] * 4
    assert budget.run_cents() == 940 <= 1000


def test_the_quarter_is_paced_over_its_nights():
    now = CENTRAL.localize(datetime(2026, 3, 3, 20, 0))
    caps = BudgetCaps.from_config(config_module.defaults()["budget"])
    assert caps.pace_quarter and caps.run_dollars == 10.0
    assert Budget(caps).run_cap_cents(Quarter.of(now), now) == 1000  # $10 of the $30 quarter's $15 half
    spent = Budget(caps, spent_before=lambda _now: 22.0)
    with pytest.raises(BudgetRefusal, match="pacing"):
        spent.reserve("cand", 41, now)  # $4.10 > half of the $8.00 left
    spent.reserve("cand", 40, now)
    last_night = CENTRAL.localize(datetime(2026, 3, 31, 20, 0))
    closing = Budget(caps, spent_before=lambda _now: 22.0)
    closing.reserve("cand", 80, last_night)  # the quarter's last night may spend what is left


# ---------------------------------------------------------------- session


def test_a_request_that_waited_through_a_re_login_leaves_with_the_new_token():
    from harvester.credentials import Secret

    old, new = Secret("OLDTOKEN"), Secret("NEWTOKEN")
    session = SimpleNamespace(token=old, credentials=SimpleNamespace(client_code=""))

    async def ensure(_crawler):
        return session.token

    session.ensure = ensure
    middleware = SessionMiddleware(crawler=None, session=session)  # type: ignore[arg-type]
    request = Request("https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl", meta={"court": "cand"})
    middleware._sent[request] = old
    request.headers["Cookie"] = middleware._cookie(old)
    session.token = new  # another request's login page made the session log in again
    asyncio.run(middleware.current_token(request))
    assert b"NEWTOKEN" in request.headers["Cookie"] and b"OLDTOKEN" not in request.headers["Cookie"]
    assert middleware._sent[request] is new


def test_a_retried_requests_token_is_forgotten_and_the_login_never_waits_for_the_session():
    # The gate turns a 5xx into a retry, so the session middleware never sees that
    # response. Its token stayed recorded under the request's id(); the night's re-login
    # request, given the same id, then waited in current_token for the lock its own
    # re-login held: the harvest hung (found by bench_month, seed 1, night 25).
    from harvester.credentials import Secret

    session = SimpleNamespace(token=Secret("NEWTOKEN"), credentials=SimpleNamespace(client_code=""))

    async def ensure(_crawler):
        raise AssertionError("the session's lock is held by the re-login")

    session.ensure = ensure
    middleware = SessionMiddleware(crawler=None, session=session)  # type: ignore[arg-type]
    retried = Request("https://ecf.flmb.uscourts.gov/cgi-bin/DktRpt.pl", meta={"court": "flmb"})
    middleware._sent[retried] = Secret("OLDTOKEN")
    del retried
    gc.collect()
    assert len(middleware._sent) == 0
    login = Request("https://pacer.login.uscourts.gov/services/cso-auth", meta={META_AUTH: True})
    asyncio.run(middleware.current_token(login))  # returns at once: ensure() would raise


def test_a_request_stuck_waiting_for_the_session_stops_the_run_with_a_login_error(monkeypatch):
    # Whatever keeps a login from finishing, its waiters must not hang past the window:
    # the lock file would then keep every later night from running.
    from harvester.credentials import Credentials, Secret
    from harvester.errors import LoginFailed
    from harvester.run import session as session_module

    monkeypatch.setattr(session_module, "SESSION_WAIT_SECONDS", 0.05)
    creds = Credentials(username="someone", password=Secret("pw"))
    session = session_module.PacerSession(creds, "https://login.example/cso-auth", "https://login.example/logout")

    async def stuck_then_wait() -> str:
        await session._lock.acquire()  # a login that never finishes holds it
        try:
            await session.ensure(crawler=None)
        except LoginFailed as exc:
            return str(exc)
        return "no error"

    message = asyncio.run(stuck_then_wait())
    assert "session was busy" in message and "pw" not in message
    assert session.failure == message  # later requests fail at once instead of waiting again


# ---------------------------------------------------------------- end to end against the sandbox


@contextmanager
def _stopping(sandbox):
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _dktrpt(sandbox, mark: int) -> list[dict]:
    return [r for r in requests_to(sandbox)[mark:] if r["endpoint"] == "DktRpt"]


def test_a_court_whose_feed_fails_is_still_refreshed(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand",), cases=3, seed=5, growth_per_day=3.0)
    with _stopping(sandbox):
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"watch": {"refresh_days": 2, "refresh_max_days": 2},
                                                                      "rate": {"max_retries": 0}})  # fmt: skip
        assert work.run().returncode == 0
        sandbox.add_fault("cand", "error", endpoints=["rss_outside"])  # 503 every night from now on
        reports = []
        for _ in range(2):
            sandbox.advance(hours=24)
            mark = len(requests_to(sandbox))
            result = work.run()
            assert result.returncode in (EXIT_OK, EXIT_PARTIAL), result.stderr[-2000:]  # the failed feed is reported
            reports.append(_dktrpt(sandbox, mark))
        assert reports[0] == []  # one night: not due yet
        assert len(reports[1]) == 3  # two nights without a readable feed: polled like a court without one
        with work.connect() as conn:
            kinds = conn.execute("SELECT kind, outcome, http_status FROM feed_nights ORDER BY id").fetchall()
        assert kinds[0][0] == "all" and kinds[-1] == ("failing", "failed", 503)


def test_a_case_listed_by_id_and_by_docket_number_is_fetched_once(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand",), cases=2, seed=6)
    with _stopping(sandbox):
        case = sandbox.cases("cand")[0]
        work = HarvestDir.create(tmp_path / "run", sandbox, cases=[case])
        text = work.config.read_text().replace(
            "[watch.cases.cand]\n", f'[watch.cases.cand]\ndocket_numbers = ["{case["docket_number"]}"]\n')
        work.config.write_text(text)
        mark = len(requests_to(sandbox))
        assert work.run().returncode == 0
        assert len(_dktrpt(sandbox, mark)) == 1


def test_refresh_days_counts_nights_not_seconds(tmp_path):
    # ca9 publishes no feed: its cases are polled. Fetched late on the night of the 3rd,
    # due on the 6th however early that night's run starts (67.5 hours later).
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("ca9",), cases=2, seed=8)
    with _stopping(sandbox):
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"watch": {"refresh_days": 3, "refresh_max_days": 3}})
        sandbox.advance(to="2026-03-03T23:30:00-06:00")
        assert work.run().returncode == 0
        reports = []
        for evening in ("2026-03-05T19:00:01-06:00", "2026-03-06T19:00:01-06:00"):
            sandbox.advance(to=evening)
            mark = len(requests_to(sandbox))
            assert work.run().returncode == 0
            reports.append([r for r in requests_to(sandbox)[mark:] if r["endpoint"] == "CaseSummary"])
        assert reports[0] == [] and len(reports[1]) == 2
        with work.connect() as conn:
            nights = conn.execute("SELECT night, kind FROM feed_nights WHERE court_id = 'ca9' ORDER BY id").fetchall()
        assert nights == [("2026-03-03", "none"), ("2026-03-05", "none"), ("2026-03-06", "none")]


def test_requests_queued_through_a_re_login_leave_with_the_new_token(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand",), cases=12, seed=9)
    with _stopping(sandbox):
        slow = {"per_court_per_second": 4.0, "global_per_second": 10.0, "per_court_concurrency": 1}
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"rate": slow})
        tail = LogTail(sandbox)
        proc = work.spawn()
        assert wait_for(lambda: tail.count("DktRpt") >= 2, 120), "the harvest never reached the dockets"
        sandbox.expire_tokens()
        assert proc.wait(timeout=180) == 0, proc.output_files[1].read_text()[-2000:]
        log = tail.poll()
        logins = [i for i, r in enumerate(log) if r["endpoint"] == "cso-auth"]
        assert len(logins) == 2, "the night's login and one re-login after the expiry"
        after = [r for r in log[logins[1] + 1:] if r["endpoint"] == "DktRpt"]
        refused = [r for r in after if not r["billable_pages"]]
        # At most the request in flight when the new token came can still carry the old one.
        assert len(refused) <= 1, f"{len(refused)} reports sent with the expired token after the re-login"
        with work.connect() as conn:
            assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 12


def test_a_first_harvest_spends_what_the_run_cap_allows(tmp_path):
    # Fourteen new dockets at about $1-3 each: more than $10. A docket not seen before goes
    # out only when its worst case ($3.00) fits; the run must not stop while it still would.
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand", "nysb"), cases=14, mean_entries=40, seed=12)
    with _stopping(sandbox):
        budget = {"run_dollars": 10.0, "quarter_dollars": 1000.0}
        rate = {"per_court_per_second": 20.0, "global_per_second": 40.0, "per_court_concurrency": 2}
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"budget": budget, "rate": rate})
        mark = len(requests_to(sandbox))
        result = work.run()
        assert result.returncode in (EXIT_OK, EXIT_BUDGET), result.stderr[-2000:]
        billed = [r for r in requests_to(sandbox)[mark:] if r["endpoint"] == "DktRpt" and r["billable_pages"]]
        spent = sum(r["cost"] for r in billed)
        assert spent <= 10.0 + 1e-9
        if result.returncode == EXIT_BUDGET:  # stopped by the cap: no room was left for one more worst case
            assert spent > 10.0 - 3.0, f"stopped at ${spent:.2f} with room for another docket"
        assert len(billed) >= 4
