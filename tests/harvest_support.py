"""Helpers for end-to-end harvest tests: a sandbox, a config pointing at it, the CLI in a subprocess.

A harvest against a sandbox started here takes the real-PACER code path: the config's
``[endpoints]`` are the sandbox's URLs and CA, and the sandbox test account is passed
as ``PACER_USERNAME``/``PACER_PASSWORD`` in the subprocess environment. The harvester
always runs as a subprocess (``harvester run``): Scrapy's reactor cannot be restarted
in one process, and crash tests need a process to kill.

Typical use::

    sandbox = start_sandbox(tmp_path / "sandbox", cases=12)
    work = HarvestDir.create(tmp_path / "run", sandbox)
    result = work.run()
    assert result.returncode == 0, result.stderr
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester.sandbox import Account, Sandbox

REPO = Path(__file__).resolve().parents[1]
HARVESTER_CMD = [sys.executable, "-m", "harvester.cli"]
# Tuesday 19:00 Central: the harvest window is open for the next eleven hours.
SANDBOX_START = "2026-03-03T19:00:00"
SMALL_COURTS = ("cand", "nysb", "ca9")
# Fast but still paced: a small harvest takes a few seconds.
FAST_RATE = {"per_court_per_second": 40.0, "global_per_second": 120.0, "per_court_concurrency": 2}
PLAY_MONEY = {"run_dollars": 100000.0, "quarter_dollars": 1000000.0}


def start_sandbox(
    state_dir: Path,
    *,
    courts: Iterable[str] = SMALL_COURTS,
    cases: int = 12,
    mean_entries: int = 25,
    seed: int = 7,
    accounts: list[Account] | None = None,
    **options: Any,
) -> Sandbox:
    """A started sandbox of synthetic cases only (no corpus pages: quick and deterministic).

    The caller stops it (``sandbox.stop()``, or use it as a context manager).
    """
    options.setdefault("start", SANDBOX_START)
    options.setdefault("real_pages", False)
    sandbox = Sandbox(state_dir=state_dir, courts=tuple(courts), cases=cases, mean_entries=mean_entries,
                      seed=seed, accounts=accounts, **options)  # fmt: skip
    return sandbox.start()


def watch_tables(cases: list[dict]) -> dict[str, dict[str, list[str]]]:
    """``[watch.cases.<court>]`` for the sandbox's cases: case ids, docket numbers on appellate courts."""
    tables: dict[str, dict[str, list[str]]] = {}
    for case in cases:
        table = tables.setdefault(case["court"], {})
        if case["kind"] == "appellate":
            table.setdefault("docket_numbers", []).append(case["case_number"])
        else:
            table.setdefault("pacer_case_ids", []).append(case["pacer_case_id"])
    return tables


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_text(sections: dict[str, dict[str, Any]], cases: dict[str, dict[str, list[str]]] | None = None) -> str:
    """A TOML document from ``{section: {key: value}}`` plus ``[watch.cases.<court>]`` tables."""
    lines: list[str] = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        lines.append("")
    for court, table in (cases or {}).items():
        lines.append(f"[watch.cases.{court}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
        lines.append("")
    return "\n".join(lines)


def window_around_now(*, open_now: bool) -> dict[str, str]:
    """A ``[window]`` on the real clock that is open now (for three hours) or closed now (opens in two)."""
    from datetime import datetime, timedelta

    from harvester.central import CENTRAL

    def hhmm(hours: float) -> str:
        return (datetime.now(CENTRAL) + timedelta(hours=hours)).strftime("%H:%M")

    return {"start": hhmm(-1), "end": hhmm(2)} if open_now else {"start": hhmm(2), "end": hhmm(3)}


def sandbox_endpoints(sandbox: Sandbox) -> dict[str, str]:
    """The ``[endpoints]`` section that points a harvest at ``sandbox``."""
    config = sandbox.config
    return {
        "login_url": config["login_url"], "logout_url": config["logout_url"],
        "court_lookup_url": config["court_lookup_url"], "court_url": config["court_url_template"],
        "ca_bundle": config["ca_bundle"], "clock_url": config["clock_url"],
    }  # fmt: skip


def harvester_env(username: str | None, password: str | None, otp_secret: str | None = None) -> dict[str, str]:
    """This process's environment without any PACER_* variable, plus the given credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if username is not None:
        env["PACER_USERNAME"] = username
    if password is not None:
        env["PACER_PASSWORD"] = password
    if otp_secret is not None:
        env["PACER_OTP_SECRET"] = otp_secret
    return env


@dataclass
class HarvestDir:
    """A working directory with a config for one sandbox: run the CLI there, read its database."""

    root: Path
    sandbox: Sandbox
    config: Path
    env: dict[str, str]
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        root: Path,
        sandbox: Sandbox,
        *,
        cases: list[dict] | None = None,
        sections: dict[str, dict[str, Any]] | None = None,
        account: dict[str, str] | None = None,
    ) -> HarvestDir:
        """Write ``root/harvester.toml`` watching ``cases`` (default: every case the sandbox serves).

        ``sections`` override or add config keys; ``account`` (default: the sandbox's
        test account) becomes the subprocess's PACER_* environment.
        """
        root.mkdir(parents=True, exist_ok=True)
        cases = sandbox.cases() if cases is None else cases
        merged: dict[str, dict[str, Any]] = {
            "watch": {"courts": sorted({c["court"] for c in cases})},
            "endpoints": sandbox_endpoints(sandbox),
            "database": {"path": str(root / "data" / "pacer.db")},
            "log": {"file": str(root / "data" / "harvester.log")},
            "harvest": {"state_dir": str(root / "data" / "state")},
            "rate": dict(FAST_RATE),
            "budget": dict(PLAY_MONEY),
        }
        for section, values in (sections or {}).items():
            merged.setdefault(section, {}).update(values)
        config = root / "harvester.toml"
        config.write_text(toml_text(merged, watch_tables(cases)), encoding="utf-8")
        account = account if account is not None else sandbox.config["credentials"]
        env = harvester_env(account["login_id"], account["password"], account.get("totp_secret"))
        return cls(root, sandbox, config, env, merged)

    @property
    def db_path(self) -> Path:
        return Path(self.sections["database"]["path"])

    @property
    def log_path(self) -> Path:
        return Path(self.sections["log"]["file"])

    def command(self, *args: str) -> list[str]:
        return [*HARVESTER_CMD, *args]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """``harvester run --config ...`` (or ``harvester ARGS...``) to the end."""
        argv = list(args) or ["run", "--config", str(self.config)]
        return subprocess.run(self.command(*argv), cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip

    def spawn(self, *args: str) -> subprocess.Popen:
        """Start ``harvester run`` (or ARGS) without waiting; output goes to files in ``root``."""
        argv = list(args) or ["run", "--config", str(self.config)]
        n = len(list(self.root.glob("stdout.*")))
        out = open(self.root / f"stdout.{n}", "w")
        err = open(self.root / f"stderr.{n}", "w")
        proc = subprocess.Popen(self.command(*argv), cwd=self.root, env=self.env, stdout=out, stderr=err)
        out.close()
        err.close()
        proc.output_files = (self.root / f"stdout.{n}", self.root / f"stderr.{n}")  # type: ignore[attr-defined]
        return proc

    def export(self) -> list[dict]:
        """``harvester export`` of this directory's database, as parsed JSON lines."""
        result = self.run("export", "--db", str(self.db_path), timeout=120)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def connect(self) -> sqlite3.Connection:
        """A plain read connection to the harvest database."""
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)


def requests_to(sandbox: Sandbox, endpoint: str | None = None, **match: Any) -> list[dict]:
    """The sandbox's request-log records (of one endpoint)."""
    if endpoint is not None:
        match["endpoint"] = endpoint
    return sandbox.request_log.records(**match)


def logins(sandbox: Sandbox) -> list[dict]:
    """Every ``cso-auth`` call the sandbox answered."""
    return requests_to(sandbox, "cso-auth")


BILLABLE_ENDPOINTS = ("DktRpt", "CaseSummary", "iquery")


def billable_requests(sandbox: Sandbox) -> list[dict]:
    """Requests to paid reports (billed or not: a fault may have spoiled the answer)."""
    return [r for r in sandbox.request_log.records() if r["endpoint"] in BILLABLE_ENDPOINTS]


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.01) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def raw_pages(conn: sqlite3.Connection, kind: str | None = None) -> list[tuple[dict, bytes]]:
    """Archived pages (row as dict, decompressed body)."""
    conn.row_factory = sqlite3.Row
    sql = "SELECT id, kind, court_id, pacer_case_id, incremental, body FROM raw_pages"
    rows = conn.execute(sql + (" WHERE kind = ?" if kind else ""), [kind] if kind else []).fetchall()
    conn.row_factory = None
    return [({k: row[k] for k in row.keys() if k != "body"}, zlib.decompress(row["body"])) for row in rows]


def docket_consistency_problems(conn: sqlite3.Connection) -> list[str]:
    """Why the stored dockets are not each whole, or [] when they are.

    A case is whole when its ``docket_entries`` are exactly the entries of the
    docket reports archived for it: the union of the entry keys the current
    parser reads from its raw pages (a crash between the entries and the raw page
    of one report would break this), and ``cases.entry_count`` equals that count.
    Every archived docket report must also belong to a stored case.
    """
    from harvester.parsers import parse_page
    from harvester.store.dockets import entry_keys

    problems: list[str] = []
    by_case: dict[tuple[str, str], set[str]] = {}
    for row, body in raw_pages(conn, "docket"):
        record = parse_page(body, court_id=row["court_id"])
        keys = by_case.setdefault((row["court_id"], row["pacer_case_id"]), set())
        keys.update(entry_keys(record.get("docket_entries") or []))
    stored = {
        (court, case_id): (cid, count)
        for cid, court, case_id, count in conn.execute("SELECT id, court_id, pacer_case_id, entry_count FROM cases")
    }
    for key, expected in by_case.items():
        if key not in stored:
            problems.append(f"{key}: a docket page is archived but the case is not stored")
            continue
        cid, count = stored[key]
        have = {k for (k,) in conn.execute("SELECT entry_key FROM docket_entries WHERE case_id = ?", [cid])}
        if have != expected:
            problems.append(f"{key}: {len(have)} entries stored, the archived reports have {len(expected)}")
        if count != len(have):
            problems.append(f"{key}: entry_count {count} but {len(have)} entry rows")
    for key, (_cid, count) in stored.items():
        if key not in by_case and count:
            problems.append(f"{key}: {count} entries but no archived report")
    return problems


def held_write_lock(db_path: Path, hold: float = 0.02, timeout: float = 30.0) -> float | None:
    """Wait until another connection has held the database's write lock for ``hold`` seconds on end.

    Probes with ``BEGIN IMMEDIATE`` (no waiting) every few milliseconds; returns how
    long the lock had been held when it returns, or None after ``timeout`` seconds.
    A long hold is a big transaction in progress, e.g. a docket being stored.
    """
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        since = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                since = None
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                now = time.monotonic()
                since = since if since is not None else now
                if now - since >= hold:
                    return now - since
            time.sleep(0.002)
        return None
    finally:
        conn.close()


def report_case(record: dict) -> str | None:
    """The case a report request asked for (also when a fault answered it instead of the report)."""
    params = record.get("params") or {}
    return record.get("case") or params.get("all_case_ids") or params.get("caseNum")


# ---------------------------------------------------------------- a researcher querying during a harvest

READER = r'''
"""A researcher's loop of queries (one read transaction each) against a harvest database."""
import json, signal, sqlite3, sys

stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
QUERIES = [
    # Half-stored dockets: a case whose entry rows disagree with its entry count.
    "SELECT count(*) FROM cases c WHERE c.entry_count <> (SELECT count(*) FROM docket_entries e WHERE e.case_id = c.id)",
    # A harvested case whose report is not archived (the two are stored together).
    "SELECT count(*) FROM cases c WHERE c.last_harvested_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM raw_pages r"
    " WHERE r.kind = 'docket' AND r.court_id = c.court_id AND r.pacer_case_id = c.pacer_case_id)",
    "SELECT count(*), coalesce(sum(entry_count), 0) FROM cases",
    "SELECT count(*) FROM docket_entries_fts WHERE docket_entries_fts MATCH 'order OR motion'",
    "SELECT count(*) FROM attorney_appearances",
    "SELECT court_id, count(*) FROM entries GROUP BY court_id",
]
conn = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
queries, errors, half, states = 0, [], 0, set()
while not stop:
    try:
        conn.execute("BEGIN")
        results = [conn.execute(q).fetchall() for q in QUERIES]
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        errors.append(f"{type(exc).__name__}: {exc}")
        continue
    queries += len(QUERIES)
    half += results[0][0][0] + results[1][0][0]
    states.add(tuple(results[2][0]))
print(json.dumps({"queries": queries, "errors": errors[:10], "error_count": len(errors),
                  "half_dockets_seen": half, "states_seen": len(states)}))
'''


def start_reader(db_path: Path) -> subprocess.Popen:
    """Start a process that queries ``db_path`` in a loop (the file must exist) until :func:`stop_reader`."""
    return subprocess.Popen([sys.executable, "-c", READER, str(db_path)], stdout=subprocess.PIPE, text=True)


def stop_reader(reader: subprocess.Popen) -> dict:
    """Stop the reader; return its counts: queries, errors, half_dockets_seen, states_seen."""
    reader.send_signal(signal.SIGTERM)
    out, _ = reader.communicate(timeout=60)
    return json.loads(out)


class LogTail:
    """The sandbox request log from now on, read incrementally: cheap to poll every few milliseconds."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.path = Path(sandbox.config["request_log"])
        self._offset = self.path.stat().st_size if self.path.exists() else 0
        self._partial = b""
        self.records: list[dict] = []

    def poll(self) -> list[dict]:
        """Every record logged since this tail was made (new lines are read now)."""
        if self.path.exists():
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
            self._offset += len(chunk)
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            self.records += [json.loads(line) for line in lines if line.strip()]
        return self.records

    def count(self, endpoint: str) -> int:
        return sum(r["endpoint"] == endpoint for r in self.poll())
