"""How complete the harvest is: per court and per case, in SQL the web page and ``status`` share.

Per court: what its RSS feed was on the latest night it was read (kind, the entry
types a partial feed carries, outcome, newest item, last good read), how many cases
are watched and how many are stale (not harvested for more nights than the harvest
itself waits before re-checking them, see below), how many document numbers are
missing from its dockets, and the last error the court gave. Per case: nights since
its last harvest, the nights it waits, and its numbering gaps.

A *night* is the Central evening an instant belongs to: ``date(t, '-18 hours')`` on a
UTC timestamp (18:00-06:00 Central is 23:00/00:00-11:00/12:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from harvester.store.connection import utc_timestamp

# Numbered district and bankruptcy entries; appellate "numbers" are document ids on some courts.
_GAPS = """
SELECT e.case_id,
       max(CAST(e.document_number AS INTEGER)) - count(DISTINCT CAST(e.document_number AS INTEGER)) AS gaps
FROM docket_entries e JOIN cases c ON c.id = e.case_id
WHERE c.kind != 'appellate' AND e.document_number GLOB '[0-9]*' AND e.document_number NOT GLOB '*[^0-9]*'
GROUP BY e.case_id
"""

_LATEST_FEED = """
latest_feed AS (
  SELECT f.* FROM feed_nights f
  WHERE f.id = (SELECT id FROM feed_nights g WHERE g.court_id = f.court_id ORDER BY g.night DESC, g.id DESC LIMIT 1)
)"""

# The nights a case waits for its re-check, as the harvest plans it (``_refresh_cap`` in
# harvester/run/harvest.py): refresh_days; for a case whose newest entry was older than
# that at its last harvest, as many nights as it had been quiet, up to refresh_max_days;
# for a closed case refresh_max_days. A quiet case waiting out its wait is not behind.
_WAIT_NIGHTS = """
CASE WHEN coalesce(c.date_terminated, '') != '' THEN :refresh_max_days
     WHEN c.last_entry_date_entered IS NULL OR c.last_harvested_at IS NULL THEN :refresh_days
     ELSE max(:refresh_days, min(:refresh_max_days, CAST(julianday(date(c.last_harvested_at, '-18 hours'))
                                                         - julianday(substr(c.last_entry_date_entered, 1, 10)) AS INTEGER)))
END"""

# A case is stale when it went more nights without a harvest than it waits, unless its
# court's latest feed lists every entry and was read fine: then the feed vouches for it.
_PER_CASE = f"""
{_LATEST_FEED},
gaps AS ({_GAPS}),
waits AS (
  SELECT c.id AS case_id, {_WAIT_NIGHTS} AS wait_nights,
         CAST(julianday(date(:now, '-18 hours')) - julianday(date(c.last_harvested_at, '-18 hours')) AS INTEGER)
             AS nights_since_harvest
  FROM cases c
),
per_case AS (
  SELECT c.id AS case_id, c.court_id, c.docket_number, c.case_name, c.last_harvested_at,
         w.nights_since_harvest, w.wait_nights,
         coalesce(g.gaps, 0) AS numbering_gaps,
         CASE WHEN lf.kind = 'all' AND lf.outcome = 'ok' THEN 0
              WHEN c.last_harvested_at IS NULL OR w.nights_since_harvest > w.wait_nights THEN 1 ELSE 0 END AS stale
  FROM cases c JOIN waits w ON w.case_id = c.id
  LEFT JOIN gaps g ON g.case_id = c.id LEFT JOIN latest_feed lf ON lf.court_id = c.court_id
  WHERE (:court = '' OR c.court_id = :court)
)"""

CASE_COVERAGE_SQL = f"""
WITH {_PER_CASE}
SELECT * FROM per_case ORDER BY stale DESC, nights_since_harvest DESC, court_id, docket_number
"""

COURT_COVERAGE_SQL = f"""
WITH {_PER_CASE},
last_error AS (
  SELECT r.court_id, max(r.at) AS at FROM requests r WHERE r.outcome NOT IN ('ok', 'retried') GROUP BY r.court_id
),
courts_seen AS (
  SELECT court_id FROM cases UNION SELECT court_id FROM watchlist UNION SELECT court_id FROM feed_nights
)
SELECT s.court_id,
       coalesce(lf.kind, 'never read') AS feed_kind,
       lf.entry_types AS feed_entry_types,
       lf.outcome AS feed_outcome,
       lf.night AS feed_night,
       lf.newest_item_at AS feed_newest_item_at,
       lf.last_good_at AS feed_last_good_at,
       (SELECT count(*) FROM (SELECT pacer_case_id FROM watchlist w WHERE w.court_id = s.court_id
                              UNION SELECT pacer_case_id FROM cases c WHERE c.court_id = s.court_id)) AS watched_cases,
       (SELECT count(*) FROM per_case p WHERE p.court_id = s.court_id) AS cases,
       (SELECT count(*) FROM per_case p WHERE p.court_id = s.court_id AND p.stale) AS stale_cases,
       (SELECT coalesce(sum(p.numbering_gaps), 0) FROM per_case p WHERE p.court_id = s.court_id) AS numbering_gaps,
       le.at AS last_error_at,
       (SELECT coalesce(r.reason, r.outcome) FROM requests r WHERE r.court_id = s.court_id AND r.at = le.at
        AND r.outcome NOT IN ('ok', 'retried') LIMIT 1) AS last_error
FROM courts_seen s
LEFT JOIN latest_feed lf ON lf.court_id = s.court_id
LEFT JOIN last_error le ON le.court_id = s.court_id
WHERE s.court_id IS NOT NULL AND (:court = '' OR s.court_id = :court)
ORDER BY stale_cases DESC, s.court_id
"""


@dataclass(frozen=True)
class CourtCoverage:
    court_id: str
    feed_kind: str
    feed_entry_types: str | None
    feed_outcome: str | None
    feed_night: str | None
    feed_newest_item_at: str | None
    feed_last_good_at: str | None
    watched_cases: int
    cases: int
    stale_cases: int
    numbering_gaps: int
    last_error_at: str | None
    last_error: str | None


def coverage_params(now: str, refresh_days: int, refresh_max_days: int, court: str = "") -> dict[str, Any]:
    """The named parameters of both queries; ``now`` is a UTC ISO timestamp; the two
    waits are the ``[watch]`` keys of the same names."""
    return {"now": now, "refresh_days": refresh_days, "refresh_max_days": max(refresh_days, refresh_max_days),
            "court": court}  # fmt: skip


# Real time for a PACER harvest; the sandbox's simulated time (its latest run) for a sandbox one.
NOW_SQL = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM runs WHERE mode != 'sandbox') THEN NULL
            ELSE (SELECT max(coalesce(finished_at, started_at)) FROM runs) END
"""


def coverage_now(db: Database) -> str:
    """The instant coverage is judged at (see :data:`NOW_SQL`)."""
    row = db.execute(NOW_SQL).fetchone()
    return row[0] if row and row[0] else utc_timestamp()


def court_coverage(db: Database, now: str, refresh_days: int, refresh_max_days: int) -> list[CourtCoverage]:
    """One row per court the harvest knows."""
    if "feed_nights" not in db.table_names():  # an old schema: no feed record yet
        return []
    params = coverage_params(now, refresh_days, refresh_max_days)
    return [CourtCoverage(*row) for row in db.execute(COURT_COVERAGE_SQL, params)]


def format_coverage(rows: list[CourtCoverage]) -> list[str]:
    """The coverage summary as ``harvester status`` prints it, one line per court."""
    lines = []
    for r in rows:
        feed = r.feed_kind + (f" ({r.feed_entry_types})" if r.feed_kind == "partial" and r.feed_entry_types else "")
        if r.feed_outcome and r.feed_outcome != "ok":
            feed += f", {r.feed_outcome}"
        error = f"; last error {r.last_error_at}: {r.last_error}" if r.last_error else ""
        lines.append(f"{r.court_id}: feed {feed}; {r.cases} cases, {r.stale_cases} stale; "
                     f"{r.numbering_gaps} numbering gaps{error}")  # fmt: skip
    return lines
