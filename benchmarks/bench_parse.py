"""Docket parsing speed: `harvester parse` against the widely used parser, whole process.

On every page of the shared corpus's ``dockets/district`` and ``dockets/bankruptcy``
folders it measures, ``--repeat`` times each, median reported:

- whole process, start-up included: ``harvester parse`` on all the pages (output
  discarded), and the reference parser (juriscraper, through
  ``benchmarks/reference_parse.py``) on the same pages, the two runs alternating so
  that a busy machine slows both alike; then the ratio of the two;
- in process, one core: MB/s and docket entries/s of ``parse_page`` on pages
  already in memory;
- the ceiling: the HTML engine's bare parse of the same pages (lxml, as the
  parsers use it), MB/s.

Both sides start from compiled bytecode: the reference's installed package has its
``__pycache__``, and the project's modules are compiled first here, as installing
does (an editable install run with ``PYTHONDONTWRITEBYTECODE`` would otherwise
recompile every module at every start, a third of the start-up).

juriscraper is not a dependency: install it into a separate environment and pass
its Python with ``--reference-python`` (or ``$HARVESTER_REFERENCE_PYTHON``).
Without it the project's figures are printed alone, and the output says so.

    python benchmarks/bench_parse.py [--repeat 5] [--corpus PATH] [--reference-python PATH]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "pacer" / "dockets"
REFERENCE_SCRIPT = Path(__file__).with_name("reference_parse.py")
TARGET_RATIO = 20.0


def _paths(corpus: Path) -> list[Path]:
    return sorted((corpus / "district").glob("*.html")) + sorted((corpus / "bankruptcy").glob("*.html"))


def _harvester_command() -> list[str]:
    script = Path(sys.executable).with_name("harvester")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from harvester.cli import main; sys.argv[0] = 'harvester'; main()"]


def _compile_bytecode() -> None:
    """Write the project's ``__pycache__`` (git ignores it), as a package install does."""
    compileall.compile_dir(ROOT / "harvester", quiet=1)


def _reference_works(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import juriscraper.pacer"], capture_output=True, timeout=120)
    return probe.returncode == 0


def _timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``command`` and its workers (output discarded).

    CPU time, user and system over every process of the run, does not grow when
    other work shares the machine; wall time does. A failure stops the benchmark.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(
    paths: list[Path], repeat: int, reference_python: str | None
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(wall, CPU) of each round for harvester and for the reference (empty without it)."""
    ours_cmd = [*_harvester_command(), "parse", *map(str, paths)]
    ref_cmd = [reference_python, str(REFERENCE_SCRIPT), *map(str, paths)] if reference_python else None
    ours, ref = [], []
    for _ in range(repeat):
        ours.append(_timed(ours_cmd))
        if ref_cmd:
            ref.append(_timed(ref_cmd))
    return ours, ref


def in_process(pages: list[bytes], repeat: int) -> tuple[float, int]:
    """(median seconds, docket entries) of parsing every page once in this process."""
    from harvester.errors import ParseError
    from harvester.parsers import parse_page

    def once() -> tuple[float, int]:
        entries = 0
        started = time.perf_counter()
        for page in pages:
            try:
                entries += len(parse_page(page).get("docket_entries") or [])
            except ParseError:
                pass  # two corpus pages are deliberately not dockets
        return time.perf_counter() - started, entries

    once()  # imports, caches
    runs = [once() for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), runs[0][1]


def engine_ceiling(pages: list[bytes], repeat: int) -> float:
    """Median seconds of the HTML engine's bare parse of every page (no text read)."""
    from lxml import etree

    from harvester.parsers.html_tree import _PARSER

    def once() -> float:
        started = time.perf_counter()
        for page in pages:
            etree.fromstring(page, _PARSER)
        return time.perf_counter() - started

    once()
    return statistics.median(once() for _ in range(repeat))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--reference-python", default=os.environ.get("HARVESTER_REFERENCE_PYTHON"),
                    help="Python of an environment with juriscraper installed ($HARVESTER_REFERENCE_PYTHON)")  # fmt: skip
    args = ap.parse_args()
    if not (args.corpus / "district").is_dir():
        print(f"corpus not found at {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    reference = args.reference_python
    if reference and not _reference_works(reference):
        print(f"{reference} cannot import juriscraper; measuring the project alone", file=sys.stderr)
        reference = None
    _compile_bytecode()
    paths = _paths(args.corpus)
    pages = [p.read_bytes() for p in paths]
    megabytes = sum(map(len, pages)) / 1e6
    print(f"pages: {len(pages)} ({megabytes:.1f} MB), median of {args.repeat} runs; {os.cpu_count()} cores")

    ours, ref = whole_process(paths, args.repeat, reference)
    ours_s, ours_cpu = (statistics.median(r[i] for r in ours) for i in (0, 1))
    print(f"whole process, harvester parse: {ours_s:.3f} s ({megabytes / ours_s:.1f} MB/s), CPU {ours_cpu:.3f} s")
    if ref:
        ref_s, ref_cpu = (statistics.median(r[i] for r in ref) for i in (0, 1))
        ratio = ref_s / ours_s
        print(f"whole process, juriscraper:     {ref_s:.3f} s ({megabytes / ref_s:.1f} MB/s), CPU {ref_cpu:.3f} s")
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"ratio: {ratio:.1f}x faster (target {TARGET_RATIO:g}x: {verdict}); CPU time ratio {ref_cpu / ours_cpu:.1f}x")
    else:
        print("reference parser (juriscraper) not installed: no ratio. Install it in a separate venv and pass")
        print("  --reference-python /path/to/venv/bin/python (or set HARVESTER_REFERENCE_PYTHON)")

    seconds, entries = in_process(pages, args.repeat)
    print(f"in process, one core: {megabytes / seconds:.1f} MB/s, {entries / seconds:,.0f} entries/s ({entries:,} entries)")
    ceiling = engine_ceiling(pages, args.repeat)
    print(f"engine ceiling (lxml bare parse, one core): {megabytes / ceiling:.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
