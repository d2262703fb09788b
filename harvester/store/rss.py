"""Write RSS feed items into ``rss_items`` and flag the known cases they name."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.dockets import NOT_CASE_FIELDS
from harvester.store.fields import as_json, as_text, court_key
from harvester.store.raw_pages import insert_raw, prepare_raw

# RSS case fields kept on the item (the rest of an RSS "docket" is empty boilerplate).
RSS_CASE_COLUMNS = ("docket_number", "case_name")


@dataclass(frozen=True)
class RssResult:
    """What :func:`store_rss` changed."""

    items_added: int
    cases_flagged: int
    raw_page_id: int | None


def _rss_dockets(record: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(record, Mapping):
        return list(record.get("dockets") or [])
    return list(record)


def _published(value: Any) -> str | None:
    if not value:
        return None
    try:
        return utc_timestamp(str(value))
    except ValueError:
        return str(value)


def _rss_rows(court: str, dockets: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for docket in dockets:
        case_key = as_text(docket.get("pacer_case_id"))
        extra = {
            k: v
            for k, v in docket.items()
            if k not in NOT_CASE_FIELDS and k not in RSS_CASE_COLUMNS and v not in (None, "", [], {})
        }
        for entry in docket.get("docket_entries") or []:
            published = _published(entry.get("date_filed"))
            number, doc_id = as_text(entry.get("document_number")), as_text(entry.get("pacer_doc_id"))
            short = as_text(entry.get("short_description"))
            key_text = f"{case_key}|{published}|{number}|{doc_id}|{short}"
            rows.append({
                "court_id": court,
                "item_key": hashlib.sha1(key_text.encode()).hexdigest(),
                "pacer_case_id": case_key,
                "docket_number": as_text(docket.get("docket_number")),
                "case_name": as_text(docket.get("case_name")),
                "published_at": published,
                "document_number": number,
                "pacer_doc_id": doc_id or None,
                "pacer_seq_no": as_text(entry.get("pacer_seq_no")),
                "short_description": short,
                "description": as_text(entry.get("description")),
                "extra": as_json(extra or None),
            })  # fmt: skip
    return rows


def store_rss(
    db: Database,
    court_id: str,
    record: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    raw: bytes | None = None,
    url: str | None = None,
    fetched_at: datetime | str | None = None,
    run_id: int | None = None,
    flag_cases: bool = True,
) -> RssResult:
    """Store the items of one parsed RSS feed; flag known cases that have news.

    ``record`` is the RSS parse (``{"dockets": [...]}``) or its list of dockets.
    Items already stored are skipped. With ``flag_cases``, a stored case named by
    a new item published after its last harvest gets ``rss_changed = 1``.
    """
    court = court_key(court_id)
    rows = _rss_rows(court, _rss_dockets(record))
    page = prepare_raw(raw) if raw is not None else None
    at = utc_timestamp(fetched_at)

    def work() -> RssResult:
        raw_id = insert_raw(db, page, "rss", court, None, url, at, run_id, False) if page else None
        added, flagged = _write_rss(db, court, rows, at, run_id, raw_id, flag_cases)
        return RssResult(added, flagged, raw_id)

    return write_transaction(db, work)


def replay_rss(
    db: Database, court_id: str, raw_page_id: int, record: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *, fetched_at: str, run_id: int | None = None,
) -> int:  # fmt: skip
    """Rewrite the RSS items first seen on one archived feed page; flag no case. Returns items written."""
    court = court_key(court_id)
    rows = _rss_rows(court, _rss_dockets(record))
    at = utc_timestamp(fetched_at)

    def work() -> int:
        db.conn.execute("DELETE FROM rss_items WHERE raw_page_id = ?", [raw_page_id])
        return _write_rss(db, court, rows, at, run_id, raw_page_id, flag_cases=False)[0]

    return write_transaction(db, work)


def _write_rss(
    db: Database, court: str, rows: list[dict[str, Any]], at: str, run_id: int | None, raw_id: int | None,
    flag_cases: bool,
) -> tuple[int, int]:  # fmt: skip
    conn = db.conn
    conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
    added, flagged = 0, set()
    for row in rows:
        columns = [*row, "first_seen_at", "run_id", "raw_page_id"]
        cursor = conn.execute(
            f"INSERT OR IGNORE INTO rss_items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [*row.values(), at, run_id, raw_id],
        )
        if cursor.rowcount != 1:
            continue
        added += 1
        if flag_cases and row["pacer_case_id"]:
            # News only if published after the case's last harvest (else the docket has it).
            cursor = conn.execute(
                "UPDATE cases SET rss_changed = 1, rss_changed_at = max(coalesce(rss_changed_at, ''), ?)"
                " WHERE court_id = ? AND pacer_case_id = ?"
                " AND (last_harvested_at IS NULL OR ? IS NULL OR ? > last_harvested_at)",
                [at, court, row["pacer_case_id"], row["published_at"], row["published_at"]],
            )
            if cursor.rowcount:
                flagged.add(row["pacer_case_id"])
    return added, len(flagged)
