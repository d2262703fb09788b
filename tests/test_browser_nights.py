"""Two nights of a real sandbox harvest, read the next morning in headless Chromium.

Night 1 is a first harvest (everything is back-fill); the sandbox clock then moves a day,
cases grow, and night 2 is incremental, with one court's feed failing. The "last night"
page must list exactly the entries night 2 stored for cases already known, and the
coverage page must show the court whose feed failed as stale.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from researcher_support import serving
from test_harvest import HARVESTER, harvest, write_config

from harvester.sandbox import Sandbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
COURTS = ("cand", "nysb")

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("nights")
    with Sandbox(state_dir=workdir / "sandbox", courts=COURTS, cases=8, mean_entries=20, growth_per_day=4.0,
                 seed=23, real_pages=False) as sandbox:  # fmt: skip
        watch = {court: [str(c["pacer_case_id"]) for c in sandbox.cases(court)] for court in COURTS}
        config = write_config(workdir / "harvester.toml", sandbox, watch)
        first = harvest(workdir, config, sandbox)
        assert first.returncode == 0, first.stderr[-3000:]
        sandbox.advance(hours=24)
        sandbox.set_faults("nysb", [{"kind": "error", "status": 503, "endpoints": ["rss_outside"]}])
        second = harvest(workdir, config, sandbox)
        assert second.returncode in (0, 8), second.stderr[-3000:]
    db = workdir / "data" / "pacer.db"
    assert db.exists(), sorted(p.name for p in workdir.rglob("*"))
    return db


@pytest.fixture(scope="module")
def base_url(two_nights):
    with serving(two_nights) as url:
        yield url, Path(two_nights).stem


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(viewport={"width": 1100, "height": 1400})
        browser.close()


def _fold(text: str) -> str:
    return " ".join(text.split())


def _runs(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, started_at FROM runs ORDER BY id").fetchall()


def test_last_night_lists_exactly_the_new_entries(page, base_url, two_nights):
    url, _ = base_url
    second_run = _runs(two_nights)[-1][0]
    with sqlite3.connect(two_nights) as conn:
        expected = conn.execute(
            "SELECT c.court_id, c.docket_number, e.document_number, e.description FROM docket_entries e"
            " JOIN cases c ON c.id = e.case_id WHERE e.run_id = ? AND c.first_harvested_at < e.first_seen_at",
            [second_run]).fetchall()  # fmt: skip
    assert expected, "the sandbox's cases did not grow overnight"
    page.goto(f"{url}/-/last-night")
    shown = sorted((court, _fold(item)) for court in COURTS
                   for item in page.locator(f"#court-{court} ul.new_entry li").all_inner_texts())  # fmt: skip
    wanted = sorted((court, _fold(f"{number} {f'{doc}: ' if doc else ''}{(text or '')[:200]}"))
                    for court, number, doc, text in expected)  # fmt: skip
    assert shown == wanted
    assert page.locator("ul.new_case li").count() == 0, "no case was new on night 2"
    if os.environ.get("HARVESTER_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "last-night.png"))


def test_the_first_night_is_back_fill_not_news(page, base_url, two_nights):
    url, _ = base_url
    with sqlite3.connect(two_nights) as conn:
        night = conn.execute("SELECT min(date(first_harvested_at, '-12 hours')) FROM cases").fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM docket_entries WHERE run_id = (SELECT min(id) FROM runs)").fetchone()[0]
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    page.goto(f"{url}/-/last-night?night={night}")
    assert page.locator("ul.new_entry li").count() == 0
    backfill = " ".join(page.locator("p.backfill").all_inner_texts())
    counts = [int(n) for n in re.findall(r"back-fill, not news: (\d+) entries", backfill)]
    assert sum(counts) == stored > 0
    assert page.locator("ul.new_case li").count() == cases


def test_coverage_shows_the_court_whose_feed_failed_as_stale(page, base_url, two_nights):
    url, _ = base_url
    last = datetime.fromisoformat(_runs(two_nights)[-1][1].replace("Z", "+00:00"))
    later = (last + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page.goto(f"{url}/-/coverage?refresh_days=3&refresh_max_days=3&now={later}")  # every case waits 3 nights
    row = page.locator("#court-nysb")
    assert "stale" in (row.get_attribute("class") or "")
    assert "failed" in row.inner_text() or "failing" in row.inner_text()
    with sqlite3.connect(two_nights) as conn:
        nysb = conn.execute("SELECT count(*) FROM cases WHERE court_id = 'nysb'").fetchone()[0]
    stale = page.locator("table.stale-cases tbody tr").all_inner_texts()
    assert sum(r.startswith("NYSB") for r in stale) == nysb > 0, "every nysb case is stale five nights later"
    if os.environ.get("HARVESTER_SCREENSHOTS") == "1":
        page.screenshot(path=str(DOCS_IMG / "coverage.png"))


def test_status_prints_the_same_coverage(two_nights, tmp_path):
    result = subprocess.run([str(HARVESTER), "status", "--db", str(two_nights)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = {line.split(":", 1)[0].strip(): line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert "Coverage" in result.stdout
    assert "failed" in lines["nysb"] and "cases" in lines["nysb"]
    assert "cand" in lines and "failed" not in lines["cand"]
