"""One run assembly: every entry point (`harvester run`, `harvester daemon`, `scrapy crawl`) takes the same checks.

- nothing connects anywhere before the window and the refusal record allow the run
  (a listening socket counts every connection the harvester opens);
- the daemon does not send credentials PACER refused;
- `scrapy crawl dockets` takes the database's run lock and honours refusals;
- one harvest per database, whatever state_dir each config names.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    HarvestDir,
    harvester_env,
    logins,
    start_sandbox,
    toml_text,
    wait_for,
    window_around_now,
)

from harvester.credentials import Credentials, Secret
from harvester.errors import EXIT_LOCKED, EXIT_LOGIN, EXIT_OUTSIDE_WINDOW
from harvester.run.harvest import Endpoints
from harvester.run.lock import RunLock
from harvester.run.preflight import check_endpoints
from harvester.run.refusals import RefusedLogins

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ACCOUNT = {"login_id": "lab-account", "password": "Typo-Pass-1"}


class CountingServer:
    """A listening socket on loopback that counts (and closes) every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepts = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepts += 1
            conn.close()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server():
    counting = CountingServer()
    yield counting
    counting.close()


def counted_config(root: Path, server: CountingServer, *, window_open: bool) -> Path:
    """A config whose every endpoint is the counting socket, with the real clock and a window open or closed now."""
    root.mkdir(parents=True, exist_ok=True)
    sections = {
        "watch": {"courts": ["cand"]},
        "endpoints": {"login_url": server.url("/services/cso-auth"), "logout_url": server.url("/services/cso-logout"),
                      "court_lookup_url": server.url("/lookup.json"), "court_url": server.url("/ecf/{court}/")},
        "window": window_around_now(open_now=window_open),
        "database": {"path": str(root / "data" / "pacer.db")},
        "harvest": {"state_dir": str(root / "state")},
        "log": {"file": str(root / "harvester.log")},
    }  # fmt: skip
    config = root / "harvester.toml"
    config.write_text(toml_text(sections, {"cand": {"pacer_case_ids": ["101"]}}), encoding="utf-8")
    return config


def entry_point(name: str, config: Path) -> list[str]:
    return {
        "run": [str(BIN / "harvester"), "run", "--config", str(config)],
        "scrapy crawl": [str(BIN / "scrapy"), "crawl", "dockets"],
    }[name]


def run_entry(name: str, config: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    cwd = REPO if name == "scrapy crawl" else config.parent
    return subprocess.run(entry_point(name, config), cwd=cwd, env={**env, "HARVESTER_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def record_refusal(state_dir: Path, account: dict[str, str]) -> None:
    creds = Credentials(account["login_id"], Secret(account["password"]))
    RefusedLogins(state_dir).record(creds, "Invalid username or password.", datetime.now(UTC))


def test_the_counting_socket_sees_the_preflight(server):
    # The control: the preflight's connections are what the tests below do not see.
    endpoints = Endpoints(server.url("/services/cso-auth"), server.url("/services/cso-logout"), server.url("/l"),
                          server.url("/ecf/{court}/"))  # fmt: skip
    check_endpoints(endpoints, attempts=1)
    assert wait_for(lambda: server.accepts >= 2, 5)


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["run", "scrapy crawl"])
def test_outside_the_window_no_connection_is_opened(tmp_path, server, name):
    config = counted_config(tmp_path, server, window_open=False)
    result = run_entry(name, config, harvester_env(ACCOUNT["login_id"], ACCOUNT["password"]))
    assert result.returncode == EXIT_OUTSIDE_WINDOW, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    time.sleep(0.2)
    assert server.accepts == 0


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["run", "scrapy crawl"])
def test_refused_credentials_open_no_connection(tmp_path, server, name):
    config = counted_config(tmp_path, server, window_open=True)
    record_refusal(tmp_path / "state", ACCOUNT)
    result = run_entry(name, config, harvester_env(ACCOUNT["login_id"], ACCOUNT["password"]))
    assert result.returncode == EXIT_LOGIN, result.stderr[-2000:]
    assert "--retry-login" in result.stderr and "Traceback" not in result.stderr
    time.sleep(0.2)
    assert server.accepts == 0


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["run", "scrapy crawl"])
def test_missing_credentials_open_no_connection(tmp_path, server, name):
    config = counted_config(tmp_path, server, window_open=True)
    result = run_entry(name, config, harvester_env(None, None))
    assert result.returncode == EXIT_LOGIN, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "PACER_USERNAME and PACER_PASSWORD" in errors[0]
    assert not (tmp_path / "data" / "pacer.db").exists()
    assert server.accepts == 0


@pytest.mark.e2e
def test_daemon_opens_no_connection_with_refused_credentials(tmp_path, server):
    config = counted_config(tmp_path, server, window_open=True)
    record_refusal(tmp_path / "state", ACCOUNT)
    env = harvester_env(ACCOUNT["login_id"], ACCOUNT["password"])
    proc = subprocess.Popen([str(BIN / "harvester"), "daemon", "--config", str(config)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        log = tmp_path / "harvester.log"
        assert wait_for(lambda: log.exists() and "Night 1 failed" in log.read_text(), 60, 0.2), proc.stderr
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "PACER refused these credentials" in log.read_text()
    assert server.accepts == 0


# -- against a sandbox: refusals, the database's lock --------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    running = start_sandbox(tmp_path_factory.mktemp("assembly") / "sandbox", cases=6, clock_speed=0)
    yield running
    running.stop()


@pytest.mark.e2e
def test_the_daemon_does_not_send_a_password_pacer_refused(tmp_path, sandbox):
    good = sandbox.config["credentials"]
    work = HarvestDir.create(tmp_path / "run", sandbox, account={"login_id": good["login_id"], "password": "typo-pass"})
    before = len(logins(sandbox))
    assert work.run().returncode == EXIT_LOGIN  # tonight: refused once, and remembered
    assert len(logins(sandbox)) == before + 1
    proc = subprocess.Popen(work.command("daemon", "--config", str(work.config)), cwd=work.root, env=work.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert wait_for(lambda: "Night 1 failed" in work.log_path.read_text(), 60, 0.2)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert len(logins(sandbox)) == before + 1  # the daemon's night sent nothing


@pytest.mark.e2e
def test_scrapy_crawl_honours_refusals(tmp_path, sandbox):
    good = sandbox.config["credentials"]
    work = HarvestDir.create(tmp_path / "run", sandbox, account={"login_id": good["login_id"], "password": "typo-pass"})
    before = len(logins(sandbox))
    crawl = [str(BIN / "scrapy"), "crawl", "dockets"]
    env = {**work.env, "HARVESTER_CONFIG": str(work.config)}
    first = subprocess.run(crawl, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert len(logins(sandbox)) == before + 1, first.stderr[-2000:]  # refused once ...
    assert (Path(work.sections["harvest"]["state_dir"]) / "login-refused.json").exists()  # ... and remembered
    second = subprocess.run(crawl, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == EXIT_LOGIN and "Traceback" not in second.stderr
    assert len(logins(sandbox)) == before + 1


@pytest.mark.e2e
def test_one_harvest_per_database_whatever_the_state_dir(tmp_path, sandbox):
    sandbox.add_fault("*", "latency", seconds=3.0, endpoints=list(BILLABLE_ENDPOINTS))
    try:
        first = HarvestDir.create(tmp_path / "a", sandbox)
        db = first.db_path
        # The same file named another way (``..``), with another state_dir and log.
        other = HarvestDir.create(tmp_path / "b", sandbox, sections={
            "database": {"path": str(db.parent / ".." / "data" / db.name)},
            "harvest": {"state_dir": str(tmp_path / "b" / "state")}})  # fmt: skip
        mark = len(sandbox.request_log.records())  # the module's sandbox has served other tests' logins
        running = first.spawn()
        assert wait_for(lambda: any(r["endpoint"] == "cso-auth" for r in sandbox.request_log.records()[mark:]), 60)
        second = other.run()
        assert second.returncode == EXIT_LOCKED, second.stderr[-2000:]
        assert f"pid {running.pid}" in second.stderr
        assert running.poll() is None, "the first harvest ended before the second was refused: not a test of the lock"
        assert running.wait(120) == 0
    finally:
        sandbox.clear_faults()
    conn = first.connect()
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    conn.close()


@pytest.mark.e2e
def test_scrapy_crawl_takes_the_database_lock(tmp_path, sandbox):
    work = HarvestDir.create(tmp_path / "run", sandbox, sections={
        "database": {"path": str(tmp_path / "elsewhere" / ".." / "data" / "pacer.db")},
        "harvest": {"state_dir": str(tmp_path / "crawl-state")}})  # fmt: skip
    with RunLock.for_database(tmp_path / "data" / "pacer.db"):  # a harvest of this database is running
        crawl = subprocess.run([str(BIN / "scrapy"), "crawl", "dockets"], cwd=REPO, capture_output=True, text=True,
                               env={**work.env, "HARVESTER_CONFIG": str(work.config)}, timeout=120)  # fmt: skip
    assert crawl.returncode == EXIT_LOCKED, crawl.stderr[-2000:]
    assert str(os.getpid()) in crawl.stderr
    assert not (tmp_path / "data" / "pacer.db").exists()
