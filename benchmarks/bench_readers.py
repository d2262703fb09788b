"""Does a researcher querying the database slow the nightly harvest? (target: by less than 20%)

    .venv/bin/python benchmarks/bench_readers.py [--cases 150] [--entries 150] [--runs 3]

Harvests the same work (two courts of a sandbox, on top of a database that already
holds a third) with and without a reader process that runs research queries in a
tight loop (full-text search, views, joins; one read transaction each), alternating,
``--runs`` times each. Prints the median harvest time of each, their ratio, and what
the reader did: queries answered, errors, half-stored dockets seen (both must be 0).
The rate limits are lifted, so the harvest is as busy as it can be: the worst case.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the test helpers: sandbox, config, reader process

from harvest_support import HarvestDir, start_reader, start_sandbox, stop_reader  # noqa: E402

LIFTED = {"rate": {"per_court_per_second": 1000, "global_per_second": 1000, "per_court_concurrency": 4},
          "log": {"level": "WARNING"}}  # fmt: skip


def copy_db(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()


def one_harvest(root: Path, sandbox, seed_db: Path, with_reader: bool) -> tuple[float, dict | None]:
    work = HarvestDir.create(root, sandbox, sections=LIFTED)
    copy_db(seed_db, work.db_path)
    reader = start_reader(work.db_path) if with_reader else None
    time.sleep(0.2)  # let the reader get going
    started = time.perf_counter()
    result = work.run(timeout=600)
    elapsed = time.perf_counter() - started
    seen = stop_reader(reader) if reader else None
    if result.returncode != 0:
        raise SystemExit(f"harvest failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-2000:]}")
    shutil.rmtree(root)
    return elapsed, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=150, help="synthetic cases over cand, nysb and ca9")
    parser.add_argument("--entries", type=int, default=150, help="mean docket entries per case")
    parser.add_argument("--runs", type=int, default=3, help="harvests with and without the reader, each")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-readers-"))
    sandbox = start_sandbox(tmp / "sandbox", cases=args.cases, mean_entries=args.entries, clock_speed=0)
    try:
        fetched = len(sandbox.cases()) - len(sandbox.cases("cand"))
        seed = HarvestDir.create(tmp / "seed", sandbox, cases=sandbox.cases("cand"), sections=LIFTED)
        if seed.run(timeout=600).returncode != 0:
            raise SystemExit("seed harvest failed")
        alone, shared, readers = [], [], []
        for run in range(args.runs):
            alone.append(one_harvest(tmp / f"alone-{run}", sandbox, seed.db_path, with_reader=False)[0])
            elapsed, seen = one_harvest(tmp / f"reader-{run}", sandbox, seed.db_path, with_reader=True)
            shared.append(elapsed)
            readers.append(seen)
    finally:
        sandbox.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    base, loaded = statistics.median(alone), statistics.median(shared)
    print(f"harvest of {fetched} dockets (~{args.entries} entries each), rate limits lifted, median of {args.runs}:")
    print(f"  without a reader: {base:.2f} s   (runs: {', '.join(f'{t:.2f}' for t in alone)})")
    print(f"  with a reader:    {loaded:.2f} s   (runs: {', '.join(f'{t:.2f}' for t in shared)})")
    print(f"  slowdown: {loaded / base:.2f}x (target: at most 1.20x)")
    queries = [r["queries"] for r in readers]
    print(f"reader: {statistics.median(queries):.0f} queries per harvest (median), "
          f"{sum(r['error_count'] for r in readers)} errors, "
          f"{sum(r['half_dockets_seen'] for r in readers)} half-stored dockets seen, "
          f"{statistics.median(r['states_seen'] for r in readers):.0f} database states seen per harvest")  # fmt: skip
    errors = [e for r in readers for e in r["errors"]]
    if errors:
        print("  first errors:", errors[:3])


if __name__ == "__main__":
    main()
