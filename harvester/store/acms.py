"""ACMS in the database: which system holds a case, entries' document lists, unreadable answers.

``acms_cases`` remembers where a court said a case is (ACMS, or CM/ECF for an old
case of a dual-system court that ACMS does not know) and ACMS's case GUID.
``acms_document_lists`` has one row per docket entry whose document list was
fetched, ``acms_documents`` its documents: an entry listed once is never asked
for again. An answer whose layout the harvester does not know is archived in
``raw_pages`` (kind ``acms_unrecognised``) so it can be studied and reparsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.raw_pages import insert_raw, prepare_raw

UNRECOGNISED = "acms_unrecognised"
DOCUMENT_LIST = "acms_documents"


def remember_system(
    db: Database, court: str, docket_number: str, system: str, *, acms_case_id: str | None = None,
    at: datetime | str | None = None,
) -> None:  # fmt: skip
    """Record where ``court`` keeps the case (a GUID learnt earlier is kept when none is given)."""
    db.conn.execute(
        "INSERT INTO acms_cases (court_id, docket_number, system, acms_case_id, decided_at) VALUES (?,?,?,?,?)"
        " ON CONFLICT (court_id, docket_number) DO UPDATE SET system = excluded.system,"
        " acms_case_id = coalesce(excluded.acms_case_id, acms_case_id), decided_at = excluded.decided_at",
        [court, docket_number, system, acms_case_id, utc_timestamp(at)],
    )


def known_systems(db: Database) -> dict[tuple[str, str], str]:
    """(court, docket number) -> ``acms`` or ``cmecf``, as the courts answered."""
    if "acms_cases" not in db.table_names():
        return {}
    return {(c, n): s for c, n, s in db.execute("SELECT court_id, docket_number, system FROM acms_cases")}


def listed_entries(db: Database, court: str, case_key: str) -> set[str]:
    """GUIDs of the case's docket entries whose document list is stored."""
    rows = db.execute("SELECT entry_id FROM acms_document_lists WHERE court_id = ? AND pacer_case_id = ?",
                      [court, case_key])  # fmt: skip
    return {row[0] for row in rows}


def store_document_list(
    db: Database, court: str, case_key: str, record: Mapping[str, Any], *, raw: bytes, url: str | None,
    run_id: int | None, fetched_at: datetime | str | None = None,
) -> int:  # fmt: skip
    """Store one entry's document list (and archive the answer) in one transaction; return its documents."""
    at = utc_timestamp(fetched_at)
    page = prepare_raw(raw)

    def work() -> int:
        raw_id = insert_raw(db, page, DOCUMENT_LIST, court, case_key, url, at, run_id, False)
        attachments = list(record.get("attachments") or [])
        db.conn.execute(
            "INSERT INTO acms_document_lists (court_id, pacer_case_id, entry_id, entry_number, documents, fetched_at,"
            " raw_page_id, run_id) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (court_id, pacer_case_id, entry_id) DO UPDATE"
            " SET documents = excluded.documents, fetched_at = excluded.fetched_at, raw_page_id = excluded.raw_page_id",
            [court, case_key, record["pacer_doc_id"], record.get("entry_number"), len(attachments), at, raw_id, run_id],
        )  # fmt: skip
        list_id = db.execute("SELECT id FROM acms_document_lists WHERE court_id = ? AND pacer_case_id = ? AND entry_id = ?",
                             [court, case_key, record["pacer_doc_id"]]).fetchone()[0]  # fmt: skip
        for doc in attachments:
            db.conn.execute(
                "INSERT OR REPLACE INTO acms_documents (list_id, attachment_number, description, page_count, file_size,"
                " cost, permission, acms_document_guid, date_filed) VALUES (?,?,?,?,?,?,?,?,?)",
                [list_id, doc.get("attachment_number"), doc.get("description"), doc.get("page_count"),
                 doc.get("file_size"), doc.get("cost"), doc.get("permission"), doc.get("acms_document_guid"),
                 doc.get("date_filed")],
            )  # fmt: skip
        return len(attachments)

    return write_transaction(db, work)


def archive_unrecognised(
    db: Database, court: str, case_key: str | None, *, raw: bytes, url: str | None, run_id: int | None,
    fetched_at: datetime | str | None = None,
) -> int:  # fmt: skip
    """Keep an answer the harvester could not read (changed layout), for study and reparsing."""
    at = utc_timestamp(fetched_at)
    page = prepare_raw(raw)
    return write_transaction(db, lambda: insert_raw(db, page, UNRECOGNISED, court, case_key, url, at, run_id, False))


def record_route(
    db: Database, court: str, docket_number: str, system: str, *, acms_case_id: str | None = None,
    at: datetime | str | None = None,
) -> None:  # fmt: skip
    """:func:`remember_system` in its own transaction (the pipeline's writer for route items)."""
    write_transaction(db, lambda: remember_system(db, court, docket_number, system, acms_case_id=acms_case_id, at=at))
