"""The raw-page archive: every fetched page, login cell stripped, zlib-compressed, stored once."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from harvester.parsers.receipt import strip_login
from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.fields import as_text, court_key
from harvester.store.ledger import redact_url


@dataclass(frozen=True)
class RawPage:
    body: bytes
    content_hash: str
    size: int


def prepare_raw(data: bytes) -> RawPage:
    stripped = strip_login(data)  # the receipt's PACER Login cell never reaches the archive
    return RawPage(zlib.compress(stripped, 6), hashlib.sha256(stripped).hexdigest(), len(stripped))


def read_raw_page(db: Database, raw_page_id: int) -> bytes:
    """The stored (login-stripped) bytes of one raw page."""
    row = db.execute("SELECT compression, body FROM raw_pages WHERE id = ?", [raw_page_id]).fetchone()
    if row is None:
        raise KeyError(raw_page_id)
    compression, body = row
    if compression != "zlib":
        raise ValueError(f"raw page {raw_page_id}: unknown compression {compression!r}")
    return zlib.decompress(body)


def archive_raw_page(
    db: Database,
    data: bytes,
    *,
    kind: str,
    court_id: str | None = None,
    pacer_case_id: str | None = None,
    url: str | None = None,
    fetched_at: datetime | str | None = None,
    run_id: int | None = None,
    incremental: bool = False,
) -> int:
    """Store one fetched page zlib-compressed (login cell stripped); return its id.

    A page byte-identical to one already stored is not stored twice: the existing
    id is returned.
    """
    page = prepare_raw(data)
    court = court_key(court_id) if court_id else None
    at = utc_timestamp(fetched_at)
    return write_transaction(
        db, lambda: insert_raw(db, page, kind, court, pacer_case_id, url, at, run_id, incremental)
    )


def insert_raw(
    db: Database,
    page: RawPage,
    kind: str,
    court: str | None,
    pacer_case_id: str | None,
    url: str | None,
    at: str,
    run_id: int | None,
    incremental: bool,
) -> int:
    conn = db.conn
    if court:
        conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
    conn.execute(
        "INSERT OR IGNORE INTO raw_pages (fetched_at, kind, court_id, pacer_case_id, url, incremental,"
        " content_hash, size_bytes, compression, body, run_id) VALUES (?,?,?,?,?,?,?,?,'zlib',?,?)",
        [at, kind, court, as_text(pacer_case_id), redact_url(url), int(incremental), page.content_hash,
         page.size, page.body, run_id],
    )  # fmt: skip
    return conn.execute("SELECT id FROM raw_pages WHERE content_hash = ?", [page.content_hash]).fetchone()[0]
