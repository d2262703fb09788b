"""Write RSS feed items into ``rss_items`` and flag the known cases they name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.dockets import NOT_CASE_FIELDS
from harvester.store.fields import as_json, as_text, court_key
from harvester.store.raw_pages import insert_raw, prepare_raw

# RSS case fields kept on the item (the rest of an RSS "docket" is empty boilerplate).
RSS_CASE_COLUMNS = ("docket_number", "case_name")
# The columns of an item row: those of _rss_rows, then where and when it was first seen.
_ITEM_COLUMNS = ("court_id", "item_key", "pacer_case_id", "docket_number", "case_name", "published_at",
                 "document_number", "pacer_doc_id", "pacer_seq_no", "short_description", "description", "extra",
                 "first_seen_at", "run_id", "raw_page_id")  # fmt: skip


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
    """Rewrite the RSS items first seen on one archived feed page; flag no case. Returns the page's items.

    Items stored as the page makes them are left alone (a re-run writes nothing),
    others are rewritten in place, and those the page no longer yields are deleted.
    """
    court = court_key(court_id)
    rows = _rss_rows(court, _rss_dockets(record))
    at = utc_timestamp(fetched_at)

    def work() -> int:
        conn = db.conn
        stored = {r[2]: r for r in conn.execute(f"SELECT id, {', '.join(_ITEM_COLUMNS)} FROM rss_items"
                                                " WHERE raw_page_id = ?", [raw_page_id])}  # fmt: skip
        wanted: dict[str, tuple] = {}
        for row in rows:  # an item listed twice: the first, as INSERT OR IGNORE keeps it
            wanted.setdefault(row["item_key"], (*(row[c] for c in _ITEM_COLUMNS[:-3]), at, run_id, raw_page_id))
        conn.executemany("DELETE FROM rss_items WHERE id = ?", [(r[0],) for k, r in stored.items() if k not in wanted])
        changed = [(*values, stored[k][0]) for k, values in wanted.items() if k in stored and stored[k][1:] != values]
        conn.executemany(f"UPDATE rss_items SET {', '.join(f'{c} = ?' for c in _ITEM_COLUMNS)} WHERE id = ?", changed)
        kept = sum(1 for k in wanted if k in stored)
        new = [row for row in rows if row["item_key"] not in stored]
        return kept + _write_rss(db, court, new, at, run_id, raw_page_id, flag_cases=False)[0]

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


# ---------------------------------------------------------------- what each feed covered each night

FEED_KINDS = ("none", "all", "partial", "failing")


@dataclass(frozen=True)
class FeedNight:
    """One court's feed on one night: what it covers and whether it was read."""

    court_id: str
    night: str
    kind: str  # none, all, partial, failing
    outcome: str  # ok, stale, failed
    entry_types: tuple[str, ...] = ()
    http_status: int | None = None
    newest_item_at: str | None = None
    newest_item_age_hours: float | None = None
    last_good_at: str | None = None
    message: str | None = None

    @property
    def stands_in_for_polling(self) -> bool:
        """Only an all-entries feed read tonight says every case it does not name is unchanged."""
        return self.kind == "all" and self.outcome == "ok"

    @property
    def flags_cases(self) -> bool:
        """Whether tonight's items can be trusted to name changed cases."""
        return self.kind in ("all", "partial") and self.outcome == "ok"


def item_span(record: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None]:
    """(oldest, newest) publication instants (UTC) of a parsed feed's items; (None, None) without items."""
    published = [_published(e.get("date_filed")) for d in _rss_dockets(record) for e in d.get("docket_entries") or []]
    stamps = sorted(s for s in published if s and s[:1].isdigit())
    return (stamps[0], stamps[-1]) if stamps else (None, None)


def record_feed_night(
    db: Database, court_id: str, night: str, *, kind: str, outcome: str, fetched_at: datetime | str | None = None,
    run_id: int | None = None, entry_types: Sequence[str] = (), http_status: int | None = None,
    newest_item_at: str | None = None, oldest_item_at: str | None = None, message: str | None = None,
) -> FeedNight:  # fmt: skip
    """Record what one court's feed was tonight; ``last_good_at`` carries over from earlier nights."""
    if kind not in FEED_KINDS:
        raise ValueError(f"feed kind must be one of {', '.join(FEED_KINDS)}, not {kind!r}")
    court, at = court_key(court_id), utc_timestamp(fetched_at)
    age = _age_hours(newest_item_at, at)

    def work() -> FeedNight:
        conn = db.conn
        previous = conn.execute("SELECT max(last_good_at) FROM feed_nights WHERE court_id = ?", [court]).fetchone()[0]
        last_good = at if outcome == "ok" else previous
        conn.execute(
            "INSERT INTO feed_nights (court_id, night, fetched_at, run_id, kind, entry_types, http_status, outcome,"
            " newest_item_at, oldest_item_at, newest_item_age_hours, last_good_at, message)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [court, night, at, run_id, kind, as_json(list(entry_types) or None), http_status, outcome,
             newest_item_at, oldest_item_at and utc_timestamp(oldest_item_at), age, last_good, message],
        )  # fmt: skip
        return FeedNight(court, night, kind, outcome, tuple(entry_types), http_status, newest_item_at, age,
                         last_good, message)  # fmt: skip

    return write_transaction(db, work)


def feed_night(db: Database, court_id: str, night: str) -> FeedNight | None:
    """The court's feed as last recorded on ``night``, or None when it was not fetched that night."""
    row = db.execute(
        "SELECT court_id, night, kind, outcome, entry_types, http_status, newest_item_at, newest_item_age_hours,"
        " last_good_at, message FROM feed_nights WHERE court_id = ? AND night = ? ORDER BY id DESC LIMIT 1",
        [court_key(court_id), night],
    ).fetchone()
    if row is None:
        return None
    types = tuple(json.loads(row[4])) if row[4] else ()
    return FeedNight(row[0], row[1], row[2], row[3], types, *row[5:])


# A CM/ECF feed lists about the last 24 hours; nightly reads start at the window's
# opening and drift by seconds to minutes from one night to the next.
FEED_HORIZON = timedelta(hours=24)
READ_DRIFT = timedelta(minutes=30)


def uncovered_gaps(
    db: Database, court_id: str, since: datetime, now: datetime, *, read_tonight: bool
) -> list[tuple[datetime, datetime]]:
    """The spans of ``since``..``now`` (in order) whose news no good read of the court's all-entries feed showed.

    Each good read shows the day before it (further when it lists older items), with
    ``READ_DRIFT`` of slack for reads that start a little later each night. A failed,
    stale or partial read shows nothing, and neither does a night not run. When
    tonight's read was good (``read_tonight``) the minutes since it count as shown:
    what is entered after it is in tomorrow's read.
    """
    if now <= since:
        return []
    rows = db.execute(
        "SELECT fetched_at, oldest_item_at FROM feed_nights WHERE court_id = ? AND kind = 'all' AND outcome = 'ok'"
        " AND fetched_at >= ? ORDER BY fetched_at, id",
        [court_key(court_id), utc_timestamp(since)],
    )
    spans = []
    for fetched_text, oldest_text in rows:
        fetched = datetime.fromisoformat(fetched_text)
        reach = fetched - FEED_HORIZON
        if oldest_text:
            reach = min(reach, datetime.fromisoformat(oldest_text))
        spans.append((reach - READ_DRIFT, fetched))
    if read_tonight and spans:
        spans[-1] = (spans[-1][0], max(spans[-1][1], now))
    gaps, cursor = [], since
    for start, end in sorted(spans):
        if start > cursor:
            gaps.append((cursor, min(start, now)))
        cursor = max(cursor, end)
        if cursor >= now:
            break
    if now > cursor:
        gaps.append((cursor, now))
    return gaps


def gap_hours(gaps: list[tuple[datetime, datetime]]) -> float:
    """The hours the spans of :func:`uncovered_gaps` add up to."""
    return sum((end - start).total_seconds() for start, end in gaps) / 3600


def uncovered_hours(db: Database, court_id: str, since: datetime, now: datetime, *, read_tonight: bool) -> float:
    """Hours of ``since``..``now`` whose news no good read of the court's all-entries feed showed (see :func:`uncovered_gaps`)."""
    return gap_hours(uncovered_gaps(db, court_id, since, now, read_tonight=read_tonight))


def _age_hours(stamp: str | None, at: str) -> float | None:
    if not stamp:
        return None
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        now = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round((now - then).total_seconds() / 3600, 2)
