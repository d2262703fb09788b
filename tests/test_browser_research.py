"""The researcher's morning in headless Chromium: docket page, search, docket-number lookup.

Real fixture dockets (court pages with their reference parses, tests/fixtures/dockets)
are parsed and stored by the harvester's own code, then served by the real
``harvester serve`` and read in Debian's Chromium through Playwright. The assertions
are on content: which entries, in which order, which case a hit opens. Screenshots of
the pages go to docs/img/ (shown in docs/researchers.md) when HARVESTER_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from researcher_support import serving

from harvester.parsers import parse_page
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dockets" / "district"
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
CASES = ("laed_127926", "njd_509180", "nysd_4606")  # civil dockets of three courts, 22 to 161 entries

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


def _reference(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("research") / "pacer.db"
    db = open_db(path)
    for name in CASES:
        raw = (FIXTURES / f"{name}.html").read_bytes()
        record = parse_page(raw, court_id=name.split("_")[0])
        store_docket(db, name.split("_")[0], name.split("_")[1], record, raw=raw)
    db.close()
    return path


@pytest.fixture(scope="module")
def base_url(db_path):
    with serving(db_path) as url:
        yield url


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        yield page
        browser.close()


def _screenshot(page, name: str) -> None:
    if os.environ.get("HARVESTER_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"{name}.png"), full_page=False)


def _fold(text: str) -> str:
    return " ".join(text.split())


def _case_id(db_path: Path, name: str) -> int:
    db = open_db(db_path, create=False)
    try:
        return db.execute("SELECT id FROM cases WHERE pacer_case_id = ?", [name.split("_")[1]]).fetchone()[0]
    finally:
        db.close()


def test_docket_page_shows_a_real_docket_in_order(page, base_url, db_path):
    reference = _reference("laed_127926")
    page.goto(f"{base_url}/pacer/cases/{_case_id(db_path, 'laed_127926')}")
    assert page.locator("article.docket h1").inner_text() == reference["case_name"]
    assert reference["docket_number"] in page.locator(".docket-number").inner_text()
    texts = page.locator("table.entries tbody td.text").all_inner_texts()
    expected = [_fold(e["description"]) for e in reference["docket_entries"]]
    assert len(texts) == len(expected)
    assert [_fold(t)[: len(e)] for t, e in zip(texts, expected, strict=True)] == expected
    numbers = page.locator("table.entries tbody td.number").all_inner_texts()
    assert [n.strip() for n in numbers] == [str(e.get("document_number") or "") for e in reference["docket_entries"]]
    shown = [_fold(p) for p in page.locator(".party h3").all_inner_texts()]
    assert len(shown) == len(reference["parties"])
    assert all(_fold(p["name"]) in heading for p, heading in zip(reference["parties"], shown, strict=True))
    assert "Harvest history" in page.content() and "whole docket" in page.content()
    _screenshot(page, "docket-page")


def test_a_search_hit_opens_the_docket_page(page, base_url, db_path):
    reference = _reference("njd_509180")
    page.goto(f"{base_url}/-/docket-search?q=CATALYST")
    hit = page.locator("ul.case-hits a.hit").first
    assert "NJD" in hit.inner_text() and reference["docket_number"] in hit.inner_text()
    assert page.locator(".snippet mark").count() > 0
    _screenshot(page, "search-page")
    hit.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/pacer/cases/{_case_id(db_path, 'njd_509180')}")
    assert page.locator("article.docket h1").inner_text() == reference["case_name"]


def test_an_entry_hit_names_its_case(page, base_url):
    page.goto(f"{base_url}/-/docket-search?q=deposition")
    hits = page.locator("ul.entry-hits li")
    assert hits.count() >= 1
    first = hits.first.inner_text()
    assert re.search(r"(LAED|NJD|NYSD) \d:\d\d-cv-\d{5}", first), first
    assert "deposition" in hits.first.locator("mark").first.inner_text().lower()


@pytest.mark.parametrize("typed", ["2:08-cv-04256", "2:08-cv-4256", "2:08-cv-04256-ILRL-JCW", "08-cv-4256", "2:08cv4256"])
def test_padded_unpadded_and_suffixed_numbers_find_the_case(page, base_url, db_path, typed):
    page.goto(f"{base_url}/-/docket-search?q={typed}")
    hits = page.locator("ul.docket-hits a")
    assert hits.count() == 1, page.content()[:2000]
    assert hits.first.get_attribute("href") == f"/pacer/cases/{_case_id(db_path, 'laed_127926')}"
    assert "Read as docket number 2:08-cv-04256" in page.locator(".docket-notes").inner_text() or \
        "Read as docket number 08-cv-04256" in page.locator(".docket-notes").inner_text()
