"""End to end: `harvester run` against a sandbox over TLS, as a real PACER user would run it.

The sandbox runs in this process; each harvest is a `harvester run` subprocess with the
sandbox's endpoints in its config and the sandbox's test account in its environment
(the real-PACER code path, other URLs). What the database holds is compared with what
the sandbox serves, and the sandbox's own request log proves what was fetched and billed.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harvester.cmecf import appellate_docket, docket_report
from harvester.parsers import parse_page
from harvester.parsers.court import is_appellate
from harvester.parsers.receipt import billable_pages
from harvester.sandbox import Sandbox
from harvester.store.connection import open_db
from harvester.store.export import iter_case_records

HARVESTER = Path(sys.executable).with_name("harvester")
COURTS = ("cand", "nysb", "ca11")  # ca11: an appellate court with a feed (and the /cmecf/ servlet path)


def write_config(path: Path, sandbox: Sandbox, watch: dict[str, list[str]], **extra: str) -> Path:
    cfg = sandbox.config
    lines = [
        "[endpoints]",
        f'login_url = "{cfg["login_url"]}"', f'logout_url = "{cfg["logout_url"]}"',
        f'court_lookup_url = "{cfg["court_lookup_url"]}"', f'court_url = "{cfg["court_url_template"]}"',
        f'ca_bundle = "{cfg["ca_bundle"]}"', f'clock_url = "{cfg["clock_url"]}"',
        "[watch]", f"courts = {json.dumps(sorted(watch))}",
        "[rate]", "per_court_per_second = 50", "global_per_second = 200", "per_court_concurrency = 2",
        "[budget]", "run_dollars = 500", "quarter_dollars = 5000",
        "[log]", 'level = "INFO"',
    ]  # fmt: skip
    for court, ids in watch.items():
        key = "docket_numbers" if is_appellate(court) else "pacer_case_ids"
        lines += [f"[watch.cases.{court}]", f"{key} = {json.dumps(ids)}"]
    for section, body in extra.items():
        lines += [f"[{section}]", body]
    path.write_text("\n".join(lines) + "\n")
    return path


def harvest(workdir: Path, config: Path, sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess:
    account = sandbox.config["credentials"]
    env = {**os.environ, "PACER_USERNAME": account["login_id"], "PACER_PASSWORD": account["password"]}
    return subprocess.run([str(HARVESTER), "run", "--config", str(config), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(state_dir=tmp_path_factory.mktemp("sandbox"), courts=COURTS, cases=18, mean_entries=40,
                 growth_per_day=3.0, seed=11) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def watched(sandbox):
    """Every case of the three courts: synthetic ones and the real pages the sandbox bundles."""
    cases = [c for c in sandbox.cases() if c["court"] in COURTS]
    watch: dict[str, list[str]] = {}
    for case in cases:  # courts of appeals: by docket number, as TransportRoom wants
        key = case["docket_number"] if case["kind"] == "appellate" else str(case["pacer_case_id"])
        watch.setdefault(case["court"], []).append(key)
    return watch


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, sandbox, watched):
    workdir = tmp_path_factory.mktemp("harvest")
    config = write_config(workdir / "harvester.toml", sandbox, watched)
    mark = len(sandbox.request_log.records())
    result = harvest(workdir, config, sandbox)
    return workdir, config, result, (mark, len(sandbox.request_log.records()))


def log_since(sandbox: Sandbox, mark: int | tuple[int, int]) -> list[dict]:
    """The sandbox's log records from ``mark`` on (or within a (start, end) span)."""
    start, end = mark if isinstance(mark, tuple) else (mark, None)
    return sandbox.request_log.records()[start:end]


def fetch_full_docket(sandbox: Sandbox, court: str, pacer_case_id: str) -> bytes:
    """What the sandbox serves as the whole docket now, fetched outside the harvester."""
    cfg = sandbox.config
    context = ssl.create_default_context(cafile=cfg["ca_bundle"])
    conn = http.client.HTTPSConnection(cfg["host"], cfg["port"], context=context)
    account = cfg["credentials"]
    conn.request("POST", "/services/cso-auth", json.dumps({"loginId": account["login_id"], "password": account["password"]}),
                 {"Content-Type": "application/json"})  # fmt: skip
    token = json.loads(conn.getresponse().read())["nextGenCSO"]
    base = cfg["court_url_template"].replace("{court}", court)
    call = appellate_docket(base, court, pacer_case_id) if is_appellate(court) else docket_report(base, court, pacer_case_id)
    path = urlsplit(call.url)
    conn.request(call.method, f"{path.path}?{path.query}", call.body or None,
                 {**call.headers, "Cookie": f"NextGenCSO={token}"})  # fmt: skip
    body = conn.getresponse().read()
    conn.request("POST", "/services/cso-logout", json.dumps({"nextGenCSO": token}), {"Content-Type": "application/json"})
    conn.getresponse().read()
    return body


def stored_cases(workdir: Path) -> dict[tuple[str, str], dict]:
    db = open_db(workdir / "data" / "pacer.db", create=False)
    try:
        return {(r["court_id"], str(r["pacer_case_id"])): r for r in iter_case_records(db)}
    finally:
        db.close()


def test_first_run_succeeds_and_logs_in_once(sandbox, first_run):
    workdir, _, result, mark = first_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "entries added" in result.stdout
    log = log_since(sandbox, mark)
    assert sum(1 for r in log if r["endpoint"] == "cso-auth") == 1
    assert sum(1 for r in log if r["endpoint"] == "cso-logout") == 1


def test_database_equals_what_the_sandbox_serves(sandbox, watched, first_run):
    workdir = first_run[0]
    cases = stored_cases(workdir)
    expected = {(court, case_id) for court, ids in watched.items() for case_id in ids}
    assert expected <= set(cases)
    for court, case_id in sorted(expected):
        served = parse_page(fetch_full_docket(sandbox, court, case_id), court_id=court)
        got = cases[(court, case_id)]
        entries = lambda rec: sorted(  # noqa: E731
            (e.get("date_filed"), str(e.get("document_number")), e.get("pacer_doc_id"), e.get("description"))
            for e in rec.get("docket_entries") or [])  # fmt: skip
        assert entries(got) == entries(served), f"{court} {case_id}: entries differ"
        parties = lambda rec: sorted(  # noqa: E731
            (p["name"], p.get("type"), tuple(sorted(a["name"] for a in p.get("attorneys") or [])))
            for p in rec.get("parties") or [])  # fmt: skip
        assert parties(got) == parties(served), f"{court} {case_id}: parties or attorneys differ"
        assert got["docket_number"] == served["docket_number"]


def test_cost_booked_equals_the_receipts_served(sandbox, first_run):
    workdir, _, _, mark = first_run
    served = sum(r["billable_pages"] for r in log_since(sandbox, mark))
    db = open_db(workdir / "data" / "pacer.db", create=False)
    run = db.execute("SELECT billable_pages, cost, outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    assert run[2] == "done"
    assert run[0] == served
    assert abs(run[1] - served * 0.10) < 0.005


def test_incremental_runs_fetch_only_the_new_part(sandbox, first_run):
    workdir, config, _, _ = first_run
    before = stored_cases(workdir)

    # Nothing changed: RSS only, no docket report, nothing billed.
    mark = len(sandbox.request_log.records())
    quiet = harvest(workdir, config, sandbox)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    log = log_since(sandbox, mark)
    assert [r for r in log if r["endpoint"] in ("DktRpt", "CaseSummary")] == []
    assert sum(r["billable_pages"] for r in log) == 0
    assert any(r["endpoint"] in ("rss_outside", "RSSGenerator") for r in log)

    # A day later the cases have grown; the feed names them; only the new part is fetched.
    sandbox.advance(hours=24)
    mark = len(sandbox.request_log.records())
    night = harvest(workdir, config, sandbox)
    assert night.returncode == 0, night.stderr[-3000:]
    reports = [r for r in log_since(sandbox, mark) if r["endpoint"] in ("DktRpt", "CaseSummary")]
    assert reports, "no case grew: the sandbox's growth or the RSS flagging is broken"
    assert {r["endpoint"] for r in reports} == {"DktRpt", "CaseSummary"}, "district and appellate cases both grow"
    after = stored_cases(workdir)
    for report in reports:
        court, case_id = report["court"], str(report["case"])
        params = report["params"]
        if report["endpoint"] == "DktRpt":
            assert params.get("date_range_type", params.get("date_type", "")).lower() == "entered"
            assert params["date_from"] != "01/01/1960", "an incremental report must not ask for the whole docket"
            assert "list_of_parties_and_counsel" not in params, "the parties were bought with the first report"
            key = (court, case_id)
        else:
            assert params.get("dateFrom"), "an incremental appellate report needs dateFrom"
            assert "incPtyAty" not in params, "the parties were bought with the first report"
            key = next(k for k, v in after.items() if k[0] == court and v["docket_number"] == params["caseNum"])
        assert after[key]["parties"] == before[key]["parties"], f"{key}: a report without parties kept them"
        new = len(after[key]["docket_entries"]) - len(before[key]["docket_entries"])
        assert 0 < new <= report["entries"], f"{key}: {new} new entries from a report of {report['entries']}"
        # The report covers the days since the last harvest: a few entries, not the whole docket.
        assert report["entries"] < len(after[key]["docket_entries"])
        assert report["billable_pages"] <= billable_pages(report["bytes"])
    db = open_db(workdir / "data" / "pacer.db", create=False)
    billed = db.execute("SELECT billable_pages FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.close()
    assert billed == sum(r["billable_pages"] for r in reports)


def test_docket_number_is_resolved_then_remembered(tmp_path, sandbox):
    case = next(c for c in sandbox.cases("cand") if c["synthetic"])
    config = write_config(tmp_path / "harvester.toml", sandbox, {})
    with config.open("a") as fh:
        fh.write(f'[watch.cases.cand]\ndocket_numbers = ["{case["docket_number"]}"]\n')
    text = config.read_text().replace("courts = []", 'courts = ["cand"]')
    config.write_text(text)
    for attempt in range(2):
        mark = len(sandbox.request_log.records())
        result = harvest(tmp_path, config, sandbox)
        assert result.returncode == 0, result.stderr[-3000:]
        lookups = [r for r in log_since(sandbox, mark) if r["endpoint"] == "possible_case_numbers"]
        assert len(lookups) == (1 if attempt == 0 else 0)
    assert (("cand", str(case["pacer_case_id"]))) in stored_cases(tmp_path)


def test_outside_the_window_nothing_is_sent(tmp_path, sandbox):
    config = write_config(tmp_path / "harvester.toml", sandbox, {"cand": [str(sandbox.cases("cand")[0]["pacer_case_id"])]},
                          window='start = "03:00"\nend = "04:00"')  # fmt: skip
    mark = len(sandbox.request_log.records())
    result = harvest(tmp_path, config, sandbox)
    assert result.returncode == 3
    assert "opens" in result.stderr and "Traceback" not in result.stderr
    assert [r for r in log_since(sandbox, mark) if r["endpoint"] != "sandbox-admin"] == []


def test_wait_sleeps_until_the_window_opens(tmp_path):
    # The sandbox's evening: ten seconds before 18:00 Central. The harvester must start
    # (Python, Scrapy, the config) inside that margin to see the window shut; four
    # seconds were too few on a loaded 2-core machine.
    with Sandbox(state_dir=tmp_path / "sandbox", courts=("cand",), cases=2, seed=4, real_pages=False,
                 start="2026-11-23T17:59:50-06:00") as early:  # fmt: skip
        case = early.cases("cand")[0]
        config = write_config(tmp_path / "harvester.toml", early, {"cand": [str(case["pacer_case_id"])]})
        result = harvest(tmp_path, config, early, "--wait")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Waiting: outside the harvest window; it opens Mon 2026-11-23 18:00 CST" in result.stderr
        sent = [r for r in early.request_log.records() if r["endpoint"] != "sandbox-admin"]
        assert sent and min(r["sandbox_time"] for r in sent) >= "2026-11-23T18:00:00-06:00"


def test_courts_without_a_feed_are_refreshed_every_refresh_days(tmp_path):
    # ca9 publishes no RSS feed (court lookup): its cases are re-checked on a schedule instead.
    with Sandbox(state_dir=tmp_path / "sandbox", courts=("ca9",), cases=3, seed=8, real_pages=False) as court:
        watch = {"ca9": [c["docket_number"] for c in court.cases("ca9")]}
        config = write_config(tmp_path / "harvester.toml", court, watch)
        config.write_text(config.read_text().replace("[watch]\n", "[watch]\nrefresh_days = 2\nrefresh_max_days = 2\n"))
        reports = []
        for day in range(3):  # day 0: first harvest; day 1: not due yet; day 2: due
            if day:
                court.advance(hours=24)
            mark = len(court.request_log.records())
            assert harvest(tmp_path, config, court).returncode == 0
            reports.append([r for r in court.request_log.records()[mark:] if r["endpoint"] == "CaseSummary"])
        assert len(reports[0]) == 3 and not any("dateFrom" in r["params"] for r in reports[0])
        assert reports[1] == []
        assert len(reports[2]) == 3 and all(r["params"].get("dateFrom") for r in reports[2])
