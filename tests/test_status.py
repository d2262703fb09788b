"""`harvester status`: runs, spend against the waiver, blocked courts, window, lock, size.

Starts from a real sandbox harvest (``researcher_support``); PACER-mode runs,
blocked courts and an earlier quarter are added through the ledger API the
harvester itself books runs with.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from researcher_support import HARVESTER, copy_db, harvested_db

from harvester import config as config_module
from harvester.run.status import format_status, status
from harvester.store import ledger
from harvester.store.connection import open_db

NOW = datetime(2026, 11, 23, 5, 30, tzinfo=timezone.utc)  # Sunday 23:30 CST: the window is open


@pytest.fixture
def work(tmp_path, tmp_path_factory) -> Path:
    (tmp_path / "data").mkdir()
    copy_db(harvested_db(tmp_path_factory), tmp_path / "data")
    return tmp_path


def make_config(work: Path, extra: str = "") -> config_module.Config:
    path = work / "harvester.toml"
    path.write_text(f'[database]\npath = "{work}/data/pacer.db"\n[harvest]\nstate_dir = "{work}/state"\n'
                    f'[log]\nfile = "{work}/harvester.log"\n{extra}', encoding="utf-8")  # fmt: skip
    return config_module.load(path)


def book_pacer_run(db_path: Path, at: str, costs: list[float], gates: dict | None = None, outcome="done") -> int:
    db = open_db(db_path)
    run = ledger.start_run(db, now=at, mode="pacer")
    for cost in costs:
        ledger.record_request(db, url="https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1", run_id=run,
                              court_id="cand", status=200, cost=cost, billable_pages=int(cost * 10), at=at)  # fmt: skip
    finished = datetime.fromisoformat(at) + timedelta(seconds=42)
    ledger.finish_run(db, run, outcome=outcome, cases_checked=3, cases_changed=1, gates=gates, now=finished)
    db.close()
    return run


def test_sandbox_harvest_is_play_money(work):
    report = status(make_config(work))  # now: the harvest's requests were logged at the real time
    sandbox_runs = [r for r in report["runs"] if r["mode"] == "sandbox"]
    assert sandbox_runs and report["spend"]["pacer_dollars"] == 0
    conn = open_db(work / "data" / "pacer.db")
    sandbox_cost = conn.execute("SELECT round(sum(cost), 2) FROM requests").fetchone()[0]
    conn.close()
    assert report["spend"]["sandbox_dollars"] == sandbox_cost > 0
    run = sandbox_runs[0]
    assert run["duration_seconds"] is not None and run["duration_seconds"] >= 0
    assert run["entries_added"] == report["database"]["docket_entries"] > 0
    text = format_status(report)
    assert "$0.00 of the $30.00 fee waiver ($30.00 left)" in text
    assert f"Sandbox runs (play money, not counted): ${sandbox_cost:.2f}" in text


def test_pacer_spend_this_quarter_and_blocked_courts(work):
    db_path = work / "data" / "pacer.db"
    book_pacer_run(db_path, "2026-09-30T12:00:00+00:00", [3.0, 3.0])  # last quarter: not counted
    book_pacer_run(db_path, "2026-10-02T02:00:00+00:00", [1.2, 0.8])
    last = book_pacer_run(db_path, "2026-11-23T01:00:00+00:00", [2.5],
                          gates={"gate/sent": 4, "gate/breaker/tripped/nysb": 1, "gate/breaker/tripped/cand": 1},
                          outcome="partial")  # fmt: skip
    report = status(make_config(work), now=NOW)
    assert report["spend"]["quarter"] == "2026 Q4"
    assert report["spend"]["pacer_dollars"] == 4.5
    assert report["spend"]["left_under_waiver_dollars"] == 25.5
    assert report["runs"][0]["id"] == last and report["runs"][0]["duration_seconds"] == 42
    assert report["blocked_courts"] == ["cand", "nysb"]
    text = format_status(report)
    assert "$4.50 of the $30.00 fee waiver ($25.50 left)" in text
    assert f"Blocked courts in the last run (#{last}): cand, nysb" in text
    assert "WARNING" not in text


def test_over_the_waiver_is_a_warning(work):
    book_pacer_run(work / "data" / "pacer.db", "2026-11-20T01:00:00+00:00", [3.0] * 11)
    report = status(make_config(work, "[budget]\nquarter_dollars = 40.0\n"), now=NOW)
    assert report["spend"]["pacer_dollars"] == 33.0 and report["spend"]["left_under_waiver_dollars"] == 0
    text = format_status(report)
    assert "WARNING: over the waiver" in text and "budget.quarter_dollars cap $40.00" in text


def test_window_in_central_and_local_time(work):
    report = status(make_config(work), now=NOW)
    assert report["window"]["open"] and report["window"]["closes_at"] == "2026-11-23T06:00:00-06:00"
    assert report["window"]["next_open"] == "2026-11-23T18:00:00-06:00"
    closed = status(make_config(work), now=datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc))  # 09:00 CST
    assert not closed["window"]["open"] and closed["window"]["next_open"] == "2026-11-23T18:00:00-06:00"
    text = format_status(closed, local_tz=timezone.utc)
    assert "closed; next opening Mon 2026-11-23 18:00 CST (your time: Tue 2026-11-24 00:00 UTC)" in text


def test_running_harvest_is_seen_through_the_lock(work):
    config = make_config(work)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from harvester.run.lock import RunLock\n"  # the database's lock
         "with RunLock.for_database(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
         str(work / "data" / "pacer.db")],
        stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        report = status(config, now=NOW)
        assert report["lock"]["pid"] == holder.pid
        assert f"a harvest holds the lock (pid {holder.pid})" in format_status(report)
    finally:
        holder.kill()
        holder.wait()
    assert status(config, now=NOW)["lock"] is None  # a dead holder's pid is left in the file


def test_database_size_and_missing_database(work, tmp_path):
    report = status(make_config(work), now=NOW)
    db_file = work / "data" / "pacer.db"
    assert report["database"]["bytes"] >= db_file.stat().st_size > 0
    empty = tmp_path / "empty"
    empty.mkdir()
    report = status(make_config(empty), now=NOW)
    assert not report["database"]["exists"] and report["runs"] == [] and report["spend"] is None
    assert "does not exist yet" in format_status(report)


def test_status_cli(work):
    config = work / "harvester.toml"
    make_config(work)
    text = subprocess.run([str(HARVESTER), "status", "--config", str(config)], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "Last runs:" in text.stdout and "fee waiver" in text.stdout and "next opening" in text.stdout
    as_json = subprocess.run([str(HARVESTER), "status", "--config", str(config), "--json", "--runs", "1"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    report = json.loads(as_json.stdout)
    assert len(report["runs"]) == 1 and report["database"]["exists"]
    bad = subprocess.run([str(HARVESTER), "status", "--config", str(work / "missing.toml")],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.startswith("Error: config file not found")
