"""A harvest killed at any moment loses nothing it stored, and the next run finishes the job.

Each test kills ``harvester run`` (a real subprocess, SIGKILL: no cleanup of any kind)
at a moment read off the sandbox's request log, then checks the database as the
killed process left it, then runs again and compares the result with an
uninterrupted harvest of the same sandbox (``harvester export`` of both).

"Whole docket" is defined precisely by
:func:`harvest_support.docket_consistency_problems`: every case's entry rows are
exactly the entries of the report(s) archived for it, and ``entry_count`` agrees.

"In flight at the kill" is counted from the sandbox log: billable reports the
sandbox answered during the killed run whose case the database did not hold
afterwards. Only those may be fetched (paid for) again, and there are few of them:
the downloader's concurrency plus the scraper's backlog, which the harvest caps in
bytes (``SCRAPER_BACKLOG_BYTES``: PACER bills by the byte).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    FAST_RATE,
    HarvestDir,
    LogTail,
    docket_consistency_problems,
    held_write_lock,
    start_sandbox,
    wait_for,
)

from harvester.run.settings import SCRAPER_BACKLOG_BYTES

# Requests to one court in flight at once, times the courts one spider crawls at once.
IN_FLIGHT_MAX = FAST_RATE["per_court_concurrency"] * 2


@dataclass(frozen=True)
class Moment:
    """Kill once the sandbox has logged the ``nth`` request to ``endpoint``, ``delay`` seconds later."""

    name: str
    endpoint: str | None  # None: a moment after start-up, before any request
    nth: int
    delay: float


_jitter = random.Random(20261123)
MOMENTS = [
    Moment("start-up", None, 0, 0.3),
    Moment("court lookup answered", "court-lookup", 1, 0.0),
    Moment("first RSS feed", "rss_outside", 1, 0.01),
    Moment("login answered", "cso-auth", 1, 0.0),
    Moment("first docket answered", "DktRpt", 1, 0.0),
    Moment("third docket", "DktRpt", 3, round(_jitter.uniform(0, 0.05), 3)),
    Moment("sixth docket", "DktRpt", 6, round(_jitter.uniform(0, 0.05), 3)),
    Moment("last district docket", "DktRpt", 10, round(_jitter.uniform(0, 0.02), 3)),
    Moment("first appeal", "CaseSummary", 1, 0.0),
    Moment("third appeal", "CaseSummary", 3, round(_jitter.uniform(0, 0.05), 3)),
    Moment("logout", "cso-logout", 1, 0.0),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One sandbox (its clock stands still: content never changes) and an uninterrupted harvest of it."""
    root = tmp_path_factory.mktemp("crash")
    sandbox = start_sandbox(root / "sandbox", cases=15, mean_entries=30, clock_speed=0)
    reference = HarvestDir.create(root / "reference", sandbox)
    result = reference.run()
    assert result.returncode == 0, result.stdout + result.stderr
    yield sandbox, reference.export(), root
    sandbox.stop()


def case_keys(records: list[dict]) -> set[tuple[str, str]]:
    """(court, case) of the billable reports the sandbox answered."""
    return {(r["court"], r["case"]) for r in records if r["endpoint"] in BILLABLE_ENDPOINTS and r["status"] == 200}


def settled_log(sandbox) -> list[dict]:
    """The request log once nothing more arrives (answers to a dead client are still logged)."""
    size = -1
    while True:
        records = sandbox.request_log.records()
        if len(records) == size:
            return records
        size = len(records)
        time.sleep(0.3)


def kill_at(work: HarvestDir, moment: Moment) -> tuple[list[dict], int]:
    """Start a harvest, SIGKILL it at ``moment``; return the requests it made and its pid."""
    start = len(work.sandbox.request_log.records())
    tail = LogTail(work.sandbox)
    proc = work.spawn()
    if moment.endpoint is not None:
        reached = wait_for(lambda: proc.poll() is not None or tail.count(moment.endpoint) >= moment.nth,
                           timeout=60, interval=0.002)  # fmt: skip
        assert reached, f"the harvest never reached {moment.name}"
    time.sleep(moment.delay)
    assert proc.poll() is None, f"the harvest ended before the kill at {moment.name}: {proc.output_files[1].read_text()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return settled_log(work.sandbox)[start:], proc.pid


def stored_cases(db: Path) -> set[tuple[str, str]]:
    """Cases with an archived docket report (what a killed run really kept)."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(db)
    try:
        return {tuple(row) for row in conn.execute("SELECT DISTINCT court_id, pacer_case_id FROM raw_pages WHERE kind = 'docket'")}
    finally:
        conn.close()


def check_killed_database(db: Path) -> None:
    """The file a killed run left: opens, passes integrity_check, holds no half docket."""
    if not db.exists():
        return
    conn = sqlite3.connect(db)  # a normal connection: it recovers the WAL as the next run would
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert docket_consistency_problems(conn) == []
    finally:
        conn.close()


def resume_and_compare(work: HarvestDir, killed: list[dict], pid: int, expected_export: list[dict]) -> None:
    """Run again: it must finish, fetch exactly what the killed run did not keep, and end where a clean run ends."""
    stored = stored_cases(work.db_path)
    answered = case_keys(killed)
    assert stored <= answered, "the database holds a docket the sandbox never served"
    in_flight = answered - stored
    sizes = {(r["court"], r["case"]): r["bytes"] for r in killed if r["endpoint"] in BILLABLE_ENDPOINTS}
    backlog = sum(sizes[key] for key in in_flight)
    bound = SCRAPER_BACKLOG_BYTES + IN_FLIGHT_MAX * max(sizes.values(), default=0)
    assert backlog <= bound, f"{len(in_flight)} answered dockets ({backlog} bytes) were waiting to be stored"
    lock = Path(work.sections["harvest"]["state_dir"]) / "harvester.run.lock"
    stale_lock = lock.exists() and lock.read_text().strip() == str(pid)

    start = len(work.sandbox.request_log.records())
    result = work.run()
    assert result.returncode == 0, result.stdout + result.stderr
    resumed = case_keys(work.sandbox.request_log.records()[start:])
    every_case = {(e["court_id"], e["pacer_case_id"]) for e in expected_export}
    assert resumed == every_case - stored, "the next run must fetch exactly what the killed run had not stored"
    assert resumed & answered == in_flight, "only dockets in flight at the kill are paid for twice"
    assert work.export() == expected_export
    if stale_lock:
        assert "Took over the lock" in work.log_path.read_text()
    conn = work.connect()
    outcomes = [row[0] for row in conn.execute("SELECT outcome FROM runs ORDER BY id")]
    conn.close()
    assert outcomes[-1] == "done" and set(outcomes[:-1]) <= {"abandoned"}, outcomes


@pytest.mark.parametrize("moment", MOMENTS, ids=[m.name for m in MOMENTS])
def test_kill_9_then_resume(world, moment):
    sandbox, expected, root = world
    work = HarvestDir.create(root / moment.name.replace(" ", "-"), sandbox)
    killed, pid = kill_at(work, moment)
    check_killed_database(work.db_path)
    resume_and_compare(work, killed, pid, expected)


def test_kill_9_while_a_large_docket_is_being_stored(tmp_path):
    """The 4,000-entry report is killed inside its transaction: none of it is kept, the next run fetches it once more."""
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand",), cases=2, mean_entries=2500, clock_speed=0)
    try:
        reference = HarvestDir.create(tmp_path / "reference", sandbox)
        assert reference.run().returncode == 0
        expected = reference.export()
        big = max(expected, key=lambda case: len(case["docket_entries"]))
        assert len(big["docket_entries"]) == 4000

        work = HarvestDir.create(tmp_path / "killed", sandbox)
        start = len(sandbox.request_log.records())
        tail = LogTail(sandbox)
        proc = work.spawn()
        assert wait_for(lambda: any(r["entries"] == 4000 for r in tail.poll()), 60, 0.002)
        held = held_write_lock(work.db_path, hold=0.03)
        assert held is not None, "no long write transaction was seen after the large report was served"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        killed = settled_log(sandbox)[start:]

        assert ("cand", big["pacer_case_id"]) not in stored_cases(work.db_path), "killed inside the transaction"
        conn = sqlite3.connect(work.db_path)
        row = conn.execute("SELECT count(*) FROM docket_entries e JOIN cases c ON c.id = e.case_id"
                           " WHERE c.pacer_case_id = ?", [big["pacer_case_id"]]).fetchone()  # fmt: skip
        conn.close()
        assert row == (0,), "not one entry of the half-stored docket may survive"
        check_killed_database(work.db_path)
        resume_and_compare(work, killed, proc.pid, expected)
    finally:
        sandbox.stop()


def test_sigterm_stores_what_is_in_flight_and_sends_nothing_more(tmp_path):
    """cron and systemd stop with SIGTERM: answers on their way are stored, nothing new goes out, exit code 7."""
    sandbox = start_sandbox(tmp_path / "sandbox", cases=15, mean_entries=30, clock_speed=0)
    try:
        sandbox.add_fault("*", "latency", seconds=0.3, endpoints=list(BILLABLE_ENDPOINTS))
        # One request a second per court, one at a time: at the signal, the next request of
        # each court is waiting in the gate for its turn (it must stay unsent).
        work = HarvestDir.create(tmp_path / "run", sandbox,
                                 sections={"rate": {"per_court_per_second": 1.0, "per_court_concurrency": 1}})
        tail = LogTail(sandbox)
        proc = work.spawn()
        assert wait_for(lambda: tail.count("DktRpt") >= 2, 60, 0.005)
        signalled = datetime.now(UTC)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 7, proc.output_files[1].read_text()
        records = settled_log(sandbox)

        stdout = proc.output_files[0].read_text()
        assert "interrupted" in stdout
        answered = case_keys(records)
        assert answered == stored_cases(work.db_path), "every answer in flight at the signal is stored"
        assert len(answered) < len(sandbox.cases()), "the run stopped early"
        # When each request reached the sandbox, at the latest (its record is made after the latency).
        arrivals = [datetime.fromisoformat(r["time"]) - timedelta(milliseconds=r["duration_ms"])
                    for r in records if r["endpoint"] in BILLABLE_ENDPOINTS]  # fmt: skip
        late = [t for t in arrivals if t > signalled + timedelta(seconds=0.3)]
        assert not late, f"{len(late)} billable requests were sent after SIGTERM"
        assert [r["endpoint"] for r in records].count("cso-logout") == 1, "the session is closed on the way out"
        conn = work.connect()
        assert conn.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
        conn.close()

        sandbox.clear_faults()
        start = len(records)
        assert work.run().returncode == 0
        resumed = case_keys(sandbox.request_log.records()[start:])
        every_case = {(c["court"], c["case_number"] if c["kind"] == "appellate" else c["pacer_case_id"])
                      for c in sandbox.cases()}  # fmt: skip
        assert resumed == every_case - answered
    finally:
        sandbox.stop()


def test_a_second_run_exits_at_once_with_code_6(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=9, mean_entries=20, clock_speed=0)
    try:
        sandbox.add_fault("*", "latency", seconds=2.0, endpoints=list(BILLABLE_ENDPOINTS))
        work = HarvestDir.create(tmp_path / "run", sandbox)
        first = work.spawn()
        assert wait_for(lambda: any(r["endpoint"] == "cso-auth" for r in sandbox.request_log.records()), 60)
        second = work.run()
        assert first.poll() is None, "the second run returned while the first was still harvesting"
        assert second.returncode == 6
        errors = [line for line in second.stderr.splitlines() if line.startswith("Error")]
        assert "Traceback" not in second.stderr
        assert errors == [f"Error: another harvester run (pid {first.pid}) holds "
                          f"{work.db_path.resolve()}.harvest-lock; not starting a second one"]  # the database's lock
        assert first.wait(120) == 0
        conn = work.connect()
        assert conn.execute("SELECT count(*), min(outcome) FROM runs").fetchone() == (1, "done")
        conn.close()
    finally:
        sandbox.stop()
