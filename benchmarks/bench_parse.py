"""Docket report parsing speed: MB/s and docket entries/s on one core.

Parses every page of the shared corpus's ``dockets/bankruptcy`` and
``dockets/district`` folders in one process (pages read into memory first,
only parsing timed), ``--repeat`` times, and prints the median and best runs.

    python benchmarks/bench_parse.py [--repeat 5] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harvester.errors import ParseError  # noqa: E402
from harvester.parsers.docket_report import parse  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "pacer" / "dockets"
TARGET_MB_S = 10.0
TARGET_ENTRIES_S = 9000.0


def _pages(corpus: Path) -> list[bytes]:
    paths = sorted((corpus / "bankruptcy").glob("*.html")) + sorted((corpus / "district").glob("*.html"))
    return [p.read_bytes() for p in paths]


def _run(pages: list[bytes]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, docket entries) of parsing every page once."""
    entries = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        try:
            entries += len(parse(page)["docket_entries"])
        except ParseError:
            pass  # two corpus pages are deliberately not dockets
    return time.perf_counter() - wall, time.process_time() - cpu, entries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    if not (args.corpus / "district").is_dir():
        print(f"corpus not found at {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    pages = _pages(args.corpus)
    megabytes = sum(map(len, pages)) / 1e6
    _run(pages[:20])  # warm caches and imports
    runs = [_run(pages) for _ in range(args.repeat)]
    entries = runs[0][2]
    print(f"pages: {len(pages)}, {megabytes:.1f} MB, {entries:,} docket entries; {args.repeat} runs")
    print(f"targets: {TARGET_MB_S:g} MB/s, {TARGET_ENTRIES_S:,.0f} entries/s on one core")
    # CPU time is this process's own single-core work; wall time also counts waiting
    # for the core when other processes share the machine.
    for label, seconds in (("wall", [r[0] for r in runs]), ("cpu", [r[1] for r in runs])):
        median, best = statistics.median(seconds), min(seconds)
        print(
            f"{label:4} median {median:.3f} s = {megabytes / median:.1f} MB/s, {entries / median:,.0f} entries/s;"
            f" best {megabytes / best:.1f} MB/s, {entries / best:,.0f} entries/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
