"""Reparse: archived pages re-parsed with a newer parser rewrite the derived rows, idempotently."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from db_support import (
    DOCKET_FIXTURES,
    FIXTURES,
    comparable,
    page,
    reference,
    table_dump,
)

from harvester.errors import ParseError
from harvester.parsers import parse_page
from harvester.parsers.receipt import strip_login
from harvester.store.cases import case_state, changed_cases
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.export import iter_case_records
from harvester.store.reparse import reparse
from harvester.store.rss import store_rss

HARVESTER = Path(sys.executable).with_name("harvester")
DERIVED = ("cases", "parties", "attorneys", "party_attorneys", "docket_entries", "rss_items")


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "pacer.db")
    yield database
    database.close()


class PageParser:
    """A stand-in parser: returns the record registered for a page's stored bytes.

    It lets a test say exactly what "the old parser" and "the new parser" make of
    the same archived page; the tests below that use the real parsers check the
    real thing.
    """

    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.calls = 0

    def register(self, data: bytes, record: dict) -> None:
        self.records[hashlib.sha256(strip_login(data)).hexdigest()] = record

    def __call__(self, data: bytes, court_id: str | None) -> dict:
        self.calls += 1
        record = self.records.get(hashlib.sha256(data).hexdigest())
        if record is None:
            raise ParseError("not a page this parser knows")
        return record


def _old_parse(record: dict) -> dict:
    """What a worse parser made of a docket: truncated descriptions, no parties' extra info."""
    return {
        **record,
        "case_name": record["case_name"].upper(),
        "parties": [{**p, "extra_info": ""} for p in record["parties"]],
        "docket_entries": [{**e, "description": e["description"][:20]} for e in record["docket_entries"]],
    }


def test_reparse_rewrites_dockets_with_the_new_parser_and_is_idempotent(db):
    parser = PageParser()
    for kind, stem, court in DOCKET_FIXTURES[:4]:
        data = page(kind, stem)
        ref = reference(kind, stem)
        store_docket(db, court, stem, _old_parse(ref), raw=data, fetched_at="2026-01-05T02:00:00Z",
                     report_size_bytes=len(data))  # fmt: skip
        parser.register(data, ref)
    sizes = {s.pacer_case_id: s.report_size_bytes for s in (case_state(db, c, st) for _, st, c in DOCKET_FIXTURES[:4])}
    numbered = "SELECT case_id, entry_key, id FROM docket_entries WHERE entry_key LIKE 'n:%' ORDER BY 1, 2"
    numbered_ids = db.execute(numbered).fetchall()

    result = reparse(db, parser)
    assert db.execute(numbered).fetchall() == numbered_ids  # rewritten in place: links by id survive
    assert (result.pages, result.cases, result.failed, result.skipped) == (4, 4, 0, 0)
    assert result.entries == sum(len(reference(k, s)["docket_entries"]) for k, s, _ in DOCKET_FIXTURES[:4])
    exported = {r["pacer_case_id"]: r for r in iter_case_records(db)}
    for kind, stem, _ in DOCKET_FIXTURES[:4]:
        assert comparable(exported[stem]) == comparable(reference(kind, stem)), stem
        assert case_state(db, exported[stem]["court_id"], stem).report_size_bytes == sizes[stem]  # bookkeeping kept

    before = {t: table_dump(db, t) for t in DERIVED}
    again = reparse(db, parser)
    assert (again.pages, again.cases, again.entries) == (result.pages, result.cases, result.entries)
    assert {t: table_dump(db, t) for t in DERIVED} == before


def test_reparse_replays_a_full_and_an_incremental_report_in_order(db):
    parser = PageParser()
    ref = reference("district", "utd")
    full = {**ref, "docket_entries": ref["docket_entries"][:100]}
    incremental = {**ref, "parties": [], "docket_entries": ref["docket_entries"][90:]}
    store_docket(db, "utd", "1", full, raw=b"<html>full report</html>", fetched_at="2026-01-05T02:00:00Z")
    store_docket(db, "utd", "1", incremental, raw=b"<html>incremental</html>", incremental=True,
                 fetched_at="2026-01-06T02:00:00Z")  # fmt: skip
    parser.register(b"<html>full report</html>", full)
    parser.register(b"<html>incremental</html>", incremental)
    before = {t: table_dump(db, t) for t in DERIVED if t not in ("cases", "attorneys")}

    result = reparse(db, parser)
    assert (result.cases, result.entries) == (1, len(ref["docket_entries"]))
    after = {t: table_dump(db, t) for t in DERIVED if t not in ("cases", "attorneys")}
    # Same rows; only the surrogate ids of the rebuilt rows may differ.
    for table in ("parties", "docket_entries", "rss_items"):
        assert _without_ids(after[table]) == _without_ids(before[table]), table
    (exported,) = iter_case_records(db)
    assert comparable(exported) == comparable(ref)
    state = case_state(db, "utd", "1")
    assert (state.first_harvested_at, state.last_harvested_at) == ("2026-01-05T02:00:00+00:00", "2026-01-06T02:00:00+00:00")


def _without_ids(rows: list[tuple]) -> list[tuple]:
    return sorted(row[1:] for row in rows)


def test_a_case_whose_page_no_longer_parses_is_left_as_it_was(db):
    parser = PageParser()
    ref = reference("district", "cand_3")
    store_docket(db, "cand", "1", ref, raw=page("district", "cand_3"))
    before = {t: table_dump(db, t) for t in DERIVED}
    result = reparse(db, parser)  # the parser knows no page: every parse fails
    assert (result.failed, result.cases, result.pages) == (1, 0, 0)
    assert "not a page this parser knows" in result.failures[0]
    assert {t: table_dump(db, t) for t in DERIVED} == before


def test_reparse_rewrites_rss_items_without_flagging_cases_again(db):
    parser = PageParser()
    item = {"case_name": "Dozier v. CN", "docket_number": "18-00079", "pacer_case_id": "711557",
            "docket_entries": [{"date_filed": "2026-01-05T15:00:00+00:00", "document_number": "5", "description": "",
                                "pacer_doc_id": "092041355399", "pacer_seq_no": "9", "short_description": "Close Case"}]}  # fmt: skip
    store_docket(db, "mdb", "711557", {"case_name": "Dozier", "docket_entries": []}, fetched_at="2026-01-05T02:00:00Z")
    old = {"dockets": [{**item, "docket_entries": [{**item["docket_entries"][0], "short_description": "Close"}]}]}
    store_rss(db, "mdb", old, raw=b"<rss>feed</rss>", fetched_at="2026-01-06T00:00:00Z")
    store_docket(db, "mdb", "711557", {"case_name": "Dozier", "docket_entries": []}, fetched_at="2026-01-06T02:00:00Z")
    assert changed_cases(db) == []
    parser.register(b"<rss>feed</rss>", {"kind": "rss", "court_id": "mdb", "dockets": [item]})

    result = reparse(db, parser)
    assert (result.rss_pages, result.rss_items) == (1, 1)
    assert db.execute("SELECT short_description FROM rss_items").fetchall() == [("Close Case",)]
    assert changed_cases(db) == []
    before = table_dump(db, "rss_items")
    reparse(db, parser)
    assert table_dump(db, "rss_items") == before


def test_reparse_with_the_real_parsers_reproduces_what_was_stored(db):
    for kind, stem, court in DOCKET_FIXTURES:
        data = page(kind, stem)
        store_docket(db, court, stem, parse_page(data, court_id=court), raw=data)
    stored = {r["pacer_case_id"]: comparable(r) for r in iter_case_records(db)}

    feed = (FIXTURES / "rss_feeds" / "mdb_1.xml").read_bytes()
    store_rss(db, "mdb", parse_page(feed, court_id="mdb"), raw=feed)
    items = table_dump(db, "rss_items")

    result = reparse(db)
    assert (result.cases, result.rss_pages, result.failed) == (len(DOCKET_FIXTURES), 1, 0)
    assert {r["pacer_case_id"]: comparable(r) for r in iter_case_records(db)} == stored
    assert table_dump(db, "rss_items") == items


def test_cli_reparse_prints_counts(tmp_path):
    db = open_db(tmp_path / "pacer.db")
    store_docket(db, "cand", "1", reference("district", "cand_3"))  # no raw page: nothing to reparse
    db.close()
    run = subprocess.run([str(HARVESTER), "reparse", "--db", str(tmp_path / "pacer.db")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    counts, speed = run.stdout.strip().rsplit("; ", 1)
    assert counts == "reparsed 0 pages: 0 cases (0 entries), 0 RSS pages (0 items), 0 court lookups; 0 failed, 0 skipped"
    assert re.fullmatch(r"\d+\.\d s, 0 pages/s, 0\.0 MB/s", speed), speed


def test_reparse_counts_pages_and_bytes_parsed(db):
    data = page("district", "cand_3")
    store_docket(db, "cand", "1", reference("district", "cand_3"), raw=data)
    result = reparse(db)
    assert (result.parsed_pages, result.parsed_bytes) == (1, len(strip_login(data)))
    assert result.seconds > 0
    assert re.search(r"\d pages/s, \d+\.\d MB/s$", result.summary())
