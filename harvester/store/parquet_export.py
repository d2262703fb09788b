"""Research exports: every table as Parquet, partitioned by court, with a manifest and a data dictionary.

What analysts with DuckDB, pandas, Polars or R expect from a data release:

- ``<table>/court_id=<court>/part-0.parquet`` for every table that belongs to a court
  (Hive-style partitions, so ``read_parquet('cases/*/*.parquet', hive_partitioning=1)``
  works), ``<table>/part-0.parquet`` for the others (runs, attorneys...). Rows of tables
  that reach their court through their case (entries, parties) carry ``court_id`` too.
- ``manifest.json``: per file its table, court, row count and sha256; the schema version,
  the runs the export covers, where the rows come from (PACER or the sandbox) and the
  ``--since`` run if any.
- ``DATA_DICTIONARY.md`` and ``schema.json``: every column with its type and meaning,
  generated from the same column descriptions Datasette shows
  (``harvester/web/datasette/metadata.yaml``), so the two cannot disagree.

Raw pages (compressed HTML) and the search indexes are not exported. A database whose
runs mix the sandbox and PACER is refused: sandbox rows are never exported with real ones.
Files are written to a temporary folder beside ``out`` and renamed into place, so an
interrupted export never leaves a half-written release.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from harvester.errors import HarvesterError
from harvester.store.connection import schema_version, utc_timestamp
from harvester.store.dictionary import column_descriptions, table_descriptions

BATCH_ROWS = 50_000  # rows per Parquet row group: memory stays flat whatever the table's size
# Tables that are not research data: compressed page bodies, and search-index shadows.
SKIPPED_TABLES = {"raw_pages"}
# How a table reaches its court when it has no court_id column of its own.
VIA_CASE = "case_id"
# The column that says when a row last changed, for --since.
CHANGED_AT = {
    "cases": "last_harvested_at", "docket_entries": "first_seen_at", "rss_items": "first_seen_at",
    "runs": "started_at", "requests": "at", "courts": "updated_at", "watchlist": "added_at",
}  # fmt: skip
ARROW_TYPES = {"INTEGER": "int64", "REAL": "float64", "TEXT": "string", "BLOB": "binary", "NUMERIC": "float64"}


class ExportError(HarvesterError):
    """The database cannot be exported as asked."""


@dataclass(frozen=True)
class ExportedFile:
    path: str  # relative to the export folder
    table: str
    court_id: str | None
    rows: int
    sha256: str


@dataclass
class ExportResult:
    out: Path
    files: list[ExportedFile] = field(default_factory=list)

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files if f.table == table)


def export_parquet(db: Database, out: str | Path, *, since_run: int | None = None) -> ExportResult:
    """Write the research export of ``db`` into the folder ``out`` (replaced if it exists)."""
    import pyarrow  # noqa: F401  (fail early with a clear error below when it is missing)

    out = Path(out)
    origin = _origin(db)
    since = _since_timestamp(db, since_run) if since_run is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        result = ExportResult(out)
        for table in export_tables(db):
            result.files.extend(_export_table(db, table, staging, since))
        _write_manifest(db, staging, result, origin, since_run)
        _write_dictionary(db, staging)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def export_tables(db: Database) -> list[str]:
    """The tables worth exporting: every table but raw pages, FTS shadows and SQLite's own."""
    return [
        name for name in db.table_names()
        if name not in SKIPPED_TABLES and not _is_search_index(name) and not name.startswith("sqlite_")
    ]  # fmt: skip


def _is_search_index(name: str) -> bool:
    """sqlite-utils names an FTS5 index <table>_fts, and SQLite its shadow tables <table>_fts_<part>."""
    return name.endswith("_fts") or "_fts_" in name


def _origin(db: Database) -> str:
    modes = {row[0] for row in db.execute("SELECT DISTINCT coalesce(mode, 'pacer') FROM runs")}
    if len(modes) > 1:
        raise ExportError(
            "this database holds both sandbox and PACER runs; sandbox rows are never exported with real ones. "
            "Export a database that holds one of them."
        )
    return "sandbox" if modes == {"sandbox"} else "pacer"


def _since_timestamp(db: Database, run_id: int) -> str:
    row = db.execute("SELECT started_at FROM runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        raise ExportError(f"--since {run_id}: there is no run {run_id} in this database (see harvester status)")
    return row[0]


def _columns(db: Database, table: str) -> list[tuple[str, str]]:
    """(name, declared SQLite type) of each column, in table order."""
    return [(c.name, (c.type or "TEXT").upper()) for c in db[table].columns]


def _arrow_schema(columns: list[tuple[str, str]]) -> Any:
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, ARROW_TYPES.get(kind, "string"))()) for name, kind in columns])


def _select(db: Database, table: str, since: str | None) -> tuple[str, list[Any], list[tuple[str, str]], bool]:
    """SQL yielding the table's rows with a court_id column first when the table has a court."""
    columns = _columns(db, table)
    names = [c for c, _ in columns]
    quoted = ", ".join(f't."{c}"' for c in names)
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where_since, params = _since_clause(table, names, since)
        where.append(where_since)
    if "court_id" in names:
        sql = f'SELECT {quoted} FROM "{table}" t'
        by_court = True
    elif VIA_CASE in names and table != "cases":
        sql = f'SELECT c.court_id AS court_id, {quoted} FROM "{table}" t JOIN cases c ON c.id = t.case_id'
        columns = [("court_id", "TEXT"), *columns]
        by_court = True
    else:
        sql = f'SELECT {quoted} FROM "{table}" t'
        by_court = False
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql, params, columns, by_court


def _since_clause(table: str, names: list[str], since: str) -> tuple[str, list[Any]]:
    if table in CHANGED_AT and CHANGED_AT[table] in names:
        return f't."{CHANGED_AT[table]}" >= ?', [since]
    if VIA_CASE in names:  # parties, versions...: the rows of cases harvested since
        return "t.case_id IN (SELECT id FROM cases WHERE last_harvested_at >= ?)", [since]
    return "1", []  # no change time: a small reference table, exported whole


def _export_table(db: Database, table: str, staging: Path, since: str | None) -> list[ExportedFile]:
    sql, params, columns, by_court = _select(db, table, since)
    if not by_court:
        return [_write_part(db, table, None, sql, params, columns, staging)]
    court_sql = f"SELECT DISTINCT court_id FROM ({sql}) ORDER BY court_id"
    courts = [row[0] for row in db.execute(court_sql, params)]
    part_sql = f"SELECT * FROM ({sql}) WHERE court_id IS ?"
    return [_write_part(db, table, court, part_sql, [*params, court], columns, staging) for court in courts]


def _batches(db: Database, sql: str, params: list[Any]) -> Iterator[list[tuple]]:
    cursor = db.conn.execute(sql, params)
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield rows


def _write_part(
    db: Database, table: str, court: str | None, sql: str, params: list[Any],
    columns: list[tuple[str, str]], staging: Path,
) -> ExportedFile:  # fmt: skip
    import pyarrow as pa
    import pyarrow.parquet as pq

    relative = Path(table) / (f"court_id={court}" if court else "") / "part-0.parquet"
    path = staging / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = _arrow_schema(columns)
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in _batches(db, sql, params):
            arrays = [pa.array([_cell(r[i], kind) for r in batch], type=schema.field(i).type)
                      for i, (_, kind) in enumerate(columns)]  # fmt: skip
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(batch)
    return ExportedFile(relative.as_posix(), table, court, rows, _sha256(path))


def _cell(value: Any, kind: str) -> Any:
    """SQLite is loosely typed: a TEXT column may hold a number; Parquet columns hold one type."""
    if value is None:
        return None
    if kind == "TEXT" and not isinstance(value, str):
        return str(value)
    if kind == "INTEGER" and not isinstance(value, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if kind in ("REAL", "NUMERIC") and not isinstance(value, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(db: Database, staging: Path, result: ExportResult, origin: str, since_run: int | None) -> None:
    first, last, count = db.execute("SELECT min(id), max(id), count(*) FROM runs").fetchone()
    manifest = {
        "exported_at": utc_timestamp(),
        "origin": origin,
        "schema_version": schema_version(db),
        "since_run": since_run,
        "runs": {"first": first, "last": last, "count": count},
        "tables": {t: result.rows(t) for t in export_tables(db)},  # empty tables too: the schema is the release
        "files": [f.__dict__ for f in result.files],
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def data_dictionary(db: Database) -> dict[str, Any]:
    """Every exported table and column: SQLite type, Parquet type, meaning."""
    described, tables = column_descriptions(), table_descriptions()
    schema: dict[str, Any] = {}
    for table in export_tables(db):
        columns = _select(db, table, None)[2]
        schema[table] = {
            "description": tables.get(table, ""),
            "partitioned_by_court": _select(db, table, None)[3],
            "columns": [
                {"name": name, "sqlite_type": kind, "parquet_type": ARROW_TYPES.get(kind, "string"),
                 "description": described.get(table, {}).get(name) or _derived(name)}
                for name, kind in columns
            ],
        }  # fmt: skip
    return schema


def _derived(column: str) -> str:
    return "CM/ECF court id of the row's case (added by the export)." if column == "court_id" else ""


def _write_dictionary(db: Database, staging: Path) -> None:
    schema = data_dictionary(db)
    (staging / "schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    lines = ["# Data dictionary", "",
             "Generated with the export from the column descriptions Datasette shows. Types: SQLite / Parquet.", ""]
    for table, spec in schema.items():
        lines += [f"## {table}", "", spec["description"] or "(no description)", ""]
        if spec["partitioned_by_court"]:
            lines += [f"Partitioned by court: `{table}/court_id=<court>/part-0.parquet`.", ""]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        for col in spec["columns"]:
            meaning = (col["description"] or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{col['name']}` | {col['sqlite_type']} / {col['parquet_type']} | {meaning} |")
        lines.append("")
    (staging / "DATA_DICTIONARY.md").write_text("\n".join(lines), encoding="utf-8")
