"""Why each entry a harvest database lacks is missing: one cause per miss, from the sandbox's own record.

:mod:`.agreement` says how far a database is from the truth; this module says
why, so that a miss a client could have avoided is told apart from one no client
could see without buying blind. It reads the month's truth, the database (the
documented tables, through :func:`.agreement.load_database`) and the sandbox's
request log, never the harvester's internals:

- ``fetched, not stored``: a docket report served after the entry took its
  current form covered it (its filters kept it), yet the database lacks it: a
  parse or store defect;
- ``listed, not fetched``: a feed read that answered well listed the entry, and
  no covering report followed: a planning defect;
- ``edited, no signal``: a clerk edited the entry after the last report that
  covered it; no feed lists edits, so only a blind re-purchase shows them;
- ``not listed, waiting``: a new entry no good feed read listed, in a case last
  bought fewer than ``max_wait`` nights before the end (the client's documented
  longest wait);
- ``not listed, overdue``: the same, with the case's wait past ``max_wait``: a
  planning defect;
- ``budget spent``: what would be ``listed, not fetched`` or ``not listed,
  overdue``, when a night since the entry took its form ended with the budget
  spent (the caller names those nights): the client had to leave something unbought.

Rows the court does not show count apart (``extra``). A case key not in the
database counts its entries under the same rules (a report of it would have
stored them).

Metadata fields (judge, termination, name...) change with an entry (a
reassignment, a judgment), and every report shows the header: a wrong field in
a case with an entry missing waits with that entry (``metadata``'s ``with an
entry unseen``); in a case whose every entry agrees it is a defect (``with every
entry seen``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .agreement import entry_identity, norm
from .month import FEED_ENDPOINTS, MonthCase, MonthEntry, MonthScenario, shown_entry
from .reports import DocketQuery, QueryError, parse_appellate_query, parse_query
from .synthetic import DAY

__all__ = ["DEFECTS", "METADATA_DEFECT", "METADATA_WAITING", "Misses", "explain"]

FETCHED_NOT_STORED = "fetched, not stored"
LISTED_NOT_FETCHED = "listed, not fetched"
EDITED_NO_SIGNAL = "edited, no signal"
WAITING = "not listed, waiting"
OVERDUE = "not listed, overdue"
BUDGET_SPENT = "budget spent"
METADATA_WAITING = "with an entry unseen"
METADATA_DEFECT = "with every entry seen"
DEFECTS = (FETCHED_NOT_STORED, LISTED_NOT_FETCHED, OVERDUE)
_DOCKET_ENDPOINTS = {"DktRpt": parse_query, "CaseSummary": parse_appellate_query}


@dataclass
class Misses:
    """Misses by cause, a few examples of each, and the rows the court does not show."""

    causes: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    extra: int = 0
    metadata: Counter = field(default_factory=Counter)  # wrong fields: with an entry unseen / with every entry seen

    @property
    def defects(self) -> int:
        """Misses a client could have avoided with what it was shown."""
        return sum(self.causes[c] for c in DEFECTS) + self.metadata[METADATA_DEFECT]

    def note(self, cause: str, example: str) -> None:
        self.causes[cause] += 1
        shown = self.examples.setdefault(cause, [])
        if len(shown) < 5:
            shown.append(example)

    def summary(self) -> dict:
        return {"causes": dict(self.causes), "defects": self.defects, "extra": self.extra,
                "metadata": dict(self.metadata), "examples": self.examples}  # fmt: skip


@dataclass(frozen=True)
class _Report:
    ts: float
    query: DocketQuery


def explain(
    scenario: MonthScenario,
    database: dict[str, dict],
    records: Iterable[dict],
    keys: Iterable[str],
    when: float,
    max_wait: int,
    budget_nights: Iterable[int] = (),
) -> Misses:
    """The cause of every truth entry of the cases ``keys`` at ``when`` that ``database`` lacks.

    ``database``: :func:`.agreement.load_database`'s result; ``records``: the
    sandbox's request log; ``max_wait``: the longest wait, in nights, the client
    promises a case no feed flags (its ``refresh_max_days``); ``budget_nights``:
    the nights whose harvest stopped with its budget spent.
    """
    spent = sorted(budget_nights)
    records = list(records)
    reports = _docket_reports(records)
    feeds = _FeedLists(scenario, _good_feed_reads(records))
    cases = {"/".join(scenario.case_key(c)): c for c in scenario.cases}
    out = Misses()
    for key in sorted(keys):
        case = cases.get(key)
        if case is None or case.filed_ts > when:
            continue
        have = database.get(key, {"entries": []})
        ids = {case.pacer_case_id, case.case_number}
        mine = [r for court, case_id, r in reports if court == case.court.court_id and case_id in ids]
        missed = _entries_missed(out, scenario, case, key, have["entries"], _Shown(mine, feeds, when, max_wait, spent))
        _metadata_missed(out, scenario, case, key, have.get("metadata", {}), when, entry_unseen=missed > 0)
    return out


@dataclass(frozen=True)
class _Shown:
    """What the client was shown of one case: its reports, the feeds, and the nights the budget ran out."""

    reports: list[_Report]
    feeds: _FeedLists
    when: float
    max_wait: int
    budget_nights: list[int]


def _entries_missed(out: Misses, scenario: MonthScenario, case: MonthCase, key: str, have: list[dict],
                    shown_to: _Shown) -> int:  # fmt: skip
    """Note a cause for each of the case's entries the database lacks, and its rows the court does not show;
    returns how many entries it lacks."""
    stored = Counter(map(entry_identity, have))
    shown = Counter(identity[:3] for identity in stored.elements())
    missed = 0
    for entry in case.timeline(shown_to.when):
        row = shown_entry(case, entry)
        full = entry_identity(row)
        shown[full[:3]] -= 1
        if stored[full] > 0:
            stored[full] -= 1
            continue
        cause = _cause(scenario, case, entry, shown_to.reports, shown_to.feeds, shown_to.when, shown_to.max_wait)
        if cause in (LISTED_NOT_FETCHED, OVERDUE) and _spent_since(scenario, entry, shown_to.budget_nights):
            cause = BUDGET_SPENT
        out.note(cause, f"{key} #{row['document_number'] or '-'} entered {row['date_entered']}")
        missed += 1
    out.extra += sum(n for n in shown.values() if n > 0)
    return missed


def _metadata_missed(out: Misses, scenario: MonthScenario, case: MonthCase, key: str, have: dict, when: float,
                     *, entry_unseen: bool) -> None:  # fmt: skip
    """Count the case's wrong header fields: waiting with an unseen entry, else a defect."""
    wrong = [k for k, v in scenario.case_metadata(case, when).items() if norm(have.get(k)) != norm(v)]
    if not wrong:
        return
    kind = METADATA_WAITING if entry_unseen else METADATA_DEFECT
    out.metadata[kind] += len(wrong)
    if kind == METADATA_DEFECT:
        out.examples.setdefault(kind, []).append(f"{key}: {', '.join(wrong)}")


def _cause(
    scenario: MonthScenario,
    case: MonthCase,
    entry,
    reports: list[_Report],
    feeds: _FeedLists,
    when: float,
    max_wait: int,
) -> str:
    edit = entry.edit if isinstance(entry, MonthEntry) else None
    since = _shown_since(entry)
    covering = [r for r in reports if since <= r.ts <= when and r.query.keeps(entry.filed, entry.entered, entry.number)]
    if covering:
        return FETCHED_NOT_STORED
    if edit is not None and any(entry.ts <= r.ts and r.query.keeps(entry.filed, entry.entered, entry.number) for r in reports):
        return EDITED_NO_SIGNAL
    if feeds.listed(case, entry, when):
        return LISTED_NOT_FETCHED
    last = max((r.ts for r in reports if r.ts <= when), default=None)
    waited = scenario.night_of(when) - scenario.night_of(last) if last is not None else None
    return WAITING if waited is not None and waited <= max_wait else OVERDUE


def _shown_since(entry) -> float:
    """When the entry took the form the court shows now: its last edit, or its entry."""
    return entry.edit[0] if isinstance(entry, MonthEntry) and entry.edit else entry.ts


def _spent_since(scenario: MonthScenario, entry, budget_nights: list[int]) -> bool:
    return bool(budget_nights) and budget_nights[-1] >= scenario.night_of(_shown_since(entry))


class _FeedLists:
    """What each good feed read listed, as (case key, entry index) pairs, worked out once per read."""

    def __init__(self, scenario: MonthScenario, reads: dict[str, list[float]]) -> None:
        self.scenario, self.reads = scenario, reads
        self._listed: dict[tuple[str, float], set[tuple[int, int]]] = {}

    def listed(self, case: MonthCase, entry, when: float) -> bool:
        """Whether a good read of the court's feed, after ``entry`` was entered and by ``when``, listed it."""
        court = case.court.court_id
        # A feed lists the last day's entries only (MonthScenario.feed_items): later reads cannot.
        for ts in self.reads.get(court, ()):
            if entry.ts <= ts <= min(when, entry.ts + DAY) and (case.key, entry.k) in self._items(court, ts):
                return True
        return False

    def _items(self, court: str, ts: float) -> set[tuple[int, int]]:
        if (court, ts) not in self._listed:
            items = self.scenario.feed_items(court, ts)
            self._listed[court, ts] = {(c.key, e.k) for c, e in items}
        return self._listed[court, ts]


def _docket_reports(records: list[dict]) -> list[tuple[str, str, _Report]]:
    """(court, case, report) of every billed docket report: a login page or refusal is not billed."""
    out = []
    for r in records:
        read_query = _DOCKET_ENDPOINTS.get(str(r.get("endpoint")))
        if read_query is None or r.get("status") != 200 or not r.get("billable_pages"):
            continue
        try:
            query = read_query(r.get("params") or {})
        except QueryError:
            continue
        out.append((str(r.get("court")), str(r.get("case")), _Report(_ts(r["sandbox_time"]), query)))
    return out


def _good_feed_reads(records: list[dict]) -> dict[str, list[float]]:
    """Per court, when its feed answered 200 without an injected fault (a hang, garbage)."""
    out: dict[str, list[float]] = {}
    for r in records:
        if r.get("endpoint") in FEED_ENDPOINTS and r.get("status") == 200 and not r.get("faults"):
            out.setdefault(str(r.get("court")), []).append(_ts(r["sandbox_time"]))
    return out


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
