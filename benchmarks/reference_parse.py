"""Parse docket report pages with the widely used parser (juriscraper), for bench_parse.py.

Run with the Python of a separate environment that has juriscraper installed (it is
not a dependency of this project):

    /path/to/venv/bin/python benchmarks/reference_parse.py PAGE.html ...

Each page is parsed with juriscraper's ``DocketReport`` (it serves district and
bankruptcy dockets alike; it needs the court id, which it cannot read from the page,
so it is taken from the file name's first part, "nysb_123.html" -> "nysb", as the
shared corpus names its pages). One line per page goes to stdout: the page's name and
how many docket entries came out, so the work cannot be skipped.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def main(paths: list[str]) -> int:
    logging.disable(logging.CRITICAL)  # juriscraper logs every odd page
    from juriscraper.pacer import DocketReport

    out = sys.stdout
    for path in paths:
        court_id = Path(path).stem.split("_")[0]
        report = DocketReport(court_id)
        report._parse_text(Path(path).read_text(encoding="utf-8", errors="replace"))
        data = report.data
        out.write(json.dumps({"source": path, "entries": len(data.get("docket_entries") or [])}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
