"""What is known about each case, to plan what to fetch next, and the watchlist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp, write_transaction
from harvester.store.fields import court_key


@dataclass(frozen=True)
class CaseState:
    """What the harvester knows about one case, to decide what to fetch next."""

    case_id: int
    court_id: str
    pacer_case_id: str
    kind: str
    docket_number: str | None
    case_name: str | None
    date_terminated: str | None
    entry_count: int
    last_entry_date_entered: str | None
    last_document_number: int | None
    report_size_bytes: int | None
    last_report_size_bytes: int | None
    first_harvested_at: str | None
    last_harvested_at: str | None
    rss_changed: bool
    rss_changed_at: str | None
    parties_harvested_at: str | None = None

    @property
    def next_document_number(self) -> int | None:
        """First document number an incremental report by number should ask for."""
        return None if self.last_document_number is None else self.last_document_number + 1


_CASE_STATE_COLUMNS = (
    "id, court_id, pacer_case_id, kind, docket_number, case_name, date_terminated, entry_count,"
    " last_entry_date_entered, last_document_number, report_size_bytes, last_report_size_bytes,"
    " first_harvested_at, last_harvested_at, rss_changed, rss_changed_at, parties_harvested_at"
)


def _case_state(row: tuple) -> CaseState:
    fields = list(row[:17])
    fields[14] = bool(fields[14])  # rss_changed is stored as 0/1
    return CaseState(*fields)


def case_state(
    db: Database, court_id: str, pacer_case_id: str | int | None = None, *, docket_number: str | None = None
) -> CaseState | None:
    """What is known about one case (by pacer_case_id, or else by docket number), or None."""
    court = court_key(court_id)
    if pacer_case_id is not None:
        where, value = "pacer_case_id = ?", str(pacer_case_id)
    elif docket_number:
        where, value = "docket_number = ?", docket_number
    else:
        raise ValueError("case_state needs pacer_case_id or docket_number")
    row = db.execute(
        f"SELECT {_CASE_STATE_COLUMNS} FROM cases WHERE court_id = ? AND {where} ORDER BY id LIMIT 1",
        [court, value],
    ).fetchone()
    return _case_state(row) if row else None


def changed_cases(db: Database, court_id: str | None = None) -> list[CaseState]:
    """Cases an RSS feed named since their last harvest (``rss_changed = 1``)."""
    sql = f"SELECT {_CASE_STATE_COLUMNS} FROM cases WHERE rss_changed = 1"
    params: list[Any] = []
    if court_id:
        sql += " AND court_id = ?"
        params.append(court_key(court_id))
    return [_case_state(row) for row in db.execute(sql + " ORDER BY rss_changed_at, id", params)]


def recent_pace(db: Database, state: CaseState, nights: int = 28) -> float:
    """Entries a night the case gained over the ``nights`` nights before its last harvest."""
    if not state.last_harvested_at:
        return 0.0
    until = datetime.fromisoformat(state.last_harvested_at.replace("Z", "+00:00")).date()
    since = (until - timedelta(days=nights)).isoformat()
    count = db.execute(
        "SELECT count(*) FROM docket_entries WHERE case_id = ? AND date_entered > ?", [state.case_id, since]
    ).fetchone()[0]
    return count / nights


def weekday_weights(db: Database, court_id: str, until: str, days: int = 91, minimum: int = 50) -> tuple[float, ...]:
    """How busy each weekday (Monday first) is in the court, from its entries' dates entered; mean 1.

    Courts file little at weekends: a night that follows a quiet weekday is unlikely to
    bring news. With fewer than ``minimum`` entries in the ``days`` before ``until``, every
    day weighs 1.
    """
    since = (datetime.fromisoformat(until[:10]) - timedelta(days=days)).date().isoformat()
    counts = [0] * 7
    for weekday, count in db.execute(
        "SELECT strftime('%w', e.date_entered), count(*) FROM docket_entries e JOIN cases c ON c.id = e.case_id"
        " WHERE c.court_id = ? AND e.date_entered > ? AND e.date_entered <= ? GROUP BY 1",
        [court_key(court_id), since, until[:10]],
    ):
        if weekday is not None:
            counts[(int(weekday) + 6) % 7] = count  # SQLite's %w counts from Sunday
    total = sum(counts)
    if total < minimum:
        return (1.0,) * 7
    return tuple(7 * c / total for c in counts)


def watch_case(
    db: Database, court_id: str, pacer_case_id: str | int, *, docket_number: str | None = None,
    source: str = "manual", added_at: datetime | str | None = None,
) -> bool:  # fmt: skip
    """Add a case to the watchlist; return False if it was already there."""
    court, at = court_key(court_id), utc_timestamp(added_at)

    def work() -> bool:
        db.conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
        return db.conn.execute(
            "INSERT OR IGNORE INTO watchlist (court_id, pacer_case_id, docket_number, source, added_at)"
            " VALUES (?,?,?,?,?)",
            [court, str(pacer_case_id), docket_number, source, at],
        ).rowcount == 1

    return write_transaction(db, work)


def filing_lag_days(db: Database, court_id: str, recent_days: int = 90) -> int:
    """The longest wait, in days, from filing to entry among the court's entries of the last ``recent_days``."""
    row = db.execute(
        "SELECT max(julianday(e.date_entered) - julianday(substr(e.date_filed, 1, 10)))"
        " FROM docket_entries e JOIN cases c ON c.id = e.case_id"
        " WHERE c.court_id = ? AND e.date_entered IS NOT NULL AND e.date_filed IS NOT NULL"
        " AND e.date_entered >= (SELECT date(max(date_entered), ?) FROM docket_entries e2"
        "                        JOIN cases c2 ON c2.id = e2.case_id WHERE c2.court_id = ?)",
        [court_key(court_id), f"-{int(recent_days)} days", court_key(court_id)],
    ).fetchone()
    return max(0, int(row[0] or 0))


def entry_texts_since(db: Database, case_id: int, stamp: str | None) -> list[str]:
    """Docket texts of the case's entries first seen after ``stamp`` (all of them without one)."""
    return [row[0] for row in db.execute(
        "SELECT description FROM docket_entries WHERE case_id = ? AND first_seen_at > ? AND description IS NOT NULL",
        [case_id, stamp or ""],
    )]  # fmt: skip


def watched_cases(db: Database, court_id: str | None = None) -> list[tuple[str, str, str | None]]:
    """(court_id, pacer_case_id, docket_number) of every watched case."""
    sql, params = "SELECT court_id, pacer_case_id, docket_number FROM watchlist", []
    if court_id:
        sql, params = sql + " WHERE court_id = ?", [court_key(court_id)]
    return [tuple(row) for row in db.execute(sql + " ORDER BY court_id, pacer_case_id", params)]


def court_numbers_every_entry(db: Database, court_id: str) -> bool:
    """Whether every entry stored for the court's cases carries a document number.

    A ``documents_numbered_from_`` report leaves out unnumbered (minute) entries, so it
    can stand for "what is new" only in a court that numbers every entry. A court with
    no stored entry yet, or one unnumbered entry anywhere, is asked by date instead.
    """
    numbered, unnumbered = db.execute(
        "SELECT coalesce(sum(coalesce(e.document_number, '') != ''), 0),"
        " coalesce(sum(coalesce(e.document_number, '') = ''), 0)"
        " FROM docket_entries e JOIN cases c ON c.id = e.case_id WHERE c.court_id = ?",
        [court_key(court_id)],
    ).fetchone()
    return numbered > 0 and unnumbered == 0
