"""The harvest's ledger: runs, the audit log of requests, and money spent.

Every request the harvester makes is one row in ``requests`` (URL with secrets
removed, status, size, billable pages and cost from the transaction receipt),
so the budget gates can ask :func:`quarter_spend` and :func:`run_spend` what
has really been spent. Quarters are calendar quarters in Central time.
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
from harvester.store.connection import utc_timestamp, write_transaction


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


def close_abandoned_runs(db: Database, *, now: datetime | str | None = None) -> int:
    """Mark runs still ``running`` as ``abandoned``; return how many.

    Call it only while holding the run lock: then no run is really running, and a
    ``running`` row is what a killed process left behind.
    """
    at = utc_timestamp(now)
    return write_transaction(
        db,
        lambda: db.conn.execute(
            "UPDATE runs SET outcome = 'abandoned', finished_at = ?, message = ? WHERE outcome = 'running'",
            [at, ABANDONED_MESSAGE],
        ).rowcount,
    )


def start_run(db: Database, *, now: datetime | str | None = None, mode: str = "pacer") -> int:
    """Open a row in ``runs`` (outcome ``running``) and return its id.

    ``mode`` is ``pacer`` for real PACER or ``sandbox`` for the local sandbox.
    """
    at = utc_timestamp(now)
    return write_transaction(
        db, lambda: db.conn.execute("INSERT INTO runs (started_at, mode) VALUES (?, ?)", [at, mode]).lastrowid
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
) -> int:
    """Append one request to the audit log; return its id.

    The URL is stored through :func:`redact_url`. ``receipt`` is the receipt
    parse (``billable_pages``, ``cost``); explicit ``billable_pages``/``cost``
    win over it. Never pass credentials in ``reason``.
    """
    receipt = receipt or {}
    pages = _int(billable_pages if billable_pages is not None else receipt.get("billable_pages"))
    dollars = _dollars(cost if cost is not None else receipt.get("cost"))
    row = [run_id, utc_timestamp(at), court_id.lower() if court_id else None, method.upper(), redact_url(url),
           status, size_bytes, pages, dollars, outcome, reason, estimated_pages]  # fmt: skip
    return write_transaction(
        db,
        lambda: db.conn.execute(
            "INSERT INTO requests (run_id, at, court_id, method, url, status, bytes, billable_pages, cost,"
            " outcome, reason, estimated_pages) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        ).lastrowid,
    )


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
             json.dumps(dict(gates)) if gates else None, message, run_id],
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
    """Dollars spent (receipt costs of logged requests) in the quarter containing ``now``.

    Only runs of ``mode`` count: the sandbox's play money is not the account's spending.
    """
    start, end = quarter_bounds(now)
    total = db.execute(
        "SELECT coalesce(sum(r.cost), 0) FROM requests r LEFT JOIN runs ON runs.id = r.run_id"
        " WHERE r.at >= ? AND r.at < ? AND coalesce(runs.mode, 'pacer') = ?",
        [start, end, mode],
    ).fetchone()[0]
    return round(total, 2)

