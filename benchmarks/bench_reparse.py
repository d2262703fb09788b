"""`harvester reparse` of a big archive against `parse` on the same pages: speed and peak memory.

Builds a harvest database whose archive holds ``--pages`` docket pages (the shared
corpus's district and bankruptcy pages, cycled, each copy made distinct and filed
as a case of its own, as ``bench_parse_memory.py --archive`` does), then measures:

- ``parse_page`` in process on the same pages (read from the archive beforehand):
  MB/s and pages/s, the figure ``harvester parse`` reaches on one core;
- ``harvester reparse`` as a whole process, three times on the same database:
  a fresh archive (every case is new: everything is written), the same archive
  again (nothing changed: nothing should be written), and after a simulated parser
  change (a fraction of the cases, their entries and parties altered in the
  database beforehand, as an older parser would have left them);
  for each: the command's own pages/s and MB/s, the whole process's MB/s,
  the rows it wrote (inserted, updated or deleted in the derived tables: their rows
  compared before and after, by id; counting triggers would slow the very writes
  measured, as any trigger makes FTS5 write a segment per statement), the peak RSS of the command and of it with its workers, and the
  ratio of its MB/s to parse's.

    python benchmarks/bench_reparse.py [--pages 10000] [--changed 0.1] [--jobs N] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse_memory import DEFAULT_CORPUS, REPARSE_LIMIT_MB, build_archive, process_rss  # noqa: E402

_COMMAND = [sys.executable, "-c", "import sys; from harvester.cli import main; sys.argv[0] = 'harvester'; main()"]
_MARK = " [older parser]"


def parse_in_process(db_path: Path) -> tuple[int, int, float]:
    """(pages, bytes, CPU seconds) of ``parse_page`` over every archived page, pages already in memory."""
    from harvester.errors import ParseError
    from harvester.parsers import parse_page
    from harvester.store.raw_pages import read_raw_page

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    pages = [
        (read_raw_page(conn, page_id), court) for page_id, court in conn.execute("SELECT id, court_id FROM raw_pages")
    ]
    conn.close()
    started = time.process_time()
    for data, court in pages:
        try:
            parse_page(data, court)
        except ParseError:  # reparse counts these as failed pages, parse as failed files: same work
            pass
    return len(pages), sum(len(data) for data, _ in pages), time.process_time() - started


def simulate_parser_change(db_path: Path, fraction: float) -> int:
    """Alter a fraction of the cases (name, entries' text, parties' extra info) as an older parser might have."""
    every = max(1, round(1 / fraction)) if fraction > 0 else 0
    if not every:
        return 0
    conn = sqlite3.connect(db_path)
    with conn:
        picked = f"SELECT id FROM cases WHERE id % {every} = 0"
        cases = conn.execute(f"UPDATE cases SET case_name = upper(case_name) WHERE id IN ({picked})").rowcount
        conn.execute(f"UPDATE docket_entries SET description = description || '{_MARK}' WHERE case_id IN ({picked})")
        conn.execute(f"UPDATE parties SET extra_info = NULL WHERE case_id IN ({picked})")
    conn.close()
    return cases


def run_reparse(db_path: Path, jobs: int | None) -> dict:
    """One whole-process run of ``harvester reparse``: its summary, wall time, peaks and rows changed."""
    import psutil

    before = _row_digests(db_path)
    options = ["--jobs", str(jobs)] if jobs else []
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([*_COMMAND, "reparse", "--db", str(db_path), *options], stdout=out,
                                stderr=subprocess.DEVNULL, text=True, cwd=ROOT)  # fmt: skip
        main_peak = tree_peak = 0
        while proc.poll() is None:  # sampled: the workers' RSS is not in the command's ru_maxrss
            main, tree = process_rss(psutil, proc.pid)
            main_peak, tree_peak = max(main_peak, main), max(tree_peak, tree)
            time.sleep(0.05)
        wall = time.perf_counter() - started
        out.seek(0)
        lines = out.read().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"harvester reparse failed with exit code {proc.returncode}")
    return {"summary": lines[-1], "wall": wall, "main_mb": main_peak / 2**20, "tree_mb": tree_peak / 2**20,
            "rows_written": _rows_written(before, _row_digests(db_path))}  # fmt: skip


_COUNTED = ("cases", "parties", "party_attorneys", "attorneys", "docket_entries", "entry_versions", "rss_items")


def _row_digests(db_path: Path) -> dict[str, dict[int, int]]:
    """Per derived table: each row's rowid -> a hash of the whole row."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    digests = {table: {row[0]: hash(row) for row in conn.execute(f"SELECT rowid, * FROM {table}")} for table in _COUNTED}
    conn.close()
    return digests


def _rows_written(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> int:
    """Rows inserted, deleted or changed between two digests (a row rewritten as it was does not count:
    tests/test_reparse_writes.py proves with ``total_changes`` that an unchanged reparse rewrites none)."""
    written = 0
    for table, old in before.items():
        new = after[table]
        written += len(old.keys() ^ new.keys()) + sum(1 for i in old.keys() & new.keys() if old[i] != new[i])
    return written


def _speed(summary: str) -> float:
    """The MB/s figure of a reparse summary line."""
    return float(summary.rsplit(",", 1)[1].split()[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--changed", type=float, default=0.1, help="fraction of cases an older parser got wrong")
    ap.add_argument("--jobs", type=int, default=None, help="reparse --jobs (default: the command's own)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    if not (args.corpus / "district").is_dir():
        print(f"corpus not found at {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "archive.db"
        total = build_archive(db_path, args.corpus, args.pages)
        pages, size, cpu = parse_in_process(db_path)
        parse_mb_s = size / 1e6 / cpu
        print(f"archive of {args.pages:,} docket pages ({total / 1e6:.0f} MB of HTML), cpu cores {os.cpu_count()}")
        print(f"parse in process: {pages / cpu:,.0f} pages/s, {parse_mb_s:.1f} MB/s ({cpu:.1f} s CPU)")
        worst = 0.0
        runs = [("fresh archive (every case new)", None), ("unchanged archive", None),
                (f"after a parser change ({args.changed:.0%} of cases)", args.changed)]  # fmt: skip
        for label, fraction in runs:
            if fraction:
                print(f"  (altered {simulate_parser_change(db_path, fraction):,} cases beforehand)")
            run = run_reparse(db_path, args.jobs)
            worst = max(worst, run["tree_mb"])
            whole = size / 1e6 / run["wall"]
            print(f"reparse, {label}:")
            print(f"  {run['summary']}")
            print(f"  whole process {run['wall']:.1f} s, {whole:.1f} MB/s; rows written:"
                  f" {run['rows_written']:,}; peak RSS {run['main_mb']:.0f} MB (the command),"
                  f" {run['tree_mb']:.0f} MB (with its workers; limit {REPARSE_LIMIT_MB} MB)")  # fmt: skip
            print(f"  reparse/parse MB/s: {_speed(run['summary']) / parse_mb_s:.2f} (command),"
                  f" {whole / parse_mb_s:.2f} (whole process)")  # fmt: skip
        if args.changed:
            print(f"  rows still as the older parser left them: {_left_over(db_path)}")
    return 0 if worst < REPARSE_LIMIT_MB else 1


def _left_over(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    count = conn.execute(f"SELECT count(*) FROM docket_entries WHERE description LIKE '%{_MARK}'").fetchone()[0]
    conn.close()
    return count


if __name__ == "__main__":
    sys.exit(main())
