"""Real pages from the corpus, served as the dockets and feeds of their courts.

The bundle (``data/pages/<kind>/NAME.html`` with its reference parse
``NAME.json``, ``data/rss/<court>.xml``) holds public court records from the
BSD-licensed juriscraper project's test fixtures; see ``data/ATTRIBUTION.md``.
A real case never grows: all its entries are in the sandbox's past.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .courts import DATA_DIR, Court
from .reports import DocketQuery, Report, filter_real_page, split_receipt

PAGES_DIR = DATA_DIR / "pages"
RSS_DIR = DATA_DIR / "rss"
_CASE_ID_PATTERNS = (
    re.compile(r"goDLS\('[^']*','(\d+)'"),
    re.compile(r"caseid=(\d+)", re.I),
    re.compile(r"doDocPostURL\('\d+','(\d+)'\)"),
)
_JUDGE_SUFFIX_RE = re.compile(r"CASE #:\s*([\w:-]+)|Petition #:\s*([\w:-]+)|Proceeding #:\s*([\w:-]+)", re.I)


def read_page(path: Path) -> str:
    """A bundled page's text (the bundle is ASCII: see ``reports.encode_page``)."""
    return path.read_bytes().decode("ascii")


def _iso(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


@dataclass
class RealCase:
    """A case whose docket is a real page of the corpus."""

    court: Court
    pacer_case_id: str
    case_number: str
    docket_number: str
    case_name: str
    date_filed: date | None
    date_terminated: date | None
    source: str  # bundle path, for attribution and debugging
    entry_dates: list[date] = field(default_factory=list)
    _before: str = field(default="", repr=False)
    _after: str = field(default="", repr=False)

    @property
    def kind(self) -> str:
        return self.court.kind

    def entry_count(self, now_ts: float) -> int:
        return len(self.entry_dates)

    def last_filing(self, now_ts: float) -> date | None:
        return max(self.entry_dates) if self.entry_dates else None

    def report(self, query: DocketQuery) -> Report:
        """The page cut to the query (unchanged bytes when nothing is cut)."""
        if not query.cuts_entries and query.parties and not query.newest_first:
            return Report(self._before, self._after, len(self.entry_dates))
        return filter_real_page(self._before, self._after, query, self.docket_number, self.kind)


def _case_id(html: str, name: str, court_id: str) -> str:
    for pattern in _CASE_ID_PATTERNS:
        found = pattern.search(html)
        if found:
            return found.group(1)
    suffix = name.rsplit("_", 1)[-1]
    if suffix.isdigit() and len(suffix) > 3:
        return suffix
    return str(700000 + zlib.crc32(f"{court_id}/{name}".encode()) % 100000)


def load_real_cases(courts: dict[str, Court], pages_dir: Path = PAGES_DIR) -> list[RealCase]:
    """Every bundled docket page whose court is known, as a case."""
    cases: list[RealCase] = []
    for html_path in sorted(pages_dir.glob("*/*.html")):
        ref = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
        court = courts.get(ref.get("court_id") or "")
        if court is None or not ref.get("docket_number"):
            continue
        html = read_page(html_path)
        shown = _JUDGE_SUFFIX_RE.search(html)
        shown_number = next((g for g in shown.groups() if g), None) if shown else None
        before, after = split_receipt(html)
        entries = ref.get("docket_entries") or []
        cases.append(
            RealCase(
                court=court,
                pacer_case_id=_case_id(html, html_path.stem, court.court_id),
                case_number=ref["docket_number"],
                docket_number=shown_number or ref["docket_number"],
                case_name=ref.get("case_name") or "",
                date_filed=_iso(ref.get("date_filed")),
                date_terminated=_iso(ref.get("date_terminated")),
                source=str(html_path.relative_to(pages_dir)),
                entry_dates=[d for d in (_iso(e.get("date_filed")) for e in entries) if d],
                _before=before,
                _after=after,
            )
        )
    return cases


def real_feed(court_id: str, rss_dir: Path = RSS_DIR) -> bytes | None:
    """The bundled real RSS feed of a court, as published (frozen in its time)."""
    path = rss_dir / f"{court_id}.xml"
    return path.read_bytes() if path.exists() else None
