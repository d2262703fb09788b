"""Parties added or ended after the first report: which entries tell, and the next report asks for the list again.

The rule (``harvester.run.party_news``), the planner's ``parties`` re-checks and the
store's ``parties_harvested_at``, on the database alone; then a real harvest of the
sandbox month, whose amended complaints add defendants, ends with every party the
courts list.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from harvester import config as config_module
from harvester.gate.clock import FakeClock
from harvester.gate.window import CENTRAL, Window, WindowSpec
from harvester.run.harvest import Endpoints, Harvest, night_of
from harvester.run.party_news import changes_parties
from harvester.sandbox import MonthScenario
from harvester.store import cases
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.migrations import migrate
from harvester.store.rss import record_feed_night, store_rss

REPO = Path(__file__).resolve().parents[1]
FIRST = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))

PARTY_TEXTS = [
    "AMENDED COMPLAINT against Redwood Corporation filed by Acme LLC.",
    "SECOND AMENDED COMPLAINT against defendants Blue Inc., Red LLC.",
    "THIRD PARTY COMPLAINT against Blue Inc. filed by Acme LLC.",
    "ANSWER to Complaint with Jury Demand, COUNTERCLAIM against Acme LLC by Redwood Corporation.",
    "ORDER granting 17 Motion to Intervene. Signed by Judge A on 3/4/2026.",
    "ORDER dismissing defendant Blue Inc. Signed by Judge A on 3/4/2026.",
    "STIPULATION of Dismissal as to Blue Inc. only.",
    "ORDER granting Motion for Substitution of Party filed by Acme LLC.",
    "Minute Entry for proceedings held before Judge A: Sentencing held on 9/7/2005. Party Robert Warren terminated.",
    "RESPONDENT United States Department of Justice, TERMINATED. [Entered: 10/06/2023 10:54 AM]",
]
COUNSEL_TEXTS = [
    "NOTICE of Appearance by Jane Roe on behalf of Acme LLC",
    "Notice of Appearance and Request for Notice Filed by John Doe on behalf of First Bank.",
    "MOTION to Withdraw as Attorney by Jane Roe.",
    "APPEARANCE of Counsel Form filed by Attorney Betty N. Adams for Westfield Holdings, LLC.",
]
# Entries that name such events without being one (CM/ECF's text starts with the event itself).
OTHER_TEXTS = [
    "MOTION to Dismiss for Failure to State a Claim filed by Redwood Corporation.",
    "ORDER granting in part and denying in part 38 Motion to Dismiss. Signed by Judge A on 3/4/2026.",
    "ANSWER to Complaint with Jury Demand by Redwood Corporation.",
    "MEMORANDUM in Support re 17 MOTION to Intervene filed by Putative Intervenor.",
    "Reply Memorandum in Support of Motion to Dismiss Plaintiff's Second Amended Complaint filed by Gabriel Capital.",
    "Response of Bank of America to Counterclaims and Answer (related document(s) 6).",
    "ORDER granting 12 Motion to Dismiss filed by Defendant Redwood (Motions terminated: 12 MOTION to Dismiss)",
    "Meeting of Creditors Held and Concluded on 01/20/2026.",
    "SCHEDULING ORDER: Discovery due by 01/29/2026.",
    None,
]


@pytest.mark.parametrize("text", PARTY_TEXTS)
def test_entries_that_add_or_end_parties_are_party_news_in_both_modes(text):
    assert changes_parties([text], "parties") and changes_parties([text], "counsel")
    assert not changes_parties([text], "never")


@pytest.mark.parametrize("text", COUNSEL_TEXTS)
def test_appearances_of_counsel_are_news_only_when_counsel_is_followed(text):
    assert changes_parties([text], "counsel") and not changes_parties([text], "parties")


def test_other_entries_are_no_party_news():
    assert not changes_parties(OTHER_TEXTS, "counsel")


# ---------------------------------------------------------------- planner and store


def _harvest(tmp_path, **watch) -> Harvest:
    cfg = config_module.from_dict({"watch": {"courts": ["cand"], "refresh_days": 7, "refresh_max_days": 7,
                                             "refresh_by_pace": False, **watch,
                                             "cases": {"cand": {"pacer_case_ids": ["1", "2"]}}}})  # fmt: skip
    db = open_db(tmp_path / "pacer.db")
    endpoints = Endpoints("https://l", "https://o", "https://c", "https://ecf.{court}.uscourts.gov")
    return Harvest(cfg, db, endpoints, ["cand"], writer=None, clock=FakeClock(FIRST))  # type: ignore[arg-type]


def _docket(texts: list[str], parties: bool = True) -> dict:
    record: dict = {"docket_number": "3:26-cv-1", "case_name": "Acme LLC v. Redwood Corporation",
                    "docket_entries": [{"date_filed": "2026-03-02", "date_entered": "2026-03-02", "document_number": str(i),
                                        "description": text} for i, text in enumerate(texts, start=1)]}  # fmt: skip
    if parties:
        record["parties"] = [{"name": "Acme LLC", "type": "Plaintiff", "attorneys": []},
                             {"name": "Redwood Corporation", "type": "Defendant", "attorneys": []}]  # fmt: skip
    return record


def _plan(harvest: Harvest, when: datetime) -> dict[str, tuple[str, bool]]:
    harvest.clock.set(when)
    harvest._tonight.clear()
    harvest._claimed.clear()
    return {t.pacer_case_id: (t.reason, t.parties) for t in harvest.docket_tasks(appellate=False)}


def _feed(harvest: Harvest, when: datetime) -> None:
    record_feed_night(harvest.db, "cand", night_of(Window(WindowSpec()), when).isoformat(), kind="all", outcome="ok",
                      fetched_at=when, newest_item_at=when.isoformat())  # fmt: skip


def test_an_amended_complaint_makes_the_next_night_ask_for_parties_once(tmp_path):
    harvest = _harvest(tmp_path)
    for case_id in ("1", "2"):
        store_docket(harvest.db, "cand", case_id, _docket(["COMPLAINT against Redwood Corporation"]), fetched_at=FIRST)
    second = FIRST + timedelta(days=1)
    news = ["COMPLAINT against Redwood Corporation", "AMENDED COMPLAINT against Blue Inc. filed by Acme LLC."]
    store_docket(harvest.db, "cand", "1", _docket(news, parties=False), fetched_at=second, incremental=True)
    store_docket(harvest.db, "cand", "2", _docket(["COMPLAINT against Redwood Corporation", "ANSWER to Complaint"],
                                                  parties=False), fetched_at=second, incremental=True)  # fmt: skip
    third = FIRST + timedelta(days=2)
    assert _plan(harvest, third) == {"1": ("parties", True)}
    # The report asked with parties lists the new defendant; the list was asked for: nothing more is due.
    refreshed = _docket(news)
    refreshed["parties"].append({"name": "Blue Inc.", "type": "Defendant", "attorneys": []})
    store_docket(harvest.db, "cand", "1", refreshed, fetched_at=third, incremental=True, with_parties=True)
    state = cases.case_state(harvest.db, "cand", "1")
    assert state is not None and state.parties_harvested_at == "2026-03-06T01:00:00+00:00"
    assert _plan(harvest, FIRST + timedelta(days=3)) == {}
    names = {row[0] for row in harvest.db.execute("SELECT name FROM parties p JOIN cases c ON c.id = p.case_id"
                                                  " WHERE c.pacer_case_id = '1'")}  # fmt: skip
    assert names == {"Acme LLC", "Redwood Corporation", "Blue Inc."}


def test_a_report_asked_with_parties_that_lists_none_still_dates_the_ask(tmp_path):
    # (otherwise a case whose party list is empty or sealed would be asked again every night)
    harvest = _harvest(tmp_path)
    store_docket(harvest.db, "cand", "1", _docket(["COMPLAINT"]), fetched_at=FIRST)
    second = FIRST + timedelta(days=1)
    store_docket(harvest.db, "cand", "1", _docket(["COMPLAINT", "MOTION to Intervene by Ohio."], parties=False),
                 fetched_at=second, incremental=True)  # fmt: skip
    store_docket(harvest.db, "cand", "1", _docket([], parties=False), fetched_at=second + timedelta(hours=1),
                 incremental=True, with_parties=True)  # fmt: skip
    assert "1" not in _plan(harvest, FIRST + timedelta(days=2))


def test_a_feed_item_that_adds_a_party_asks_for_parties_in_tonights_report(tmp_path):
    harvest = _harvest(tmp_path)
    harvest.db.conn.execute("INSERT INTO courts (court_id, pacer_code, rss_url) VALUES ('cand', 'CANDC', 'https://x')")
    harvest.db.conn.commit()
    for case_id in ("1", "2"):
        store_docket(harvest.db, "cand", case_id, _docket(["COMPLAINT"]), fetched_at=FIRST)
    _feed(harvest, FIRST + timedelta(minutes=30))
    tonight = FIRST + timedelta(days=1)
    items = [("1", "Amended Complaint"), ("2", "Motion to Dismiss")]
    store_rss(harvest.db, "cand", [{"pacer_case_id": case_id, "docket_number": "3:26-cv-1", "docket_entries": [
        {"document_number": "2", "date_filed": "2026-03-04T15:00:00Z", "short_description": short}]}
        for case_id, short in items], fetched_at=tonight)  # fmt: skip
    _feed(harvest, tonight)
    assert _plan(harvest, tonight) == {"1": ("rss", True), "2": ("rss", False)}


@pytest.mark.parametrize(("mode", "parties", "due"), [("never", True, False), ("parties", False, False),
                                                       ("counsel", True, True)])  # fmt: skip
def test_the_modes_and_the_parties_switch(tmp_path, mode, parties, due):
    harvest = _harvest(tmp_path, parties_refresh=mode, parties=parties)
    store_docket(harvest.db, "cand", "1", _docket(["COMPLAINT"]), fetched_at=FIRST)
    store_docket(harvest.db, "cand", "2", _docket(["COMPLAINT"]), fetched_at=FIRST)
    store_docket(harvest.db, "cand", "1", _docket(["COMPLAINT", "NOTICE of Appearance by Jane Roe on behalf of Acme"],
                                                  parties=False), fetched_at=FIRST + timedelta(days=1), incremental=True)  # fmt: skip
    assert _plan(harvest, FIRST + timedelta(days=2)) == ({"1": ("parties", True)} if due else {})


def test_a_bad_parties_refresh_value_is_refused_naming_the_key():
    with pytest.raises(config_module.ConfigError, match="watch.parties_refresh must be one of"):
        config_module.from_dict({"watch": {"parties_refresh": "always"}})


def test_an_upgraded_database_dates_its_party_lists_by_the_first_harvest(tmp_path):
    db = open_db(tmp_path / "old.db", migrate=False)
    migrate(db, target=10)
    db.conn.execute("INSERT INTO courts (court_id) VALUES ('cand')")
    db.conn.execute("INSERT INTO cases (court_id, pacer_case_id, kind, first_harvested_at, last_harvested_at)"
                    " VALUES ('cand', '1', 'district', '2026-01-01T01:00:00+00:00', '2026-02-01T01:00:00+00:00')")  # fmt: skip
    db.conn.commit()
    migrate(db)
    state = cases.case_state(db, "cand", "1")
    assert state is not None and state.parties_harvested_at == "2026-01-01T01:00:00+00:00"


# ---------------------------------------------------------------- a real harvest of the sandbox month


@pytest.mark.e2e
def test_a_month_of_real_harvests_ends_with_the_parties_amended_complaints_added(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_month import GENEROUS_BUDGET, run_month

    scenario = MonthScenario(4, nights=6, cases=24, courts=("cand", "nysd"), party_added_probability=1.0,
                             hang_seconds=1.0)  # fmt: skip
    start, early = scenario.night_start(0).timestamp(), scenario.night_start(2).timestamp()
    # Added in the first two days: seen by the third night's re-check, asked for by the fourth night's.
    added = [(c.pacer_case_id, p.name) for c in scenario.cases for ts, p in c.added_parties if start < ts <= early]
    assert added, "no amended complaint early in the month"
    quick = {"backoff_seconds": 0.2, "max_retries": 1, "timeout_seconds": 10.0}
    result = run_month(scenario, tmp_path / "run", GENEROUS_BUDGET, rate=quick, timeout=600, log=lambda line: None,
                       watch_keys={"refresh_days": 1, "refresh_max_days": 1})  # fmt: skip
    assert result["final"]["cases"] > 0
    db = open_db(tmp_path / "run" / "pacer.db")
    stored = {(row[0], row[1]) for row in db.execute(
        "SELECT c.pacer_case_id, p.name FROM parties p JOIN cases c ON c.id = p.case_id")}  # fmt: skip
    assert [pair for pair in added if pair not in stored] == []
    changes = {row[0] for row in db.execute("SELECT change FROM changes")}
    assert "new_party" in changes


def test_party_news_is_a_few_entries_in_a_thousand_of_the_real_dockets_corpus():
    # Each one buys a party list again: a rule that fired on ordinary entries would cost a page a night per case.
    from golden_support import CORPUS

    folders = [CORPUS / "dockets" / kind for kind in ("district", "bankruptcy", "appellate")]
    if not all(folder.is_dir() for folder in folders):
        pytest.skip(f"the shared corpus is not here ({CORPUS}): whole-corpus tests need ../shared")
    texts = [entry.get("description") for folder in folders for path in sorted(folder.glob("*.json"))
             for entry in json.loads(path.read_text(encoding="utf-8")).get("docket_entries") or []]  # fmt: skip
    news = [text for text in texts if changes_parties([text], "parties")]
    assert len(texts) > 5000 and 0 < len(news) <= len(texts) / 200
