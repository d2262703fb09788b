"""Write the court lookup into ``courts``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.fields import as_json, as_text, court_key
from harvester.store.raw_pages import insert_raw, prepare_raw

# Fields of harvester.parsers.court_lookup records with a courts column of their own.
COURT_COLUMNS = (
    "pacer_code", "type", "title", "name", "circuit", "software_version", "version", "nextgen",
    "go_live_date", "web_url", "login_url", "rss_url",
)  # fmt: skip


def store_courts(
    db: Database,
    courts: Iterable[Mapping[str, Any]],
    *,
    raw: bytes | None = None,
    url: str | None = None,
    fetched_at: datetime | str | None = None,
    run_id: int | None = None,
) -> int:
    """Upsert courts from the court lookup parser (and archive ``raw``); return how many were written.

    Records without a CM/ECF ``court_id`` (``cand``) are skipped: nothing else in
    the harvest can refer to them. Fields named like a ``courts`` column fill it;
    the others are kept as JSON in ``extra``.
    """
    at = utc_timestamp(fetched_at)
    rows = _court_rows(courts, at)
    page = prepare_raw(raw) if raw is not None else None

    def work() -> None:
        _write_courts(db, rows)
        if page is not None:
            insert_raw(db, page, "court_lookup", None, None, url, at, run_id, False)

    write_transaction(db, work)
    return len(rows)


def _court_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else as_text(value)


def _court_rows(courts: Iterable[Mapping[str, Any]], at: str) -> list[list[Any]]:
    rows = []
    for court in courts:
        if not court.get("court_id"):
            continue
        extra = {k: v for k, v in court.items() if k not in ("court_id", *COURT_COLUMNS)}
        rows.append([court_key(court["court_id"]), *(_court_value(court.get(c)) for c in COURT_COLUMNS),
                     as_json(extra or None), at])  # fmt: skip
    return rows


def _write_courts(db: Database, rows: list[list[Any]]) -> None:
    columns = ("court_id", *COURT_COLUMNS, "extra", "updated_at")
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    db.conn.executemany(
        f"INSERT INTO courts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT (court_id) DO UPDATE SET {updates}",
        rows,
    )
