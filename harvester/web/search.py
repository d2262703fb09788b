"""Search that leads somewhere: hits across cases, entries, parties and attorneys, each with its case.

Every hit says which court, docket number and case it belongs to, shows a snippet
with the matched words highlighted, and links to the case's docket page. A query
that reads as a docket number (in any of the forms people type, see
:mod:`harvester.web.docket_lookup`) also finds the cases with that number, and the
page says how the number was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from harvester.web.docket_lookup import normalise

LIMIT = 20
_START, _END = "\x02", "\x03"  # snippet markers no docket text contains; replaced after escaping
_TOKEN = re.compile(r"[\w'-]+", re.UNICODE)

# (label, FTS table, the SQL joining a hit to its case, the snippet's column index)
SOURCES = (
    ("case", "cases_fts", "SELECT c.id AS case_id, c.court_id, c.docket_number, c.case_name, "
     "snippet(cases_fts, 0, ?, ?, ' … ', 16) AS snippet FROM cases_fts JOIN cases c ON c.rowid = cases_fts.rowid"),
    ("entry", "docket_entries_fts", "SELECT c.id AS case_id, c.court_id, c.docket_number, c.case_name, "
     "snippet(docket_entries_fts, 0, ?, ?, ' … ', 24) AS snippet FROM docket_entries_fts "
     "JOIN docket_entries e ON e.rowid = docket_entries_fts.rowid JOIN cases c ON c.id = e.case_id"),
    ("party", "parties_fts", "SELECT c.id AS case_id, c.court_id, c.docket_number, c.case_name, "
     "snippet(parties_fts, 0, ?, ?, ' … ', 16) AS snippet FROM parties_fts "
     "JOIN parties p ON p.rowid = parties_fts.rowid JOIN cases c ON c.id = p.case_id"),
    ("attorney", "attorneys_fts", "SELECT c.id AS case_id, c.court_id, c.docket_number, c.case_name, "
     "snippet(attorneys_fts, -1, ?, ?, ' … ', 16) AS snippet FROM attorneys_fts "
     "JOIN attorneys a ON a.rowid = attorneys_fts.rowid JOIN party_attorneys pa ON pa.attorney_id = a.id "
     "JOIN parties p ON p.id = pa.party_id JOIN cases c ON c.id = p.case_id"),
)  # fmt: skip


@dataclass
class SearchResults:
    query: str
    hits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    docket_matches: list[dict[str, Any]] = field(default_factory=list)
    docket_notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.docket_matches) + sum(len(h) for h in self.hits.values())


def fts_query(text: str) -> str:
    """Each word of ``text`` quoted, so FTS5 syntax in a researcher's query cannot break the search."""
    return " ".join('"' + token.replace('"', '""') + '"' for token in _TOKEN.findall(text))


def highlight(snippet: str | None) -> Markup:
    """The snippet escaped, with the matched words in <mark>."""
    text = str(escape(snippet or ""))
    return Markup(text.replace(_START, "<mark>").replace(_END, "</mark>"))


async def search(db: Any, text: str) -> SearchResults:
    """Run ``text`` against every search index of the Datasette database ``db``."""
    results = SearchResults(text.strip())
    if not results.query:
        return results
    await _docket_numbers(db, results)
    match = fts_query(results.query)
    if not match:
        return results
    tables = set(await db.table_names())
    for label, fts, sql in SOURCES:
        if fts not in tables:
            continue
        rows = await db.execute(f"{sql} WHERE {fts} MATCH ? ORDER BY rank LIMIT {LIMIT * 5}", [_START, _END, match])
        results.hits[label] = _one_hit_per_case(rows.rows)
    return results


def _one_hit_per_case(rows: Any) -> list[dict[str, Any]]:
    """The best hit of each case, best first (a case with 40 matching entries is one result)."""
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["case_id"] not in seen:
            seen[row["case_id"]] = {**dict(row), "snippet": highlight(row["snippet"])}
    return list(seen.values())[:LIMIT]


async def _docket_numbers(db: Any, results: SearchResults) -> None:
    query, notes = normalise(results.query)
    if query is None:
        return
    rows = await db.execute(
        "SELECT id AS case_id, court_id, docket_number, case_name FROM cases WHERE docket_number LIKE ? LIMIT 2000",
        [query.like_pattern()],
    )
    results.docket_matches = [dict(r) for r in rows.rows if query.matches(r["docket_number"])][:LIMIT]
    results.docket_notes = [f"Read as docket number {query.canonical()}", *notes]
