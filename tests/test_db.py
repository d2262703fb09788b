"""The harvest database: schema, migrations, merging rules, crash safety and lock handling.

Every test uses a real SQLite file in a temporary directory.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from datetime import datetime, timezone

import pytest
from db_support import DOCKET_FIXTURES, FIXTURES, reference, table_dump

from harvester.store.cases import case_state, changed_cases, watch_case, watched_cases
from harvester.store.connection import (
    DatabaseLocked,
    SchemaError,
    open_db,
    schema_version,
)
from harvester.store.courts import store_courts
from harvester.store.dockets import attorney_firm, entry_keys, store_docket
from harvester.store.ledger import (
    finish_run,
    quarter_bounds,
    quarter_spend,
    record_request,
    redact_url,
    start_run,
)
from harvester.store.migrations import LATEST, migrate
from harvester.store.raw_pages import archive_raw_page, read_raw_page
from harvester.store.rss import store_rss

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "nested" / "pacer.db"


@pytest.fixture
def db(db_path):
    database = open_db(db_path)
    yield database
    database.close()


def count(db, sql, params=()):
    return db.execute(sql, list(params)).fetchone()[0]


# ---------------------------------------------------------------- schema


def test_open_creates_file_with_wal_foreign_keys_and_schema(db_path):
    db = open_db(db_path, busy_timeout=2.5)
    assert db_path.exists()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    assert schema_version(db) == LATEST
    for table in ("courts", "cases", "parties", "attorneys", "party_attorneys", "docket_entries",
                  "rss_items", "runs", "requests", "raw_pages", "watchlist"):  # fmt: skip
        assert db[table].exists(), table
    assert {"attorney_appearances", "entries"} <= set(db.view_names())
    # WAL is a property of the file: a second connection sees it too.
    other = sqlite3.connect(db_path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_database_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(SchemaError, match="no database at"):
        open_db(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO parties (case_id, name, position) VALUES (12345, 'Nobody', 0)")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO cases (court_id, pacer_case_id, kind) VALUES ('nocourt', '1', 'district')")


def test_migrates_a_version_1_database_in_place(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    assert migrate(old, target=1) == 1
    old.execute("INSERT INTO courts (court_id) VALUES ('cand')")
    old.execute("INSERT INTO cases (court_id, pacer_case_id, kind, case_name) VALUES ('cand', '9', 'district', 'Oracle v. Google')")
    old.execute("INSERT INTO docket_entries (case_id, entry_key, position, description) VALUES (1, 'n:1|', 0, 'COMPLAINT against Google')")
    assert not old["docket_entries_fts"].exists()
    old.close()

    db = open_db(path)
    assert schema_version(db) == LATEST
    assert count(db, "SELECT count(*) FROM cases_fts WHERE cases_fts MATCH 'oracle'") == 1
    assert count(db, "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'complaint'") == 1
    # Migrating again is a no-op.
    assert migrate(db) == LATEST


def test_a_newer_schema_is_refused(db_path):
    db = open_db(db_path)
    db.execute(f"PRAGMA user_version = {LATEST + 1}")
    db.close()
    with pytest.raises(SchemaError, match="newer than this harvester"):
        open_db(db_path)


# ---------------------------------------------------------------- dockets


@pytest.mark.parametrize("kind,stem,court", DOCKET_FIXTURES)
def test_storing_a_docket_twice_changes_nothing(db, kind, stem, court):
    ref = reference(kind, stem)
    first = store_docket(db, court, "100", ref, fetched_at="2026-01-05T02:00:00Z")
    tables = ("cases", "parties", "attorneys", "party_attorneys", "docket_entries")
    before = {t: table_dump(db, t) for t in tables}
    second = store_docket(db, court, "100", ref, fetched_at="2026-01-05T02:00:00Z")

    assert first.created and not second.created
    assert first.entries_added == len(ref["docket_entries"])  # repeats of a number are kept
    assert (second.entries_added, second.entries_updated, second.parties_added) == (0, 0, 0)
    assert {t: table_dump(db, t) for t in tables} == before
    assert count(db, "SELECT count(*) FROM parties") == len(ref["parties"])


def test_entry_keys_are_unique_and_stable_under_edits():
    entries = reference("district", "ncwd_1")["docket_entries"]
    keys = entry_keys(entries)
    assert len(set(keys)) == len(keys)
    # A clerk's later edit of a numbered entry's text does not change its key.
    edited = [dict(e) for e in entries]
    edited[0]["description"] += " Modified on 1/2/2010 (abc)."
    assert entry_keys(edited) == keys


def test_incremental_report_merges_without_losing_entries_or_parties(db):
    ref = reference("district", "utd")
    entries = ref["docket_entries"]
    full = {**ref, "docket_entries": entries[:100]}
    store_docket(db, "utd", "7", full, fetched_at="2026-01-05T02:00:00Z", report_size_bytes=90_000)
    state = case_state(db, "utd", "7")
    assert state.entry_count == 100 and state.report_size_bytes == 90_000

    # An incremental report from the last entered date overlaps the stored tail and has no parties.
    last = state.last_entry_date_entered
    overlap = [e for e in entries if (e["date_entered"] or e["date_filed"]) >= last]
    assert len(overlap) > len(entries) - 100  # it really overlaps
    incremental = {**ref, "parties": [], "docket_entries": overlap}
    result = store_docket(db, "utd", "7", incremental, incremental=True,
                          fetched_at="2026-01-06T02:00:00Z", report_size_bytes=9_000)  # fmt: skip

    assert result.entries_added == len(entries) - 100
    state = case_state(db, "utd", "7")
    assert state.entry_count == len(entries)
    assert state.report_size_bytes == 90_000 and state.last_report_size_bytes == 9_000
    assert state.first_harvested_at == "2026-01-05T02:00:00+00:00"
    assert state.last_harvested_at == "2026-01-06T02:00:00+00:00"
    assert count(db, "SELECT count(*) FROM parties") == len(ref["parties"])
    assert count(db, "SELECT count(*) FROM party_attorneys") == sum(len(p["attorneys"]) for p in ref["parties"])
    stored = [r[0] for r in db.execute("SELECT description FROM docket_entries ORDER BY position")]
    assert stored == [e["description"] for e in entries]  # docket order survives the merge


def test_case_state_for_the_next_incremental_request(db):
    ref = reference("district", "utd")
    store_docket(db, "utd", "7", ref)
    state = case_state(db, "utd", "7")
    numbers = [int(e["document_number"]) for e in ref["docket_entries"] if (e["document_number"] or "").isdigit()]
    assert state.next_document_number == max(numbers) + 1
    assert state.last_entry_date_entered == max(e["date_entered"] or e["date_filed"] for e in ref["docket_entries"])
    assert case_state(db, "utd", docket_number=ref["docket_number"]).case_id == state.case_id
    assert case_state(db, "utd", "nope") is None


def test_a_party_in_a_new_report_gets_its_new_attorney_list(db):
    ref = reference("district", "utd")
    store_docket(db, "utd", "7", ref)
    party = ref["parties"][0]
    changed = {**ref, "parties": [{**party, "attorneys": party["attorneys"][:1]}], "docket_entries": []}
    store_docket(db, "utd", "7", changed)
    links = count(db, "SELECT count(*) FROM party_attorneys pa JOIN parties p ON p.id = pa.party_id WHERE p.name = ?",
                  [party["name"]])  # fmt: skip
    assert links == 1
    assert count(db, "SELECT count(*) FROM parties") == len(ref["parties"])  # the others stay


def test_attorneys_are_followed_across_parties_and_cases(db):
    ref = reference("district", "utd")
    store_docket(db, "utd", "1", ref)
    lawyer = ref["parties"][0]["attorneys"][1]  # Audrey K. James, Utah Federal Defender Office
    other = {
        "case_name": "United States v. Someone",
        "docket_number": "2:09-cr-00001",
        "parties": [{"name": "Someone", "type": "Defendant", "attorneys": [lawyer]}],
        "docket_entries": [],
    }
    store_docket(db, "utd", "2", other)
    cases = db.execute(
        "SELECT DISTINCT pacer_case_id FROM attorney_appearances WHERE email = ? ORDER BY 1", ["audrey_james@fd.org"]
    ).fetchall()
    assert cases == [("1",), ("2",)]
    firm_cases = count(db, "SELECT count(DISTINCT case_id) FROM attorney_appearances WHERE firm = ?",
                       ["UTAH FEDERAL DEFENDER OFFICE"])  # fmt: skip
    assert firm_cases == 2


def test_attorney_firm_guess():
    assert attorney_firm("UTAH FEDERAL DEFENDER OFFICE\n46 W BROADWAY STE 110\n") == "UTAH FEDERAL DEFENDER OFFICE"
    assert attorney_firm("Direct: 617-367-0077\nFax: 617-367-0071\nRubin Pomerleau PC\nThree Center Plaza") == "Rubin Pomerleau PC"
    assert attorney_firm("43 E 400 S\nSALT LAKE CITY, UT 84111\n(801)656-5221\n") is None
    assert attorney_firm("PRO SE\n") is None


def test_full_text_search_over_case_names_and_entries(db):
    store_docket(db, "utd", "1", reference("district", "utd"))
    store_docket(db, "ca1", "16-1033", reference("appellate", "ca1_2"))
    names = db.execute(
        "SELECT c.case_name FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid WHERE cases_fts MATCH 'pereira'"
    ).fetchall()
    assert names == [("Pereira v. Sessions",)]
    hits = count(db, "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'indictment'")
    assert hits >= 1
    # Porter stemming: the stem finds the longer word.
    assert count(db, "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'indict'") == hits


def test_a_docket_needs_a_case_id_and_a_record(db):
    with pytest.raises(ValueError):
        store_docket(db, "utd", " ", reference("district", "utd"))
    with pytest.raises(ValueError):
        store_docket(db, "utd", "1", {})
    assert count(db, "SELECT count(*) FROM cases") == 0


# ---------------------------------------------------------------- raw pages


RECEIPT = (
    b"<html><body><h3>Docket</h3><table><tr><th>PACER Service Center</th></tr>"
    b"<tr><th>Transaction Receipt</th></tr><tr><td>01/05/2026 02:00:00</td></tr>"
    b"<tr><th>PACER Login:</th><td>secretlogin77</td><th>Client Code:</th><td></td></tr>"
    b"<tr><th>Description:</th><td>Docket Report</td><th>Search Criteria:</th><td>2:08-cr-00125</td></tr>"
    b"<tr><th>Billable Pages:</th><td>3</td><th>Cost:</th><td>0.30</td></tr></table></body></html>"
)


def test_raw_pages_are_compressed_stripped_of_the_login_and_deduplicated(db):
    ref = reference("district", "utd")
    result = store_docket(db, "utd", "1", ref, raw=RECEIPT, url="https://ecf.utd.uscourts.gov/cgi-bin/DktRpt.pl?1")
    stored = read_raw_page(db, result.raw_page_id)
    assert b"secretlogin77" not in stored
    assert b"Billable Pages" in stored
    body = db.execute("SELECT body FROM raw_pages WHERE id = ?", [result.raw_page_id]).fetchone()[0]
    assert zlib.decompress(body) == stored and b"secretlogin77" not in body
    again = archive_raw_page(db, RECEIPT, kind="docket", court_id="utd", pacer_case_id="1")
    assert again == result.raw_page_id
    assert count(db, "SELECT count(*) FROM raw_pages") == 1


# ---------------------------------------------------------------- courts, RSS, watchlist


def test_store_courts_upserts_and_keeps_unknown_fields(db):
    courts = [
        {"court_id": "cand", "pacer_code": "CANDC", "type": "District", "rss_url": "https://x/rss", "flags": ["a"]},
        {"court_id": "ca9", "pacer_code": "09CA", "type": "Appeals"},
        {"title": "no court id: skipped"},
    ]
    assert store_courts(db, courts) == 2
    assert store_courts(db, [{"court_id": "CAND", "pacer_code": "CANDC", "software_version": "1.7"}]) == 1
    row = db.execute("SELECT pacer_code, software_version, extra FROM courts WHERE court_id = 'cand'").fetchone()
    assert row == ("CANDC", "1.7", None)
    assert count(db, "SELECT count(*) FROM courts") == 2


def _rss(published: str) -> list[dict]:
    return [{
        "case_name": "Dozier v. CN of Dundalk", "docket_number": "18-00079", "pacer_case_id": "711557",
        "chapter": "", "type": "ap", "office": "1",
        "docket_entries": [{"date_filed": published, "description": "", "document_number": "5",
                            "pacer_doc_id": "092041355399", "pacer_seq_no": "9",
                            "short_description": "Close Adversary Case"}],
    }]  # fmt: skip


def test_rss_items_flag_known_cases_once_and_a_harvest_clears_the_flag(db):
    store_docket(db, "mdb", "711557", {"case_name": "Dozier", "docket_entries": []}, fetched_at="2026-01-05T02:00:00Z")
    old = store_rss(db, "mdb", _rss("2026-01-04T11:25:12+00:00"), fetched_at="2026-01-05T23:00:00Z")
    assert (old.items_added, old.cases_flagged) == (1, 0)  # published before the harvest: nothing new
    new = store_rss(db, "mdb", {"dockets": _rss("2026-01-05T15:00:00-06:00")}, fetched_at="2026-01-06T00:00:00Z")
    assert (new.items_added, new.cases_flagged) == (1, 1)
    repeat = store_rss(db, "mdb", _rss("2026-01-05T15:00:00-06:00"), fetched_at="2026-01-06T01:00:00Z")
    assert repeat.items_added == 0
    assert [c.pacer_case_id for c in changed_cases(db, "mdb")] == ["711557"]
    item = db.execute("SELECT published_at, extra FROM rss_items ORDER BY id DESC LIMIT 1").fetchone()
    assert item[0] == "2026-01-05T21:00:00+00:00" and '"type": "ap"' in item[1]

    store_docket(db, "mdb", "711557", {"case_name": "Dozier", "docket_entries": []}, fetched_at="2026-01-06T02:00:00Z")
    assert changed_cases(db) == []


def test_a_reference_rss_feed_is_stored_once(db):
    feed = json.loads((FIXTURES / "rss_feeds" / "mdb_1.json").read_text())
    first = store_rss(db, "mdb", feed, raw=(FIXTURES / "rss_feeds" / "mdb_1.xml").read_bytes())
    assert first.items_added == sum(len(d["docket_entries"]) for d in feed) == 2
    assert store_rss(db, "mdb", feed).items_added == 0
    rows = db.execute("SELECT pacer_case_id, docket_number, document_number, short_description FROM rss_items"
                      " ORDER BY id").fetchall()  # fmt: skip
    assert rows == [("711557", "18-00079", None, "Close Adversary Case"), ("713212", "18-90003", "1", "Miscellaneous Motion")]
    assert db.execute("SELECT kind FROM raw_pages").fetchall() == [("rss",)]


def test_watchlist(db):
    assert watch_case(db, "cand", "257622", docket_number="3:12-cv-03879", source="config")
    assert not watch_case(db, "cand", "257622")
    assert watched_cases(db) == [("cand", "257622", "3:12-cv-03879")]


# ---------------------------------------------------------------- runs, requests, spend


def test_redact_url_removes_credentials_and_secret_parameters():
    url = "https://user:pw@ecf.cand.uscourts.gov/cgi-bin/login.pl?login=me&password=hunter2&case=3#frag"
    clean = redact_url(url)
    assert "pw" not in clean.split("//")[1].split("/")[0] and "hunter2" not in clean and "me&" not in clean
    assert clean.startswith("https://ecf.cand.uscourts.gov/cgi-bin/login.pl?") and "case=3" in clean
    assert redact_url("https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1-L_1_0-1") == (
        "https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?1-L_1_0-1"
    )


def test_runs_sum_their_requests(db):
    run = start_run(db, now="2026-01-05T00:00:00Z")
    record_request(db, run_id=run, url="https://ecf.utd.uscourts.gov/cgi-bin/DktRpt.pl?1", court_id="UTD",
                   status=200, size_bytes=12960, receipt={"billable_pages": "3", "cost": "0.30"})  # fmt: skip
    record_request(db, run_id=run, url="https://ecf.utd.uscourts.gov/cgi-bin/rss_outside.pl", status=200)
    record_request(db, run_id=run, url="https://ecf.utd.uscourts.gov/x", billable_pages=30, cost="$3.00")
    summary = finish_run(db, run, outcome="ok", cases_checked=2, gates={"rate_waits": 4}, now="2026-01-05T01:00:00Z")
    assert (summary.requests, summary.billable_pages, summary.cost) == (3, 33, 3.3)
    row = db.execute("SELECT outcome, finished_at, gates, cost FROM runs WHERE id = ?", [run]).fetchone()
    assert row == ("ok", "2026-01-05T01:00:00+00:00", '{"rate_waits": 4}', 3.3)
    assert db.execute("SELECT court_id FROM requests ORDER BY id LIMIT 1").fetchone()[0] == "utd"


def test_quarter_spend_uses_central_time_quarters(db):
    # 2026-03-31 23:30 CDT is 2026-04-01 04:30 UTC: still the first quarter in Chicago.
    record_request(db, url="u", cost=0.30, at="2026-04-01T04:30:00Z")
    record_request(db, url="u", cost=1.00, at="2026-04-01T05:30:00Z")  # 00:30 CDT, April 1st
    record_request(db, url="u", cost=2.00, at="2026-01-01T05:59:00Z")  # Dec 31st 23:59 CST: last year
    q1 = datetime(2026, 2, 1, tzinfo=timezone.utc)
    q2 = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert quarter_spend(db, q1) == 0.30
    assert quarter_spend(db, q2) == 1.00
    assert quarter_bounds(q1) == ("2026-01-01T06:00:00+00:00", "2026-04-01T05:00:00+00:00")


# ---------------------------------------------------------------- crash safety


CHILD_PRELUDE = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from harvester.store.connection import open_db
    from harvester.store.dockets import store_docket
    from db_support import reference
    db = open_db({path!r})
    """
)


def _child(path, body: str) -> subprocess.Popen:
    code = CHILD_PRELUDE.format(root=ROOT, tests=os.path.join(ROOT, "tests"), path=str(path)) + textwrap.dedent(body)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_writer_killed_mid_docket_leaves_no_half_docket(db_path):
    db = open_db(db_path)
    store_docket(db, "utd", "1", reference("district", "utd"))
    child = _child(db_path, """
        def pause_in_entries(sql):
            if sql.lstrip().startswith("INSERT INTO docket_entries"):
                print("inside", flush=True)
                time.sleep(60)
        db.conn.set_trace_callback(pause_in_entries)
        store_docket(db, "casb", "2", reference("bankruptcy", "casb"))
        print("committed", flush=True)
    """)
    try:
        assert child.stdout.readline().strip() == "inside"  # case and parties written, uncommitted
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    db = open_db(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert count(db, "SELECT count(*) FROM cases WHERE court_id = 'casb'") == 0
    assert count(db, "SELECT count(*) FROM parties p JOIN cases c ON c.id = p.case_id WHERE c.court_id = 'casb'") == 0
    assert count(db, "SELECT count(*) FROM docket_entries") == len(reference("district", "utd")["docket_entries"])
    # The database is writable again: the dead writer's lock is gone.
    assert store_docket(db, "casb", "2", reference("bankruptcy", "casb")).entries_added > 0


def test_killing_a_busy_writer_at_a_random_moment_leaves_only_whole_dockets(db_path):
    open_db(db_path).close()
    child = _child(db_path, """
        base = reference("district", "utd")
        for n in range(1, 400):
            record = dict(base, docket_entries=base["docket_entries"][: 20 + n % 50])
            store_docket(db, "utd", str(n), record)
            print(n, flush=True)
    """)
    try:
        for _ in range(5):
            child.stdout.readline()
        time.sleep(0.05 + (os.getpid() % 7) / 20)  # somewhere inside a later docket
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    db = open_db(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT id, pacer_case_id, entry_count FROM cases").fetchall()
    assert len(rows) >= 5
    parties = len(reference("district", "utd")["parties"])
    for case_id, pacer_case_id, entry_count in rows:
        entries = count(db, "SELECT count(*) FROM docket_entries WHERE case_id = ?", [case_id])
        assert entries == entry_count == 20 + int(pacer_case_id) % 50
        assert count(db, "SELECT count(*) FROM parties WHERE case_id = ?", [case_id]) == parties


# ---------------------------------------------------------------- locks


def test_a_locked_database_is_waited_for_then_written(db_path):
    db = open_db(db_path, busy_timeout=0.1, lock_wait=30)
    blocker = sqlite3.connect(db_path, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    released = []

    def release():
        released.append(time.monotonic())
        blocker.rollback()

    timer = threading.Timer(1.0, release)
    timer.start()
    try:
        result = store_docket(db, "utd", "1", reference("district", "utd"))
        done = time.monotonic()
    finally:
        timer.join()
    assert released and done >= released[0]  # it waited past several busy timeouts, then wrote
    assert result.entries_added == len(reference("district", "utd")["docket_entries"])


def test_a_lock_held_too_long_gives_a_clear_error_and_no_stuck_transaction(db_path):
    db = open_db(db_path, busy_timeout=0.1, lock_wait=0.6)
    blocker = sqlite3.connect(db_path)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseLocked, match="stayed locked by another connection for more than 0.6 s"):
        store_docket(db, "utd", "1", reference("district", "utd"))
    assert not db.conn.in_transaction
    blocker.rollback()
    assert store_docket(db, "utd", "1", reference("district", "utd")).created


def test_a_long_researcher_read_does_not_block_the_harvest(db_path):
    db = open_db(db_path, busy_timeout=0.1, lock_wait=0.5)
    store_docket(db, "utd", "1", reference("district", "utd"))
    reader = sqlite3.connect(db_path)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] == 1  # read snapshot open
    store_docket(db, "casb", "2", reference("bankruptcy", "casb"))  # WAL: no wait, no error
    assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] == 1  # still its snapshot
    reader.rollback()
    assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] == 2
