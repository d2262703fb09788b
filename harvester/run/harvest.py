"""One harvest: what it talks to, what it watches, and what it should fetch tonight.

A :class:`Harvest` is built once per run (by ``run.py``, or by the spiders' extension
when they run as plain ``scrapy crawl``) and handed to every spider through the crawler
settings (``HARVEST``). The spiders ask it for work; the pipeline stores into its
database. Planning reads only the database, so a run stopped by the window, the budget
or a kill simply leaves the rest for the next night: the queue is the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

from sqlite_utils import Database

from harvester.acms import CMECF
from harvester.cmecf import court_base
from harvester.config import Config
from harvester.gate.budget import estimate_pages
from harvester.gate.clock import Clock, make_clock
from harvester.gate.tls import ssl_context
from harvester.parsers.court import is_appellate
from harvester.run.acms_routing import system_of, without_acms_only
from harvester.shared import SharedInSettings
from harvester.store import cases
from harvester.store.writer import DatabaseWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoints:
    login_url: str
    logout_url: str
    court_lookup_url: str
    court_url: str
    ca_bundle: str = ""
    clock_url: str = ""
    acms_url: str = ""  # empty: see harvester.run.acms_routing.acms_endpoints
    acms_api_url: str = ""

    @classmethod
    def from_config(cls, config: Config) -> Endpoints:
        return cls(**config["endpoints"])

    def base(self, court: str) -> str:
        return court_base(self.court_url, court)

    def clock(self) -> Clock:
        """The run's clock: the system's, or the sandbox's ``clock_url`` (refused unless every endpoint is loopback)."""
        urls = [self.login_url, self.logout_url, self.court_lookup_url, self.court_url,
                *(url for url in (self.acms_url, self.acms_api_url) if url)]  # fmt: skip
        return make_clock(urls, self.clock_url or None, ssl_context(self.ca_bundle or None))


@dataclass(frozen=True)
class DocketTask:
    """One docket to fetch: whole (first time) or only what was entered since a date."""

    court: str
    pacer_case_id: str | None  # None until possible_case_numbers resolves the docket number
    docket_number: str | None
    since: date | None  # None: the whole docket
    parties: bool
    cost_estimate_pages: int
    reason: str  # new, rss, refresh

    @property
    def incremental(self) -> bool:
        return self.since is not None


@dataclass(eq=False)
class Harvest(SharedInSettings):
    config: Config
    db: Database
    endpoints: Endpoints
    courts: list[str]
    writer: DatabaseWriter
    clock: Clock
    run_id: int | None = None
    follow_rss: bool = False
    counters: dict[str, int] = field(default_factory=lambda: {"cases_checked": 0, "cases_changed": 0})

    # ---------------------------------------------------------------- planning

    def rss_courts(self) -> list[str]:
        """Watched courts that publish a feed (all watched courts when the lookup is not known yet)."""
        with_feed = {row[0] for row in self.db.execute("SELECT court_id FROM courts WHERE rss_url IS NOT NULL AND rss_url != ''")}
        known = {row[0] for row in self.db.execute("SELECT court_id FROM courts WHERE pacer_code IS NOT NULL")}
        return without_acms_only(self, [c for c in self.courts if c in with_feed or c not in known])

    def docket_tasks(self, appellate: bool, system: str = CMECF) -> Iterator[DocketTask]:
        """Watched cases that are new, named by tonight's feed, or due for a refresh (of one system: CM/ECF or ACMS)."""
        now = self.clock.now()
        feeds = set(self.rss_courts()) if system == CMECF else set()  # CM/ECF feeds do not list ACMS cases
        for court, pacer_case_id, docket_number in self._watched():
            if is_appellate(court) != appellate or (appellate and system_of(self, court, docket_number or pacer_case_id) != system):
                continue
            self.counters["cases_checked"] += 1
            state = cases.case_state(self.db, court, pacer_case_id) if pacer_case_id else None
            task = self._task(court, pacer_case_id, docket_number, state, court in feeds, now)
            if task is not None:
                self.counters["cases_changed"] += task.reason != "new"
                yield task

    def _watched(self) -> list[tuple[str, str | None, str | None]]:
        seen: set[tuple[str, str]] = set()
        out: list[tuple[str, str | None, str | None]] = []
        for court, ids in self.config.cases.items():
            if court not in self.courts:
                continue
            for pacer_case_id in ids["pacer_case_ids"]:
                out.append((court, pacer_case_id, None))
                seen.add((court, pacer_case_id))
            for number in ids["docket_numbers"]:
                resolved = case_key(court, None, number) or self._resolved(court, number)
                if resolved and (court, resolved) in seen:
                    continue
                out.append((court, resolved, number))
                if resolved:
                    seen.add((court, resolved))
        for court, pacer_case_id, docket_number in cases.watched_cases(self.db):
            if court in self.courts and (court, pacer_case_id) not in seen:
                seen.add((court, pacer_case_id))
                out.append((court, pacer_case_id, docket_number))
        return out

    def _resolved(self, court: str, docket_number: str) -> str | None:
        row = self.db.execute(
            "SELECT pacer_case_id FROM watchlist WHERE court_id = ? AND docket_number = ?", [court, docket_number]
        ).fetchone()
        return row[0] if row else None

    def _task(
        self, court: str, pacer_case_id: str | None, docket_number: str | None,
        state: cases.CaseState | None, has_feed: bool, now: datetime,
    ) -> DocketTask | None:  # fmt: skip
        parties = bool(self.config["watch"]["parties"])
        if state is None or state.last_harvested_at is None:
            size = state.report_size_bytes if state else None
            return DocketTask(court, pacer_case_id, docket_number, None, parties, estimate_pages(size), "new")
        since = _day(state.last_entry_date_entered) or _day(state.last_harvested_at)
        if state.rss_changed:
            reason = "rss"
        elif not has_feed and _older_than(state.last_harvested_at, now, self.config["watch"]["refresh_days"]):
            reason = "refresh"
        else:
            return None
        return DocketTask(court, pacer_case_id, state.docket_number or docket_number, since, False,
                          self._incremental_estimate(state), reason)  # fmt: skip

    def _incremental_estimate(self, state: cases.CaseState) -> int:
        """Pages of a report of what was entered since the last harvest: news of a day or two."""
        new_entries = self.db.execute(
            "SELECT count(*) FROM rss_items WHERE court_id = ? AND pacer_case_id = ? AND first_seen_at > ?",
            [state.court_id, state.pacer_case_id, state.last_harvested_at or ""],
        ).fetchone()[0]
        return estimate_pages(entries=max(new_entries, 1))


def case_key(court: str, pacer_case_id: str | None, docket_number: str | None) -> str | None:
    """A case's key in the database: PACER's case id; for courts of appeals, whose
    TransportRoom addresses cases by docket number, the docket number."""
    if pacer_case_id:
        return pacer_case_id
    return docket_number if is_appellate(court) else None


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _older_than(stamp: str | None, now: datetime, days: int) -> bool:
    if not stamp:
        return True
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return now - then >= timedelta(days=days)


def harvest_from_settings(settings: Any) -> Harvest:
    """The run's Harvest, handed over in the crawler settings."""
    harvest = settings.get("HARVEST")
    if not isinstance(harvest, Harvest):
        raise RuntimeError("these spiders run inside a harvest: use `harvester run`, or `scrapy crawl` from the repo root")
    return harvest
