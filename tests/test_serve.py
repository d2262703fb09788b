"""`harvester serve`: Datasette on a real harvested database, through Datasette's own client.

The database comes from a real sandbox harvest (``researcher_support``). Checked:
every table, view and column is described; canned queries return the rows the
tables say they should; search, labels, facets and sort orders; links to CM/ECF;
inline charts; nothing on a page points off this machine; reads while the
harvester writes; the CLI; ``sqlite-utils`` on the same file; the SQL examples
of docs/researchers.md.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from markupsafe import escape as escape_html
from researcher_support import HARVESTER, copy_db, harvested_db

from harvester.store.connection import open_db
from harvester.store.dictionary import column_descriptions
from harvester.web.plugin import pacer_case_url
from harvester.web.serve import METADATA_PATH, build_datasette, load_metadata

ROOT = Path(__file__).resolve().parents[1]
DB = "pacer"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return harvested_db(tmp_path_factory)


@pytest.fixture(scope="module")
def conn(db_path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


class Client:
    """Datasette's in-process client, called synchronously."""

    def __init__(self, db_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.ds = build_datasette(db_path)
        self.loop.run_until_complete(self.ds.invoke_startup())

    def get(self, path: str):
        return self.loop.run_until_complete(self.ds.client.get(path))

    def json(self, path: str):
        response = self.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    def close(self) -> None:
        for database in self.ds.databases.values():
            database.close()
        self.loop.close()


@pytest.fixture(scope="module")
def client(db_path) -> Client:
    c = Client(db_path)
    yield c
    c.close()


def rows(client: Client, path: str) -> list[dict]:
    """The rows of a table, view or canned query page, as JSON objects (up to max_returned_rows)."""
    page, _, query = path.partition("?")
    return client.json(f"{page}.json?_shape=objects&_size=max&{query}")["rows"]


# -- metadata -------------------------------------------------------------------


def test_every_table_view_and_column_is_described(conn):
    tables = load_metadata(DB)["databases"][DB]["tables"]
    glossary = column_descriptions()
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '%_fts%'")]  # fmt: skip
    assert {"cases", "docket_entries", "attorney_appearances", "entries"} <= set(names)
    for name in names:
        assert tables.get(name, {}).get("description"), f"{name} has no description"
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
        described = glossary.get(name, {})
        assert set(columns) == set(described), f"{name}: undescribed {set(columns) - set(described)}, " \
                                               f"unknown {set(described) - set(columns)}"  # fmt: skip
        assert all(described[c] for c in columns)


def test_metadata_states_units_and_source(client):
    meta = client.json("/-/metadata.json")
    assert "PACER" in meta["source"] and meta["license"]
    assert "UTC" in meta["description_html"] and "dollars" in meta["description_html"]
    assert "dollars" in column_descriptions()["runs"]["cost"]


def test_facets_sort_orders_and_labels(client, conn):
    cases = client.json("/pacer/cases.json?_facet_size=max")
    assert {"court_id", "kind", "nature_of_suit"} <= set(cases["facet_results"])
    courts_in_db = {r[0] for r in conn.execute("SELECT DISTINCT court_id FROM cases")}
    assert {f["value"] for f in cases["facet_results"]["court_id"]["results"]} == courts_in_db
    assert "sorted by date_filed descending" in cases["human_description_en"]
    dates = [r["date_filed"] or "" for r in rows(client, "/pacer/cases")]
    assert dates == sorted(dates, reverse=True)
    parties = client.json("/pacer/parties.json")
    assert "type" in parties["facet_results"]
    # A docket entry shows its case's name: the foreign key's label is case_name.
    entry = rows(client, "/pacer/docket_entries?_labels=on")[0]
    name = conn.execute("SELECT case_name FROM cases WHERE id = ?", [entry["case_id"]["value"]]).fetchone()[0]
    assert entry["case_id"]["label"] == name


def test_plugins_are_loaded(client):
    names = {p["name"] for p in client.json("/-/plugins.json")}
    assert {"datasette-search-all", "harvester.web.plugin"} <= names
    assert "datasette-vega" not in names  # one chart system: harvester/web/charts.py (inline SVG)


# -- search -----------------------------------------------------------------------


def test_full_text_search_finds_a_docket_entry(client, conn):
    entry = conn.execute(
        "SELECT id, description FROM docket_entries WHERE description LIKE '%Summary Judgment%' LIMIT 1").fetchone()
    assert entry, "the sandbox harvest has no summary judgment motion"
    found = rows(client, '/pacer/docket_entries?_search="summary judgment"')
    assert entry["id"] in {r["id"] for r in found}
    assert all("summary judgment" in r["description"].lower() for r in found)


def test_full_text_search_on_case_names(client, conn):
    case = conn.execute("SELECT id, case_name FROM cases WHERE case_name LIKE '% v. %' LIMIT 1").fetchone()
    word = max(re.findall(r"[A-Za-z]{4,}", case["case_name"]), key=len)
    assert case["id"] in {r["id"] for r in rows(client, f"/pacer/cases?_search={word}")}


def test_search_all_lists_every_searchable_table(client):
    page = client.get("/-/search?q=motion")
    assert page.status_code == 200
    for table in ("cases", "docket_entries", "parties", "attorneys"):
        assert f'"table": "{table}"' in page.text


# -- canned queries ----------------------------------------------------------------


def test_every_canned_query_runs(client):
    queries = yaml.safe_load(METADATA_PATH.read_text())["databases"]["harvest"]["queries"]
    assert len(queries) >= 8
    for name in queries:
        response = client.get(f"/pacer/{name}.json")
        assert response.status_code == 200, (name, response.text[:300])
        assert response.json()["ok"], name


def test_case_docket_returns_the_whole_docket_in_order(client, conn):
    case = conn.execute("SELECT id, court_id, docket_number, pacer_case_id, entry_count FROM cases "
                        "WHERE kind = 'district' AND entry_count > 3 ORDER BY id LIMIT 1").fetchone()  # fmt: skip
    by_number = rows(client, f"/pacer/case_docket?court={case['court_id'].upper()}&docket_number={case['docket_number']}")
    by_id = rows(client, f"/pacer/case_docket?case_id={case['id']}")
    by_pacer_id = rows(client, f"/pacer/case_docket?court={case['court_id']}&docket_number={case['pacer_case_id']}")
    assert len(by_number) == case["entry_count"] > 0
    assert by_number == by_id == by_pacer_id
    positions = [r["position"] for r in by_number]
    assert positions == sorted(positions)


def test_new_filings_by_court_count_what_each_night_stored(client, conn):
    night = conn.execute("SELECT max(date(started_at, '-18 hours')) FROM runs WHERE entries_added > 0").fetchone()[0]
    expected = conn.execute("SELECT sum(entries_added) FROM runs WHERE date(started_at, '-18 hours') = ?",
                            [night]).fetchone()[0]  # fmt: skip
    per_court = [r for r in rows(client, "/pacer/new_filings_by_court") if r["night"] == night]
    assert sum(r["new_entries"] for r in per_court) == expected > 0


def test_a_first_harvest_is_not_news(client, conn):
    # The fixture database holds one first harvest: every entry is back-fill, none is news.
    assert conn.execute("SELECT count(DISTINCT run_id) FROM docket_entries").fetchone()[0] == 1
    assert rows(client, "/pacer/new_filings_last_night") == []
    assert rows(client, "/pacer/new_filings_last_night?night=1999-01-01") == []


def test_cases_by_nature_of_suit_counts_every_case(client, conn):
    found = rows(client, "/pacer/cases_by_nature_of_suit")
    assert sum(r["cases"] for r in found) == conn.execute("SELECT count(*) FROM cases").fetchone()[0]


def test_counsel_across_cases(client, conn):
    firms = rows(client, "/pacer/counsel_across_cases")
    assert firms and all(r["cases"] >= 2 for r in firms)
    firm = firms[0]["firm"]
    appearances = rows(client, f"/pacer/appearances_of?name={firm}")
    assert len({r["case_id"] for r in appearances}) >= firms[0]["cases"]
    assert all(firm.lower() in (r["firm"] or "").lower() or firm.lower() in r["attorney_name"].lower()
               for r in appearances)  # fmt: skip


def test_cost_and_entries_by_night_match_the_runs(client, conn):
    cost = rows(client, "/pacer/cost_by_night")
    total = conn.execute("SELECT round(sum(cost), 2), sum(requests) FROM runs").fetchone()
    assert round(sum(r["dollars"] for r in cost), 2) == total[0] and sum(r["requests"] for r in cost) == total[1]
    entries = rows(client, "/pacer/entries_per_night")
    assert sum(r["entries_added"] for r in entries) == conn.execute("SELECT count(*) FROM docket_entries").fetchone()[0]


# -- links and charts ----------------------------------------------------------------


def test_pacer_links_on_case_pages(client, conn, tmp_path, db_path):
    # The harvest is a sandbox harvest: its cases link to the local sandbox, never to a real court.
    page = client.get("/pacer/cases?_size=max").text
    assert [tuple(row) for row in conn.execute("SELECT DISTINCT origin FROM cases")] == [("sandbox",)]
    assert not re.search(r"https://ecf\.\w+\.uscourts\.gov", page)
    district = conn.execute("SELECT court_id, pacer_case_id FROM cases WHERE kind = 'district' LIMIT 1").fetchone()
    assert f'href="https://127.0.0.1:8443/ecf/{district[0]}/cgi-bin/DktRpt.pl?{district[1]}"' in page
    appellate = conn.execute("SELECT court_id, docket_number FROM cases WHERE kind = 'appellate' AND NOT EXISTS"
                             " (SELECT 1 FROM acms_cases a WHERE a.court_id = cases.court_id"
                             " AND a.docket_number = cases.docket_number AND a.system = 'acms') LIMIT 1").fetchone()  # fmt: skip
    assert f"https://127.0.0.1:8443/ecf/{appellate[0]}/" in page and f"caseNum={appellate[1]}" in page
    # A case harvested from ACMS has no CM/ECF page to link to.
    acms = conn.execute("SELECT court_id, docket_number FROM acms_cases WHERE system = 'acms' LIMIT 1").fetchone()
    assert acms is not None and f"caseNum={acms[1]}&" not in page
    # The views that carry court_id and pacer_case_id link too.
    assert "DktRpt.pl?" in client.get("/pacer/attorney_appearances").text
    # The same cases harvested from PACER link to their court's CM/ECF.
    path = copy_db(db_path, tmp_path)
    with sqlite3.connect(path) as writable:
        writable.execute("UPDATE cases SET origin = 'pacer'")
    real = Client(path)
    try:
        page = real.get("/pacer/cases?_size=max").text
        assert f'href="https://ecf.{district[0]}.uscourts.gov/cgi-bin/DktRpt.pl?{district[1]}"' in page
        assert f"https://ecf.{appellate[0]}.uscourts.gov/" in page and f"caseNum={appellate[1]}" in page
        # The views that carry court_id and pacer_case_id link too.
        assert "DktRpt.pl?" in real.get("/pacer/attorney_appearances").text
    finally:
        real.close()


def test_pacer_case_url_forms():
    assert pacer_case_url("cand", "199229") == "https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?199229"
    assert pacer_case_url("CA9", "293296", "17-16510").startswith(
        "https://ecf.ca9.uscourts.gov/n/beam/servlet/TransportRoom?servlet=CaseSummary.jsp&caseNum=17-16510")
    assert "/cmecf/servlet/TransportRoom?" in pacer_case_url("ca5", "1", "23-30126")
    assert pacer_case_url("cand", "not-a-number") is None and pacer_case_url("", "1") is None


def test_charts_draw_one_mark_per_value(client, conn):
    page = client.get("/pacer/cost_by_night").text
    svg = re.search(r'<svg class="harvester-chart".*?</svg>', page, re.S).group(0)
    nights = conn.execute("SELECT count(DISTINCT date(started_at, '-18 hours') || mode) FROM runs").fetchone()[0]
    assert svg.count('<rect class="mark"') == nights > 0
    page = client.get("/pacer/filings_per_month").text
    svg = re.search(r'<svg class="harvester-chart".*?</svg>', page, re.S).group(0)
    months = len({r["month"] for r in rows(client, "/pacer/filings_per_month")})
    courts = len({r["court_id"] for r in rows(client, "/pacer/filings_per_month")})
    assert svg.count('<circle class="mark"') == months * min(courts, 8) > 0


def test_pages_reference_nothing_off_this_machine(client):
    for path in ("/", "/pacer", "/pacer/cases", "/pacer/docket_entries", "/pacer/cost_by_night", "/-/search?q=x"):
        html = client.get(path).text
        for tag, attr, url in re.findall(r"<(script|link|img|iframe)\b[^>]*?\b(src|href)=\"([^\"]+)\"", html):
            host = urlsplit(url).hostname
            assert host in (None, "localhost", "127.0.0.1"), f"{path}: <{tag} {attr}={url}>"


# -- reading while the harvester writes ----------------------------------------------


def test_serving_neither_blocks_nor_hides_the_writer(tmp_path, db_path):
    path = copy_db(db_path, tmp_path)
    reader = Client(path)
    writer = open_db(path, busy_timeout=0.5, lock_wait=1)
    try:
        before = len(rows(reader, "/pacer/runs"))
        writer.conn.execute("BEGIN IMMEDIATE")
        writer.conn.execute("INSERT INTO runs (started_at, mode) VALUES ('2026-01-06T01:00:00+00:00', 'sandbox')")
        # A write transaction is open: Datasette still reads (the committed state).
        assert len(rows(reader, "/pacer/runs")) == before
        assert reader.get("/pacer/docket_entries?_size=max").status_code == 200  # a truncated, unfinished read
        writer.conn.execute("COMMIT")
        assert len(rows(reader, "/pacer/runs")) == before + 1  # served mutable: sees the commit
        # No read transaction is left open: the writer can checkpoint the whole WAL.
        busy, _log, _done = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        writer.close()
        reader.close()


# -- the command line ------------------------------------------------------------------


def test_serve_cli_listens_on_loopback(tmp_path, db_path):
    path = copy_db(db_path, tmp_path)
    proc = subprocess.Popen([str(HARVESTER), "serve", "--db", str(path), "--port", "0"],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "pacer/cases.json?_shape=array&_size=1", timeout=10) as reply:
            assert reply.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_cli_refuses_a_missing_database(tmp_path):
    result = subprocess.run([str(HARVESTER), "serve", "--db", str(tmp_path / "none.db")],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Error: no database at") and "Traceback" not in result.stderr


def test_sqlite_utils_cli_reads_the_file(db_path, conn):
    tool = Path(sys.executable).with_name("sqlite-utils")
    tables = subprocess.run([str(tool), "tables", str(db_path), "--counts"], capture_output=True, text=True, check=True)
    count = conn.execute("SELECT count(*) FROM docket_entries").fetchone()[0]
    assert f'"table": "docket_entries", "count": {count}' in tables.stdout
    query = subprocess.run([str(tool), "query", str(db_path), "SELECT count(*) AS n FROM entries"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert f'"n": {count}' in query.stdout


def test_researchers_guide_examples_run(conn):
    guide = (ROOT / "docs" / "researchers.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sql\n(.*?)```", guide, re.S)
    assert len(examples) >= 5
    for sql in examples:
        params = {name: "" for name in re.findall(r"(?<![:\w]):(\w+)", re.sub(r"'[^']*'", "", sql))}
        start = time.monotonic()
        result = conn.execute(sql, params).fetchall()
        assert time.monotonic() - start < 10
        assert result, f"no rows from:\n{sql}"


# -- the researcher's pages ---------------------------------------------------------


def test_a_case_row_is_its_docket_page(client, conn):
    case_id, name, count = conn.execute(
        "SELECT c.id, c.case_name, count(e.id) FROM cases c JOIN docket_entries e ON e.case_id = c.id"
        " GROUP BY c.id HAVING count(e.id) > 3 ORDER BY c.id LIMIT 1").fetchone()  # fmt: skip
    html = client.get(f"/pacer/cases/{case_id}").text
    assert 'class="docket"' in html and "Docket entries" in html and "Harvest history" in html
    entries = conn.execute("SELECT id, description FROM docket_entries WHERE case_id = ? ORDER BY position",
                           [case_id]).fetchall()  # fmt: skip
    shown = [int(i) for i in re.findall(r'<tr id="entry-(\d+)">', html)]
    assert shown == [e[0] for e in entries], "every entry, in docket order"
    for entry_id, text in entries:
        row = html[html.find(f'<tr id="entry-{entry_id}">'):]
        assert str(escape_html(text or ""))[:60] in row[: row.find("</tr>")]
    assert str(escape_html(name)) in html


def test_table_pages_show_rows_before_the_glossary(client):
    html = client.get("/pacer/cases").text
    start, end = html.find('<details class="column-glossary">'), html.find("</details>", html.find("column-glossary"))
    assert 0 < start < end < html.find('<table class="rows-and-columns">'), "one closed line above the rows"
    glossary = html[start:end]
    assert "internal case number" in glossary
    assert html.count('<dl class="column-descriptions">') == 1, "no open glossary outside the details"


def test_search_hits_link_to_docket_pages(client, conn):
    case_id, name, number = conn.execute(
        "SELECT id, case_name, docket_number FROM cases WHERE case_name LIKE '% v. %' ORDER BY id LIMIT 1").fetchone()
    word = max(name.split(" v. ")[0].split(), key=len)
    html = client.get(f"/-/docket-search?q={word}").text
    assert f'href="/pacer/cases/{case_id}"' in html and "<mark>" in html
    html = client.get(f"/-/docket-search?q={number}").text
    assert "Cases with that docket number" in html and f'href="/pacer/cases/{case_id}"' in html


def test_canned_query_and_entry_rows_link_to_docket_pages(client, conn):
    case_id = conn.execute("SELECT case_id FROM docket_entries ORDER BY id LIMIT 1").fetchone()[0]
    html = client.get(f"/pacer/entries?case_id={case_id}").text
    assert f'class="docket-link" href="/pacer/cases/{case_id}"' in html
    html = client.get(f"/pacer/case_docket?case_id={case_id}&court=&docket_number=").text
    assert f'href="/pacer/cases/{case_id}"' in html
    html = client.get("/pacer/cases").text
    assert 'class="docket-link" href="/pacer/cases/' in html
