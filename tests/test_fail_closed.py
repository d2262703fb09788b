"""Fail closed: no setting removes the gate, no request leaves for the wrong host, money is always booked.

Every server here is on loopback: the sandbox, and hosts the gate must refuse are
refused before any connection is made.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    HarvestDir,
    billable_requests,
    logins,
    start_sandbox,
    wait_for,
)
from scrapy import Request
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from harvester import config as config_module
from harvester.central import CENTRAL
from harvester.errors import ConfigError
from harvester.gate import middleware
from harvester.gate.clock import FakeClock
from harvester.gate.middleware import GateBypassError, GateMiddleware
from harvester.run.session import META_AUTH, PacerSession
from harvester.run.settings import scrapy_settings

EXIT_TLS = 9  # harvester.errors.EXIT_TLS, documented in docs/operations.md

REPO = Path(__file__).resolve().parents[1]
SCRAPY = Path(sys.executable).with_name("scrapy")


# ---------------------------------------------------------------- the gate checks scheme and host


# A night inside the window: these gate tests must not depend on the hour they run at.
NIGHT = CENTRAL.localize(datetime(2026, 3, 3, 19, 0))


def gate(**settings_extra) -> GateMiddleware:
    clock = settings_extra.pop("GATE_CLOCK", None) or FakeClock(NIGHT)
    settings = Settings(scrapy_settings(None, clock=clock, spent_before=lambda _n: 0.0, extra=settings_extra))
    crawler = SimpleNamespace(settings=settings, stats=MemoryStatsCollector(SimpleNamespace(settings=settings)))
    return GateMiddleware(crawler)


@pytest.mark.parametrize("url", [
    "http://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1",  # a real host over plain http
    "http://pacer.login.uscourts.gov/services/cso-auth",
    "https://evil.example.org/steal",  # not one of the run's hosts
    "javascript:fetch('https://ecf.cand.uscourts.gov/')",
])
def test_the_gate_refuses_plain_http_and_foreign_hosts_before_sending(url):
    with pytest.raises(middleware.IgnoreRequest, match="refused"):
        asyncio.run(gate().process_request(Request(url, meta={"court": "cand", "cost_estimate_pages": 0})))


def test_the_gate_refuses_what_a_redirect_produced():
    request = Request("https://ecf.cand.uscourts.gov/x", meta={"court": "cand", "cost_estimate_pages": 0,
                                                               "redirect_urls": ["https://ecf.cand.uscourts.gov/"]})
    with pytest.raises(middleware.IgnoreRequest, match="redirect"):
        asyncio.run(gate().process_request(request))


def test_the_session_cookie_is_only_for_the_requests_own_court():
    session = PacerSession.__new__(PacerSession)
    session.court_url = "https://ecf.{court}.uscourts.gov"
    assert hasattr(session, "cookie_refusal"), "the session must check where its cookie goes"
    assert session.cookie_refusal("https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1", "cand") is None
    assert session.cookie_refusal("http://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1", "cand")
    assert session.cookie_refusal("https://ecf.nysb.uscourts.gov/cgi-bin/DktRpt.pl?1", "cand")
    assert session.cookie_refusal("http://127.0.0.1:18998/steal", "cand")


def test_a_login_when_the_window_closed_is_refused_not_handed_back():
    # Handing a login back to engine.download_async would download it again at once, forever.
    night = gate()
    night.window_open = False
    night._window_open = lambda: False
    night.crawler.engine = SimpleNamespace(pause=lambda: None, close_spider_async=lambda reason: asyncio.sleep(0))
    login = Request("https://pacer.login.uscourts.gov/services/cso-auth", meta={META_AUTH: True, "court": "pacer-login",
                                                                                 "cost_estimate_pages": 0})

    async def attempt():
        with pytest.raises(middleware.IgnoreRequest, match="window"):
            await night.process_request(login)

    asyncio.run(attempt())


# ---------------------------------------------------------------- no single setting removes the guard


@pytest.mark.parametrize("changes", [
    {"EXTENSIONS": {}},
    {"DOWNLOADER_MIDDLEWARES": {}},
    {"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"},
    {"DOWNLOAD_VERIFY_CERTIFICATES": False},
    {"METAREFRESH_ENABLED": True},
    {"REDIRECT_ENABLED": True},
    {"GATE_WINDOW_OVERRIDE": "x"},
    {"GATE_OVERRIDE": "x"},
    {"GATE_LIMITER": "fast"},
    {"DOWNLOAD_HANDLERS": {"https": "scrapy.core.downloader.handlers.http2.H2DownloadHandler"}},
])
def test_a_setting_that_weakens_the_gate_is_refused(changes):
    settings = Settings(scrapy_settings(None, spent_before=lambda _n: 0.0))
    settings.setdict(changes, priority="cmdline")  # as `scrapy crawl -s` does: replaces whole dicts
    crawler = SimpleNamespace(settings=settings, stats=MemoryStatsCollector(SimpleNamespace(settings=settings)))
    with pytest.raises(GateBypassError):
        for component in (middleware.GateGuard, middleware.GateMiddleware):
            component(crawler)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    running = start_sandbox(tmp_path_factory.mktemp("sandbox"), cases=4, courts=("cand",))
    yield running
    running.stop()


def scrapy_crawl(work: HarvestDir, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**work.env, "HARVESTER_CONFIG": str(work.config)}
    return subprocess.run([str(SCRAPY), "crawl", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@pytest.mark.parametrize("overrides", [
    ['EXTENSIONS={"scrapy.extensions.logstats.LogStats": null}', "DOWNLOAD_VERIFY_CERTIFICATES=False"],
    ["EXTENSIONS={}", "DOWNLOADER_MIDDLEWARES={}", "SCHEDULER_PRIORITY_QUEUE=scrapy.pqueues.ScrapyPriorityQueue"],
    ["GATE_WINDOW_OVERRIDE=x"],
])
def test_scrapy_crawl_with_the_gate_removed_sends_nothing(tmp_path, sandbox, overrides):
    work = HarvestDir.create(tmp_path, sandbox)
    mark = len(sandbox.request_log.records())
    args = [arg for override in overrides for arg in ("-s", override)]
    result = scrapy_crawl(work, "dockets", *args)
    sent = [r for r in sandbox.request_log.records()[mark:] if r["endpoint"] != "sandbox-admin"]
    assert sent == [], f"{len(sent)} requests left without the gate"
    assert "GateBypassError" in result.stderr


def test_scrapy_crawl_outside_the_window_stops_at_once(tmp_path):
    # Noon Central: the window is closed. The login cannot be kept for the next night.
    sandbox = start_sandbox(tmp_path / "sandbox", cases=3, courts=("cand",), start="2026-03-03T12:00:00")
    try:
        work = HarvestDir.create(tmp_path / "run", sandbox)
        started = time.monotonic()
        result = scrapy_crawl(work, "dockets", timeout=90)
        assert time.monotonic() - started < 60
        assert logins(sandbox) == [] and billable_requests(sandbox) == []
        assert "Traceback" not in result.stderr
    finally:
        sandbox.stop()


# ---------------------------------------------------------------- documented overrides only, each recorded


def test_an_option_taken_as_the_override_reason_is_refused_and_nothing_is_written(tmp_path, sandbox):
    work = HarvestDir.create(tmp_path, sandbox)
    for args in (["--ignore-window", "--wait"], ["--ignore-window", "  "]):
        result = work.run("run", "--config", str(work.config), *args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "--ignore-window" in result.stderr
    assert not work.db_path.exists()


def test_the_window_override_is_recorded_in_the_runs_table(tmp_path, sandbox):
    work = HarvestDir.create(tmp_path, sandbox)
    result = work.run("run", "--config", str(work.config), "--ignore-window", "court asked for it")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    conn = work.connect()
    assert conn.execute("SELECT window_override FROM runs").fetchall() == [("court asked for it",)]
    conn.close()


# ---------------------------------------------------------------- configuration: finite, in range, https


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "harvester.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, words", [
    ("[rate]\nper_court_per_second = nan\n", ["rate.per_court_per_second", "finite"]),
    ("[rate]\nper_court_per_second = inf\n", ["rate.per_court_per_second", "finite"]),
    ("[rate]\nper_court_per_second = 1000.0\n", ["rate.per_court_per_second", "10 requests/s"]),
    ("[rate]\nglobal_per_second = 50.0\n", ["rate.global_per_second", "10 requests/s"]),
    ("[rate]\ntimeout_seconds = nan\n", ["rate.timeout_seconds", "finite"]),
    ("[rate]\ntimeout_seconds = 1e300\n", ["rate.timeout_seconds", "at most"]),
    ("[budget]\nrun_dollars = inf\n", ["budget.run_dollars", "finite"]),
    ("[budget]\nquarter_dollars = 1e300\n", ["budget.quarter_dollars", "at most"]),
    ("[budget]\nrun_dollars = -1\n", ["budget.run_dollars", "must not be negative"]),
    ('[endpoints]\nlogin_url = "http://pacer.login.uscourts.gov/services/cso-auth"\n', ["endpoints.login_url", "https"]),
    ('[endpoints]\ncourt_url = "http://ecf.{court}.uscourts.gov"\n', ["endpoints.court_url", "https"]),
    ('[window]\nstart = "25:00"\n', ["window", "25:00"]),
    ('[watch]\ncourts = ["cnad"]\n', ["unknown court", "cnad"]),
])
def test_harvester_config_refuses_what_run_refuses(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        config_module.load(write(tmp_path, text))
    for word in words:
        assert word in str(err.value)
    result = subprocess.run([sys.executable, "-m", "harvester.cli", "config", "--config", str(tmp_path / "harvester.toml")],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2 and "valid" not in result.stdout and "Traceback" not in result.stderr


def test_http_is_allowed_only_for_a_loopback_sandbox():
    cfg = config_module.from_dict({"endpoints": {"login_url": "http://127.0.0.1:8443/services/cso-auth"},
                                   "rate": {"per_court_per_second": 1.0}})
    assert cfg["endpoints"]["login_url"].startswith("http://127.0.0.1")
    fast = config_module.from_dict({"endpoints": {"court_url": "https://127.0.0.1:8443/ecf/{court}/"},
                                    "rate": {"per_court_per_second": 40.0, "global_per_second": 120.0}})
    assert fast["rate"]["per_court_per_second"] == 40.0


def test_harvester_config_checks_the_credentials_file(tmp_path):
    path = write(tmp_path, f'[credentials]\nfile = "{tmp_path / "missing.toml"}"\n')
    result = subprocess.run([sys.executable, "-m", "harvester.cli", "config", "--config", str(path)],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stdout
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_one_default_for_the_court_rate():
    from harvester.gate.ratelimit import RateLimits

    assert RateLimits().per_court_per_second == config_module.from_dict({})["rate"]["per_court_per_second"] == 1 / 3
    assert "`0.3333333333333333`" in config_module.docs_markdown()


def test_a_log_file_that_is_a_directory_is_one_clear_line(tmp_path, sandbox):
    work = HarvestDir.create(tmp_path, sandbox, sections={"log": {"file": str(tmp_path)}})
    result = work.run()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "is a directory" in result.stderr


# ---------------------------------------------------------------- money: stop when the store cannot write


HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.readline()
"""


def test_no_paid_request_leaves_while_the_database_refuses_writes(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=40, courts=("cand", "nysb"))
    try:
        sandbox.add_fault("*", "latency", seconds=0.1, endpoints=list(BILLABLE_ENDPOINTS))
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"database": {"lock_wait_seconds": 8.0}})
        proc = work.spawn()
        assert wait_for(lambda: len(billable_requests(sandbox)) >= 3, 60)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(work.db_path)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout.readline().strip() == "holding"
        locked_at = len(billable_requests(sandbox))
        time.sleep(6.0)
        during = len(billable_requests(sandbox)) - locked_at
        holder.stdin.close()
        holder.wait(10)
        proc.wait(120)
        # In flight when the lock began: at most per-court concurrency (2) x 2 courts, each
        # of which may have let one more through before its answer reached the store.
        assert during <= 8, f"{during} paid requests were sent while the database refused writes"
    finally:
        sandbox.stop()


def test_a_killed_runs_purchases_in_flight_are_booked_at_their_estimate(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=6, courts=("cand",))
    try:
        sandbox.add_fault("*", "latency", seconds=30, endpoints=["DktRpt"])
        work = HarvestDir.create(tmp_path / "run", sandbox)
        proc = work.spawn()
        assert wait_for(lambda: any(r["endpoint"] == "DktRpt" for r in sandbox.request_log.records()), 60)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        sandbox.clear_faults()
        assert work.run().returncode == 0
        conn = work.connect()
        stranded = conn.execute("SELECT run_id, cost, estimated_pages FROM requests WHERE outcome = 'stranded'").fetchall()
        left = conn.execute("SELECT count(*) FROM in_flight").fetchone()[0]
        conn.close()
        assert stranded and all(cost == pytest.approx(pages * 0.10) and run == 1 for run, cost, pages in stranded)
        assert left == 0
    finally:
        sandbox.stop()


# ---------------------------------------------------------------- TLS 1.1 login service


def test_a_tls11_login_service_is_a_tls_refusal_with_its_own_exit_code(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=2, courts=("cand",))
    tls11 = start_sandbox(tmp_path / "old", cases=1, courts=("cand",), tls_mode="tls11")
    try:
        old = tls11.config
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"endpoints": {
            "login_url": old["login_url"].replace(tls11.base_url, f"https://localhost:{tls11.port}")}})
        result = work.run()
        assert result.returncode == EXIT_TLS, result.stdout + result.stderr[-2000:]
        assert "TLS" in result.stdout and "unreachable" not in result.stdout
        assert "Traceback" not in result.stderr
        assert logins(sandbox) == [] and billable_requests(sandbox) == []
    finally:
        tls11.stop()
        sandbox.stop()


# ---------------------------------------------------------------- a read-only database


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists(), reason="needs root and setpriv to drop to nobody")
def test_status_and_export_read_a_database_the_user_may_not_write():
    import shutil
    import tempfile


    tmp_path = Path(tempfile.mkdtemp(prefix="harvester-ro-"))  # pytest's own tmp dirs are private to root
    try:
        _read_only_checks(tmp_path)
    finally:
        for path in tmp_path.rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(tmp_path)


def _read_only_checks(tmp_path: Path) -> None:
    from harvester.store.connection import open_db

    data = tmp_path / "data"
    data.mkdir()
    open_db(data / "pacer.db").close()
    config = write(tmp_path, f'[database]\npath = "{data / "pacer.db"}"\n')
    for path in (tmp_path, data):
        path.chmod(0o755)
    data.chmod(0o555)
    (data / "pacer.db").chmod(0o444)
    nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "harvester.cli"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args in (["status", "--config", str(config), "--json"], ["export", "--db", str(data / "pacer.db")]):
        result = subprocess.run([*nobody, *args], capture_output=True, text=True, cwd="/", env=env)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- small things


def test_a_full_disk_stops_paid_requests_at_once(tmp_path):
    from harvester.store.writer import DatabaseWriter

    writer = DatabaseWriter(tmp_path / "pacer.db")

    def full(_db):
        raise sqlite3.OperationalError("database or disk is full")

    async def attempt():
        with pytest.raises(sqlite3.OperationalError):
            await writer.run(full)

    asyncio.run(attempt())
    assert "disk is full" in (writer.refusal() or "")
    paid = gate(HARVEST=SimpleNamespace(writer=writer, run_id=1, db=None, clock=None))
    request = Request("https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1", meta={"court": "cand", "cost_estimate_pages": 3})
    with pytest.raises(middleware.IgnoreRequest, match="database"):
        asyncio.run(paid.process_request(request))
    writer.close()


def test_secrets_are_masked_in_error_messages_by_value():
    from harvester.errors import LoginFailed
    from harvester.logs import register_secret

    register_secret("s3cret-Value-42")
    assert "s3cret-Value-42" not in str(LoginFailed("login refused: password s3cret-Value-42 is wrong"))


def test_a_limiter_faster_than_a_real_court_allows_is_refused_however_it_was_built():
    from harvester.gate.clock import SystemClock
    from harvester.gate.ratelimit import RateLimiter, RateLimits

    clock = SystemClock()
    fast = gate(GATE_CLOCK=clock, GATE_LIMITER=RateLimiter(RateLimits(per_court_per_second=500.0, global_per_second=500.0), clock))
    request = Request("https://ecf.cand.uscourts.gov/cgi-bin/rss_outside.pl", meta={"court": "cand", "cost_estimate_pages": 0})
    with pytest.raises(middleware.IgnoreRequest, match="requests/s"):
        asyncio.run(fast.process_request(request))
