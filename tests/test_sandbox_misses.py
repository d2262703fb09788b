"""Why an entry is missing: each cause of harvester/sandbox/misses.py on a database and request log made to show it.

The month is small and dense (edits and activity raised); cases with a property are
looked up, not assumed, so no assertion depends on one seed's month.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from harvester.sandbox import MonthScenario
from harvester.sandbox.clock import CHICAGO
from harvester.sandbox.misses import explain
from harvester.sandbox.month import MonthEntry, shown_entry

SEED = 5
DAY = 86400.0


@pytest.fixture(scope="module")
def month() -> MonthScenario:
    return MonthScenario(SEED, nights=10, cases=40, courts=("cand", "nysd"), edit_probability=0.5)


def _end(month: MonthScenario) -> float:
    return month.night_start(month.settings.nights - 1).timestamp()


def _key(month: MonthScenario, case) -> str:
    return "/".join(month.case_key(case))


def _as_of(month: MonthScenario, case, ts: float) -> dict:
    """The case as a database that bought it at ``ts`` holds it: header fields and entries."""
    return {"metadata": month.case_truth(case, ts)["metadata"], "entries": [shown_entry(case, e) for e in case.timeline(ts)]}


def _report(case, ts: float, **form) -> dict:
    """A sandbox request-log record of a billed docket report."""
    return {"endpoint": "DktRpt", "status": 200, "billable_pages": 2, "court": case.court.court_id,
            "case": case.pacer_case_id, "params": form, "faults": [],
            "sandbox_time": datetime.fromtimestamp(ts, CHICAGO).isoformat()}  # fmt: skip


def _feed_read(case, ts: float, faults=()) -> dict:
    return {"endpoint": "rss_outside", "status": 200, "court": case.court.court_id, "faults": list(faults),
            "sandbox_time": datetime.fromtimestamp(ts, CHICAGO).isoformat()}  # fmt: skip


def _late_edit(month: MonthScenario):
    """(case, entry) of an entry a clerk edited more than a day after entering it, before the end."""
    end = _end(month)
    for case in month.cases:
        for entry in case.timeline(end):
            if isinstance(entry, MonthEntry) and entry.edit[0] - entry.ts > DAY and case.filed_ts < entry.ts:
                return case, entry
    pytest.fail("the dense month has no late edit")


def _busy(month: MonthScenario):
    """A case with entries entered in the month's last nights, and its last one."""
    end = _end(month)
    for case in month.cases:
        entries = case.timeline(end)
        if entries and end - 4 * DAY < entries[-1].ts and not isinstance(entries[-1], MonthEntry):
            return case, entries[-1]
    pytest.fail("the dense month has no case with recent news")


def test_a_database_equal_to_the_truth_misses_nothing(month):
    end = _end(month)
    keys = list(month.initial_watch())
    database = {_key(month, c): _as_of(month, c, end) for c in month.cases}
    result = explain(month, database, [], keys, end, max_wait=28)
    assert result.causes == {} and result.defects == 0 and result.extra == 0


def test_an_edit_after_the_last_purchase_is_no_signal_and_a_later_report_makes_it_a_defect(month):
    case, entry = _late_edit(month)
    end, bought = _end(month), entry.ts + 3600
    key = _key(month, case)
    database = {key: _as_of(month, case, bought)}
    records = [_report(case, bought)]
    result = explain(month, database, records, [key], end, max_wait=28)
    assert result.causes["edited, no signal"] >= 1 and result.defects == 0
    after_edit = [*records, _report(case, entry.edit[0] + 600)]
    result = explain(month, database, after_edit, [key], end, max_wait=28)
    assert result.causes["fetched, not stored"] >= 1 and result.defects >= 1


def test_a_report_whose_filter_leaves_the_entry_out_does_not_count_as_fetched(month):
    case, entry = _busy(month)
    end, key = _end(month), _key(month, case)
    before = {key: {"entries": [shown_entry(case, e) for e in case.timeline(entry.ts - 1)]}}
    later_numbers = {"documents_numbered_from_": str((entry.number or 0) + 1000)}
    records = [_report(case, entry.ts - 1), _report(case, end, **later_numbers)]
    result = explain(month, before, records, [key], end, max_wait=28)
    assert result.causes["fetched, not stored"] == 0
    assert result.causes["not listed, waiting"] >= 1


def test_news_no_feed_listed_waits_until_the_longest_wait_then_is_overdue(month):
    case, entry = _busy(month)
    end, key = _end(month), _key(month, case)
    bought = entry.ts - 1
    database = {key: {"entries": [shown_entry(case, e) for e in case.timeline(bought)]}}
    waited = month.night_of(end) - month.night_of(bought)
    records = [_report(case, bought)]
    assert explain(month, database, records, [key], end, max_wait=waited).causes["not listed, waiting"] >= 1
    overdue = explain(month, database, records, [key], end, max_wait=waited - 1)
    assert overdue.causes["not listed, overdue"] >= 1 and overdue.defects >= 1


def test_news_a_good_feed_read_listed_is_a_defect_when_not_fetched_and_a_failed_read_is_no_signal(month):
    case, entry = _busy(month)
    end, key = _end(month), _key(month, case)
    if not any(c.key == case.key and e.k == entry.k for c, e in month.feed_items(case.court.court_id, entry.ts + 3600)):
        pytest.skip("this court's feed does not carry the entry's type")
    database = {key: {"entries": [shown_entry(case, e) for e in case.timeline(entry.ts - 1)]}}
    records = [_report(case, entry.ts - 1)]
    listed = explain(month, database, [*records, _feed_read(case, entry.ts + 3600)], [key], end, max_wait=28)
    assert listed.causes["listed, not fetched"] >= 1
    garbage = explain(month, database, [*records, _feed_read(case, entry.ts + 3600, ["garbage"])], [key], end, 28)
    assert garbage.causes["listed, not fetched"] == 0


def test_a_row_the_court_does_not_show_is_extra(month):
    case, _entry = _busy(month)
    end, key = _end(month), _key(month, case)
    database = _as_of(month, case, end)
    stray = {**database["entries"][0], "date_entered": "2001-01-02"}
    result = explain(month, {key: {"entries": [*database["entries"], stray]}}, [], [key], end, max_wait=28)
    assert result.extra == 1 and result.causes == {}



def _news_before_the_last_night(month: MonthScenario):
    """A case whose last entry (unedited) came a night or more before the final night."""
    end = _end(month)
    for case in month.cases:
        entries = case.timeline(end)
        if entries and not isinstance(entries[-1], MonthEntry) and case.filed_ts < entries[-1].ts:
            if month.night_of(end) - 3 <= month.night_of(entries[-1].ts) < month.night_of(end):
                return case, entries[-1]
    pytest.fail("the dense month has no case with news in its last nights but one")


def test_news_left_unbought_after_a_night_that_spent_its_budget_is_the_budget_not_a_defect(month):
    case, entry = _news_before_the_last_night(month)
    end, key = _end(month), _key(month, case)
    database = {key: {"entries": [shown_entry(case, e) for e in case.timeline(entry.ts - 1)]}}
    records = [_report(case, entry.ts - 1)]
    before_entry = month.night_of(entry.ts) - 1
    assert explain(month, database, records, [key], end, 0, budget_nights=[before_entry]).causes["budget spent"] == 0
    held = explain(month, database, records, [key], end, 0, budget_nights=[month.night_of(entry.ts)])
    assert held.causes["budget spent"] >= 1 and held.causes["not listed, overdue"] == 0 and held.defects == 0


def test_a_wrong_judge_is_waiting_with_an_unseen_entry_and_a_defect_when_every_entry_was_seen(month):
    case, entry = _busy(month)
    end, key = _end(month), _key(month, case)
    truth = month.case_truth(case, end)
    wrong_judge = {**truth["metadata"], "assigned_to_str": "Judge Nobody"}
    seen_all = {key: {"metadata": wrong_judge, "entries": truth["entries"]}}
    result = explain(month, seen_all, [], [key], end, max_wait=28)
    assert result.metadata == {"with every entry seen": 1} and result.defects == 1
    one_unseen = {key: {"metadata": wrong_judge, "entries": truth["entries"][:-1]}}
    result = explain(month, one_unseen, [_report(case, entry.ts - 1)], [key], end, max_wait=28)
    assert result.metadata == {"with an entry unseen": 1} and result.defects == 0
    right = {key: {"metadata": truth["metadata"], "entries": truth["entries"]}}
    assert explain(month, right, [], [key], end, max_wait=28).metadata == {}
