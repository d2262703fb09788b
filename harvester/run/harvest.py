"""One harvest: what it talks to, what it watches, and what it should fetch tonight.

A :class:`Harvest` is built once per run (by ``run.py``, or by the spiders' extension
when they run as plain ``scrapy crawl``) and handed to every spider through the crawler
settings (``HARVEST``). The spiders ask it for work; the pipeline stores into its
database. Planning reads only the database, so a run stopped by the window, the budget
or a kill simply leaves the rest for the next night: the queue is the database.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, NamedTuple

from sqlite_utils import Database

from harvester.acms import CMECF
from harvester.cmecf import court_base
from harvester.config import Config
from harvester.gate.budget import estimate_pages
from harvester.gate.clock import Clock, make_clock
from harvester.gate.tls import ssl_context
from harvester.gate.window import Window, WindowSpec, to_central
from harvester.parsers.court import is_appellate
from harvester.parsers.rss_scope import FeedScope
from harvester.run.acms_routing import system_of, without_acms_only
from harvester.run.items import FeedNightItem
from harvester.run.party_news import changes_parties
from harvester.shared import SharedInSettings
from harvester.store import cases
from harvester.store.rss import FeedNight, feed_night, gap_hours, item_span, uncovered_gaps
from harvester.store.writer import DatabaseWriter

# Entries entered after a report was fetched carry a date entered no earlier than the
# court's date at that instant. The westernmost CM/ECF courts (Hawaii) run at UTC-10
# all year: their date at an instant is never later than any other court's.
WESTERNMOST = timezone(timedelta(hours=-10))
# A night's opening lies within a week of any instant it covers (every week has a closed moment).
NIGHT_LOOKBACK = timedelta(days=8)
OPENINGS_SPAN = timedelta(days=60)  # how far back Harvest.night keeps the window's openings
# The longest lag between an appellate entry's filing and its entry that a report allows for.
MAX_FILING_LAG_DAYS = 31
# A gap in a feed's coverage shorter than this is reads' drift, not a night's news unseen.
MIN_GAP = timedelta(hours=1)

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


class FeedNews(NamedTuple):
    """One feed item first seen since a case's last harvest."""

    document_number: str | None
    published_at: str | None
    short_description: str | None
    description: str | None


@dataclass(frozen=True)
class Uncovered:
    """What no all-entries feed vouched for since a case's last harvest.

    ``nights``: how much of that time, in nights (a court without a readable feed: all
    of it); ``waited``: harvest nights since the first of it began, the age of the
    oldest news the harvest may not have seen.
    """

    nights: float
    waited: int

    @classmethod
    def nothing(cls) -> Uncovered:
        return cls(0.0, 0)


@dataclass(frozen=True)
class DocketTask:
    """One docket to fetch: whole (first time) or only what was entered since a date."""

    court: str
    pacer_case_id: str | None  # None until possible_case_numbers resolves the docket number
    docket_number: str | None
    since: date | None  # entered on or after this date; None: no date filter
    parties: bool
    cost_estimate_pages: int
    reason: str  # new, rss, refresh, parties
    numbered_from: int | None = None  # documents numbered from this one on (courts that number every entry)

    @property
    def incremental(self) -> bool:
        return self.since is not None or self.numbered_from is not None


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
    _claimed: set[tuple[str, str]] = field(default_factory=set, repr=False)
    _window_cache: Window | None = field(default=None, repr=False)
    _tonight: dict[str, FeedNight | None] = field(default_factory=dict, repr=False)  # court -> its feed tonight
    _weekdays: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)  # court -> weekday weights
    _filing_lag: dict[str, int] = field(default_factory=dict, repr=False)  # court of appeals -> days, see _task
    _openings: tuple[datetime, datetime, list[datetime]] | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- planning

    def rss_courts(self) -> list[str]:
        """Watched courts that publish a feed (all watched courts when the lookup is not known yet)."""
        with_feed = {row[0] for row in self.db.execute("SELECT court_id FROM courts WHERE rss_url IS NOT NULL AND rss_url != ''")}
        known = {row[0] for row in self.db.execute("SELECT court_id FROM courts WHERE pacer_code IS NOT NULL")}
        return without_acms_only(self, [c for c in self.courts if c in with_feed or c not in known])

    def night(self, moment: datetime | None = None) -> date:
        """The harvest night ``moment`` (default: now) belongs to, in the window's own calendar.

        The planner asks this several times per watched case; the window's openings of
        the last weeks are computed once (``night_of`` walks the cron triggers each time).
        """
        moment = moment or self.clock.now()
        if self._openings is None:
            now = to_central(self.clock.now())
            self._openings = (now - OPENINGS_SPAN, now + timedelta(days=1),
                              [opening for opening, _ in self._window().intervals(now - OPENINGS_SPAN, now + timedelta(days=1))])  # fmt: skip
        first, last, openings = self._openings
        central = to_central(moment)
        if first + NIGHT_LOOKBACK * 2 <= central <= last:
            found = bisect_right(openings, central)
            if found and openings[found - 1] >= central - NIGHT_LOOKBACK:
                return openings[found - 1].date()
        return night_of(self._window(), moment)

    def feed_tonight(self, court: str) -> FeedNight | None:
        """What the court's feed was when read tonight; None when it was not read (or has none)."""
        return feed_night(self.db, court, self.night().isoformat())

    def feed_item(self, court: str, status: int | None, feed: dict | None, scope: FeedScope | None,
                  error: str | None = None) -> FeedNightItem:  # fmt: skip
        """The ``feed`` item recording what one court's feed was tonight (see :func:`feed_verdict`)."""
        now = self.clock.now()
        verdict = feed_verdict(status, feed, scope, error, now, float(self.config["watch"]["feed_max_age_hours"]))
        return FeedNightItem(court, self.night(now).isoformat(),
                             {"fetched_at": now, "run_id": self.run_id, "http_status": status, **verdict})

    def no_feed_items(self) -> list[FeedNightItem]:
        """``feed`` items for the watched courts whose feed is not read (kind ``none``), one each tonight.

        That is a court the lookup lists no feed for, or one whose watched cases are all
        in ACMS (its CM/ECF feed names none of them).
        """
        now, with_feed = self.clock.now(), set(self.rss_courts())
        listed = {row[0] for row in self.db.execute("SELECT court_id FROM courts WHERE rss_url IS NOT NULL AND rss_url != ''")}
        night = self.night(now).isoformat()
        return [FeedNightItem(court, night, {"fetched_at": now, "run_id": self.run_id, "kind": "none", "outcome": "none",
                                             "message": _no_feed_reason(court in listed)})
                for court in self.courts if court not in with_feed]  # fmt: skip

    def claim(self, court: str, pacer_case_id: str) -> bool:
        """Take a case for tonight; False when it is already being fetched (one case, one fetch)."""
        key = (court, str(pacer_case_id))
        if key in self._claimed:
            return False
        self._claimed.add(key)
        return True

    def release(self, task: DocketTask) -> None:
        """Give a planned case back, unfetched (ACMS did not know it: TransportRoom plans it again)."""
        if task.pacer_case_id is not None:
            self._claimed.discard((task.court, str(task.pacer_case_id)))
        self.counters["cases_checked"] -= 1  # counted again by the planner that takes it
        self.counters["cases_changed"] -= task.reason != "new"

    def docket_tasks(self, appellate: bool, system: str = CMECF) -> Iterator[DocketTask]:
        """Watched cases that are new, named by a feed, or due for a refresh tonight (of one system: CM/ECF or ACMS)."""
        now = self.clock.now()
        feeds = set(self.rss_courts()) if system == CMECF else set()  # CM/ECF feeds do not list ACMS cases
        numbering: dict[str, bool] = {}
        for court, pacer_case_id, docket_number in self._watched():
            if is_appellate(court) != appellate or (appellate and system_of(self, court, docket_number or pacer_case_id) != system):
                continue
            if pacer_case_id is not None and not self.claim(court, pacer_case_id):
                continue
            self.counters["cases_checked"] += 1
            state = cases.case_state(self.db, court, pacer_case_id) if pacer_case_id else None
            uncovered = self._uncovered(court, state, now, court in feeds)
            if court not in numbering:
                numbering[court] = cases.court_numbers_every_entry(self.db, court)
            task = self._task(court, pacer_case_id, docket_number, state, uncovered, now, numbering[court])
            if task is not None:
                self.counters["cases_changed"] += task.reason != "new"
                yield task

    def _uncovered(self, court: str, state: cases.CaseState | None, now: datetime, has_feed: bool) -> Uncovered:
        """What of the time since the case's last harvest no all-entries feed showed (nothing: the feed vouches).

        A court without a readable all-entries feed leaves every night uncovered; one
        whose feed failed, went stale or was not read on some nights leaves those.
        """
        nights = self._nights_since(state.last_harvested_at if state else None, now)
        last = _instant(state.last_harvested_at) if state else None
        if not has_feed or last is None or nights <= 0:
            return Uncovered(float(nights), nights)
        feed = self._feed_tonight_logged(court)
        gaps = uncovered_gaps(self.db, court, last, now, read_tonight=feed is not None and feed.stands_in_for_polling)
        # To a tenth of a night: a DST night is 23 or 25 hours, and minutes of read drift are no gap.
        uncovered = min(float(nights), round(gap_hours(gaps) / 24, 1))
        first = next((start for start, end in gaps if end - start >= MIN_GAP), None)
        if uncovered <= 0 or first is None:
            return Uncovered.nothing()
        return Uncovered(uncovered, (self.night(now) - self.night(first)).days)

    def _feed_tonight_logged(self, court: str) -> FeedNight | None:
        if court not in self._tonight:
            feed = self._tonight[court] = self.feed_tonight(court)
            if feed is not None and feed.outcome != "ok":
                logger.info("%s: feed %s tonight (%s): its cases are re-checked by pace, every %s to %s nights at the latest",
                            court, feed.outcome, feed.message or feed.kind, self.config["watch"]["refresh_days"],
                            self.config["watch"]["refresh_max_days"])  # fmt: skip
        return self._tonight[court]

    def _watched(self) -> list[tuple[str, str | None, str | None]]:
        seen: set[tuple[str, str]] = set()
        out: list[tuple[str, str | None, str | None]] = []
        for court, ids in self.config.cases.items():
            if court not in self.courts:
                continue
            for pacer_case_id in ids["pacer_case_ids"]:
                if (court, pacer_case_id) not in seen:
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
        if row is None:  # a case stored under its id (listed by id too) answers for its docket number
            row = self.db.execute(
                "SELECT pacer_case_id FROM cases WHERE court_id = ? AND docket_number = ? ORDER BY id LIMIT 1",
                [court, docket_number],
            ).fetchone()
        return row[0] if row else None

    def _task(
        self, court: str, pacer_case_id: str | None, docket_number: str | None,
        state: cases.CaseState | None, uncovered: Uncovered, now: datetime, numbers_every_entry: bool = False,
    ) -> DocketTask | None:  # fmt: skip
        watch = self.config["watch"]
        parties = bool(watch["parties"])
        if state is None or state.last_harvested_at is None:
            size = state.report_size_bytes if state else None
            return DocketTask(court, pacer_case_id, docket_number, None, parties, estimate_pages(size), "new")
        reason = self._due_reason(state, uncovered, now)
        # A case no feed flagged has no feed news of its own: an item of what its last report had.
        news = self._feed_news(state) if reason else []
        party_news = parties and self._party_news(state, news, str(watch["parties_refresh"]))
        if reason is None:
            if not party_news:
                return None
            reason = "parties"
        since, numbered_from = incremental_filter(state, numbers_every_entry and not is_appellate(court))
        if is_appellate(court) and since is not None:
            since -= timedelta(days=self._appellate_look_back(court))
        if reason == "rss" and uncovered.nights == 0 and not is_appellate(court):
            since, numbered_from = feed_filter([(n.document_number, n.published_at) for n in news], since, numbered_from)
        # Pages of a report of what was entered since the last harvest: news of a day or two
        # (with the party list, up to a whole report's).
        estimate = estimate_pages(state.report_size_bytes) if party_news else estimate_pages(entries=max(len(news), 1))
        return DocketTask(court, pacer_case_id, state.docket_number or docket_number, since, party_news,
                          estimate, reason, numbered_from)  # fmt: skip

    def _due_reason(self, state: cases.CaseState, uncovered: Uncovered, now: datetime) -> str | None:
        """Why a harvested case is re-checked tonight (``rss``, ``refresh``), if its news says so."""
        if state.rss_changed:
            return "rss"
        if uncovered.nights > 0 and self._refresh_due(state, uncovered, now):
            return "refresh"
        return None

    def _appellate_look_back(self, court: str) -> int:
        """Days before the fetch day a court of appeals' report must start: its ``dateFrom`` counts the date filed.

        An entry entered after the last fetch was filed at most the court's filing lag
        before it (the longest lag between filed and entered its recent entries show,
        up to ``MAX_FILING_LAG_DAYS``). A lag of a day is covered already: what was
        entered on the fetch day itself came before the night's fetch.
        """
        if court not in self._filing_lag:
            self._filing_lag[court] = min(cases.filing_lag_days(self.db, court), MAX_FILING_LAG_DAYS)
        return max(0, self._filing_lag[court] - 1)

    def _feed_news(self, state: cases.CaseState) -> list[FeedNews]:
        """The case's feed items first seen since its last harvest."""
        return [FeedNews(*row) for row in self.db.execute(
            "SELECT document_number, published_at, short_description, description FROM rss_items"
            " WHERE court_id = ? AND pacer_case_id = ? AND first_seen_at > ?",
            [state.court_id, state.pacer_case_id, state.last_harvested_at or ""],
        )]  # fmt: skip

    def _party_news(self, state: cases.CaseState, news: list[FeedNews], mode: str) -> bool:
        """Whether an entry seen since the party list was last asked for, or tonight's feed, may have changed it."""
        if mode == "never":
            return False
        if changes_parties((text for n in news for text in (n.short_description, n.description)), mode):
            return True
        if state.parties_harvested_at and (state.last_harvested_at or "") <= state.parties_harvested_at:
            return False  # no report since the one that asked for the list: no entry is newer than it
        return changes_parties(cases.entry_texts_since(self.db, state.case_id, state.parties_harvested_at), mode)

    def _refresh_due(self, state: cases.CaseState, uncovered: Uncovered, now: datetime) -> bool:
        """Whether a case is due for a re-check after nights no feed vouched for.

        After ``refresh_days`` such nights at the latest (longer for a quiet case, see
        :meth:`_refresh_cap`); sooner, with ``refresh_by_pace``, once its recent pace
        predicts a new entry in them (revisit in proportion to change, as crawlers
        schedule pages): a busy case is re-checked nightly on the weekdays its court
        files on, a quiet one on the schedule, and a short gap in a good feed (a late
        night) re-buys only the cases likely to have news in it. However short the
        gap, its news is at most ``refresh_max_days`` nights old when it is fetched: a
        good feed after it never shows what was entered in it.
        """
        watch = self.config["watch"]
        if uncovered.nights >= self._refresh_cap(state) or uncovered.waited >= int(watch["refresh_max_days"]):
            return True
        if not watch["refresh_by_pace"]:
            return False
        return cases.recent_pace(self.db, state) * self._busy_days(state, uncovered.nights, now) >= 1.0

    def _refresh_cap(self, state: cases.CaseState) -> int:
        """Uncovered nights after which a case is re-checked whatever its pace.

        ``refresh_days``, or longer for a case that had been quiet longer than that at
        its last harvest: a case whose newest entry was Q nights old is re-checked after
        Q nights (a rate of one entry in Q nights, the pace rule's one expected entry),
        up to ``refresh_max_days``; a closed case after ``refresh_max_days``. Each empty
        re-check so about doubles the wait, and a case that files again is back on
        ``refresh_days`` (crawlers revisit pages in proportion to how often they change).
        """
        watch = self.config["watch"]
        shortest, longest = int(watch["refresh_days"]), int(watch["refresh_max_days"])
        if state.date_terminated:
            return longest
        newest, last = _day(state.last_entry_date_entered), _instant(state.last_harvested_at)
        if newest is None or last is None:
            return shortest
        quiet = (self.night(last) - newest).days
        return max(shortest, min(longest, quiet))

    def _busy_days(self, state: cases.CaseState, uncovered: float, now: datetime) -> float:
        """The uncovered nights weighed by how busy the court is on the days they follow."""
        last = self.night(_instant(state.last_harvested_at) or now)
        tonight = self.night(now)
        if state.court_id not in self._weekdays:
            self._weekdays[state.court_id] = cases.weekday_weights(self.db, state.court_id, tonight.isoformat())
        weights = self._weekdays[state.court_id]
        days = [last + timedelta(days=n) for n in range(1, (tonight - last).days + 1)]
        return sum(weights[d.weekday()] for d in days) * uncovered / len(days) if days else 0.0

    def _nights_since(self, stamp: str | None, now: datetime) -> int:
        """Harvest nights from the one ``stamp`` fell in to tonight (3: due on the 3rd night after)."""
        then = _instant(stamp)
        if then is None:
            return 1 << 30
        return (self.night(now) - self.night(then)).days

    def _window(self) -> Window:
        if self._window_cache is None:
            self._window_cache = Window(WindowSpec.from_config(self.config["window"]))
        return self._window_cache


def feed_filter(
    news: list[tuple[str | None, str | None]], since: date | None, numbered_from: int | None
) -> tuple[date | None, int | None]:
    """Narrow the filter with what a gap-free all-entries feed said is new since the last harvest.

    Such a feed lists every new entry, numbered or not; the items first seen since the
    last harvest (``news``: document number, published at) hold them all (with, at most,
    a few that report had). None was entered before the day (westernmost zone) of the
    earliest one's publication, so the Entered-date report starts that day, not on the
    day of the last fetch, whose entries are stored already. When all of them carry a
    document number, asking from the lowest one returns exactly them; when one does not,
    no number filter (a minute entry the court's stored entries never showed it files). Not for courts of
    appeals: their ``dateFrom`` counts the date filed, and an entry filed the day before
    it was entered would fall outside.
    """
    published = [_instant(at) for _, at in news]
    if news and all(published):
        earliest = min(at.astimezone(WESTERNMOST).date() for at in published if at is not None)
        since = max(since, earliest) if since else earliest
    digits = [int(n) for n, _ in news if n and str(n).isdigit()]
    if news and len(digits) == len(news):
        return since, min(digits)
    # An unnumbered (minute) entry among the news: a number filter would leave it out.
    return since, None if news else numbered_from


def incremental_filter(state: cases.CaseState, numbers_every_entry: bool) -> tuple[date | None, int | None]:
    """(entered since, documents numbered from) for a report of only what is new.

    Where the court numbers every entry, ``documents_numbered_from_`` = last number + 1
    asks for exactly the new entries (with the date filter below, which they all pass).
    Otherwise only an Entered-date filter: entries entered
    after the last report was fetched carry a date entered on or after the court's date
    at that instant, so that date (taken in the westernmost courts' zone, never later
    than the court's own) is the first one to ask for. Starting the day after the last
    entry's date would miss entries entered later on that same day; the day itself is
    asked again, and the store's natural keys keep its entries from doubling.
    """
    fetched = _instant(state.last_harvested_at)
    since = fetched.astimezone(WESTERNMOST).date() if fetched else _day(state.last_entry_date_entered)
    if numbers_every_entry and state.last_document_number is not None:
        return since, state.last_document_number + 1  # both filters hold for every new entry
    return since, None


def night_of(window: Window, moment: datetime) -> date:
    """The Central date of the window opening ``moment`` belongs to (the last one at or before it).

    A run at 02:00 Central belongs to the night that opened the evening before; a run
    outside the window (an override) to the last night that opened before it.
    """
    central = to_central(moment)
    intervals = window.intervals(central - NIGHT_LOOKBACK, central + timedelta(microseconds=1))
    openings = [opening for opening, _ in intervals if opening <= central]
    return max(openings).date() if openings else central.date()


def feed_verdict(
    status: int | None, feed: dict | None, scope: FeedScope | None, error: str | None,
    now: datetime, max_age_hours: float,
) -> dict[str, Any]:  # fmt: skip
    """Kind, outcome, entry types and newest item of one fetched feed.

    A feed that did not answer 200 or could not be read cannot say which cases
    changed, and neither can a stale one: built (``lastBuildDate``) or showing its
    newest item more than ``max_age_hours`` ago, or empty with no build date to vouch
    for it. An empty feed built recently is a quiet court: it says nothing changed.
    """
    if status != 200 or feed is None or scope is None:
        why = error or (f"HTTP {status}" if status is not None else "no response")
        return {"kind": "failing", "outcome": "failed", "entry_types": [], "newest_item_at": None,
                "oldest_item_at": None, "message": why}  # fmt: skip
    oldest, newest = item_span(feed)
    outcome, message = "ok", _staleness(now, _instant(scope.built_at), _instant(newest), max_age_hours)
    if message is not None:
        outcome = "stale"
    elif newest is None:
        message = "no item: nothing entered in the feed's span"
    return {"kind": scope.kind, "outcome": outcome, "entry_types": scope.types, "newest_item_at": newest,
            "oldest_item_at": oldest, "message": message}  # fmt: skip


def _staleness(now: datetime, built: datetime | None, newest: datetime | None, max_age_hours: float) -> str | None:
    """Why a readable feed is stale, or None when it is current."""
    limit = max_age_hours * 3600
    if built is not None and (now - built).total_seconds() > limit:
        return f"last built more than {max_age_hours:g} hours ago"
    if newest is not None and (now - newest).total_seconds() > limit:
        return f"newest item is older than {max_age_hours:g} hours"
    if newest is None and built is None:
        return "the feed has no item and no build date"
    return None


def _no_feed_reason(listed: bool) -> str:
    if listed:
        return "its watched cases are all in ACMS: the CM/ECF feed names none of them"
    return "the court lookup lists no feed"


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


def _instant(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return then if then.tzinfo is not None else then.replace(tzinfo=timezone.utc)


def harvest_from_settings(settings: Any) -> Harvest:
    """The run's Harvest, handed over in the crawler settings."""
    harvest = settings.get("HARVEST")
    if not isinstance(harvest, Harvest):
        raise RuntimeError("these spiders run inside a harvest: use `harvester run`, or `scrapy crawl` from the repo root")
    return harvest
