"""Coverage (``harvester status``, the web's ``/-/coverage``): a case is stale only once it
went more nights without a harvest than the harvest itself waits before re-checking it.

The waits are the planner's (``_refresh_cap`` in harvester/run/harvest.py): ``refresh_days``;
for a case quiet longer than that at its last harvest, as many nights as it had been
quiet, up to ``refresh_max_days``; for a closed case ``refresh_max_days``.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from harvester import config as config_module
from harvester.gate.clock import FakeClock
from harvester.run.harvest import Endpoints, Harvest
from harvester.store.cases import case_state
from harvester.store.connection import open_db
from harvester.store.coverage import CASE_COVERAGE_SQL, court_coverage, coverage_params

LAST_HARVEST = "2026-03-10T02:00:00Z"  # the night of 2026-03-09 (20:00 CST)
NOW = "2026-03-20T02:00:00Z"  # the night of 2026-03-19: 10 nights later

# name -> (newest entry at the last harvest, date terminated, last harvested)
CASES = {
    "active": ("2026-03-08", None, LAST_HARVEST),  # quiet 1 night: waits refresh_days
    "quiet": ("2026-02-20", None, LAST_HARVEST),  # quiet 17 nights: waits 17
    "dormant": ("2025-01-02", None, LAST_HARVEST),  # quiet over a year: waits refresh_max_days
    "closed": ("2026-03-08", "2026-03-08", LAST_HARVEST),  # closed: waits refresh_max_days
    "never": (None, None, None),  # listed, never harvested
}


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "pacer.db")
    db["courts"].insert({"court_id": "nysb", "type": "bankruptcy"})
    for number, (newest, terminated, harvested) in enumerate(CASES.values(), 1):
        db["cases"].insert({"court_id": "nysb", "pacer_case_id": str(number), "kind": "bankruptcy",
                            "docket_number": f"26-{number:05d}", "case_name": list(CASES)[number - 1],
                            "last_entry_date_entered": newest, "date_terminated": terminated,
                            "last_harvested_at": harvested, "first_harvested_at": harvested})  # fmt: skip
    db["feed_nights"].insert({"court_id": "nysb", "night": "2026-03-19", "fetched_at": NOW, "kind": "none",
                              "outcome": "none"})  # fmt: skip
    yield db
    db.close()


def _cases(db, refresh_days: int, refresh_max_days: int) -> dict[str, tuple[int, int]]:
    rows = db.query(CASE_COVERAGE_SQL, coverage_params(NOW, refresh_days, refresh_max_days))
    return {r["case_name"]: (r["wait_nights"], r["stale"]) for r in rows}


def test_a_quiet_or_closed_case_waiting_out_its_wait_is_not_stale(db):
    assert _cases(db, 7, 28) == {
        "active": (7, 1),  # 10 nights > 7
        "quiet": (17, 0),
        "dormant": (28, 0),
        "closed": (28, 0),
        "never": (7, 1),
    }
    (court,) = court_coverage(db, NOW, 7, 28)
    assert (court.cases, court.stale_cases) == (5, 2)


def test_every_case_is_stale_when_every_case_is_rechecked_every_refresh_days(db):
    # refresh_max_days = refresh_days: the config's own way to re-check every case on schedule.
    assert {name: stale for name, (_, stale) in _cases(db, 7, 7).items()} == dict.fromkeys(CASES, 1)


def test_a_case_past_its_own_wait_is_stale(db):
    # The quiet case waits 17 nights; with at most 9 it is behind after 10.
    waits = _cases(db, 7, 9)
    assert waits["quiet"] == (9, 1) and waits["dormant"] == (9, 1) and waits["closed"] == (9, 1)


def test_a_good_all_entries_feed_vouches_for_every_case(db):
    db["feed_nights"].insert({"court_id": "nysb", "night": "2026-03-19", "fetched_at": NOW, "kind": "all",
                              "outcome": "ok"})  # fmt: skip
    assert {name: stale for name, (_, stale) in _cases(db, 7, 7).items()} == dict.fromkeys(CASES, 0)


@pytest.mark.parametrize("waits", [(7, 28), (3, 10), (7, 7)])
def test_the_wait_is_the_planners_own(db, waits):
    refresh_days, refresh_max_days = waits
    cfg = config_module.from_dict({"watch": {"courts": ["nysb"], "refresh_days": refresh_days,
                                             "refresh_max_days": refresh_max_days}})  # fmt: skip
    endpoints = Endpoints("https://l", "https://o", "https://c", "https://ecf.{court}.uscourts.gov")
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    planner = Harvest(cfg, db, endpoints, ["nysb"], writer=None, clock=FakeClock(now))  # type: ignore[arg-type]
    planned = {}
    for number, name in enumerate(CASES, 1):
        state = case_state(db, "nysb", str(number))
        assert state is not None
        planned[name] = planner._refresh_cap(state)
    assert {name: wait for name, (wait, _) in _cases(db, *waits).items()} == planned
