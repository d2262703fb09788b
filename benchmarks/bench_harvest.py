"""Harvest a large synthetic sandbox with the rate limits lifted; print throughput and search speed.

    .venv/bin/python benchmarks/bench_harvest.py [--cases 2000] [--entries 100]
    .venv/bin/python benchmarks/bench_harvest.py --rate 20 --cases 1000 --entries 10

Prints dockets/s, entries/s stored, CPU seconds per request and peak RSS of the
`harvester run` process, then the median latency of 20 full-text searches over the
result (target < 50 ms). The sandbox runs in this process, the harvester in a child.

With ``--rate R`` the global limit is R requests/s (instead of lifted) and the figures
are read from the sandbox's request log: achieved rate / R (target >= 95%) and the
worst 10-second span's excess over 10 R (target: at most one request).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from harvester.sandbox import Sandbox
from harvester.sandbox.requestlog import max_in_window

HARVESTER = Path(sys.executable).with_name("harvester")
COURTS = ("cand", "nysd", "ilnd", "dcd", "nysb", "txsb")
ENTRY_QUERIES = ["motion", "order", "dismiss", "summary judgment", "stipulation", "notice of appearance",
                 "transcript", "complaint", "hearing", "proof of claim"]
NAME_QUERIES = ["United States", "Baker", "Corporation", "Hill", "Brown", "Manufacturing", "Group", "Sanchez",
                "Liberty", "Northwind"]  # fmt: skip


SEARCH_ENTRIES = """
SELECT e.id, e.date_filed, e.description, c.case_name, c.docket_number
FROM docket_entries_fts f JOIN docket_entries e ON e.id = f.rowid JOIN cases c ON c.id = e.case_id
WHERE docket_entries_fts MATCH ? ORDER BY f.rank LIMIT 50"""
SEARCH_CASES = """
SELECT c.id, c.case_name, c.docket_number FROM cases_fts f JOIN cases c ON c.id = f.rowid
WHERE cases_fts MATCH ? ORDER BY f.rank LIMIT 50"""


def config_text(sandbox: Sandbox, workdir: Path, rate: float | None = None) -> str:
    cfg = sandbox.config
    return "\n".join([
        "[endpoints]", f'login_url = "{cfg["login_url"]}"', f'logout_url = "{cfg["logout_url"]}"',
        f'court_lookup_url = "{cfg["court_lookup_url"]}"', f'court_url = "{cfg["court_url_template"]}"',
        f'ca_bundle = "{cfg["ca_bundle"]}"', f'clock_url = "{cfg["clock_url"]}"',
        "[watch]", f"courts = {json.dumps(list(COURTS))}", "follow_rss = false",
        "[rate]  # lifted unless --rate: then the global limit binds",
        "per_court_per_second = 1000", f"global_per_second = {rate or 1000}", "per_court_concurrency = 4",
        "[budget]", "run_dollars = 100000", "quarter_dollars = 1000000",
        "[log]", 'level = "WARNING"', f'file = "{workdir / "harvest.log"}"',
    ]) + "\n"  # fmt: skip


def watch_all(sandbox: Sandbox, text: str) -> str:
    per_court: dict[str, list[str]] = {}
    for case in sandbox.cases():
        if case["court"] in COURTS and case["synthetic"]:
            per_court.setdefault(case["court"], []).append(str(case["pacer_case_id"]))
    for court, ids in per_court.items():
        text += f"[watch.cases.{court}]\npacer_case_ids = {json.dumps(ids)}\n"
    return text


def report_rate(sandbox: Sandbox, rate: float) -> None:
    """Achieved rate and the worst 10 s span, from what the sandbox received."""
    times = sorted(datetime.fromisoformat(r["time"]).timestamp() for r in sandbox.request_log.records()
                   if r["endpoint"] != "sandbox-admin")  # the harvester's clock reads are not PACER requests
    achieved = (len(times) - 1) / (times[-1] - times[0])
    worst = max_in_window(times, 10.0)
    print(f"requests received:    {len(times):8d}  at a global limit of R = {rate:g}/s")
    print(f"achieved / R:         {achieved / rate:8.3f}  (target >= 0.95)")
    print(f"worst 10 s span:      {worst:8d}  requests, {worst - 10 * rate:+.0f} over 10 R (target <= +1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100, help="mean docket entries per case")
    parser.add_argument("--rate", type=float, default=None, help="global limit in requests/s (default: lifted)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    with Sandbox(state_dir=workdir / "sandbox", courts=COURTS, cases=args.cases, mean_entries=args.entries,
                 seed=99, real_pages=False) as sandbox:  # fmt: skip
        config = workdir / "harvester.toml"
        config.write_text(watch_all(sandbox, config_text(sandbox, workdir, args.rate)))
        account = sandbox.config["credentials"]
        env = {**os.environ, "PACER_USERNAME": account["login_id"], "PACER_PASSWORD": account["password"]}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run([str(HARVESTER), "run", "--config", str(config)], cwd=workdir, env=env,
                                capture_output=True, text=True)  # fmt: skip
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"harvest failed ({result.returncode}):\n{result.stderr[-3000:]}")
        if args.rate:
            report_rate(sandbox, args.rate)
    db = sqlite3.connect(workdir / "data" / "pacer.db")
    cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    entries = db.execute("SELECT count(*) FROM docket_entries").fetchone()[0]
    requests = db.execute("SELECT requests FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"harvested {cases} cases, {entries} entries, {requests} requests in {elapsed:.1f} s")
    print(f"dockets/s:            {cases / elapsed:8.1f}")
    print(f"entries/s stored:     {entries / elapsed:8.0f}")
    print(f"CPU s per request:    {cpu / max(requests, 1):8.4f}  (harvester process)")
    print(f"peak RSS:             {after.ru_maxrss / 1024:8.0f} MB  (largest child process)")
    latencies = []
    hits = 0
    searches = [(SEARCH_ENTRIES, q) for q in ENTRY_QUERIES] + [(SEARCH_CASES, q) for q in NAME_QUERIES]
    for sql, query in searches:  # what a researcher's search runs: ranked matches with their case
        started = time.perf_counter()
        hits += len(db.execute(sql, [f'"{query}"']).fetchall())
        latencies.append((time.perf_counter() - started) * 1000)
    print(f"FTS search rows:      {hits:8d}  (top 50 per query)")
    print(f"FTS search median:    {statistics.median(latencies):8.1f} ms  (20 queries; max {max(latencies):.1f} ms; target < 50 ms)")
    page = search_page_latencies(workdir / "data" / "pacer.db", ENTRY_QUERIES + NAME_QUERIES)
    print(f"search page median:   {statistics.median(page):8.1f} ms  (/-/docket-search: cases, entries, parties, "
          f"attorneys with snippets; 20 queries; max {max(page):.1f} ms)")
    if cases < args.cases or entries < 0.9 * args.cases * args.entries:
        sys.exit(f"expected about {args.cases} cases / {args.cases * args.entries} entries")


def search_page_latencies(db_path: Path, queries: list[str]) -> list[float]:
    """What the researchers' search page runs (harvester.web.search), through Datasette, per query in ms."""
    import asyncio

    from harvester.web.search import search
    from harvester.web.serve import build_datasette, database_name

    datasette = build_datasette(db_path)

    async def timed() -> list[float]:
        await datasette.invoke_startup()
        db = datasette.get_database(database_name(db_path))
        out = []
        for query in queries:
            started = time.perf_counter()
            await search(db, query)
            out.append((time.perf_counter() - started) * 1000)
        return out

    return asyncio.run(timed())


if __name__ == "__main__":
    main()
