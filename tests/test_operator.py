"""Operator paper cuts: signals while waiting, bad paths and ports, the log file, the logout at window close."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    HARVESTER_CMD,
    HarvestDir,
    harvester_env,
    requests_to,
    start_sandbox,
    toml_text,
    window_around_now,
)

from harvester.errors import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_LOCKED
from harvester.run.lock import RunLock

ACCOUNT = harvester_env("lab-account", "Not-A-Real-Pass-1")


def watching_config(root: Path, **sections: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    merged = {"watch": {"courts": ["cand"]}, "database": {"path": str(root / "data" / "pacer.db")},
              "harvest": {"state_dir": str(root / "state")}, "log": {"file": str(root / "harvester.log")}, **sections}
    config = root / "harvester.toml"
    config.write_text(toml_text(merged), encoding="utf-8")
    return config


@pytest.mark.e2e
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_waiting_for_the_window_exits_7(tmp_path, signum):
    config = watching_config(tmp_path, window=window_around_now(open_now=False))
    proc = subprocess.Popen([*HARVESTER_CMD, "run", "--config", str(config), "--wait"], cwd=tmp_path, env=ACCOUNT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stderr is not None
        waiting = proc.stderr.readline()  # "Waiting: outside the harvest window; ..."
        assert waiting.startswith("Waiting:"), waiting
        time.sleep(0.2)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and f"stopped by {signal.Signals(signum).name}" in err


@pytest.mark.e2e
def test_a_database_path_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    config = watching_config(tmp_path, database={"path": str(tmp_path / "afile" / "pacer.db")})
    result = subprocess.run([*HARVESTER_CMD, "run", "--config", str(config)], cwd=tmp_path, env=ACCOUNT,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: database path {tmp_path / 'afile' / 'pacer.db'}: {tmp_path / 'afile'} is a file, not a directory"]


@pytest.mark.parametrize("command", [["serve", "--port", "80000"], ["sandbox", "--port", "70000"]])
def test_a_port_out_of_range_is_a_clear_error(command):
    from click.testing import CliRunner

    from harvester.cli import cli

    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2
    assert "is not in the range 0<=x<=65535" in result.output and "Traceback" not in result.output


def test_a_lock_under_a_file_is_a_clear_error(tmp_path):
    from harvester.errors import ConfigError

    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        RunLock.for_database(tmp_path / "afile" / "pacer.db").acquire()


# -- against a sandbox ----------------------------------------------------------------


@pytest.mark.e2e
def test_the_log_file_gets_the_summary_line_and_the_lock_error(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(cases=3, clock_speed=0)
    work = HarvestDir.create(tmp_path / "run", sandbox)
    assert work.run().returncode == 0
    log = work.log_path.read_text(encoding="utf-8")
    summary = [line for line in log.splitlines() if " Run 1 summary: " in line]
    assert len(summary) == 1 and "outcome=done" in summary[0] and "cost=$" in summary[0]
    assert "cases_checked=3" in summary[0]
    with RunLock.for_database(work.db_path):
        result = work.run()
    assert result.returncode == EXIT_LOCKED
    assert "another harvester run" in work.log_path.read_text(encoding="utf-8").splitlines()[-1]


@pytest.mark.e2e
def test_the_session_is_logged_out_when_the_window_closes(tmp_path):
    # The sandbox's night ends a few seconds into the harvest; slow reports keep it busy into the wind-down.
    sandbox = start_sandbox(tmp_path / "sandbox", cases=30, start="2026-03-04T05:59:40", clock_speed=1.0)
    try:
        sandbox.add_fault("*", "latency", seconds=1.0, endpoints=list(BILLABLE_ENDPOINTS))
        work = HarvestDir.create(tmp_path / "run", sandbox)
        result = work.run()
        assert result.returncode == 3, result.stderr[-2000:]  # the window closed during the run
        assert "AlreadyCalledError" not in result.stderr and "PACER logout failed" not in result.stderr
        assert len(requests_to(sandbox, "cso-auth")) == 1
        assert len(requests_to(sandbox, "cso-logout")) == 1  # the session did not stay open
        logout = requests_to(sandbox, "cso-logout")[0]
        assert datetime.fromisoformat(logout["sandbox_time"]) < datetime.fromisoformat("2026-03-04T06:00:00-06:00")
    finally:
        sandbox.stop()
