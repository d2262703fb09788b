"""A reparse indexes the rows it inserts for search in bulk, with the insert triggers off
(harvester/store/search_index.py): the indexes end up exactly as the triggers would
have made them, and the triggers are back, the same, however the transaction ends."""

from __future__ import annotations

import pytest
from db_support import DOCKET_FIXTURES, page

from harvester.store import reparse as reparse_module
from harvester.store.connection import open_db, write_transaction
from harvester.store.raw_pages import archive_raw_page
from harvester.store.reparse import reparse
from harvester.store.search_index import bulk_search_index

FETCHED_AT = "2026-01-05T02:00:00Z"
SEARCHED_TABLES = ("cases", "docket_entries", "parties", "attorneys")  # the tables harvester.store.migrations indexes


def _triggers(db) -> list[tuple[str, str]]:
    return db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()


def _check_indexes(db) -> None:
    """FTS5's own check that each index holds exactly the rows of its table (fails loudly if not)."""
    for table in SEARCHED_TABLES:
        db.execute(f"INSERT INTO {table}_fts ({table}_fts, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def archive(tmp_path):
    """A database holding only the archived fixture dockets: a reparse inserts every row."""
    db = open_db(tmp_path / "pacer.db")
    with db.conn:
        for kind, stem, court in DOCKET_FIXTURES:
            archive_raw_page(db, page(kind, stem), kind="docket", court_id=court, pacer_case_id=stem,
                             fetched_at=FETCHED_AT)  # fmt: skip
    yield db
    db.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_fresh_reparse_leaves_every_row_searchable_and_the_triggers_as_they_were(archive, monkeypatch, jobs):
    monkeypatch.setattr(reparse_module, "_MIN_PARALLEL_PAGES", 1)  # jobs=2: the workers plan every case
    db, triggers = archive, _triggers(archive)
    result = reparse(db, jobs=jobs)
    assert (result.cases, result.failed) == (len(DOCKET_FIXTURES), 0)
    assert _triggers(db) == triggers
    _check_indexes(db)
    for table, column in (("docket_entries", "description"), ("parties", "name"), ("cases", "case_name")):
        rows = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        indexed = db.execute(f"SELECT count(*) FROM {table}_fts_docsize").fetchone()[0]
        assert rows == indexed > 0, table
        rowid, text = db.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} GLOB '*[a-z]*' LIMIT 1").fetchone()
        word = next(w for w in "".join(c if c.isalpha() else " " for c in text).split() if len(w) > 2)
        found = db.execute(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?", [f'"{word}"']).fetchall()
        assert (rowid,) in found, (table, word)


def test_an_unchanged_reparse_leaves_the_schema_alone(archive):
    reparse(archive)
    version = archive.execute("PRAGMA schema_version").fetchone()
    reparse(archive)  # nothing to insert: no trigger is suspended
    assert archive.execute("PRAGMA schema_version").fetchone() == version


def test_the_insert_trigger_is_back_after_a_rollback_and_indexes_again(archive):
    triggers = _triggers(archive)

    def fail_midway() -> None:
        with bulk_search_index(archive.conn) as index:
            index.suspend("docket_entries")
            assert ("docket_entries_ai",) not in [(name,) for name, _ in _triggers(archive)]
            raise RuntimeError("a job failed")

    with pytest.raises(RuntimeError, match="a job failed"):
        write_transaction(archive, fail_midway)
    assert _triggers(archive) == triggers
    reparse(archive)  # the triggers' own indexing, on later inserts as before
    with archive.conn:
        archive.conn.execute("INSERT INTO docket_entries (case_id, entry_key, position, description)"
                             " SELECT min(id), 'n:9999|', 9999, 'zzindexed' FROM cases")  # fmt: skip
    assert archive.execute(
        "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'zzindexed'"
    ).fetchone() == (1,)
    _check_indexes(archive)


def test_bulk_indexing_needs_a_write_transaction(archive):
    with pytest.raises(RuntimeError, match="open write transaction"):
        with bulk_search_index(archive.conn):
            pass
