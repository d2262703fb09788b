"""Export: stored dockets come back in the parse/reference shape; CSV is one row per entry."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from db_support import DOCKET_FIXTURES, SHARED, comparable, page, reference

from harvester.errors import ParseError
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.export import CSV_COLUMNS, export, iter_case_records

HARVESTER = Path(sys.executable).with_name("harvester")


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "pacer.db")
    yield database
    database.close()


@pytest.fixture
def stored(db):
    """Every fixture docket stored under pacer_case_id = its file stem."""
    for kind, stem, court in DOCKET_FIXTURES:
        store_docket(db, court, stem, reference(kind, stem))
    return db


def _by_stem(db) -> dict[str, dict]:
    return {r["pacer_case_id"]: r for r in iter_case_records(db)}


def test_export_reproduces_every_reference_record(stored):
    exported = _by_stem(stored)
    assert len(exported) == len(DOCKET_FIXTURES)
    for kind, stem, court in DOCKET_FIXTURES:
        record = exported[stem]
        assert record["court_id"] == court and record["kind"] == kind and record["source"] == f"{court}_{stem}"
        assert comparable(record) == comparable(reference(kind, stem)), stem


def _fidelity():
    """The shared fidelity tool as a module, or None in a fresh clone."""
    tool = SHARED / "tools" / "fidelity.py"
    if not tool.exists():
        return None
    spec = importlib.util.spec_from_file_location("fidelity", tool)
    fidelity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fidelity)
    return fidelity


def test_export_scores_100_percent_with_the_fidelity_tool(stored):
    fidelity = _fidelity()
    if fidelity is None:
        pytest.skip("fidelity tool absent: /work/shared corpus absent (a fresh clone)")
    exported = _by_stem(stored)
    for kind, stem, _ in DOCKET_FIXTURES:
        for unit, (matched, total) in fidelity.score(reference(kind, stem), exported[stem]).items():
            assert matched == total, (stem, unit, matched, total)


def _parse_or_skip(data: bytes, court: str) -> dict:
    from harvester.parsers import parse_page

    try:
        return parse_page(data, court_id=court)
    except ParseError as exc:
        if "no parser yet" in str(exc):
            pytest.skip("the docket parsers are not wired into parse_page yet")
        raise


@pytest.mark.parametrize("kind,stem,court", DOCKET_FIXTURES)
def test_a_parsed_page_stored_and_exported_is_what_the_parser_said(db, kind, stem, court):
    parsed = _parse_or_skip(page(kind, stem), court)
    store_docket(db, court, stem, parsed, raw=page(kind, stem))
    (exported,) = iter_case_records(db)
    # Storage loses nothing the parser produced, so the export scores against the
    # reference exactly as the parse itself does.
    assert comparable(exported) == comparable(parsed)
    fidelity = _fidelity()
    if fidelity:
        ref = reference(kind, stem)
        assert fidelity.score(ref, exported) == fidelity.score(ref, parsed)


def test_filters_by_court_and_case(stored):
    assert {r["court_id"] for r in iter_case_records(stored, courts=["UTD", "ca1"])} == {"utd", "ca1"}
    by_docket_number = list(iter_case_records(stored, cases=["16-1033"]))
    assert [r["pacer_case_id"] for r in by_docket_number] == ["ca1_2"]
    assert [r["pacer_case_id"] for r in iter_case_records(stored, courts=["utd"], cases=["ca1_2"])] == []


def test_csv_has_one_row_per_entry_and_one_for_a_case_without_entries(stored):
    store_docket(stored, "cand", "empty", {"case_name": "Empty v. Docket", "docket_entries": []})
    out = io.StringIO()
    rows = export(stored, out, fmt="csv")
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    expected = sum(len(reference(k, s)["docket_entries"]) for k, s, _ in DOCKET_FIXTURES) + 1
    assert rows == len(table) == expected
    assert tuple(table[0]) == CSV_COLUMNS
    empty = [r for r in table if r["pacer_case_id"] == "empty"]
    assert len(empty) == 1 and empty[0]["description"] == "" and empty[0]["case_name"] == "Empty v. Docket"
    utd = [r for r in table if r["court_id"] == "utd"]
    first = reference("district", "utd")["docket_entries"][0]
    assert utd[0]["description"] == first["description"] and utd[0]["case_date_filed"] == "2008-03-05"


def test_unknown_format_is_refused(stored):
    with pytest.raises(ValueError, match="unknown export format"):
        export(stored, io.StringIO(), fmt="xml")


def test_cli_export_writes_jsonl_and_csv(stored, tmp_path):
    db_file = str(tmp_path / "pacer.db")
    out = tmp_path / "utd.jsonl"
    run = subprocess.run([str(HARVESTER), "export", "--db", db_file, "--court", "utd", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "exported 1 cases" in run.stderr
    (line,) = out.read_text().splitlines()
    assert comparable(json.loads(line)) == comparable(reference("district", "utd"))

    run = subprocess.run([str(HARVESTER), "export", "--db", db_file, "--format", "csv", "--case", "ca1_2"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert len(list(csv.DictReader(io.StringIO(run.stdout)))) == len(reference("appellate", "ca1_2")["docket_entries"])


def test_cli_export_of_a_missing_database_is_one_clear_line(tmp_path):
    run = subprocess.run([str(HARVESTER), "export", "--db", str(tmp_path / "none.db")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.strip() == f"Error: no database at {tmp_path / 'none.db'}"
    assert not (tmp_path / "none.db").exists()
