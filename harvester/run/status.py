"""``harvester status``: what the operator needs to know at a glance.

:func:`status` returns a plain dict (``harvester status --json`` prints it):
the last runs with their outcome, duration and counters; this quarter's real
PACER spending against the $30 fee waiver, with sandbox runs counted apart as
play money; the courts the circuit breaker blocked in the last run; the next
opening of the harvest window in Central and local time; whether a run holds
the lock; and the size of the database. :func:`format_status` renders it.

The database is opened read-only: ``status`` never writes and never waits
for a harvest that is writing (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import psutil
from sqlite_utils import Database

from harvester.central import CENTRAL
from harvester.config import Config
from harvester.gate.window import Window, WindowSpec, format_both
from harvester.run.acms_routing import appellate_systems
from harvester.run.lock import database_lock_path
from harvester.store.connection import SchemaError
from harvester.store.coverage import CourtCoverage, court_coverage, coverage_now, format_coverage
from harvester.store.ledger import quarter_bounds, quarter_spend

FEE_WAIVER_DOLLARS = 30.0  # PACER waives a quarter's fees when they stay at or under $30
BLOCKED_PREFIX = "gate/breaker/tripped/"
RUN_COLUMNS = ("id", "mode", "outcome", "started_at", "finished_at", "cases_checked", "cases_changed",
               "entries_added", "requests", "billable_pages", "cost", "gates", "message")  # fmt: skip


def status(config: Config, now: datetime | None = None, runs: int = 10) -> dict[str, Any]:
    """The operator's report as a dict (timestamps ISO 8601, money in dollars)."""
    now = now or datetime.now(UTC)
    path = Path(config["database"]["path"])
    report: dict[str, Any] = {
        "now": now.isoformat(timespec="seconds"),
        "database": _file_sizes(path),
        "window": _window(config, now),
        "lock": _lock_holder(database_lock_path(path)),
        "log_file": str(config["log"]["file"]),
        "runs": [],
        "blocked_courts": [],
        "spend": None,
        "coverage": None,
        "appellate_systems": appellate_systems(config),  # which system each watched court of appeals uses
    }
    if not path.exists():
        return report
    db = _open_read_only(path)
    try:
        report["runs"] = _last_runs(db, runs)
        report["blocked_courts"] = report["runs"][0]["blocked_courts"] if report["runs"] else []
        report["spend"] = _spend(db, now, float(config["budget"]["quarter_dollars"]))
        report["database"].update(_counts(db))
        waits = int(config["watch"]["refresh_days"]), int(config["watch"]["refresh_max_days"])
        report["coverage"] = {"refresh_days": waits[0], "refresh_max_days": waits[1], "courts": [
            asdict(c) for c in court_coverage(db, coverage_now(db), *waits)]}  # fmt: skip
    except sqlite3.OperationalError as exc:
        raise SchemaError(f"{path}: cannot read the harvest tables ({exc}); run `harvester run` to upgrade it") from None
    finally:
        db.close()
    return report


def _open_read_only(path: Path) -> Database:
    from harvester.store.connection import open_readonly

    return open_readonly(path)


def _file_sizes(path: Path) -> dict[str, Any]:
    sizes = {suffix: _size(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm")}
    return {"path": str(path), "exists": path.exists(), "bytes": sum(sizes.values()), "wal_bytes": sizes["-wal"]}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _counts(db: Database) -> dict[str, int]:
    return {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in ("cases", "docket_entries")}


def _last_runs(db: Database, limit: int) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY id DESC LIMIT ?", [limit])
    runs = []
    for values in cursor.fetchall():
        run = dict(zip(RUN_COLUMNS, values, strict=True))
        gates = json.loads(run.pop("gates") or "{}")
        run["blocked_courts"] = sorted(k.removeprefix(BLOCKED_PREFIX) for k in gates if k.startswith(BLOCKED_PREFIX))
        run["duration_seconds"] = _duration(run["started_at"], run["finished_at"])
        runs.append(run)
    return runs


def _duration(started: str | None, finished: str | None) -> float | None:
    if not started or not finished:
        return None
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def _spend(db: Database, now: datetime, cap: float) -> dict[str, Any]:
    start, end = quarter_bounds(now)
    first_day = datetime.fromisoformat(start).astimezone(CENTRAL)
    pacer = quarter_spend(db, now, mode="pacer")
    return {
        "quarter": f"{first_day.year} Q{(first_day.month - 1) // 3 + 1}",
        "starts_at": start,
        "ends_at": end,
        "pacer_dollars": pacer,
        "waiver_dollars": FEE_WAIVER_DOLLARS,
        "left_under_waiver_dollars": round(max(0.0, FEE_WAIVER_DOLLARS - pacer), 2),
        "cap_dollars": cap,
        "sandbox_dollars": quarter_spend(db, now, mode="sandbox"),
    }


def _window(config: Config, now: datetime) -> dict[str, Any]:
    window = Window(WindowSpec.from_config(config["window"]))
    closes = window.closes_at(now)
    next_open = window.next_open(closes if closes is not None else now)
    return {
        "rules": window.spec.describe(),
        "open": closes is not None,
        "closes_at": closes.isoformat() if closes else None,
        "next_open": next_open.isoformat(),
    }


def _lock_holder(path: Path) -> dict[str, Any] | None:
    """The harvester process named in the run lock, if it is alive.

    Read only: taking even a shared flock to test it could make a run that starts
    at that instant fail as "locked". A killed run leaves its pid in the file; a
    pid since reused by another program is told apart by its command line.
    """
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, PermissionError):
        return None
    if not text.isdigit():
        return None
    try:
        cmdline = psutil.Process(int(text)).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if not any("harvester" in part for part in cmdline):
        return None
    return {"pid": int(text), "path": str(path)}


# -- text ---------------------------------------------------------------------------


def format_status(report: dict[str, Any], local_tz: tzinfo | None = None) -> str:
    """The report as the lines ``harvester status`` prints."""
    lines = [_database_line(report["database"]), _window_line(report["window"], local_tz)]
    if report["lock"]:
        lines.append(f"Running: a harvest holds the lock (pid {report['lock']['pid']}).")
    lines += _spend_lines(report["spend"])
    last = report["runs"][0]["id"] if report["runs"] else None
    blocked = ", ".join(report["blocked_courts"]) or "none"
    lines.append(f"Blocked courts in the last run{f' (#{last})' if last else ''}: {blocked}")
    lines += [f"Court of appeals {court}: {system}" for court, system in report.get("appellate_systems", {}).items()]
    lines += _runs_table(report["runs"], bool(report["lock"]))
    lines += _coverage_lines(report.get("coverage"))
    lines.append(f"Log file: {report['log_file']}")
    return "\n".join(lines)


def _coverage_lines(coverage: dict[str, Any] | None) -> list[str]:
    if not coverage or not coverage["courts"]:
        return []
    rows = [CourtCoverage(**c) for c in coverage["courts"]]
    return [f"Coverage (a case is stale after its wait without a harvest: {coverage['refresh_days']} nights, up to"
            f" {coverage['refresh_max_days']} for a quiet or closed case):",
            *(f"  {line}" for line in format_coverage(rows))]  # fmt: skip


def _database_line(database: dict[str, Any]) -> str:
    if not database["exists"]:
        return f"Database: {database['path']} does not exist yet (no harvest has run)."
    counts = f": {database['cases']:,} cases, {database['docket_entries']:,} docket entries" if "cases" in database else ""
    return f"Database: {database['path']} ({_bytes(database['bytes'])}, WAL {_bytes(database['wal_bytes'])}){counts}"


def _window_line(window: dict[str, Any], local_tz: tzinfo | None) -> str:
    next_open = format_both(datetime.fromisoformat(window["next_open"]), local_tz)
    if window["open"]:
        closes = format_both(datetime.fromisoformat(window["closes_at"]), local_tz)
        return f"Window {window['rules']}: open until {closes}; next opening {next_open}"
    return f"Window {window['rules']}: closed; next opening {next_open}"


def _spend_lines(spend: dict[str, Any] | None) -> list[str]:
    if spend is None:
        return ["Spend this quarter: nothing recorded yet."]
    line = (f"PACER spend this quarter ({spend['quarter']}, Central time): ${spend['pacer_dollars']:.2f} "
            f"of the ${spend['waiver_dollars']:.2f} fee waiver (${spend['left_under_waiver_dollars']:.2f} left)")  # fmt: skip
    if spend["cap_dollars"] != spend["waiver_dollars"]:
        line += f"; budget.quarter_dollars cap ${spend['cap_dollars']:.2f}"
    lines = [line]
    if spend["pacer_dollars"] > spend["waiver_dollars"]:
        lines.append("  WARNING: over the waiver - PACER will bill this quarter's fees.")
    if spend["sandbox_dollars"]:
        lines.append(f"  Sandbox runs (play money, not counted): ${spend['sandbox_dollars']:.2f}")
    return lines


def _runs_table(runs: list[dict[str, Any]], locked: bool) -> list[str]:
    if not runs:
        return ["Runs: none yet."]
    header = f"{'run':>5}  {'mode':<7}  {'started (UTC)':<16}  {'duration':>8}  {'outcome':<16}  " \
             f"{'changed':>7}  {'entries':>7}  {'requests':>8}  {'pages':>6}  {'dollars':>8}"  # fmt: skip
    lines = ["Last runs:", header]
    for run in runs:
        outcome = run["outcome"]
        if outcome == "running" and not locked:
            outcome = "did not finish"  # nobody holds the lock: the process was killed
        money = f"${run['cost']:.2f}" + ("*" if run["mode"] == "sandbox" else "")
        lines.append(
            f"{run['id']:>5}  {run['mode']:<7}  {run['started_at'][:16].replace('T', ' '):<16}  "
            f"{_duration_text(run['duration_seconds']):>8}  {outcome:<16}  {run['cases_changed']:>7,}  "
            f"{run['entries_added']:>7,}  {run['requests']:>8,}  {run['billable_pages']:>6,}  {money:>8}"
        )  # fmt: skip
    if any(run["mode"] == "sandbox" for run in runs):
        lines.append("  * sandbox run: play money")
    return lines


def _duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
