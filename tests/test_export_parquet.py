"""Research exports: Parquet per table and court, read back with DuckDB, manifest and data dictionary."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from researcher_support import copy_db, harvested_db

duckdb = pytest.importorskip("duckdb", reason="duckdb is a test dependency: pip install -e '.[test]'")

HARVESTER = Path(sys.executable).with_name("harvester")


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> Path:
    return harvested_db(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(harvest, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "release"
    result = subprocess.run([str(HARVESTER), "export", "--db", str(harvest), "--format", "parquet", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "manifest.json" in result.stderr
    return out


def _sqlite_count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _duck(out: Path, table: str) -> str:
    """A DuckDB source expression over every Parquet file of a table, partitions included."""
    files = sorted(str(p) for p in (out / table).rglob("*.parquet"))
    assert files, f"no parquet file for {table}"
    listed = ", ".join(f"'{f}'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"


def test_every_table_round_trips_through_duckdb(harvest, exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    tables = manifest["tables"]
    for table in ("cases", "docket_entries", "parties", "attorneys", "courts", "runs", "requests"):
        assert table in tables, f"{table} missing from the export"
    con = duckdb.connect()
    for table, rows in tables.items():
        assert rows == _sqlite_count(harvest, table), table
        if rows:
            assert con.execute(f"SELECT count(*) FROM {_duck(exported, table)}").fetchone()[0] == rows, table
    assert "raw_pages" not in tables and not any(t.endswith("_fts") for t in tables)


def test_values_survive_the_round_trip(harvest, exported):
    con = duckdb.connect()
    with sqlite3.connect(harvest) as conn:
        sample = conn.execute(
            "SELECT e.id, c.court_id, e.document_number, e.date_filed, e.description FROM docket_entries e"
            " JOIN cases c ON c.id = e.case_id ORDER BY e.id LIMIT 50 OFFSET 7"
        ).fetchall()
        cases = conn.execute("SELECT id, court_id, docket_number, case_name, date_filed FROM cases ORDER BY id").fetchall()
    assert len(sample) == 50
    got = con.execute(
        f"SELECT id, court_id, document_number, date_filed, description FROM {_duck(exported, 'docket_entries')}"
        f" WHERE id IN ({', '.join(str(r[0]) for r in sample)}) ORDER BY id"
    ).fetchall()
    assert got == sample
    got_cases = con.execute(
        f"SELECT id, court_id, docket_number, case_name, date_filed FROM {_duck(exported, 'cases')} ORDER BY id"
    ).fetchall()
    assert got_cases == cases


def test_partitioned_by_court(harvest, exported):
    with sqlite3.connect(harvest) as conn:
        courts = {r[0] for r in conn.execute("SELECT DISTINCT court_id FROM cases")}
    partitions = {p.name.split("=", 1)[1] for p in (exported / "cases").iterdir() if p.name.startswith("court_id=")}
    assert partitions == courts
    entry_partitions = {p.name for p in (exported / "docket_entries").iterdir()}
    assert all(name.startswith("court_id=") for name in entry_partitions)
    assert (exported / "runs" / "part-0.parquet").exists(), "tables without a court are one file"


def test_manifest_hashes_and_runs(harvest, exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (exported / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    with sqlite3.connect(harvest) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        runs = conn.execute("SELECT min(id), max(id), count(*) FROM runs").fetchone()
    assert manifest["schema_version"] == version
    assert (manifest["runs"]["first"], manifest["runs"]["last"], manifest["runs"]["count"]) == runs
    assert manifest["origin"] == "sandbox"


def test_data_dictionary_describes_every_column(exported):
    schema = json.loads((exported / "schema.json").read_text())
    manifest = json.loads((exported / "manifest.json").read_text())
    assert set(schema) == set(manifest["tables"])
    for table, spec in schema.items():
        for column in spec["columns"]:
            assert column["description"], f"{table}.{column['name']} has no description in metadata.yaml"
    text = (exported / "DATA_DICTIONARY.md").read_text()
    assert "## docket_entries" in text and "| `description` |" in text


def test_since_exports_only_rows_changed_after_a_run(harvest, tmp_path):
    db = copy_db(harvest, tmp_path)
    with sqlite3.connect(db) as conn:
        last_run, started = conn.execute("SELECT id, started_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        # Pretend one case was harvested again after the last run started, with one new entry.
        case_id = conn.execute("SELECT id FROM cases ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE cases SET last_harvested_at = '2999-01-01T00:00:00Z' WHERE id = ?", [case_id])
        conn.execute("UPDATE cases SET last_harvested_at = '2000-01-01T00:00:00Z' WHERE id != ?", [case_id])
        conn.execute("UPDATE docket_entries SET first_seen_at = '2000-01-01T00:00:00Z'")
        entry = conn.execute("SELECT id FROM docket_entries WHERE case_id = ? LIMIT 1", [case_id]).fetchone()[0]
        conn.execute("UPDATE docket_entries SET first_seen_at = '2999-01-01T00:00:00Z' WHERE id = ?", [entry])
        parties = conn.execute("SELECT count(*) FROM parties WHERE case_id = ?", [case_id]).fetchone()[0]
    out = tmp_path / "since"
    from harvester.store.connection import open_db
    from harvester.store.parquet_export import export_parquet

    result = export_parquet(open_db(db, create=False), out, since_run=last_run)
    assert result.rows("cases") == 1
    assert result.rows("docket_entries") == 1
    assert result.rows("parties") == parties
    assert json.loads((out / "manifest.json").read_text())["since_run"] == last_run
    assert started


def test_mixed_sandbox_and_real_runs_are_refused(harvest, tmp_path):
    db = copy_db(harvest, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET mode = 'pacer' WHERE id = (SELECT min(id) FROM runs)")
        conn.execute("INSERT INTO runs (started_at, mode, outcome) VALUES ('2026-01-01T00:00:00Z', 'sandbox', 'done')")
    result = subprocess.run([str(HARVESTER), "export", "--db", str(db), "--format", "parquet", "--out",
                             str(tmp_path / "x")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode != 0
    assert "sandbox" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists(), "nothing is left behind"


@pytest.mark.parametrize("args, message", [
    (["--format", "parquet"], "--out"),
    (["--format", "jsonl", "--out", "x"], "--format parquet"),
    (["--format", "parquet", "--out", "x", "--court", "cand"], "every court"),
])  # fmt: skip
def test_parquet_usage_errors_are_clear(harvest, tmp_path, args, message):
    result = subprocess.run([str(HARVESTER), "export", "--db", str(harvest), *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
