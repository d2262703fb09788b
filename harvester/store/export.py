"""Export harvested cases as JSON lines or CSV.

JSON lines: one case a line, in the record shape of ``harvester parse`` (the
field names of the reference parses: case metadata, ``parties`` with their
``attorneys``, ``docket_entries``), plus ``court_id``, ``pacer_case_id``,
``kind`` (district, bankruptcy or appellate) and ``source`` =
``<court_id>_<pacer_case_id>``, the naming of the reference corpus, so
An export can be scored field by field against reference parses.

CSV: one row per docket entry, case columns repeated on each row
(:data:`CSV_COLUMNS`); a case without entries gets one row with empty entry
columns. Case dates are ``case_date_filed``/``case_date_terminated``, entry dates
``date_filed``/``date_entered``. A text cell that a spreadsheet would run as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: a
court page may say anything) is written with a leading apostrophe, so it stays text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from sqlite_utils import Database

from harvester.store.dockets import (
    CASE_COLUMNS,
    CASE_JSON_COLUMNS,
    ENTRY_COLUMNS,
    PARTY_COLUMNS,
    PARTY_JSON_COLUMNS,
)

# Fields every record of a kind carries (null when unknown), as the parsers emit them.
_DOCKET_FIELDS = (
    "assigned_to_str", "case_name", "cause", "date_converted", "date_discharged", "date_filed",
    "date_terminated", "demand", "docket_number", "federal_defendant_number", "federal_dn_case_type",
    "federal_dn_judge_initials_assigned", "federal_dn_judge_initials_referred", "federal_dn_office_code",
    "jurisdiction", "jury_demand", "mdl_status", "nature_of_suit", "ordered_by", "referred_to_str",
)  # fmt: skip
_APPELLATE_FIELDS = (
    "appeal_from", "case_name", "case_type_information", "date_filed", "date_terminated", "docket_number",
    "fee_status", "nature_of_suit", "originating_court_information", "panel",
)  # fmt: skip
KIND_FIELDS = {"district": _DOCKET_FIELDS, "bankruptcy": _DOCKET_FIELDS, "appellate": _APPELLATE_FIELDS}

# CSV header -> the cases column it comes from.
_CSV_CASE_SOURCES = {
    "court_id": "court_id", "pacer_case_id": "pacer_case_id", "kind": "kind", "docket_number": "docket_number",
    "case_name": "case_name", "case_date_filed": "date_filed", "case_date_terminated": "date_terminated",
    "assigned_to_str": "assigned_to_str", "nature_of_suit": "nature_of_suit", "cause": "cause",
    "jurisdiction": "jurisdiction",
}  # fmt: skip
CSV_COLUMNS = (*_CSV_CASE_SOURCES, *ENTRY_COLUMNS)


def _case_filter(courts: Sequence[str], cases: Sequence[str]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if courts:
        clauses.append(f"c.court_id IN ({', '.join('?' * len(courts))})")
        params += [c.strip().lower() for c in courts]
    if cases:
        marks = ", ".join("?" * len(cases))
        clauses.append(f"(c.pacer_case_id IN ({marks}) OR c.docket_number IN ({marks}))")
        params += [*cases, *cases]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def iter_case_records(db: Database, *, courts: Sequence[str] = (), cases: Sequence[str] = ()) -> Iterator[dict]:
    """Yield stored cases as parse-shaped records, ordered by court and case.

    ``courts`` limits to those court ids; ``cases`` to cases whose pacer_case_id
    or docket number is listed.
    """
    where, params = _case_filter(courts, cases)
    columns = ("id", "court_id", "pacer_case_id", "kind", *CASE_COLUMNS, *CASE_JSON_COLUMNS, "extra")
    sql = f"SELECT {', '.join('c.' + c for c in columns)} FROM cases c{where} ORDER BY c.court_id, c.pacer_case_id"
    for row in db.execute(sql, params).fetchall():
        yield _case_record(db, dict(zip(columns, row, strict=True)))


def _case_record(db: Database, case: dict[str, Any]) -> dict:
    kind = case["kind"]
    record: dict[str, Any] = {
        "source": f"{case['court_id']}_{case['pacer_case_id']}",
        "court_id": case["court_id"],
        "pacer_case_id": case["pacer_case_id"],
        "kind": kind,
    }
    for field in (*CASE_COLUMNS, *CASE_JSON_COLUMNS):
        value = case[field]
        if value is not None or field in KIND_FIELDS[kind]:
            record[field] = _loads(value) if field in CASE_JSON_COLUMNS else value
    record.update(_loads(case["extra"]) or {})
    record["parties"] = _parties(db, case["id"], kind)
    record["docket_entries"] = _entries(db, case["id"])
    return record


def _parties(db: Database, case_id: int, kind: str) -> list[dict]:
    attorneys: dict[int, list[dict]] = {}
    for party_id, name, contact, roles in db.execute(
        "SELECT pa.party_id, a.name, a.contact, pa.roles FROM party_attorneys pa"
        " JOIN attorneys a ON a.id = pa.attorney_id JOIN parties p ON p.id = pa.party_id"
        " WHERE p.case_id = ? ORDER BY pa.party_id, pa.position",
        [case_id],
    ):
        attorneys.setdefault(party_id, []).append({"name": name, "contact": contact, "roles": json.loads(roles)})
    parties = []
    for party_id, name, ptype, extra_info, date_terminated, criminal_data, extra in db.execute(
        "SELECT id, name, type, extra_info, date_terminated, criminal_data, extra FROM parties"
        " WHERE case_id = ? ORDER BY position, id",
        [case_id],
    ):
        party: dict[str, Any] = {"name": name, "type": ptype, "attorneys": attorneys.get(party_id, [])}
        for field, value in zip(PARTY_COLUMNS, (extra_info, date_terminated), strict=True):
            if value is not None or kind != "appellate":
                party[field] = value
        for field, value in zip(PARTY_JSON_COLUMNS, (criminal_data,), strict=True):
            if value is not None:
                party[field] = json.loads(value)
        party.update(_loads(extra) or {})
        parties.append(party)
    return parties


def _entries(db: Database, case_id: int) -> list[dict]:
    entries = []
    for row in db.execute(
        f"SELECT {', '.join(ENTRY_COLUMNS)}, extra FROM docket_entries WHERE case_id = ? ORDER BY position, id",
        [case_id],
    ):
        entry = dict(zip(ENTRY_COLUMNS, row[:-1], strict=True))
        entry.update(_loads(row[-1]) or {})
        entries.append(entry)
    return entries


def write_jsonl(db: Database, out: TextIO, *, courts: Sequence[str] = (), cases: Sequence[str] = ()) -> int:
    """Write one JSON record per case to ``out``; return the number of cases."""
    count = 0
    for record in iter_case_records(db, courts=courts, cases=cases):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """A CSV cell that spreadsheets show as written: text that looks like a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(db: Database, out: TextIO, *, courts: Sequence[str] = (), cases: Sequence[str] = ()) -> int:
    """Write one CSV row per docket entry (:data:`CSV_COLUMNS`) to ``out``; return the number of rows."""
    where, params = _case_filter(courts, cases)
    sql = (
        f"SELECT {', '.join('c.' + c for c in _CSV_CASE_SOURCES.values())},"
        f" {', '.join('e.' + c for c in ENTRY_COLUMNS)}"
        f" FROM cases c LEFT JOIN docket_entries e ON e.case_id = c.id{where}"
        " ORDER BY c.court_id, c.pacer_case_id, e.position, e.id"
    )
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in db.execute(sql, params):
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    return count


def export(
    db: Database, out: TextIO, *, fmt: str = "jsonl", courts: Sequence[str] = (), cases: Sequence[str] = ()
) -> int:
    """Write the selected cases to ``out`` as ``jsonl`` (cases) or ``csv`` (entry rows); return the count."""
    writers = {"jsonl": write_jsonl, "csv": write_csv}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    return writers[fmt](db, out, courts=courts, cases=cases)
