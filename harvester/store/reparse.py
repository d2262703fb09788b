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

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlite_utils import Database

from harvester.errors import ParseError
from harvester.process_map import ordered_map
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
    parsed_pages: int = 0  # pages handed to the parser (failed ones too)
    parsed_bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"reparsed {self.pages} pages: {self.cases} cases ({self.entries} entries), "
            f"{self.rss_pages} RSS pages ({self.rss_items} items), {self.court_pages} court lookups; "
            f"{self.failed} failed, {self.skipped} skipped; {self.speed()}"
        )

    def speed(self) -> str:
        """Pages and megabytes re-parsed per second, storing included."""
        seconds = max(self.seconds, 1e-9)
        return (
            f"{self.seconds:.1f} s, {self.parsed_pages / seconds:,.0f} pages/s,"
            f" {self.parsed_bytes / 1e6 / seconds:.1f} MB/s"
        )


def _default_parser() -> Parser:
    from harvester.parsers import parse_page

    return parse_page


_MIN_PARALLEL_PAGES = 64  # starting the worker processes costs about as much as parsing this many


def reparse(db: Database, parse: Parser | None = None, jobs: int = 1) -> ReparseResult:
    """Re-parse all raw pages with ``parse`` (default: ``parse_page``) and rewrite derived rows.

    With ``jobs`` > 1 the docket pages are parsed by that many worker processes while
    this one writes the database (``parse`` must then pickle and be pure: it runs there).
    """
    parse = parse or _default_parser()
    result = ReparseResult()
    started = time.perf_counter()
    pages = db.execute(
        "SELECT id, kind, court_id, pacer_case_id, fetched_at, run_id, incremental FROM raw_pages"
        " ORDER BY kind, court_id, pacer_case_id, fetched_at, id"
    ).fetchall()
    dockets = [p for p in pages if p[1] == "docket"]
    read = _PageParser(db, parse)
    db_file = _db_file(db)
    if jobs > 1 and db_file and len(dockets) >= _MIN_PARALLEL_PAGES:
        # One result per docket, in order (strict=True).
        parsed = zip(dockets, ordered_map(_parse_in_worker, dockets, jobs, initializer=_start_worker,
                                          initargs=(db_file, parse)), strict=True)  # fmt: skip
    else:
        parsed = zip(dockets, map(read, dockets), strict=True)
    for _, group in groupby(parsed, key=lambda pair: (pair[0][2], pair[0][3])):
        _reparse_case(db, list(group), result)
    for page in sorted((p for p in pages if p[1] in ("rss", "court_lookup")), key=lambda p: (p[4], p[0])):
        (_reparse_rss if page[1] == "rss" else _reparse_courts)(db, (page, read(page)), result)
    result.skipped += sum(1 for p in pages if p[1] not in ("docket", "rss", "court_lookup"))
    # Attorneys only a replaced report named are left over.
    orphans = "DELETE FROM attorneys WHERE id NOT IN (SELECT attorney_id FROM party_attorneys)"
    write_transaction(db, lambda: db.conn.execute(orphans))
    result.seconds = time.perf_counter() - started
    return result


def _db_file(db: Database) -> str | None:
    """The file of the main database ("" for an in-memory one)."""
    for _, name, path in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or None
    return None


@dataclass
class _Parsed:
    """What the parser made of one raw page: a record, or the reason it failed."""

    size: int
    record: Any = None
    reason: str | None = None


class _PageParser:
    """Reads a raw page from the database and parses it."""

    def __init__(self, db: Any, parse: Parser) -> None:
        self.db = db
        self.parse = parse

    def __call__(self, page: tuple) -> _Parsed:
        data = read_raw_page(self.db, page[0])
        try:
            return _Parsed(len(data), record=self.parse(data, page[2]))
        except ParseError as exc:
            return _Parsed(len(data), reason=str(exc))
        except Exception as exc:  # a parser bug must not stop the other pages
            return _Parsed(len(data), reason=f"parser failure: {type(exc).__name__}: {exc}")


_worker_parser: _PageParser | None = None  # in a worker process: its own read-only connection


def _start_worker(db_file: str, parse: Parser) -> None:
    global _worker_parser
    _worker_parser = _PageParser(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True), parse)


def _parse_in_worker(page: tuple) -> _Parsed:
    assert _worker_parser is not None, "_start_worker runs first in every worker"
    return _worker_parser(page)


def _counted(page: tuple, parsed: _Parsed, result: ReparseResult) -> Any:
    """The record of a parsed page (None when it failed), counted into ``result``."""
    result.parsed_pages += 1
    result.parsed_bytes += parsed.size
    if parsed.reason is not None:
        page_id, kind, court_id = page[:3]
        result.failed += 1
        result.failures.append(f"raw page {page_id} ({kind}, {court_id}): {parsed.reason}")
    return parsed.record


def _reparse_case(db: Database, parsed_pages: list[tuple[tuple, _Parsed]], result: ReparseResult) -> None:
    pages = [page for page, _ in parsed_pages]
    records = [_counted(page, parsed, result) for page, parsed in parsed_pages]
    if any(record is None for record in records):
        return  # keep what the older parser stored rather than a case missing a report
    reports = [
        ArchivedReport(page_id, fetched_at, run_id, bool(incremental), record)
        for (page_id, _, _, _, fetched_at, run_id, incremental), record in zip(pages, records, strict=True)
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


def _reparse_rss(db: Database, parsed_page: tuple[tuple, _Parsed], result: ReparseResult) -> None:
    page = parsed_page[0]
    record = _counted(*parsed_page, result)
    if record is None:
        return
    page_id, _, court_id, _, fetched_at, run_id, _ = page
    result.rss_items += replay_rss(db, court_id, page_id, record, fetched_at=fetched_at, run_id=run_id)
    result.pages += 1
    result.rss_pages += 1


def _reparse_courts(db: Database, parsed_page: tuple[tuple, _Parsed], result: ReparseResult) -> None:
    page = parsed_page[0]
    record = _counted(*parsed_page, result)
    if record is None:
        return
    store_courts(db, record.get("courts") or [], fetched_at=page[4])
    result.pages += 1
    result.court_pages += 1
