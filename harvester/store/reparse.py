"""Re-parse every archived page with the current parsers and rewrite what was derived from it.

When a parser improves, ``harvester reparse`` brings the database up to it
without fetching (or paying for) anything again:

- docket pages, grouped by case and replayed in the order they were fetched:
  the case's metadata, parties and entries are rewritten in place (row ids
  stay) in one transaction per case, and rows no page yields any more are
  removed; harvest bookkeeping such as report sizes and RSS flags is kept; a
  case with a page the parser now rejects is left as it was and counted as
  failed;
- RSS pages: the items first seen on each page are rewritten (no case is
  flagged again);
- court lookup pages: the courts are upserted again, oldest page first;
- other kinds of page are counted as skipped.

Running it twice gives the same database: it is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlite_utils import Database

from harvester.errors import ParseError
from harvester.store.connection import write_transaction
from harvester.store.courts import store_courts
from harvester.store.dockets import ArchivedReport, replay_case
from harvester.store.raw_pages import read_raw_page
from harvester.store.rss import replay_rss

Parser = Callable[[bytes, str | None], dict]


@dataclass
class ReparseResult:
    """Counts printed by ``harvester reparse``."""

    pages: int = 0
    cases: int = 0
    entries: int = 0
    rss_pages: int = 0
    rss_items: int = 0
    court_pages: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"reparsed {self.pages} pages: {self.cases} cases ({self.entries} entries), "
            f"{self.rss_pages} RSS pages ({self.rss_items} items), {self.court_pages} court lookups; "
            f"{self.failed} failed, {self.skipped} skipped"
        )


def _default_parser() -> Parser:
    from harvester.parsers import parse_page

    return parse_page


def reparse(db: Database, parse: Parser | None = None) -> ReparseResult:
    """Re-parse all raw pages with ``parse`` (default: ``parse_page``) and rewrite derived rows."""
    parse = parse or _default_parser()
    result = ReparseResult()
    pages = db.execute(
        "SELECT id, kind, court_id, pacer_case_id, fetched_at, run_id, incremental FROM raw_pages"
        " ORDER BY kind, court_id, pacer_case_id, fetched_at, id"
    ).fetchall()
    dockets = [p for p in pages if p[1] == "docket"]
    for _, group in groupby(dockets, key=lambda p: (p[2], p[3])):
        _reparse_case(db, list(group), parse, result)
    for page in sorted((p for p in pages if p[1] in ("rss", "court_lookup")), key=lambda p: (p[4], p[0])):
        (_reparse_rss if page[1] == "rss" else _reparse_courts)(db, page, parse, result)
    result.skipped += sum(1 for p in pages if p[1] not in ("docket", "rss", "court_lookup"))
    # Attorneys only a replaced report named are left over.
    orphans = "DELETE FROM attorneys WHERE id NOT IN (SELECT attorney_id FROM party_attorneys)"
    write_transaction(db, lambda: db.conn.execute(orphans))
    return result


def _parse(db: Database, page: tuple, parse: Parser, result: ReparseResult) -> Any:
    page_id, kind, court_id = page[:3]
    try:
        return parse(read_raw_page(db, page_id), court_id)
    except ParseError as exc:
        reason = str(exc)
    except Exception as exc:  # a parser bug must not stop the other pages
        reason = f"parser failure: {type(exc).__name__}: {exc}"
    result.failed += 1
    result.failures.append(f"raw page {page_id} ({kind}, {court_id}): {reason}")
    return None


def _reparse_case(db: Database, pages: list[tuple], parse: Parser, result: ReparseResult) -> None:
    records = [_parse(db, page, parse, result) for page in pages]
    if any(record is None for record in records):
        return  # keep what the older parser stored rather than a case missing a report
    reports = [
        ArchivedReport(page_id, fetched_at, run_id, bool(incremental), record)
        for (page_id, _, _, _, fetched_at, run_id, incremental), record in zip(pages, records)
    ]
    court_id, pacer_case_id = pages[0][2], pages[0][3]
    try:
        result.entries += replay_case(db, court_id, pacer_case_id, reports)
    except ValueError as exc:
        result.failed += 1
        result.failures.append(f"case {court_id} {pacer_case_id}: {exc}")
        return
    result.pages += len(pages)
    result.cases += 1


def _reparse_rss(db: Database, page: tuple, parse: Parser, result: ReparseResult) -> None:
    record = _parse(db, page, parse, result)
    if record is None:
        return
    page_id, _, court_id, _, fetched_at, run_id, _ = page
    result.rss_items += replay_rss(db, court_id, page_id, record, fetched_at=fetched_at, run_id=run_id)
    result.pages += 1
    result.rss_pages += 1


def _reparse_courts(db: Database, page: tuple, parse: Parser, result: ReparseResult) -> None:
    record = _parse(db, page, parse, result)
    if record is None:
        return
    store_courts(db, record.get("courts") or [], fetched_at=page[4])
    result.pages += 1
    result.court_pages += 1
