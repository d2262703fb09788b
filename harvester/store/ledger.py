"""The harvest's ledger: runs, the audit log of requests, and money spent.

Every request the harvester makes is one row in ``requests`` (URL with secrets
removed, status, size, billable pages and cost), so the budget gate can ask
:func:`quarter_spend` what has really been spent. Quarters are calendar quarters
in Central time.

The ledger books what the gate counted: the cost comes from the gate's charge
(the receipt's, or the estimate when a paid page has no readable receipt), never
NULL for a billed response. A paid request is written to ``in_flight`` before it
is sent (:class:`RunLedger`); its ``requests`` row replaces it in one transaction.
A row left there (the run was killed, or its database refused writes) is booked
at its estimate by the next run (:func:`book_stranded`), and counts meanwhile.

Every text the ledger writes (``runs.message``, ``runs.gates``, request reasons)
is masked by value: a secret echoed by a server never reaches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlite_utils import Database

from harvester.central import CENTRAL
from harvester.logs import mask, mask_any
from harvester.shared import SharedInSettings
from harvester.store.connection import inserted_id, utc_timestamp, write_transaction


@dataclass(frozen=True)
class RunSummary:
    """A finished run's row in ``runs``."""

    run_id: int
    outcome: str
    cases_checked: int
    cases_changed: int
    entries_added: int
    requests: int
    billable_pages: int
    cost: float


def _dollars(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value).replace("$", "").replace(",", "").strip()))
    except InvalidOperation:
        raise ValueError(f"not a dollar amount: {value!r}") from None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(str(value).replace(",", "").strip())


_SECRET_PARAM = re.compile(r"pass|pwd|token|secret|otp|session|nextgencso|login|auth|key|cookie|user", re.I)


def redact_url(url: str | None) -> str | None:
    """``url`` without user info, fragment or the values of secret-looking query parameters."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    query = parts.query
    if "=" in query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(k) for k, _ in pairs):
            query = urlencode([(k, "REDACTED" if _SECRET_PARAM.search(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


ABANDONED_MESSAGE = "the run stopped without finishing (killed or crashed); what it had stored is kept"


STRANDED_REASON = "in flight when its run stopped (killed, or its database refused writes): booked at the gate's estimate"


def close_abandoned_runs(db: Database, *, now: datetime | str | None = None) -> int:
    """Mark runs still ``running`` as ``abandoned``, book their stranded purchases; return how many runs.

    Call it only while holding the run lock: then no run is really running, and a
    ``running`` row is what a killed process left behind.
    """
    at = utc_timestamp(now)

    def work() -> int:
        count = db.conn.execute(
            "UPDATE runs SET outcome = 'abandoned', finished_at = ?, message = ? WHERE outcome = 'running'",
            [at, ABANDONED_MESSAGE],
        ).rowcount
        book_stranded(db)
        return count

    return write_transaction(db, work)


def book_stranded(db: Database) -> int:
    """Book every ``in_flight`` row of a run no longer running in ``requests``, at its estimate."""

    def work() -> int:
        rows = db.conn.execute(
            "SELECT f.id, f.run_id, f.at, f.court_id, f.method, f.url, f.estimated_pages, f.cost FROM in_flight f"
            " LEFT JOIN runs ON runs.id = f.run_id WHERE coalesce(runs.outcome, '') <> 'running'"
        ).fetchall()
        for hold_id, run_id, at, court, method, url, pages, cost in rows:
            db.conn.execute(
                "INSERT INTO requests (run_id, at, court_id, method, url, status, bytes, billable_pages, cost, outcome,"
                " reason, estimated_pages) VALUES (?,?,?,?,?,NULL,NULL,?,?,'stranded',?,?)",
                [run_id, at, court, method, url, pages, cost, STRANDED_REASON, pages],
            )  # fmt: skip
            db.conn.execute("DELETE FROM in_flight WHERE id = ?", [hold_id])
        for run_id in {row[1] for row in rows if row[1] is not None}:
            db.conn.execute(
                "UPDATE runs SET cost = (SELECT coalesce(round(sum(cost), 2), 0) FROM requests WHERE run_id = ?),"
                " billable_pages = (SELECT coalesce(sum(billable_pages), 0) FROM requests WHERE run_id = ?),"
                " requests = (SELECT count(*) FROM requests WHERE run_id = ?) WHERE id = ?",
                [run_id, run_id, run_id, run_id],
            )
        return len(rows)

    return write_transaction(db, work)


def hold_in_flight(db: Database, *, run_id: int | None, court_id: str, method: str, url: str, pages: int,
                   at: datetime | str | None = None) -> int:  # fmt: skip
    """Record a paid request about to be sent, at its estimate; return the row id."""
    row = [run_id, utc_timestamp(at), court_id.lower(), method.upper(), redact_url(url), pages, pages / 10]
    return write_transaction(
        db,
        lambda: inserted_id(db.conn.execute(
            "INSERT INTO in_flight (run_id, at, court_id, method, url, estimated_pages, cost) VALUES (?,?,?,?,?,?,?)",
            row,
        )),
    )


def release_in_flight(db: Database, hold_id: int) -> None:
    """Forget an in-flight row whose request was not billed (not sent, an error page, no answer)."""
    write_transaction(db, lambda: db.conn.execute("DELETE FROM in_flight WHERE id = ?", [hold_id]))


def record_window_override(db: Database, run_id: int, reason: str) -> None:
    """Record in ``runs`` that (and why) ``run_id`` ignored the harvest window."""
    write_transaction(db, lambda: db.conn.execute("UPDATE runs SET window_override = ? WHERE id = ?",
                                                  [mask(reason), run_id]))  # fmt: skip


class RunLedger(SharedInSettings):
    """The gate's handle on the ledger of one run (``GATE_LEDGER``), writing through the run's writer."""

    def __init__(self, harvest: Any) -> None:
        self.harvest = harvest
        self._override: str | None = None

    async def hold(self, court: str, method: str, url: str, pages: int) -> int:
        self._flush_override()
        return await self.harvest.writer.run(
            lambda db: hold_in_flight(db, run_id=self.harvest.run_id, court_id=court, method=method, url=url,
                                      pages=pages, at=self.harvest.clock.now())  # fmt: skip
        )

    async def release(self, hold_id: int) -> None:
        await self.harvest.writer.run(lambda db: release_in_flight(db, hold_id))

    def record_override(self, reason: str) -> None:
        self._override = reason
        self._flush_override()

    def _flush_override(self) -> None:
        if self._override is not None and self.harvest.run_id is not None:
            record_window_override(self.harvest.db, self.harvest.run_id, self._override)
            self._override = None


def start_run(db: Database, *, now: datetime | str | None = None, mode: str = "pacer",
              window_override: str | None = None) -> int:  # fmt: skip
    """Open a row in ``runs`` (outcome ``running``) and return its id.

    ``mode`` is ``pacer`` for real PACER or ``sandbox`` for the local sandbox;
    ``window_override`` the reason the run ignores the harvest window, if it does.
    """
    at = utc_timestamp(now)
    reason = mask(window_override) if window_override else None
    return write_transaction(
        db, lambda: inserted_id(db.conn.execute("INSERT INTO runs (started_at, mode, window_override) VALUES (?, ?, ?)",
                                                [at, mode, reason]))  # fmt: skip
    )


def record_request(
    db: Database,
    *,
    url: str | None,
    run_id: int | None = None,
    court_id: str | None = None,
    method: str = "GET",
    status: int | None = None,
    size_bytes: int | None = None,
    receipt: Mapping[str, Any] | None = None,
    billable_pages: int | None = None,
    cost: float | str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    at: datetime | str | None = None,
    estimated_pages: int | None = None,
    charge: Mapping[str, Any] | None = None,
    in_flight_id: int | None = None,
) -> int:
    """Append one request to the audit log; return its id.

    The URL is stored through :func:`redact_url`. ``charge`` is what the gate booked
    (``pages``, ``cents``): it wins, so the ledger sums what the gate counted.
    Otherwise ``receipt`` (the receipt parse) gives the figures, and explicit
    ``billable_pages``/``cost`` win over it. ``in_flight_id`` is the request's
    ``in_flight`` row, removed in the same transaction. ``reason`` is masked.
    """
    receipt = receipt or {}
    pages = _int(billable_pages if billable_pages is not None else receipt.get("billable_pages"))
    dollars = _dollars(cost if cost is not None else receipt.get("cost"))
    if charge:
        pages, dollars = int(charge["pages"]), int(charge["cents"]) / 100
    row = [run_id, utc_timestamp(at), court_id.lower() if court_id else None, method.upper(), redact_url(url),
           status, size_bytes, pages, dollars, outcome, mask(reason) if reason else reason, estimated_pages]  # fmt: skip

    def work() -> int:
        if in_flight_id is not None:
            db.conn.execute("DELETE FROM in_flight WHERE id = ?", [in_flight_id])
        return inserted_id(db.conn.execute(
            "INSERT INTO requests (run_id, at, court_id, method, url, status, bytes, billable_pages, cost,"
            " outcome, reason, estimated_pages) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        ))

    return write_transaction(db, work)


def finish_run(
    db: Database,
    run_id: int,
    *,
    outcome: str,
    cases_checked: int = 0,
    cases_changed: int = 0,
    entries_added: int | None = None,
    gates: Mapping[str, Any] | None = None,
    message: str | None = None,
    now: datetime | str | None = None,
) -> RunSummary:
    """Close a run: its counters, and totals of its requests summed from ``requests``.

    ``entries_added`` defaults to the entries first stored by this run.
    """
    at = utc_timestamp(now)

    def work() -> RunSummary:
        conn = db.conn
        requests, pages, cost = conn.execute(
            "SELECT count(*), coalesce(sum(billable_pages), 0), coalesce(sum(cost), 0) FROM requests WHERE run_id = ?",
            [run_id],
        ).fetchone()
        added = entries_added
        if added is None:
            added = conn.execute("SELECT count(*) FROM docket_entries WHERE run_id = ?", [run_id]).fetchone()[0]
        cursor = conn.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, cases_checked = ?, cases_changed = ?, entries_added = ?,"
            " requests = ?, billable_pages = ?, cost = ?, gates = ?, message = ? WHERE id = ?",
            [at, outcome, cases_checked, cases_changed, added, requests, pages, round(cost, 2),
             json.dumps(mask_any(dict(gates))) if gates else None, mask(message) if message else message, run_id],
        )  # fmt: skip
        if cursor.rowcount != 1:
            raise ValueError(f"no run {run_id}")
        return RunSummary(run_id, outcome, cases_checked, cases_changed, added, requests, pages, round(cost, 2))

    return write_transaction(db, work)


def quarter_bounds(now: datetime | None = None) -> tuple[str, str]:
    """UTC timestamps [start, end) of the calendar quarter (Central time) containing ``now``."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(CENTRAL)
    first_month = (local.month - 1) // 3 * 3 + 1
    start = CENTRAL.localize(datetime(local.year, first_month, 1))
    end_year, end_month = (local.year + 1, 1) if first_month == 10 else (local.year, first_month + 3)
    end = CENTRAL.localize(datetime(end_year, end_month, 1))
    return utc_timestamp(start), utc_timestamp(end)


def quarter_spend(db: Database, now: datetime | None = None, mode: str = "pacer") -> float:
    """Dollars spent in the quarter containing ``now``: the gate's bookings of logged requests.

    Paid requests still in ``in_flight`` for a run that is no longer running (not
    booked yet: see :func:`book_stranded`) count at their estimate. Only runs of
    ``mode`` count: the sandbox's play money is not the account's spending.
    """
    start, end = quarter_bounds(now)
    total = db.execute(
        "SELECT coalesce(sum(r.cost), 0) FROM requests r LEFT JOIN runs ON runs.id = r.run_id"
        " WHERE r.at >= ? AND r.at < ? AND coalesce(runs.mode, 'pacer') = ?",
        [start, end, mode],
    ).fetchone()[0]
    stranded = db.execute(
        "SELECT coalesce(sum(f.cost), 0) FROM in_flight f LEFT JOIN runs ON runs.id = f.run_id"
        " WHERE f.at >= ? AND f.at < ? AND coalesce(runs.mode, 'pacer') = ? AND coalesce(runs.outcome, '') <> 'running'",
        [start, end, mode],
    ).fetchone()[0]
    return round(total + stranded, 2)

