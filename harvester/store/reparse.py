"""Re-parse every archived page with the current parsers and rewrite what was derived from it.

When a parser improves, ``harvester reparse`` brings the database up to it
without fetching (or paying for) anything again:

- docket pages, grouped by case and replayed in the order they were fetched
  (:mod:`harvester.store.replay_diff`): the case's metadata, parties and entries
  end up as the replay of its pages makes them, but only rows that differ from
  what is stored are written (in place: row ids stay), and rows no page yields
  any more are removed; harvest bookkeeping such as report sizes and RSS flags
  is kept; a case with a page the parser now rejects is left as it was and
  counted as failed;
- RSS pages: the items first seen on each page are rewritten where they differ
  (no case is flagged again);
- court lookup pages: the courts are upserted again, oldest page first;
- other kinds of page are counted as skipped.

Writes are committed in batches of whole cases (a few hundred pages): a killed
reparse leaves every case either as it was or as reparsed, and running it again
finishes the job. Running it twice gives the same database: it is idempotent,
and the second run writes nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import partial
from itertools import groupby
from typing import Any

from sqlite_utils import Database

from harvester.errors import ParseError
from harvester.process_map import ordered_map
from harvester.store.connection import write_transaction
from harvester.store.courts import store_courts
from harvester.store.dockets import ArchivedReport
from harvester.store.raw_pages import read_raw_page
from harvester.store.replay_diff import CasePlan, CaseReplayer
from harvester.store.rss import replay_rss
from harvester.store.search_index import BulkIndex, bulk_search_index

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

    def add(self, other: ReparseResult) -> None:
        """Count ``other``'s pages, cases and failures into this result too."""
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))

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
# Pages (or bytes of them) written per transaction: few commits, parsed records held in memory bounded.
_BATCH_PAGES = 256
_BATCH_BYTES = 16_000_000


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
    cases = [list(group) for _, group in groupby((p for p in pages if p[1] == "docket"), key=lambda p: p[2:4])]
    read = _PageParser(db, parse)
    db_file = _db_file(db)
    if jobs > 1 and db_file and sum(map(len, cases)) >= _MIN_PARALLEL_PAGES:
        # Workers parse each case's pages and plan its replay; this process writes the plans.
        made = ordered_map(_case_in_worker, cases, jobs, initializer=_start_worker, initargs=(db_file, parse))
    else:
        made = (_parsed_case(read, None, case) for case in cases)
    replayer = CaseReplayer(db)
    batch = _Batch(db, result, index_in_bulk=True)  # (only the case writers index what they insert)
    for case in made:
        batch.add(partial(_reparse_case, replayer, read, case), case.parsed)
    batch.commit()
    batch = _Batch(db, result)
    for page in sorted((p for p in pages if p[1] in ("rss", "court_lookup")), key=lambda p: (p[4], p[0])):
        parsed_page = (page, read(page))
        write = _reparse_rss if page[1] == "rss" else _reparse_courts
        batch.add(partial(_unindexed, write, db, parsed_page), [parsed_page[1]])
    batch.commit()
    result.skipped += sum(1 for p in pages if p[1] not in ("docket", "rss", "court_lookup"))
    # Attorneys only a replaced report named are left over.
    orphans = "DELETE FROM attorneys WHERE id NOT IN (SELECT attorney_id FROM party_attorneys)"
    write_transaction(db, lambda: db.conn.execute(orphans))
    result.seconds = time.perf_counter() - started
    return result


_Job = Callable[[ReparseResult, BulkIndex | None], None]  # writes one case or page, counts it


class _Batch:
    """Writes of parsed pages waiting for one transaction; committed when big enough.

    Each job writes one case (or RSS or court page) and counts it into the result
    it is given; jobs run again if the transaction is retried on a locked database,
    so they count into a fresh result that only a commit adds to the real one.
    With ``index_in_bulk`` the jobs index the searched rows they insert through the
    :class:`BulkIndex` they are given (a fresh archive writes every row: see
    :mod:`harvester.store.search_index`); else they are given None.
    """

    def __init__(self, db: Database, result: ReparseResult, *, index_in_bulk: bool = False) -> None:
        self.db, self.result, self.index_in_bulk = db, result, index_in_bulk
        self.jobs: list[_Job] = []
        self.pages = self.bytes = 0

    def add(self, job: _Job, parsed: list[_Parsed]) -> None:
        self.jobs.append(job)
        self.pages += len(parsed)
        self.bytes += sum(page.size for page in parsed)
        if self.pages >= _BATCH_PAGES or self.bytes >= _BATCH_BYTES:
            self.commit()

    def commit(self) -> None:
        def work() -> ReparseResult:
            counted = ReparseResult()
            if not self.index_in_bulk:
                for job in self.jobs:
                    job(counted, None)
                return counted
            with bulk_search_index(self.db.conn) as index:
                for job in self.jobs:
                    job(counted, index)
            return counted

        if self.jobs:
            self.result.add(write_transaction(self.db, work))
        self.jobs, self.pages, self.bytes = [], 0, 0


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


@dataclass
class _Case:
    """One case's docket pages as parsed, and the replay planned from them in a worker.

    A worker sends the plan, not the records (``parsed`` then holds sizes and failures
    only); the plan is None when this process plans the replay itself, and ``error``
    says why ``replay_case`` refused the records.
    """

    pages: list[tuple]
    parsed: list[_Parsed]
    plan: CasePlan | None = None
    error: str | None = None


def _parsed_case(read: _PageParser, replayer: CaseReplayer | None, pages: list[tuple]) -> _Case:
    """Parse a case's pages; with ``replayer``, plan its replay too and drop the records."""
    case = _Case(pages, [read(page) for page in pages])
    if replayer is None or any(parsed.reason is not None for parsed in case.parsed):
        return case
    try:
        case.plan = replayer.plan(pages[0][2], pages[0][3], _reports(pages, [p.record for p in case.parsed]))
    except ValueError as exc:
        case.error = str(exc)
    case.parsed = [_Parsed(parsed.size) for parsed in case.parsed]
    return case


def _reports(pages: list[tuple], records: list[Any]) -> list[ArchivedReport]:
    return [
        ArchivedReport(page_id, fetched_at, run_id, bool(incremental), record)
        for (page_id, _, _, _, fetched_at, run_id, incremental), record in zip(pages, records, strict=True)
    ]


_worker: tuple[_PageParser, CaseReplayer] | None = None  # in a worker process: its own read-only connection


def _start_worker(db_file: str, parse: Parser) -> None:
    global _worker
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    _worker = (_PageParser(conn, parse), CaseReplayer(Database(conn)))


def _case_in_worker(pages: list[tuple]) -> _Case:
    assert _worker is not None, "_start_worker runs first in every worker"
    return _parsed_case(*_worker, pages)


def _counted(page: tuple, parsed: _Parsed, result: ReparseResult) -> Any:
    """The record of a parsed page (None when it failed), counted into ``result``."""
    result.parsed_pages += 1
    result.parsed_bytes += parsed.size
    if parsed.reason is not None:
        page_id, kind, court_id = page[:3]
        result.failed += 1
        result.failures.append(f"raw page {page_id} ({kind}, {court_id}): {parsed.reason}")
    return parsed.record


def _reparse_case(
    replayer: CaseReplayer, read: _PageParser, case: _Case, result: ReparseResult, index: BulkIndex | None
) -> None:
    pages = case.pages
    records = [_counted(page, parsed, result) for page, parsed in zip(pages, case.parsed, strict=True)]
    if any(parsed.reason is not None for parsed in case.parsed):
        return  # keep what the older parser stored rather than a case missing a report
    court_id, pacer_case_id = pages[0][2], pages[0][3]
    plan, error = case.plan, case.error
    try:
        if error is None and (plan is None or not replayer.write(plan, index=index)):
            if plan is not None:  # the case changed since the worker read it: plan it again here
                records = [read(page).record for page in pages]
            plan = replayer.plan(court_id, pacer_case_id, _reports(pages, records))
            replayer.write(plan, verify=False, index=index)  # read in this transaction: still as the plan found it
    except ValueError as exc:
        error = str(exc)
    if error is not None or plan is None:
        result.failed += 1
        result.failures.append(f"case {court_id} {pacer_case_id}: {error}")
        return
    result.entries += plan.entries
    result.pages += len(pages)
    result.cases += 1


def _unindexed(write: Callable[..., None], db: Database, parsed_page: tuple, result: ReparseResult, _index: None) -> None:
    """An RSS or court page's write as a batch job (it inserts no searched row)."""
    write(db, parsed_page, result)


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
