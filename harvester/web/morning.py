"""The researcher's morning pages: what changed last night, and how complete the harvest is.

``/-/last-night``: per court, the new cases, new entries, edited entries, new and
terminated parties, judge reassignments and terminated cases of one harvest night
(the ``changes`` view), with the first-harvest back-fill counted apart: entries a
case already had when it was first harvested are not news.

``/-/coverage``: per court, the feed's kind and scope on its latest night, watched and
stale cases, numbering gaps and the last error; then the stale cases themselves
(:mod:`harvester.store.coverage`, the same SQL ``harvester status`` prints).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harvester.store.connection import utc_timestamp
from harvester.store.coverage import CASE_COVERAGE_SQL, COURT_COVERAGE_SQL, NOW_SQL, coverage_params

CHANGE_TITLES = {
    "new_case": "New cases", "new_entry": "New entries", "edited_entry": "Edited entries",
    "new_party": "New parties", "terminated_party": "Terminated parties",
    "judge_reassigned": "Judge reassignments", "terminated_case": "Terminated cases",
}  # fmt: skip

_LATEST_NIGHT = "SELECT max(night) FROM changes"
_CHANGES = "SELECT * FROM changes WHERE night = ? ORDER BY court_id, change, docket_number, at"
# Entries stored by a case's first harvest: the court's past, not last night's news.
_BACKFILL = """
SELECT c.court_id, count(*) AS entries, count(DISTINCT c.id) AS cases
FROM docket_entries e JOIN cases c ON c.id = e.case_id
WHERE date(e.first_seen_at, '-18 hours') = ? AND e.first_seen_at <= c.first_harvested_at
GROUP BY c.court_id
"""


async def last_night(db: Any, night: str | None) -> dict[str, Any]:
    """The changes of ``night`` (default: the latest night with any), grouped by court then kind."""
    if "changes" not in set(await db.view_names()):
        return {"night": None, "courts": {}, "nights": [], "missing": "changes"}
    nights = [r[0] for r in (await db.execute("SELECT DISTINCT night FROM changes ORDER BY night DESC LIMIT 60")).rows]
    night = night or (nights[0] if nights else None)
    courts: dict[str, dict[str, Any]] = defaultdict(lambda: {"changes": defaultdict(list), "backfill": None})
    if night:
        for row in (await db.execute(_CHANGES, [night])).rows:
            courts[row["court_id"]]["changes"][row["change"]].append(dict(row))
        for row in (await db.execute(_BACKFILL, [night])).rows:
            courts[row["court_id"]]["backfill"] = dict(row)
    ordered = {court: {"changes": {k: v["changes"][k] for k in CHANGE_TITLES if v["changes"].get(k)},
                       "backfill": v["backfill"]} for court, v in sorted(courts.items())}  # fmt: skip
    return {"night": night, "courts": ordered, "nights": nights, "titles": CHANGE_TITLES}


async def coverage(db: Any, refresh_days: int, refresh_max_days: int, now: str | None) -> dict[str, Any]:
    """Per-court coverage and the stale cases, judged at ``now`` (default: the database's clock)."""
    if "feed_nights" not in set(await db.table_names()):
        return {"courts": [], "stale": [], "missing": "feed_nights"}
    now = now or await _now(db)
    params = coverage_params(now, refresh_days, refresh_max_days)
    courts = [dict(r) for r in (await db.execute(COURT_COVERAGE_SQL, params)).rows]
    cases = (await db.execute(CASE_COVERAGE_SQL, params)).rows
    stale = [dict(r) for r in cases if r["stale"]][:500]
    gaps = [dict(r) for r in cases if r["numbering_gaps"] and not r["stale"]][:200]
    return {"courts": courts, "stale": stale, "gaps": gaps, "now": now, "refresh_days": params["refresh_days"],
            "refresh_max_days": params["refresh_max_days"]}  # fmt: skip


async def _now(db: Any) -> str:
    rows = (await db.execute(NOW_SQL)).rows
    return rows[0][0] if rows and rows[0][0] else utc_timestamp()
