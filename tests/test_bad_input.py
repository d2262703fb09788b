"""Bad input: a wrong config, wrong credentials, pages that are not what was asked for, a busy database.

Every case runs ``harvester run`` as a subprocess and checks what a cron job's
operator would see: the exit code, one clear line on stderr (no traceback), and
what was (not) written.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    HARVESTER_CMD,
    HarvestDir,
    docket_consistency_problems,
    harvester_env,
    report_case,
    start_sandbox,
    toml_text,
    wait_for,
    window_around_now,
)

FAKE_ACCOUNT = harvester_env("someone-h7", "not-a-real-password")


def run_in(workdir: Path, config_text: str, env: dict[str, str] = FAKE_ACCOUNT, *args: str) -> subprocess.CompletedProcess:
    """``harvester run --config harvester.toml ARGS`` in ``workdir``, which holds nothing else."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "harvester.toml").write_text(config_text, encoding="utf-8")
    return subprocess.run([*HARVESTER_CMD, "run", "--config", "harvester.toml", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


# The preflight runs once the window allows the run: these tests must not depend on the hour.
ANY_HOUR = toml_text({"window": window_around_now(open_now=True)})



def files_in(workdir: Path) -> list[str]:
    return sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*"))


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


CONFIG_ERRORS = {
    "malformed TOML": ('[watch]\ncourts = [cand]\n', "not valid TOML: Invalid value (at line 2, column 11)"),
    "unknown section": ("[watchlist]\ncourts = []\n", "unknown section [watchlist]"),
    "unknown key": ('[watch]\ncourts = ["cand"]\nfollow = true\n', "unknown key watch.follow"),
    "wrong type": ('[rate]\nper_court_per_second = "fast"\n', "rate.per_court_per_second must be a number"),
    "negative budget": ("[budget]\nrun_dollars = -1\n", "budget.run_dollars must not be negative"),
    "unknown court": ('[watch]\ncourts = ["cand", "zzzd"]\n', "watch.courts: unknown court id(s): zzzd"),
    "unknown court in cases": ('[watch]\ncourts = ["cand"]\n[watch.cases.cnad]\npacer_case_ids = ["1"]\n',
                               "unknown court id(s): cnad"),
    "missing CA file": ('[endpoints]\nca_bundle = "/nonexistent/pacer-ca.pem"\n',
                        "endpoints.ca_bundle: no such file: /nonexistent/pacer-ca.pem"),
    "wrong lock wait": ('[database]\nlock_wait_seconds = 0\n', "database.lock_wait_seconds must be greater than 0"),
}  # fmt: skip


@pytest.mark.parametrize("name", CONFIG_ERRORS)
def test_a_bad_config_is_one_clear_line_exit_2_and_nothing_written(tmp_path, name):
    text, message = CONFIG_ERRORS[name]
    result = run_in(tmp_path, text)
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == [line for line in error_lines(result.stderr) if line.startswith("Error: ")]
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    written = files_in(tmp_path)
    # No database, lock or sandbox state; an error found once the config named its log file is logged there.
    assert written in (["harvester.toml"], ["data", "data/harvester.log", "harvester.toml"]), written
    if len(written) > 1:
        assert message in (tmp_path / "data" / "harvester.log").read_text(encoding="utf-8")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoints_config(login_url: str) -> str:
    return ('[watch]\ncourts = ["cand"]\n[watch.cases.cand]\npacer_case_ids = ["300000"]\n[endpoints]\n'
            f'login_url = "{login_url}"\n')  # fmt: skip


def test_an_unreachable_login_service_stops_the_run_before_anything_is_written(tmp_path):
    """Refused: the host exists but is down (or the port is wrong). Exit 1: the config may well be right."""
    url = f"https://127.0.0.1:{closed_port()}/services/cso-auth"
    result = run_in(tmp_path, endpoints_config(url) + ANY_HOUR)
    assert result.returncode == 1, result.stderr
    assert error_lines(result.stderr) == [
        f"Error: endpoints.login_url: cannot connect to 127.0.0.1:{url.split(':')[2].split('/')[0]} "
        "(Connection refused) after 3 tries; not starting the run"
    ]
    assert_only_the_error_is_logged(tmp_path, error_lines(result.stderr)[0])


def test_a_login_host_that_does_not_exist_is_a_configuration_error(tmp_path):
    result = run_in(tmp_path, endpoints_config("https://pacer-login.invalid/services/cso-auth") + ANY_HOUR)
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == [
        "Error: endpoints.login_url: host pacer-login.invalid not found (DNS) in https://pacer-login.invalid/services/cso-auth"
    ]
    assert_only_the_error_is_logged(tmp_path, error_lines(result.stderr)[0])


def assert_only_the_error_is_logged(workdir: Path, error: str) -> None:
    """No database, lock, state or sandbox: only the log file, with the error the terminal showed."""
    assert files_in(workdir) == ["data", "data/harvester.log", "harvester.toml"]
    assert error.removeprefix("Error: ") in (workdir / "data" / "harvester.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- credentials


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("bad-input") / "sandbox", cases=9, clock_speed=0)
    yield sandbox
    sandbox.stop()


WRONG_LOGINS = {
    "wrong password": ({"login_id": "sandbox", "password": "sandbox-passw0rd"}, "Invalid username or password."),
    "unknown user": ({"login_id": "sandbox-nobody", "password": "sandbox-password"}, "Invalid username or password."),
    "wrong TOTP secret": ({"login_id": "sandbox-2fa", "password": "sandbox-password",
                           "totp_secret": "JBSWY3DPEHPK3PXPWRONGWRONG"}, "Invalid one-time passcode."),
    "TOTP secret missing": ({"login_id": "sandbox-2fa", "password": "sandbox-password"},
                            "A one-time passcode is required for this account.; this account uses two-factor login: "
                            "set PACER_OTP_SECRET"),
}  # fmt: skip


@pytest.mark.parametrize("name", WRONG_LOGINS)
def test_wrong_credentials_are_tried_exactly_once_exit_5(tmp_path, sandbox, name):
    account, reason = WRONG_LOGINS[name]
    work = HarvestDir.create(tmp_path / "run", sandbox, account=account)
    start = len(sandbox.request_log.records())
    result = work.run()
    sent = sandbox.request_log.records()[start:]
    assert result.returncode == 5, result.stdout + result.stderr
    logins = [r for r in sent if r["endpoint"] == "cso-auth"]
    assert len(logins) == 1, "a refused password (or code) is never sent twice"
    assert logins[0]["account"] == account["login_id"]
    assert not [r for r in sent if r["endpoint"] in BILLABLE_ENDPOINTS]
    assert f"PACER login failed: PACER login refused (loginResult {logins[0]['login_result']}): {reason}" in result.stdout
    assert result.stderr.count(reason) == 1, "said once, not once per waiting request"
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- pages that are not what was asked for


def test_pages_that_are_not_the_report_are_recorded_as_failed_never_stored(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=9, clock_speed=0)
    try:
        sandbox.add_fault("cand", "garbage", count=1, endpoints=["DktRpt"])
        sandbox.add_fault("nysb", "truncate", style="content", fraction=0.5, count=1, endpoints=["DktRpt"])
        sandbox.add_fault("ca9", "truncate", style="content", fraction=0.9, count=1, endpoints=["CaseSummary"])
        sandbox.add_fault("nysb", "login_page", count=1, endpoints=["rss_outside"])  # a free page: no login helps
        missing = {"court": "cand", "kind": "district", "pacer_case_id": "999999", "case_number": "1:99-cv-99999"}
        work = HarvestDir.create(tmp_path / "run", sandbox, cases=[*sandbox.cases(), missing])
        start = len(sandbox.request_log.records())
        result = work.run()
        spoiled = {(r["court"], report_case(r)) for r in sandbox.request_log.records()[start:] if r["faults"]}
        spoiled.discard(("nysb", None))  # the feed
        assert result.returncode == 8, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        conn = work.connect()
        failed = conn.execute("SELECT court_id, status, outcome, reason FROM requests WHERE outcome <> 'ok'"
                              " ORDER BY court_id").fetchall()  # fmt: skip
        assert sorted(failed) == sorted([
            ("ca9", 200, "truncated", "the report stops before its transaction receipt and </html>"),
            ("cand", 200, "not_docket", "not a docket report: case not found"),
            ("cand", 200, "unknown", "binary data, not a CM/ECF page"),
            ("nysb", 200, "failed", "RSS feed: not an RSS feed: no <rss><channel>"),
            ("nysb", 200, "truncated", "the report stops before its transaction receipt and </html>"),
        ])  # fmt: skip
        stored = set(conn.execute("SELECT court_id, pacer_case_id FROM cases WHERE last_harvested_at IS NOT NULL"))
        assert len(spoiled) == 3 and not spoiled & stored, "a spoiled page is never stored as a docket"
        assert ("cand", "999999") not in stored
        archived = conn.execute("SELECT count(*) FROM raw_pages WHERE kind = 'docket'").fetchone()[0]
        assert archived == len(stored)
        assert docket_consistency_problems(conn) == []
        conn.close()

        # The faults are spent: the next night fetches exactly the spoiled reports (and the missing case again).
        start = len(sandbox.request_log.records())
        assert work.run().returncode == 8
        again = {(r["court"], report_case(r)) for r in sandbox.request_log.records()[start:]
                 if r["endpoint"] in BILLABLE_ENDPOINTS}  # fmt: skip
        assert again == spoiled | {("cand", "999999")}
        assert len(work.export()) == len(sandbox.cases())
    finally:
        sandbox.stop()


# ---------------------------------------------------------------- a database a researcher is holding


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute(sys.argv[2])
conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
print("holding", flush=True)
sys.stdin.readline()  # hold until told (or until the test ends)
"""


def hold(db: Path, statement: str) -> subprocess.Popen:
    """Another process holding ``statement`` (``BEGIN IMMEDIATE``: the write lock; ``BEGIN``: a read snapshot)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), statement], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "holding"
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(30)


@pytest.fixture
def harvested(tmp_path):
    """A sandbox and a database that already holds one night (so a researcher has something to query)."""
    sandbox = start_sandbox(tmp_path / "sandbox", cases=12, clock_speed=0)
    sections = {"database": {"lock_wait_seconds": 2.0}}
    first = HarvestDir.create(tmp_path / "run", sandbox, cases=sandbox.cases("cand"), sections=sections)
    assert first.run().returncode == 0
    work = HarvestDir.create(tmp_path / "run", sandbox, sections=sections)  # now every case is watched
    yield sandbox, work
    sandbox.stop()


def test_a_long_read_transaction_does_not_disturb_the_harvest(harvested):
    sandbox, work = harvested
    reader = hold(work.db_path, "BEGIN")  # a researcher's query that never ends (WAL: readers never block)
    try:
        result = work.run()
    finally:
        release(reader)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(work.export()) == len(sandbox.cases())


def test_a_write_lock_shorter_than_the_bound_is_waited_out(harvested):
    sandbox, work = harvested
    work = HarvestDir.create(work.root, sandbox, sections={"database": {"lock_wait_seconds": 30.0}})
    writer = hold(work.db_path, "BEGIN IMMEDIATE")
    proc = work.spawn()
    time.sleep(2.0)
    assert proc.poll() is None, "the harvest waits for the lock"
    release(writer)
    assert proc.wait(120) == 0, proc.output_files[1].read_text()
    assert len(work.export()) == len(sandbox.cases())


def test_a_write_lock_longer_than_the_bound_fails_the_run_cleanly(harvested):
    sandbox, work = harvested
    sandbox.add_fault("*", "latency", seconds=0.2, endpoints=list(BILLABLE_ENDPOINTS))
    start = len(sandbox.request_log.records())
    proc = work.spawn()
    assert wait_for(lambda: any(r["endpoint"] == "DktRpt" for r in sandbox.request_log.records()[start:]), 60)
    writer = hold(work.db_path, "BEGIN IMMEDIATE")
    try:
        assert wait_for(lambda: "Stopping the harvest" in work.log_path.read_text(), 60), "the bounded wait ran out"
    finally:
        release(writer)  # so the run can record that it failed
    assert proc.wait(60) == 1
    stdout, stderr = (path.read_text() for path in proc.output_files)
    assert "Traceback" not in stderr
    assert stderr.count("Stopping the harvest: the database refused a write") == 1
    assert "stayed locked by another connection for more than 2 s" in stdout
    sent = [r for r in sandbox.request_log.records()[start:] if r["endpoint"] in BILLABLE_ENDPOINTS]
    assert len(sent) < len(sandbox.cases()) - len(sandbox.cases("cand")), "it stopped fetching what it could not keep"
    conn = work.connect()
    assert conn.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone() == ("failed",)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert docket_consistency_problems(conn) == []
    conn.close()

    sandbox.clear_faults()
    assert work.run().returncode == 0
    assert len(work.export()) == len(sandbox.cases())


def test_a_database_locked_from_the_start_is_a_clear_error(harvested):
    sandbox, work = harvested
    writer = hold(work.db_path, "BEGIN IMMEDIATE")
    try:
        result = work.run()
    finally:
        release(writer)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr)[-1] == (f"Error: {work.db_path} stayed locked by another connection for more "
                                              "than 2 s; a long write (or an open transaction) elsewhere is holding it")
    conn = sqlite3.connect(work.db_path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,), "no run was started"
    conn.close()
