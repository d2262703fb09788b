"""Reparse writes only what changed: nothing for an unchanged archive, the changed rows in place otherwise.

The harvest database is filled by storing the fixture pages with the real parsers;
"an older parser" is simulated by altering stored rows, as a parser fix would
find them. Row writes are counted with ``total_changes`` (trigger writes, such as
the search index's, included).
"""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from db_support import DOCKET_FIXTURES, FIXTURES, page, table_dump

from harvester.parsers import parse_page
from harvester.store import reparse as reparse_module
from harvester.store.connection import open_db, write_transaction
from harvester.store.dockets import ArchivedReport, store_docket
from harvester.store.reparse import reparse
from harvester.store.replay_diff import CaseReplayer
from harvester.store.rss import store_rss

DERIVED = ("cases", "parties", "attorneys", "party_attorneys", "docket_entries", "entry_versions", "rss_items",
           "case_judges")  # fmt: skip
FTS = ("cases_fts", "parties_fts", "attorneys_fts", "docket_entries_fts")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def harvested(tmp_path):
    """A database holding every fixture docket and one RSS feed, stored with the real parsers."""
    db = open_db(tmp_path / "pacer.db")
    for kind, stem, court in DOCKET_FIXTURES:
        data = page(kind, stem)
        store_docket(db, court, stem, parse_page(data, court_id=court), raw=data, fetched_at="2026-01-05T02:00:00Z")
    feed = (FIXTURES / "rss_feeds" / "mdb_1.xml").read_bytes()
    store_rss(db, "mdb", parse_page(feed, court_id="mdb"), raw=feed, fetched_at="2026-01-05T03:00:00Z")
    yield db
    db.close()


def _index(db) -> dict[str, list[tuple]]:
    """The search indexes' own segment rows: any trigger that fires rewrites some."""
    return {t: db.execute(f"SELECT id, block FROM {t}_data ORDER BY id").fetchall() for t in FTS}


@pytest.mark.parametrize("jobs", [1, 2])
def test_reparse_of_an_unchanged_archive_writes_nothing(harvested, monkeypatch, jobs):
    monkeypatch.setattr(reparse_module, "_MIN_PARALLEL_PAGES", 1)  # jobs=2: the workers plan every case
    db = harvested
    reparse(db)  # whatever the first replay settles, the second must find it settled
    rows, index, changes = {t: table_dump(db, t) for t in DERIVED}, _index(db), db.conn.total_changes

    result = reparse(db, jobs=jobs)
    assert (result.cases, result.rss_pages, result.failed) == (len(DOCKET_FIXTURES), 1, 0)
    assert db.conn.total_changes == changes  # not one row inserted, updated or deleted, by triggers neither
    assert _index(db) == index
    assert {t: table_dump(db, t) for t in DERIVED} == rows  # row ids included


def test_a_changed_row_is_rewritten_in_place_and_only_it(harvested):
    db = harvested
    reparse(db)
    rows = {t: table_dump(db, t) for t in DERIVED}
    entry_id, description = db.execute(
        "SELECT id, description FROM docket_entries WHERE description LIKE '% %' ORDER BY id LIMIT 1 OFFSET 7"
    ).fetchone()
    case_id = db.execute("SELECT case_id FROM docket_entries WHERE id = ?", [entry_id]).fetchone()[0]
    with db.conn:  # what an older parser left: a garbled entry, a lost party detail, a name in capitals
        db.conn.execute("UPDATE docket_entries SET description = 'zzgarbled' WHERE id = ?", [entry_id])
        db.conn.execute("UPDATE parties SET extra_info = NULL WHERE id = (SELECT min(id) FROM parties"
                        " WHERE extra_info IS NOT NULL)")  # fmt: skip
        db.conn.execute("UPDATE cases SET case_name = upper(case_name) WHERE id = ?", [case_id])
        db.conn.execute(
            "UPDATE rss_items SET short_description = 'zzgarbled' WHERE id = (SELECT min(id) FROM rss_items)"
        )
        # ...and rows no page yields: an entry and a party of its own invention
        db.conn.execute("INSERT INTO docket_entries (case_id, entry_key, position, description)"
                        " VALUES (?, 'n:9999|', 9999, 'zzinvented')", [case_id])  # fmt: skip
        db.conn.execute("INSERT INTO parties (case_id, name, position) VALUES (?, 'Zz Invented', 999)", [case_id])
    changes = db.conn.total_changes

    reparse(db)
    assert {t: table_dump(db, t) for t in DERIVED} == rows  # repaired in place: same rows, same ids
    # Five rows updated and two deleted, with their index triggers (about ten writes each, a deleted entry's
    # more): about a hundred writes, where rewriting every row of the case would take thousands.
    assert db.conn.total_changes - changes < 200
    found = db.execute("SELECT rowid FROM docket_entries_fts WHERE docket_entries_fts MATCH ?",
                       [_words(description)]).fetchall()  # fmt: skip
    assert (entry_id,) in found
    assert db.execute(
        "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'zzgarbled'"
    ).fetchone() == (0,)


def test_a_plan_is_not_written_over_a_case_that_changed_since_it_was_made(harvested):
    """A worker plans from its own connection; a harvest may store the case before this process writes."""
    db = harvested
    kind, stem, court = DOCKET_FIXTURES[3]
    page_id, fetched_at = db.execute("SELECT id, fetched_at FROM raw_pages WHERE pacer_case_id = ?", [stem]).fetchone()
    report = ArchivedReport(page_id, fetched_at, None, False, parse_page(page(kind, stem), court_id=court))
    replayer = CaseReplayer(db)
    plan = replayer.plan(court, stem, [report])
    with db.conn:
        db.conn.execute("UPDATE cases SET cause = 'changed meanwhile' WHERE pacer_case_id = ?", [stem])
    rows, changes = {t: table_dump(db, t) for t in DERIVED}, db.conn.total_changes
    assert replayer.write(plan) is False
    assert db.conn.total_changes == changes and {t: table_dump(db, t) for t in DERIVED} == rows
    assert replayer.write(replayer.plan(court, stem, [report])) is True  # planned again: written
    assert db.execute("SELECT cause FROM cases WHERE pacer_case_id = ?", [stem]).fetchone() != ("changed meanwhile",)


def test_a_workers_plan_over_a_case_changed_meanwhile_is_made_again_here(harvested):
    db = harvested
    reparse(db)
    rows = {t: table_dump(db, t) for t in DERIVED}
    pages = db.execute(
        "SELECT id, kind, court_id, pacer_case_id, fetched_at, run_id, incremental FROM raw_pages"
        " WHERE pacer_case_id = ?", [DOCKET_FIXTURES[0][1]]
    ).fetchall()  # fmt: skip
    read = reparse_module._PageParser(db, parse_page)
    case = reparse_module._parsed_case(read, CaseReplayer(db), pages)  # as a worker makes it: a plan, no records
    assert case.plan is not None and all(parsed.record is None for parsed in case.parsed)
    with db.conn:  # a harvest stores the case before this process writes the plan
        db.conn.execute("UPDATE cases SET case_name = 'meanwhile' WHERE pacer_case_id = ?", [pages[0][3]])
    result = reparse_module.ReparseResult()
    write_transaction(db, lambda: reparse_module._reparse_case(CaseReplayer(db), read, case, result, None))
    assert (result.cases, result.failed) == (1, 0)
    assert {t: table_dump(db, t) for t in DERIVED} == rows


def _words(text: str) -> str:
    """An FTS query matching every word of ``text``."""
    return " ".join(f'"{w}"' for w in "".join(c if c.isalnum() else " " for c in text).split()[:6])


def test_reparse_of_a_renumbered_entry_keeps_the_harvested_rows(tmp_path):
    """A clerk renumbered an entry between two nights; the replay follows it as the harvest did."""
    db = open_db(tmp_path / "pacer.db")
    first = {"case_name": "A v. B", "docket_entries": [
        {"date_filed": "2026-03-02", "date_entered": "2026-03-02", "document_number": "1", "pacer_seq_no": "1",
         "description": "COMPLAINT."},
        {"date_filed": "2026-03-03", "date_entered": "2026-03-03", "document_number": "2", "pacer_seq_no": "4",
         "description": "MOTION to Dismiss."}]}  # fmt: skip
    renumbered = copy.deepcopy(first)
    renumbered["docket_entries"][1]["document_number"] = "3"
    pages = {b"night one": first, b"night two": renumbered}
    store_docket(db, "cand", "7", first, raw=b"night one", fetched_at="2026-03-03T02:00:00Z")
    store_docket(db, "cand", "7", renumbered, raw=b"night two", fetched_at="2026-03-04T02:00:00Z")
    rows = {t: table_dump(db, t) for t in ("docket_entries", "entry_versions")}
    result = reparse(db, lambda body, _court: copy.deepcopy(pages[body]))
    assert (result.cases, result.failed) == (1, 0)
    assert {t: table_dump(db, t) for t in ("docket_entries", "entry_versions")} == rows
    db.close()


_SLOW_REPARSE = """
import sys, time
from harvester.parsers import parse_page
from harvester.store import reparse
from harvester.store.connection import open_db, write_transaction

reparse._BATCH_PAGES = 2  # a commit every two pages: a kill lands between commits


def slow(data, court_id):
    time.sleep(0.15)
    return parse_page(data, court_id)


reparse.reparse(open_db(sys.argv[1], create=False), slow)
"""


@pytest.mark.e2e
def test_a_killed_reparse_leaves_whole_cases_and_a_rerun_finishes(harvested, tmp_path):
    db = harvested
    reparse(db)
    rows = {t: table_dump(db, t) for t in DERIVED}
    with db.conn:  # an older parser's output in every case: name and entries
        db.conn.execute("UPDATE cases SET case_name = 'OLD ' || coalesce(case_name, '')")
        db.conn.execute("UPDATE docket_entries SET description = 'OLD ' || coalesce(description, '')")
    path = tmp_path / "pacer.db"

    proc = subprocess.Popen([sys.executable, "-c", _SLOW_REPARSE, str(path)], cwd=ROOT, stderr=subprocess.PIPE)
    watcher = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and _repaired(watcher) == 0:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    repaired = _repaired(watcher)
    assert 0 < repaired < len(DOCKET_FIXTURES), "the kill must land mid-run"
    # Each case is wholly old or wholly new: its name and its entries were committed together.
    for case_id, name in watcher.execute("SELECT id, case_name FROM cases"):
        old_entries = watcher.execute("SELECT count(*), sum(description LIKE 'OLD %') FROM docket_entries"
                                      " WHERE case_id = ?", [case_id]).fetchone()  # fmt: skip
        assert old_entries[1] == (old_entries[0] if name.startswith("OLD ") else 0), name
    assert watcher.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    watcher.close()
    for table in FTS:  # the search index agrees with the rows it indexes
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")

    reparse(db)
    assert {t: table_dump(db, t) for t in DERIVED} == rows


def _repaired(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM cases WHERE case_name NOT LIKE 'OLD %'").fetchone()[0]
