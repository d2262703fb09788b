"""The docket page: a case's own Datasette row page, laid out the way a court's docket reads.

Header (court, number, name, judges, dates, nature of suit, cause, jurisdiction),
parties with their counsel, entries in docket order with their stored documents and
each entry's earlier versions where the store kept any, and the case's harvest
history (every docket report fetched for it, with its run). Tables that a database
does not have yet (documents, entry versions) are simply left out, so the page works
on every schema version.
"""

from __future__ import annotations

import json
from typing import Any

from harvester.web.documents import document_url

HEADER_FIELDS = (
    ("Court", "court_id"), ("Docket number", "docket_number"), ("Assigned to", "assigned_to_str"),
    ("Referred to", "referred_to_str"), ("Date filed", "date_filed"), ("Date terminated", "date_terminated"),
    ("Nature of suit", "nature_of_suit"), ("Cause", "cause"), ("Jurisdiction", "jurisdiction"),
    ("Jury demand", "jury_demand"), ("Demand", "demand"), ("Appeal from", "appeal_from"),
    ("Case type", "case_type_information"),
)  # fmt: skip


async def docket_context(db: Any, case_id: int) -> dict[str, Any] | None:
    """Everything the docket page shows for one case, or None when there is no such case."""
    rows = await db.execute("SELECT * FROM cases WHERE id = ?", [case_id])
    if not rows.rows:
        return None
    case = dict(rows.rows[0])
    tables = set(await db.table_names())
    return {
        "case": case,
        "header": [(label, case.get(key)) for label, key in HEADER_FIELDS if case.get(key)],
        "panel": _json_list(case.get("panel")),
        "judges": await _judges(db, case_id, tables),
        "parties": await _parties(db, case_id),
        "entries": await _entries(db, case, tables),
        "history": await _history(db, case),
    }


def _json_list(value: str | None) -> list[Any]:
    try:
        loaded = json.loads(value) if value else []
    except ValueError:
        return []
    return loaded if isinstance(loaded, list) else []


async def _judges(db: Any, case_id: int, tables: set[str]) -> list[dict[str, Any]]:
    if "case_judges" not in tables:
        return []
    rows = await db.execute(
        "SELECT j.id, j.name, cj.role FROM case_judges cj JOIN judges j ON j.id = cj.judge_id"
        " WHERE cj.case_id = ? ORDER BY cj.position", [case_id])  # fmt: skip
    return [dict(r) for r in rows.rows]


async def _parties(db: Any, case_id: int) -> list[dict[str, Any]]:
    parties = await db.execute(
        "SELECT id, name, type, date_terminated, extra_info FROM parties WHERE case_id = ? ORDER BY position",
        [case_id],
    )
    counsel = await db.execute(
        "SELECT pa.party_id, a.id, a.name, a.firm, a.email, pa.roles FROM party_attorneys pa"
        " JOIN attorneys a ON a.id = pa.attorney_id JOIN parties p ON p.id = pa.party_id"
        " WHERE p.case_id = ? ORDER BY pa.party_id, pa.position", [case_id])  # fmt: skip
    by_party: dict[int, list[dict[str, Any]]] = {}
    for row in counsel.rows:
        by_party.setdefault(row["party_id"], []).append({**dict(row), "roles": _json_list(row["roles"])})
    return [{**dict(p), "counsel": by_party.get(p["id"], [])} for p in parties.rows]


async def _entries(db: Any, case: dict[str, Any], tables: set[str]) -> list[dict[str, Any]]:
    rows = await db.execute(
        "SELECT id, position, date_filed, date_entered, document_number, pacer_doc_id, description, first_seen_at"
        " FROM docket_entries WHERE case_id = ? ORDER BY position", [case["id"]])  # fmt: skip
    entries = [dict(r) for r in rows.rows]
    versions = await _versions(db, case["id"], tables)
    for entry in entries:
        entry["documents"] = []
        entry["versions"] = versions.get(entry["id"], [])
    by_doc_id = {e["pacer_doc_id"]: e for e in entries if e["pacer_doc_id"]}
    by_number = {e["document_number"]: e for e in entries if e["document_number"]}
    for doc in await _documents(db, case, tables):
        # The main document shares the entry's pacer_doc_id; attachments have their own, and its number.
        owner = by_doc_id.get(doc["pacer_doc_id"]) or by_number.get(doc["document_number"] or "")
        if owner is not None:
            owner["documents"].append(doc)
    return entries


async def _documents(db: Any, case: dict[str, Any], tables: set[str]) -> list[dict[str, Any]]:
    """The case's documents (main documents and attachments), each with the link to its stored PDF."""
    if "documents" not in tables:
        return []
    rows = await db.execute(
        "SELECT * FROM documents WHERE case_id = ? OR (court_id = ? AND pacer_case_id = ?)"
        " ORDER BY coalesce(attachment_number, 0), id", [case["id"], case["court_id"], case["pacer_case_id"]])  # fmt: skip
    found = []
    for row in rows.rows:
        doc = dict(row)
        doc["local_url"] = document_url(db.name, doc["local_path"]) if doc.get("state") == "bought" else None
        found.append(doc)
    return found


async def _versions(db: Any, case_id: int, tables: set[str]) -> dict[int, list[dict[str, Any]]]:
    if "entry_versions" not in tables:
        return {}
    rows = await db.execute(
        "SELECT v.* FROM entry_versions v JOIN docket_entries e ON e.id = v.entry_id WHERE e.case_id = ?"
        " ORDER BY v.entry_id, v.rowid", [case_id])  # fmt: skip
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows.rows:
        found.setdefault(row["entry_id"], []).append(dict(row))
    return found


async def _history(db: Any, case: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await db.execute(
        "SELECT p.fetched_at, p.incremental, p.size_bytes, p.run_id, r.outcome, r.mode FROM raw_pages p"
        " LEFT JOIN runs r ON r.id = p.run_id WHERE p.court_id = ? AND p.pacer_case_id = ? AND p.kind = 'docket'"
        " ORDER BY p.fetched_at", [case["court_id"], case["pacer_case_id"]])  # fmt: skip
    return [dict(r) for r in rows.rows]
