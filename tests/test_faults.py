"""Server faults injected for real (sandbox fault rules over TLS): the run finishes what it can.

Each test harvests a small sandbox through ``harvester run`` while the sandbox
misbehaves, then checks from both sides: the sandbox's request log (what the
harvester really sent: retries bounded, no retry storm, no login storm) and the
database (what was stored, what was recorded as failed and why, ``runs.gates``),
plus the summary printed on stdout.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    FAST_RATE,
    HarvestDir,
    report_case,
    start_sandbox,
    wait_for,
)

# Quick retries for tests; the defaults (5 s, 120 s) are for PACER.
QUICK = {"rate": {"backoff_seconds": 0.1, "timeout_seconds": 1.5}}
MAX_RETRIES = 3  # rate.max_retries default
THRESHOLD = 3  # rate.breaker_threshold default
CONCURRENCY = FAST_RATE["per_court_concurrency"]


@dataclass
class Night:
    """What one harvest did, seen from the sandbox and from the database."""

    returncode: int
    stdout: str
    stderr: str
    sent: list[dict]  # sandbox request-log records of this run
    run: dict  # the runs row, gates parsed
    failed_requests: list[tuple]  # (court, status, outcome, reason) of requests not ok
    stored: set[tuple[str, str]]  # (court, case) with a stored docket
    work: HarvestDir

    def to(self, endpoint: str, court: str | None = None) -> list[dict]:
        return [r for r in self.sent if r["endpoint"] == endpoint and (court is None or r["court"] == court)]


def every_case(sandbox, court: str | None = None) -> set[tuple[str, str]]:
    return {(c["court"], c["case_number"] if c["kind"] == "appellate" else c["pacer_case_id"])
            for c in sandbox.cases(court)}  # fmt: skip


def harvest(work: HarvestDir, proc=None) -> Night:
    """Run (or wait for ``proc``) and collect what happened."""
    sandbox = work.sandbox
    start = getattr(work, "log_start", len(sandbox.request_log.records()))
    if proc is None:
        result = work.run()
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        code = proc.wait(180)
        out, err = (path.read_text() for path in proc.output_files)
    conn = work.connect()
    conn.row_factory = lambda cur, row: dict(zip([c[0] for c in cur.description], row, strict=True))
    run = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    run["gates"] = json.loads(run["gates"] or "{}")
    conn.row_factory = None
    failed = conn.execute("SELECT court_id, status, outcome, reason FROM requests WHERE outcome <> 'ok'"
                          " AND run_id = ? ORDER BY id", [run["id"]]).fetchall()  # fmt: skip
    stored = set(conn.execute("SELECT court_id, pacer_case_id FROM cases WHERE last_harvested_at IS NOT NULL"))
    conn.close()
    return Night(code, out, err, sandbox.request_log.records()[start:], run, failed, stored, work)


@pytest.fixture
def sandbox(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=12, clock_speed=0)
    yield sandbox
    sandbox.stop()


def prepare(tmp_path: Path, sandbox, **sections) -> HarvestDir:
    work = HarvestDir.create(tmp_path / "run", sandbox, sections={**QUICK, **sections})
    work.log_start = len(sandbox.request_log.records())  # type: ignore[attr-defined]
    return work


def assert_no_traceback(night: Night) -> None:
    assert "Traceback" not in night.stderr, night.stderr[-3000:]


def test_a_burst_of_503s_is_retried_with_retry_after_and_the_night_completes(tmp_path, sandbox):
    sandbox.add_fault("cand", "error", status=503, count=3, retry_after=1, endpoints=["DktRpt"])
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 0, night.stdout + night.stderr
    assert night.stored == every_case(sandbox)
    cand_cases = len(sandbox.cases("cand"))
    assert len(night.to("DktRpt", "cand")) == cand_cases + 3, "each 503 is retried once it clears, no more"
    assert night.run["gates"]["gate/retry/scheduled"] == 3
    retried = [row for row in night.failed_requests if row[2] == "retried"]
    assert retried == [("cand", 503, "retried", "HTTP 503")] * 3, "every request made is in the audit log"
    assert "done" in night.stdout
    assert_no_traceback(night)


def test_a_court_that_only_answers_503_is_blocked_after_a_bounded_number_of_requests(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", courts=("cand", "nysb"), cases=16, clock_speed=0)
    try:
        sandbox.add_fault("nysb", "error", status=503, endpoints=["DktRpt"])
        night = harvest(prepare(tmp_path, sandbox))
    finally:
        sandbox.stop()
    assert night.returncode == 8, night.stdout + night.stderr
    assert every_case(sandbox, "cand") <= night.stored
    nysb = night.to("DktRpt", "nysb")
    # Three requests' worth of failed tries in a row block the court; what was on its
    # way when it tripped is not retried. Without that: 8 cases x 4 tries = 32.
    bound = THRESHOLD * (1 + MAX_RETRIES) + CONCURRENCY - 1
    assert len(nysb) <= bound < len(sandbox.cases("nysb")) * (1 + MAX_RETRIES)
    assert night.run["gates"]["gate/breaker/tripped/nysb"] == 1
    assert "nysb" in night.run["gates"]["gate/breaker/blocked"]
    assert "blocked" in night.run["message"] and "nysb" in night.run["message"]
    assert "nysb" in night.stdout
    assert_no_traceback(night)


def test_resets_truncated_connections_and_timeouts_are_retried(tmp_path, sandbox):
    sandbox.add_fault("cand", "reset", count=2, endpoints=["DktRpt"])
    sandbox.add_fault("nysb", "truncate", style="connection", fraction=0.4, count=1, endpoints=["DktRpt"])
    sandbox.add_fault("ca9", "hang", seconds=5, count=1, endpoints=["CaseSummary"])
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 0, night.stdout + night.stderr
    assert night.stored == every_case(sandbox)
    billable = [r for r in night.sent if r["endpoint"] in BILLABLE_ENDPOINTS]
    assert len(billable) == len(sandbox.cases()) + 4
    retried = Counter((row[0], row[2]) for row in night.failed_requests)
    assert retried == {("cand", "retried"): 2, ("nysb", "retried"): 1, ("ca9", "retried"): 1}
    reasons = {row[0]: row[3] for row in night.failed_requests}
    assert "Timeout" in reasons["ca9"]
    assert_no_traceback(night)


def test_slow_answers_are_waited_for_not_retried(tmp_path, sandbox):
    sandbox.add_fault("*", "latency", seconds=0.6, endpoints=list(BILLABLE_ENDPOINTS))
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 0, night.stdout + night.stderr
    assert night.stored == every_case(sandbox)
    assert len([r for r in night.sent if r["endpoint"] in BILLABLE_ENDPOINTS]) == len(sandbox.cases())
    assert "gate/retry/scheduled" not in night.run["gates"]


def test_a_login_page_while_the_token_is_valid_is_retried_once_without_a_new_login(tmp_path, sandbox):
    sandbox.add_fault("nysb", "login_page", count=1, endpoints=["DktRpt"])
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 0, night.stdout + night.stderr
    assert night.stored == every_case(sandbox)
    assert len(night.to("cso-auth")) == 1
    assert night.failed_requests == [("nysb", 200, "retried", "login page instead of the report")]


def test_token_expiry_mid_run_costs_one_login_and_blocks_no_court(tmp_path, sandbox):
    sandbox.add_fault("*", "latency", seconds=0.3, endpoints=list(BILLABLE_ENDPOINTS))
    work = prepare(tmp_path, sandbox)
    proc = work.spawn()
    assert wait_for(lambda: len([r for r in sandbox.request_log.records() if r["endpoint"] == "DktRpt"]) >= 2, 60)
    assert sandbox.expire_tokens() == 1
    night = harvest(work, proc)
    assert night.returncode == 0, night.stdout + night.stderr
    assert night.stored == every_case(sandbox)
    assert len(night.to("cso-auth")) == 2, "one new login serves every request that held the old token"
    assert not any(key.startswith("gate/breaker") for key in night.run["gates"])
    assert {row[2] for row in night.failed_requests} == {"retried"}


def test_a_court_whose_login_pages_outlive_a_fresh_login_is_blocked(tmp_path, sandbox):
    sandbox.add_fault("nysb", "login_page", endpoints=["DktRpt"])
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 8, night.stdout + night.stderr
    assert night.stored == every_case(sandbox) - every_case(sandbox, "nysb")
    assert len(night.to("cso-auth")) == 2, "one fresh login to rule out an expired token, then no more"
    attempts = Counter(report_case(r) for r in night.to("DktRpt", "nysb"))
    assert max(attempts.values()) <= 3, "a request is tried at most: once, once more, once after a new login"
    assert night.run["gates"]["gate/breaker/tripped/nysb"] == 1
    assert "nysb: login pages even after a fresh PACER login" in night.run["message"]
    assert ("nysb", 200, "login_page", "PACER login page: the session was not logged in") in night.failed_requests


def test_login_pages_everywhere_never_exceed_the_login_cap(tmp_path, sandbox):
    sandbox.add_fault("*", "login_page", endpoints=list(BILLABLE_ENDPOINTS))
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode in (5, 8), night.stdout + night.stderr
    assert len(night.to("cso-auth")) <= 3, "login.max_logins_per_run"
    attempts = Counter((r["court"], report_case(r)) for r in night.sent if r["endpoint"] in BILLABLE_ENDPOINTS)
    assert max(attempts.values()) <= 3
    assert night.stored == set()
    assert_no_traceback(night)


def test_403_blocks_the_court_for_the_night_and_the_others_finish(tmp_path, sandbox):
    sandbox.add_fault("nysb", "block")
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 8, night.stdout + night.stderr
    assert night.stored == every_case(sandbox) - every_case(sandbox, "nysb")
    to_nysb = [r for r in night.sent if r["court"] == "nysb"]
    assert len(to_nysb) <= THRESHOLD + CONCURRENCY - 1, "three 403s block it; only what was on its way follows"
    assert {r["status"] for r in to_nysb} == {403}
    assert night.run["gates"]["gate/breaker/tripped/nysb"] == 1
    assert night.run["outcome"] == "partial"
    assert "courts blocked for the night: nysb" in night.stdout
    assert {row[:3] for row in night.failed_requests} == {("nysb", 403, "failed")}


def test_a_locked_account_is_tried_once_and_the_run_stops_with_code_5(tmp_path, sandbox):
    sandbox.lock_account("sandbox")
    night = harvest(prepare(tmp_path, sandbox))
    assert night.returncode == 5, night.stdout + night.stderr
    assert len(night.to("cso-auth")) == 1
    assert not [r for r in night.sent if r["endpoint"] in BILLABLE_ENDPOINTS]
    assert "locked" in night.run["message"] and "locked" in night.stdout
    assert night.run["outcome"] == "login_failed"
    assert night.stderr.count("locked after too many failed login attempts") == 1, "said once, not once per request"
    assert_no_traceback(night)
