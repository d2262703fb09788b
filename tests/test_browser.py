"""`harvester serve` in headless Chromium: search, canned queries and charts, all offline.

Runs the real CLI (``harvester serve --port 0``) on a copy of a real sandbox
harvest and drives Debian's ``chromium`` through Playwright (never a
downloaded browser). Every request the pages make is recorded: none may leave
127.0.0.1. Screenshots go to ``tests/output/`` (gitignored).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from researcher_support import HARVESTER, copy_db, harvested_db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
OUTPUT = Path(__file__).resolve().parent / "output"

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return copy_db(harvested_db(tmp_path_factory), tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(db_path) -> str:
    proc = subprocess.Popen([str(HARVESTER), "serve", "--db", str(db_path), "--port", "0"],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    line = proc.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if not match:
        proc.kill()
        pytest.fail(f"harvester serve did not start: {line}{proc.stderr.read()}")
    yield match.group(0).rstrip("/")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class RecordedPage:
    """A page that records every request it makes and every script error."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")

    def screenshot(self, name: str) -> None:
        OUTPUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUTPUT / f"{name}.png"))

    def assert_offline(self) -> None:
        assert self.requests, "no request recorded"
        hosts = {urlsplit(url).hostname for url in self.requests if not url.startswith(("data:", "blob:"))}
        assert hosts == {"127.0.0.1"}, f"requests left this machine: {sorted(hosts)}"
        assert not self.errors, self.errors


@pytest.fixture
def page(browser) -> RecordedPage:
    recorded = RecordedPage(browser)
    yield recorded
    recorded.context.close()


@pytest.fixture(scope="module")
def conn(db_path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def test_search_all_finds_a_known_entry(page, base_url, conn):
    entry = conn.execute("SELECT e.id, e.description, e.case_id FROM docket_entries e "
                         "WHERE description LIKE '%Summary Judgment%' LIMIT 1").fetchone()  # fmt: skip
    page.goto(f"{base_url}/")
    page.page.fill("#search-all-q", "summary judgment")
    page.page.press("#search-all-q", "Enter")
    results = page.page.locator("#search-all-results table.rows-and-columns").first
    results.wait_for()
    page.page.wait_for_load_state("networkidle")
    heading = page.page.locator("#search-all-results h2", has_text="docket_entries")
    assert heading.count() == 1
    page.screenshot("search_all")
    # The docket_entries result links to the full search; that page lists the known entry.
    heading.locator("a").click()
    page.page.wait_for_load_state("networkidle")
    link = page.page.locator(f'td.col-id a[href$="/docket_entries/{entry["id"]}"]')
    assert link.count() == 1
    link.scroll_into_view_if_needed()
    page.screenshot("search_entries")
    page.assert_offline()


def test_table_search_box(page, base_url, conn):
    case = conn.execute("SELECT case_name FROM cases WHERE case_name LIKE '% v. %' ORDER BY id LIMIT 1").fetchone()
    word = max(re.findall(r"[A-Za-z]{4,}", case["case_name"]), key=len)
    page.goto(f"{base_url}/pacer/cases")
    page.page.fill("#_search", word)
    page.page.press("#_search", "Enter")
    page.page.wait_for_load_state("networkidle")
    names = page.page.locator("td.col-case_name").all_inner_texts()
    assert case["case_name"] in names
    assert page.page.locator("a.pacer-link").count() == len(names)
    page.assert_offline()


def test_canned_query_form_returns_the_docket(page, base_url, conn):
    case = conn.execute("SELECT court_id, docket_number, entry_count FROM cases WHERE kind = 'district' "
                        "AND entry_count BETWEEN 5 AND 900 ORDER BY id LIMIT 1").fetchone()  # fmt: skip
    page.goto(f"{base_url}/pacer/case_docket")
    page.page.fill("input[name=court]", case["court_id"])
    page.page.fill("input[name=docket_number]", case["docket_number"])
    page.page.click("input[type=submit][value='Run SQL']")
    page.page.wait_for_load_state("networkidle")
    assert page.page.locator("table.rows-and-columns tbody tr").count() == case["entry_count"]
    assert page.page.locator("td.col-docket_number").first.inner_text() == case["docket_number"]
    page.screenshot("case_docket")
    page.assert_offline()


@pytest.mark.parametrize("query", ["filings_per_month", "entries_per_night", "cost_by_night"])
def test_chart_renders(page, base_url, query):
    page.goto(f"{base_url}/pacer/{query}")
    chart = page.page.locator("svg.harvester-chart")
    assert chart.count() == 1
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    marks = page.page.locator("svg.harvester-chart .mark")
    assert marks.count() > 0
    sizes = [marks.nth(i).bounding_box() for i in range(min(marks.count(), 5))]
    assert all(s and s["width"] > 0 and s["height"] > 0 for s in sizes)
    OUTPUT.mkdir(exist_ok=True)
    chart.screenshot(path=str(OUTPUT / f"chart_{query}.png"))
    page.assert_offline()
