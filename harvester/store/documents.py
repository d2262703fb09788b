"""Documents (PDFs bought or free) and the Written Opinions reports read.

One ``documents`` row per main document and attachment, keyed by (court_id,
pacer_doc_id). Its ``state`` is how far it got:

- ``known``: seen on a docket, an attachment page or an opinions report;
- ``planned``: about to be bought. Written (and committed) BEFORE the request is
  sent, so a document is never asked for twice, whatever happens next;
- ``bought``: the PDF is in the documents folder and its receipt is booked, both
  in one transaction after the file was written (temp file, fsync, rename);
- ``uncertain``: planned by a run that was killed, or sent without a PDF coming
  back: PACER may have billed it, so it is never bought again automatically;
- ``sealed`` / ``restricted``: CM/ECF refused it without billing.

A killed run therefore leaves at worst an orphan file (no row points to it) or a
planned row that the next run marks uncertain; never a half-written file (files
appear by rename) and never a booked cost without its file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from harvester.documents import listed_attachments
from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.fields import case_kind, court_key

KNOWN, PLANNED, BOUGHT, UNCERTAIN, SEALED, RESTRICTED = "known", "planned", "bought", "uncertain", "sealed", "restricted"
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


# ----------------------------------------------------------------------------- files
def write_file(folder: str | Path, body: bytes) -> tuple[str, str]:
    """Store ``body`` content-addressed under ``folder``; return (sha256, path relative to folder).

    The file appears whole or not at all: written to a temporary file in the same
    directory, flushed to disk, then renamed into place.
    """
    sha = hashlib.sha256(body).hexdigest()
    relative = f"{sha[:2]}/{sha}.pdf"
    final = Path(folder) / relative
    if final.is_file() and final.stat().st_size == len(body):
        return sha, relative
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    return sha, relative


def _fsync_dir(path: Path) -> None:
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def remove_partial_files(folder: str | Path) -> int:
    """Delete temporary files a killed run left in the documents folder; return how many."""
    removed = 0
    for leftover in Path(folder).glob("*/.*.part"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed


def pdf_page_count(body: bytes) -> int | None:
    """Pages of a PDF (its page objects), or None when it has none that can be counted."""
    pages = len(_PDF_PAGE.findall(body))
    return pages or None


# ----------------------------------------------------------------------------- rows
def document_row(db: Database, court: str, pacer_doc_id: str) -> dict[str, Any] | None:
    cursor = db.execute("SELECT * FROM documents WHERE court_id = ? AND pacer_doc_id = ?", [court_key(court), pacer_doc_id])
    rows = _dicts(cursor)
    return rows[0] if rows else None


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _case_id(db: Database, court: str, pacer_case_id: str | None) -> int | None:
    if not pacer_case_id:
        return None
    row = db.execute("SELECT id FROM cases WHERE court_id = ? AND pacer_case_id = ?", [court, pacer_case_id]).fetchone()
    return row[0] if row else None


_KNOWN_FIELDS = ("pacer_case_id", "document_number", "attachment_number", "pacer_seq_no", "description",
                 "page_count", "size_bytes", "transcript", "source", "menu_fetched_at")  # fmt: skip


def note_document(db: Database, court: str, pacer_doc_id: str, **fields: Any) -> None:
    """Insert a known document, or fill in what is new about it (its state is left alone)."""
    court = court_key(court)
    values = {k: v for k, v in fields.items() if k in _KNOWN_FIELDS and v is not None and v != ""}
    values["case_id"] = _case_id(db, court, fields.get("pacer_case_id"))

    def work() -> None:
        columns = ["court_id", "pacer_doc_id", *values]
        db.conn.execute(
            f"INSERT INTO documents ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            f" ON CONFLICT (court_id, pacer_doc_id) DO UPDATE SET "
            + ", ".join(_update(k) for k in values),
            [court, pacer_doc_id, *values.values()],
        )  # fmt: skip

    write_transaction(db, work)


def _update(column: str) -> str:
    # A stored PDF's own size and page count win over what a menu said.
    if column in ("size_bytes", "page_count"):
        return f"{column} = CASE WHEN state = 'bought' THEN {column} ELSE coalesce(excluded.{column}, {column}) END"
    return f"{column} = coalesce(excluded.{column}, {column})"


def record_menu(db: Database, court: str, entry: dict[str, Any], menu: dict[str, Any], now: datetime | str) -> None:
    """Page counts and sizes of an entry's main document and attachments, from its attachment page."""
    at = utc_timestamp(now)
    case_id = entry.get("pacer_case_id") or menu.get("pacer_case_id")
    transcript = may_be_transcript(entry.get("description"))

    def work() -> None:
        note_document(db, court, entry["pacer_doc_id"], pacer_case_id=case_id, attachment_number=0,
                      document_number=entry.get("document_number"), pacer_seq_no=entry.get("pacer_seq_no"),
                      description=entry.get("description"), page_count=menu.get("page_count"),
                      size_bytes=menu.get("file_size_bytes"), transcript=int(transcript), menu_fetched_at=at)  # fmt: skip
        for part in menu.get("attachments") or []:
            if not part.get("pacer_doc_id"):
                continue
            note_document(db, court, part["pacer_doc_id"], pacer_case_id=case_id,
                          attachment_number=part.get("attachment_number"), document_number=entry.get("document_number"),
                          pacer_seq_no=part.get("pacer_seq_no") or entry.get("pacer_seq_no"),
                          description=part.get("description"), page_count=part.get("page_count"),
                          size_bytes=part.get("file_size_bytes"),
                          transcript=int(may_be_transcript(part.get("description"), entry.get("description"))))  # fmt: skip

    write_transaction(db, work)


def may_be_transcript(*descriptions: str | None) -> bool:
    """Whether a document is or may be a transcript (uncapped): so named, or nothing says what it is."""
    texts = [d for d in descriptions if d and d.strip()]
    return not texts or any("transcript" in d.lower() for d in texts)


def plan(db: Database, court: str, pacer_doc_id: str, *, price: float, pages: int, run_id: int | None,
         now: datetime | str, **fields: Any) -> bool:  # fmt: skip
    """Mark a document as about to be bought; False when it was ever planned or bought before."""
    court = court_key(court)

    def work() -> bool:
        note_document(db, court, pacer_doc_id, **fields)
        cursor = db.conn.execute(
            "UPDATE documents SET state = 'planned', price = ?, billable_pages = ?, planned_at = ?, run_id = ?"
            " WHERE court_id = ? AND pacer_doc_id = ? AND state = 'known'",
            [price, pages, utc_timestamp(now), run_id, court, pacer_doc_id],
        )
        return cursor.rowcount == 1

    return write_transaction(db, work)


def release(db: Database, court: str, pacer_doc_id: str) -> None:
    """A planned document whose request was never sent (refused by the gate): buyable again."""
    write_transaction(db, lambda: db.conn.execute(
        "UPDATE documents SET state = 'known', price = NULL, billable_pages = NULL, planned_at = NULL"
        " WHERE court_id = ? AND pacer_doc_id = ? AND state = 'planned'", [court_key(court), pacer_doc_id]))  # fmt: skip


def mark(db: Database, court: str, pacer_doc_id: str, state: str, **fields: Any) -> None:
    """Set a document's state (uncertain, sealed, restricted), unless it is already bought."""
    court = court_key(court)
    flags = {"sealed": int(state == SEALED), "restricted": int(state == RESTRICTED)}

    def work() -> None:
        note_document(db, court, pacer_doc_id, **fields)
        db.conn.execute(
            "UPDATE documents SET state = ?, sealed = max(sealed, ?), restricted = max(restricted, ?)"
            " WHERE court_id = ? AND pacer_doc_id = ? AND state != 'bought'",
            [state, flags["sealed"], flags["restricted"], court, pacer_doc_id],
        )

    write_transaction(db, work)


def abandon_planned(db: Database, run_id: int | None) -> int:
    """Documents planned by earlier runs that never finished them: uncertain (maybe billed)."""
    return write_transaction(db, lambda: db.conn.execute(
        "UPDATE documents SET state = 'uncertain' WHERE state = 'planned' AND run_id IS NOT ?", [run_id]).rowcount)  # fmt: skip


def store_bought(
    db: Database, folder: str | Path, court: str, pacer_doc_id: str, body: bytes, *, source: str,
    cost: float | None, pages: int | None, run_id: int | None, now: datetime | str,
    book: Callable[[], None], **fields: Any,
) -> str:  # fmt: skip
    """Keep a downloaded PDF: the file first, then its row and its receipt (``book``) in one transaction."""
    sha, relative = write_file(folder, body)
    court = court_key(court)

    def work() -> None:
        note_document(db, court, pacer_doc_id, **fields)
        db.conn.execute(
            "UPDATE documents SET state = 'bought', source = ?, cost = ?, billable_pages = coalesce(?, billable_pages),"
            " sha256 = ?, local_path = ?, size_bytes = ?, page_count = coalesce(?, page_count), stored_at = ?,"
            " run_id = ? WHERE court_id = ? AND pacer_doc_id = ?",
            [source, cost, pages, sha, relative, len(body), pdf_page_count(body), utc_timestamp(now), run_id,
             court, pacer_doc_id],
        )  # fmt: skip
        book()

    write_transaction(db, work)
    return relative


# ----------------------------------------------------------------------------- planning reads
def entries_with_documents(db: Database, courts: list[str]) -> list[dict[str, Any]]:
    """Docket entries of district and bankruptcy cases that have a document, with what is known of it."""
    if not courts:
        return []
    marks = ", ".join("?" * len(courts))
    cursor = db.execute(
        "SELECT c.court_id, c.pacer_case_id, c.id AS case_id, e.document_number, e.pacer_doc_id, e.pacer_seq_no,"
        " e.description, e.extra, d.state, d.page_count, d.menu_fetched_at, d.transcript"
        " FROM docket_entries e JOIN cases c ON c.id = e.case_id"
        " LEFT JOIN documents d ON d.court_id = c.court_id AND d.pacer_doc_id = e.pacer_doc_id"
        f" WHERE e.pacer_doc_id IS NOT NULL AND e.pacer_doc_id != '' AND c.kind != 'appellate' AND c.court_id IN ({marks})"
        " ORDER BY c.court_id, c.id, e.position",
        courts,
    )  # fmt: skip
    out = []
    for entry in _dicts(cursor):
        extra = json.loads(entry.pop("extra") or "{}")
        # The multiple-documents layout lists them (with ids); other dockets name them in the text.
        entry["attachments"] = extra.get("attachments") or listed_attachments(entry["description"])
        out.append(entry)
    return out


def documents_of_entry(db: Database, court: str, pacer_case_id: str | None, document_number: str | None) -> list[dict]:
    cursor = db.execute(
        "SELECT * FROM documents WHERE court_id = ? AND pacer_case_id IS ? AND document_number IS ?"
        " ORDER BY attachment_number", [court, pacer_case_id, document_number])  # fmt: skip
    return _dicts(cursor)


def free_opinions_to_fetch(db: Database, courts: list[str]) -> list[dict[str, Any]]:
    """Opinions listed by a Written Opinions report whose PDF is not stored yet."""
    if not courts:
        return []
    cursor = db.execute(
        f"SELECT * FROM documents WHERE source = 'free_opinion' AND state = 'known' AND court_id IN ({', '.join('?' * len(courts))})",
        courts,
    )  # fmt: skip
    return _dicts(cursor)


def bought_per_case(db: Database) -> dict[tuple[str, str | None], int]:
    """Documents bought or being bought (not free ones) per (court, pacer_case_id)."""
    rows = db.execute(
        "SELECT court_id, pacer_case_id, count(*) FROM documents WHERE state IN ('planned', 'bought', 'uncertain')"
        " AND coalesce(source, 'bought') = 'bought' GROUP BY court_id, pacer_case_id").fetchall()  # fmt: skip
    return {(court, case): count for court, case, count in rows}


# ----------------------------------------------------------------------------- opinions
def last_opinion_day(db: Database, court: str) -> date | None:
    """The last day a stored Written Opinions report of ``court`` covered."""
    row = db.execute("SELECT max(filed_to) FROM opinion_reports WHERE court_id = ?", [court_key(court)]).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def store_opinion_report(
    db: Database, court: str, filed_from: date, filed_to: date, report: dict[str, Any], *,
    run_id: int | None, now: datetime | str,
) -> bool:  # fmt: skip
    """Store a Written Opinions report: its opinions (and their cases, when new); True when its total mismatches."""
    court = court_key(court)
    opinions = report.get("dockets") or []
    total = report.get("reported_total")
    mismatch = total is not None and total != len(opinions)

    def work() -> None:
        db.conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
        for opinion in opinions:
            if not opinion.get("pacer_doc_id"):
                continue
            _ensure_case(db, court, opinion, now)
            note_document(db, court, opinion["pacer_doc_id"], pacer_case_id=opinion.get("pacer_case_id"),
                          document_number=opinion.get("document_number"), attachment_number=0,
                          pacer_seq_no=opinion.get("pacer_seq_no"), description=opinion.get("description"),
                          source="free_opinion")  # fmt: skip
        db.conn.execute(
            "INSERT INTO opinion_reports (court_id, filed_from, filed_to, reported_total, rows_parsed, mismatch,"
            " fetched_at, run_id) VALUES (?,?,?,?,?,?,?,?)",
            [court, filed_from.isoformat(), filed_to.isoformat(), total, len(opinions), int(mismatch),
             utc_timestamp(now), run_id],
        )  # fmt: skip

    write_transaction(db, work)
    return mismatch


def _ensure_case(db: Database, court: str, opinion: dict[str, Any], now: datetime | str) -> None:
    """A case named by an opinion and not known yet: created with what the report says."""
    case_id = opinion.get("pacer_case_id")
    if not case_id:
        return
    db.conn.execute(
        "INSERT OR IGNORE INTO cases (court_id, pacer_case_id, kind, docket_number, case_name, nature_of_suit, cause)"
        " VALUES (?,?,?,?,?,?,?)",
        [court, case_id, case_kind(court), opinion.get("docket_number"), opinion.get("case_name"),
         opinion.get("nature_of_suit") or None, opinion.get("cause") or None],
    )  # fmt: skip
