"""Month mode: 30 or more nights of court activity, seeded, with the truth at every instant.

    scenario = MonthScenario(seed=1)                 # 500 cases, 22 courts, 30 nights
    with Sandbox(month=scenario) as sandbox:         # serves the month; clock at night 0
        sandbox.advance(to=scenario.night_start(1))  # activity happens by day
        truth = scenario.truth_at(scenario.night_start(1))
        scenario.ideal_pages(scenario.initial_watch())

A :class:`MonthScenario` is pure data plus rules: the same seed always gives the
same courts, cases, entries, clerk edits, feed kinds, failing nights and events.
Activity (new cases, new entries, edits, terminations, reassignments) happens on
weekdays in office hours (08:00-17:45 Central); the harvest runs at night, so what a
court shows during a night is what it showed at the night's start.

What a court does each night is decided by the sandbox time alone (see
:meth:`MonthScenario.night_of`): the benchmark only moves the clock.

- Feeds: ``all`` (every entry of the last 24 hours), ``partial`` (only some entry
  types, named in the channel description as CM/ECF does: "Docket entries of type:
  order,order-cr"), ``none`` (no ``rss_url`` in the court lookup, the feed URL
  answers 404) and ``failing`` (5xx, a connection that hangs then closes, or a 200 of
  unparseable bytes, every night); some ``all`` feeds fail on some nights only.
- Events: tokens expire after the N-th docket report of one night; one court
  answers 5xx to everything for one night; one night starts ``late_start_seconds``
  before the window closes (06:00), so the window closes mid-harvest.

The truth (:meth:`truth_at`) is what the courts show at an instant, in the shape
the project's parser gives and the database stores; :meth:`ideal_pages` is what an
ideal client would have paid to stay current (see its docstring).
"""

from __future__ import annotations

import json
import random
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from ..parsers.receipt import billable_pages
from .clock import CHICAGO, parse_time
from .courts import LOOKUP_PATH, Court, court_id_of, load_courts
from .faults import FaultRule
from .synthetic import (
    DAY,
    Entry,
    Party,
    SyntheticCase,
    SyntheticCourts,
    SyntheticSettings,
    _company,
    _person,
    local_date,
    mdy,
    mix,
)

MONTH_COURTS = (
    "cand", "nysd", "ilnd", "dcd", "txsd", "cacd", "mad", "paed", "flsd", "njd",
    "nysb", "txsb", "deb", "canb", "ilnb", "njb", "flmb",
    "ca9", "ca7", "ca5", "ca1",
)  # fmt: skip
FEED_KINDS = ("all", "partial", "none", "failing")
FAILURE_MODES = ("5xx", "timeout", "unparseable")
EDIT_KINDS = ("text", "struck", "sealed")
DOCKET_ENDPOINTS = ("DktRpt", "CaseSummary")
FEED_ENDPOINTS = ("rss_outside", "RSSGenerator")
WINDOW_END_HOUR = 6
OFFICE_OPEN, OFFICE_CLOSE = 8 * 3600, 17 * 3600 + 45 * 60

# Entry types as CM/ECF's RSS settings name them (channel description), by short description.
CATEGORY = {
    "Complaint": "cmp", "Indictment": "cmp", "Case Docketed": "appeal",
    "Motion to Dismiss": "motion", "Motion for Extension of Time": "motion", "Motion for Summary Judgment": "motion",
    "Motion for Relief From Stay": "motion", "Motion": "motion",
    "Order on Motion to Dismiss": "order", "Order": "order", "Scheduling Order": "order",
    "Order on Motion for Relief From Stay": "order", "Judgment": "order", "Opinion Issued": "opinions",
    "Memorandum in Opposition": "respm", "Reply to Response": "respm", "Answer to Complaint": "answer",
    "Notice of Appearance": "notice", "Affidavit of Service": "service", "Certificate of Service": "service",
    "Transcript": "reporter", "Minute Entry": "minutes", "Set/Reset Hearings": "court", "Clerk's Notice": "court",
    "Hearing Continued": "court", "Meeting of Creditors": "trustee", "Chapter 13 Plan": "plan",
}  # fmt: skip
PARTIAL_TYPES = {
    "district": ("order,order-cr", "order,order-cr,motion", "cmp,minutes,order,order-cr,motion,respm"),
    "bankruptcy": ("order", "answer,appeal,court,motion,order"),
    "appellate": ("opinions", "orders, opinions, judgments"),
}
_APPELLATE_CATEGORY = {"order": "orders", "opinions": "opinions"}


def entry_category(kind: str, case_type: str, short: str) -> str:
    """The RSS entry type of an entry (``order-cr`` for a criminal case's order)."""
    category = CATEGORY.get(short, "misc")
    if kind == "appellate":
        return _APPELLATE_CATEGORY.get(category, "misc")
    if case_type == "cr" and category in ("order", "motion", "answer", "notice", "minutes", "respm"):
        return category + "-cr"
    return category


def feed_carries(types: str, category: str) -> bool:
    """Whether a feed of entry ``types`` ("all" or a list) carries an entry of ``category``."""
    if types == "all":
        return True
    return category in {t.strip() for t in types.split(",")}


@dataclass(frozen=True)
class MonthSettings:
    """What the month holds. Cases are dealt round-robin over ``courts``."""

    seed: int = 1
    nights: int = 30
    cases: int = 500
    courts: tuple[str, ...] = MONTH_COURTS
    start: str = "2026-01-05T19:00:00"  # a Monday; 30 nights stay inside one quarter
    mean_entries: int = 40
    new_case_fraction: float = 0.06
    busy_fraction: float = 0.1
    edit_probability: float = 0.05
    party_added_probability: float = 0.05  # a civil case's amended complaint names a new defendant
    token_expiry_after: int = 1  # docket reports of the token-expiry night before tokens expire
    late_start_seconds: float = 45.0
    hang_seconds: float = 15.0


class MonthEntry(Entry):
    """An entry with a clerk's edit visible at the time of the timeline."""

    __slots__ = ("edit",)

    def __init__(self, base: Entry, edit: tuple[float, str] | None) -> None:
        super().__init__(base.k, base.seq, base.number, base.ts, base.filed, base.entered, base.h)
        self.edit = edit


def is_sealed(entry: Entry) -> bool:
    """A sealed entry shows its number without a link and no attachments."""
    return isinstance(entry, MonthEntry) and entry.edit is not None and entry.edit[1] == "sealed"


@dataclass
class MonthCase(SyntheticCase):
    """A synthetic case whose life in the month is fixed in advance.

    ``activity``: entered timestamps of the entries after the epoch (sorted);
    ``special``: entry index -> (short, text) for closing, reassignment and amended-complaint entries;
    ``edits``: entry index -> [(timestamp, kind)]; ``terminated_ts``/``reassigned``:
    when the case closes, and (timestamp, new judge).
    """

    activity: list[float] = field(default_factory=list)
    special: dict[int, tuple[str, str]] = field(default_factory=dict)
    edits: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    terminated_ts: float | None = None
    reassigned: tuple[float, str] | None = None
    first_judge: str = ""
    added_parties: list[tuple[float, Party]] = field(default_factory=list)  # (entered, party) of amended complaints
    view_ts: float = float("inf")  # the instant a view (:meth:`at`) shows the case at
    born: bool = False

    def _moments(self, now_ts: float):
        """History (growth rate 0: it ends at the epoch, or is the filing of a new case), then the month."""
        if self.filed_ts > now_ts:
            return
        yield from super()._moments(now_ts)
        for i in range(bisect_right(self.activity, now_ts)):
            k = self.n_hist + i
            yield k, mix(self.key + k), self.activity[i]

    def timeline(self, now_ts: float) -> list[Entry]:
        entries = super().timeline(now_ts)
        if not self.edits:
            return entries
        out = []
        for entry in entries:
            edit = self.edit_at(entry.k, now_ts)
            out.append(MonthEntry(entry, edit) if edit is not None else entry)
        return out

    def edit_at(self, k: int, now_ts: float) -> tuple[float, str] | None:
        """The latest edit of entry ``k`` made by ``now_ts``."""
        seen = [e for e in self.edits.get(k, ()) if e[0] <= now_ts]
        return seen[-1] if seen else None

    def at(self, now_ts: float) -> MonthCase:
        """The case as its header reads at ``now_ts`` (judge, termination)."""
        judge, terminated = self.judge, self.date_terminated
        if self.reassigned and self.reassigned[0] <= now_ts:
            judge = self.reassigned[1]
        if self.terminated_ts is not None and self.terminated_ts <= now_ts:
            terminated = local_date(self.terminated_ts)
        if judge == self.judge and terminated == self.date_terminated and not self.added_parties:
            return self
        return replace(self, judge=judge, date_terminated=terminated, view_ts=now_ts)

    def parties(self) -> list[Party]:
        """The parties the case was filed with, then those its amended complaints added by the view's instant."""
        added = [party for ts, party in self.added_parties if ts <= self.view_ts]
        return self.original_parties() + added if added else self.original_parties()

    def signing_judge(self, entry: Entry) -> str:
        # An entry's text is fixed when it is entered: a reassignment changes the
        # header (see :meth:`at`), never the judge named in earlier entries.
        if self.reassigned is None or entry.ts >= self.reassigned[0]:
            return self.judge if self.reassigned is None else self.reassigned[1]
        return self.first_judge

    def entry_text(self, entry: Entry) -> tuple[str, str]:
        short, text = self.special.get(entry.k) or super().entry_text(entry)
        edit = entry.edit if isinstance(entry, MonthEntry) else None
        if edit is None:
            return short, text
        stamp = f"Modified on {local_date(edit[0]).month}/{local_date(edit[0]).day}/{local_date(edit[0]).year} (clk)."
        if edit[1] == "sealed":
            return short, f"SEALED DOCUMENT. {stamp}"
        if edit[1] == "struck":
            return short, f"STRICKEN pursuant to order of the Court. {text} {stamp}"
        return (
            short,
            f"{text.replace(' filed by ', ' (corrected) filed by ', 1).replace(' Filed by ', ' (corrected) Filed by ', 1)} {stamp}",
        )

    def category(self, entry: Entry) -> str:
        """The entry's RSS type."""
        return entry_category(self.kind, self.case_type, self.entry_text(entry)[0])


# --------------------------------------------------------------------------- the scenario
class MonthScenario:
    """A seeded month of court activity, its events, and the truth at every instant."""

    def __init__(self, seed: int = 1, **options) -> None:
        self.settings = MonthSettings(seed=seed, **options)
        s = self.settings
        if s.nights < 1 or s.cases < 1:
            raise ValueError("a month needs at least one night and one case")
        self._lookup = LOOKUP_PATH.read_bytes()
        court_map = load_courts(self._lookup)
        unknown = [c for c in s.courts if c not in court_map]
        if unknown:
            raise ValueError(f"unknown court id(s): {', '.join(unknown)}")
        self.start = parse_time(s.start)
        self.epoch_ts = self.start.timestamp()
        self.courts: dict[str, Court] = {c: court_map[c] for c in s.courts}
        self.rng = random.Random(mix(s.seed ^ 0x30DA7))
        base = SyntheticCourts(
            SyntheticSettings(seed=s.seed, courts=s.courts, cases=s.cases, mean_entries=s.mean_entries),
            court_map, self.epoch_ts,
        )  # fmt: skip
        self.cases: list[MonthCase] = [self._month_case(c) for c in base.cases]
        self.feeds = self._feeds()
        self.events = self._events()

    # ------------------------------------------------------------- building
    def _month_case(self, case: SyntheticCase) -> MonthCase:
        s = self.settings
        month = MonthCase(**{f.name: getattr(case, f.name) for f in fields(SyntheticCase)})
        month.rate_per_s = 0.0
        rng = random.Random(mix(case.key ^ 0xA11CE))
        if rng.random() < s.new_case_fraction:
            self._make_born(month, rng)
        if month.date_terminated is not None:
            return month
        busy = rng.random() < s.busy_fraction
        per_day = rng.uniform(2.0, 5.0) if busy else rng.lognormvariate(-2.3, 0.9)
        first_day = local_date(month.filed_ts) + timedelta(days=1) if month.born else self.start.date()
        month.activity = self._activity(rng, first_day, per_day)
        self._plan_events(month, rng)
        return month

    def _make_born(self, case: MonthCase, rng: random.Random) -> None:
        """Turn ``case`` into one filed during the month (on a weekday, in office hours)."""
        day = self._weekday(self.start.date() + timedelta(days=1 + rng.randrange(max(1, self.settings.nights - 2))))
        case.filed_ts = self._office_ts(day, rng)
        case.born, case.n_hist, case.date_terminated = True, 1, None
        new_yy = f"{day.year % 100:02d}"
        case.pacer_case_id = str(600000 + case.local_index)
        case.case_number = _with_year(case.case_number, new_yy, 20000 + case.local_index)
        case.docket_number = _with_year(case.docket_number, new_yy, 20000 + case.local_index)

    def _activity(self, rng: random.Random, first_day: date, per_day: float) -> list[float]:
        out: list[float] = []
        for offset in range(self.settings.nights + 1):
            day = first_day + timedelta(days=offset)
            if day.weekday() >= 5 or day > self._last_day():
                continue
            n = _poisson(rng, per_day)
            out.extend(self._office_ts(day, rng) for _ in range(n))
        return sorted(out)

    def _plan_events(self, case: MonthCase, rng: random.Random) -> None:
        s = self.settings
        for i, ts in enumerate(case.activity):
            if rng.random() < s.edit_probability:
                later = ts + rng.uniform(0.5, 3.0) * 3600 if rng.random() < 0.4 else ts + rng.uniform(1, 5) * DAY
                when = self._office_clamp(later, rng)
                case.edits.setdefault(case.n_hist + i, []).append((when, rng.choice(EDIT_KINDS)))
        if not case.activity:
            return
        roll = rng.random()
        k = case.n_hist + rng.randrange(len(case.activity))
        ts = case.activity[k - case.n_hist]
        if roll < 0.04:
            case.terminated_ts = ts
            case.special[k] = (
                "Judgment",
                f"JUDGMENT entered in favor of the defendant. Case closed. Signed by Judge {case.judge} on {mdy(local_date(ts))}.",
            )
            case.activity = case.activity[: k - case.n_hist + 1]  # nothing after the judgment
        elif roll < 0.08:
            new_judge = _person(rng)
            case.reassigned, case.first_judge = (ts, new_judge), case.judge
            case.special[k] = (
                "Clerk's Notice",
                f"CLERK'S NOTICE of Reassignment. Case reassigned to Judge {new_judge}.",
            )
        case.edits = {i: e for i, e in case.edits.items() if i < case.n_hist + len(case.activity)}
        self._plan_new_party(case)

    def _plan_new_party(self, case: MonthCase) -> None:
        """Now and then a civil case's amended complaint adds a defendant, listed from its entry on.

        (A generator of its own: the rest of the month is the same with or without it.)
        """
        rng = random.Random(mix(case.key ^ 0x9A27))
        if case.kind != "district" or case.case_type == "cr" or rng.random() >= self.settings.party_added_probability:
            return
        free = [i for i in range(len(case.activity)) if case.n_hist + i not in case.special]
        if not free:
            return
        i = rng.choice(free)
        new = Party("Defendant", _company(rng), [])
        plaintiff = case.original_parties()[0].name
        case.special[case.n_hist + i] = (
            "Amended Complaint", f"AMENDED COMPLAINT against {new.name} filed by {plaintiff}.",
        )  # fmt: skip
        case.added_parties = [(case.activity[i], new)]

    def _feeds(self) -> dict[str, dict]:
        """Feed kind per court: each kind at least once, then in proportion; some 'all' feeds flaky."""
        order = sorted(self.courts)
        self.rng.shuffle(order)
        quota = ["failing", "none", "partial", "all"]
        weights = {"all": 0.4, "partial": 0.25, "none": 0.15, "failing": 0.2}
        while len(quota) < len(order):
            quota.append(max(FEED_KINDS, key=lambda k: weights[k] * len(order) - quota.count(k)))
        feeds: dict[str, dict[str, Any]] = {}
        for i, court_id in enumerate(order):
            kind = quota[i]
            court = self.courts[court_id]
            feed: dict[str, Any] = {"kind": kind, "types": "all", "failure": None, "flaky_nights": []}
            if kind == "partial":
                feed["types"] = self.rng.choice(PARTIAL_TYPES[court.kind])
            elif kind == "failing":
                feed["failure"] = FAILURE_MODES[len([f for f in feeds.values() if f["kind"] == "failing"]) % 3]
            feeds[court_id] = feed
        flaky = [c for c in order if feeds[c]["kind"] == "all"][: max(1, len(order) // 10)]
        for court_id in flaky:
            nights = sorted(self.rng.sample(range(self.settings.nights), k=max(1, self.settings.nights // 5)))
            feeds[court_id].update(flaky_nights=nights, failure=self.rng.choice(FAILURE_MODES))
        return feeds

    def _events(self) -> dict:
        n = self.settings.nights
        steady = [c for c, f in sorted(self.feeds.items()) if f["kind"] != "none"]
        # Token expiry and the outage fall on weekday evenings, when the day brought news to fetch.
        busy = [night for night in range(min(1, n - 1), n) if (self.start.date() + timedelta(days=night)).weekday() < 5]
        busy = busy or list(range(n))
        return {
            "token_expiry": {"night": self.rng.choice(busy), "after_docket_reports": self.settings.token_expiry_after},
            "court_5xx": {"night": self.rng.choice(busy), "court": self.rng.choice(steady or sorted(self.feeds))},
            "late_start": {
                "night": self.rng.randrange(min(1, n - 1), min(4, n)),
                "seconds_before_close": self.settings.late_start_seconds,
            },
        }

    # ------------------------------------------------------------- time
    def _last_day(self) -> date:
        return self.start.date() + timedelta(days=self.settings.nights)

    @staticmethod
    def _weekday(day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day

    @staticmethod
    def _office_ts(day: date, rng: random.Random) -> float:
        midnight = CHICAGO.localize(datetime.combine(day, dtime(0, 0))).timestamp()
        return midnight + rng.uniform(OFFICE_OPEN, OFFICE_CLOSE)

    def _office_clamp(self, ts: float, rng: random.Random) -> float:
        """``ts`` if it falls in office hours on a weekday, else office hours of the next weekday."""
        when = datetime.fromtimestamp(ts, CHICAGO)
        seconds = when.hour * 3600 + when.minute * 60
        if when.weekday() < 5 and OFFICE_OPEN <= seconds <= OFFICE_CLOSE:
            return ts
        day = when.date() + timedelta(days=1 if seconds > OFFICE_CLOSE or when.weekday() >= 5 else 0)
        return self._office_ts(self._weekday(day), rng)

    def night_start(self, night: int) -> datetime:
        """When night ``night``'s harvest starts (the late-start night: just before 06:00)."""
        day = self.start.date() + timedelta(days=night)
        late = self.events["late_start"]
        if night == late["night"]:
            close = CHICAGO.localize(datetime.combine(day + timedelta(days=1), dtime(WINDOW_END_HOUR, 0)))
            return (close - timedelta(seconds=late["seconds_before_close"])).astimezone(CHICAGO)
        return CHICAGO.localize(datetime.combine(day, self.start.timetz().replace(tzinfo=None)))

    def night_of(self, ts: float) -> int:
        """The night an instant belongs to: noon to noon, so 05:59 belongs to the evening before."""
        return (local_date(ts - 12 * 3600) - self.start.date()).days

    # ------------------------------------------------------------- serving
    def lookup_bytes(self) -> bytes:
        """The court lookup as served: courts without a feed have no ``rss_url``, the others have one."""
        doc = json.loads(self._lookup)
        for record in doc["data"]:
            court_id = court_id_of(record) or ""
            feed = self.feeds.get(court_id)
            if feed is None:
                continue
            if feed["kind"] == "none":
                record.pop("rss_url", None)
            elif not record.get("rss_url"):
                court = self.courts[court_id]
                path = (
                    f"{court.servlet_path}?servlet=RSSGenerator"
                    if court.kind == "appellate"
                    else "cgi-bin/rss_outside.pl"
                )
                record["rss_url"] = f"{court.host}/{path}"
        return json.dumps(doc).encode()

    def feed_state(self, court_id: str, night: int) -> str:
        """'ok', 'none' or a failure mode, for a court's feed on a night."""
        feed = self.feeds.get(court_id)
        if feed is None:
            return "ok"
        if feed["kind"] == "none":
            return "none"
        if feed["kind"] == "failing" or night in feed["flaky_nights"]:
            return feed["failure"]
        if self.events["court_5xx"]["court"] == court_id and self.events["court_5xx"]["night"] == night:
            return "5xx"
        return "ok"

    def fault(self, court_id: str | None, endpoint: str, ts: float) -> FaultRule | None:
        """The month's fault for one request, or None (the court answers normally)."""
        night = self.night_of(ts)
        outage = self.events["court_5xx"]
        if court_id is not None and court_id == outage["court"] and night == outage["night"]:
            return FaultRule("error", status=503)
        if endpoint not in FEED_ENDPOINTS or court_id is None:
            return None
        state = self.feed_state(court_id, night)
        if state == "5xx":
            return FaultRule("error", status=random.Random(mix(night)).choice((500, 502, 503)))
        if state == "timeout":
            return FaultRule("hang", seconds=self.settings.hang_seconds)
        if state == "unparseable":
            return FaultRule("garbage", fired=night)
        return None

    def feed_items(self, court_id: str, now_ts: float) -> list[tuple[MonthCase, Entry]]:
        """What the court's feed lists now: the last 24 hours' entries of the types it carries."""
        types = self.feeds[court_id]["types"]
        out = []
        for case in self.by_court(court_id):
            if case.filed_ts > now_ts:
                continue
            for entry in case.timeline(now_ts):
                if entry.ts > now_ts - DAY and feed_carries(types, case.category(entry)):
                    out.append((case.at(now_ts), entry))
        return out

    def by_court(self, court_id: str) -> list[MonthCase]:
        if not hasattr(self, "_by_court"):
            self._by_court: dict[str, list[MonthCase]] = {}
            for case in self.cases:
                self._by_court.setdefault(case.court.court_id, []).append(case)
        return self._by_court.get(court_id, [])

    # ------------------------------------------------------------- truth
    def case_key(self, case: MonthCase) -> tuple[str, str]:
        """(court, key) as the database keys a case: pacer_case_id, docket number on appellate courts."""
        return case.court.court_id, case.case_number if case.kind == "appellate" else case.pacer_case_id

    def truth_at(self, when: str | datetime | float) -> dict[str, dict]:
        """Every case filed by ``when``, as the courts show it then: metadata, parties, entries.

        Keys are ``"court/key"`` (see :meth:`case_key`); values have ``metadata``
        (parser field names), ``parties`` (name and type, terminated ones included),
        ``entries`` (document number, dates, the docket text as shown) and ``feed``.
        """
        ts = _timestamp(when)
        return {"/".join(self.case_key(c)): self.case_truth(c, ts) for c in self.cases if c.filed_ts <= ts}

    def case_truth(self, case: MonthCase, ts: float) -> dict:
        view = case.at(ts)
        return {
            "court": case.court.court_id,
            "kind": case.kind,
            "pacer_case_id": case.pacer_case_id,
            "feed": self.feeds[case.court.court_id]["kind"],
            "metadata": self.case_metadata(case, ts),
            "parties": [{"name": p.name, "type": reference_party_type(p.role)} for p in view.parties()],
            "entries": [shown_entry(case, e) for e in case.timeline(ts)],
        }

    def case_metadata(self, case: MonthCase, ts: float) -> dict:
        """The case's header fields at ``ts``, in the parser's names."""
        view = case.at(ts)
        metadata = {
            "docket_number": case.case_number,
            "case_name": reference_case_name(case.case_name),
            "date_filed": case.date_filed.isoformat(),
            "date_terminated": view.date_terminated.isoformat() if view.date_terminated else None,
        }
        if case.kind != "appellate":
            metadata["assigned_to_str"] = view.judge
        if case.kind == "district" and case.case_type != "cr":
            metadata.update(
                cause=case.extra["cause"], nature_of_suit=case.extra["nature"], jurisdiction=case.extra["jurisdiction"]
            )
        return metadata

    def initial_watch(self) -> dict[str, int]:
        """Every case that exists at night 0, watched from night 0; new cases from the night after their filing."""
        out = {}
        for case in self.cases:
            key = "/".join(self.case_key(case))
            out[key] = 0 if not case.born else self.night_of(case.filed_ts) + 1
        return {k: n for k, n in out.items() if n < self.settings.nights}

    def ideal_pages(self, watch: dict[str, int] | None = None, nights: int | None = None) -> dict:
        """Fewest billable pages that keep every watched case current, night by night.

        An ideal client knows what changed. The night a case is first watched it buys
        the whole docket with parties; on a later night on which entries were added
        or edited it buys one report of exactly those entries (no parties, unless one
        of them adds a party), as
        PACER's number and date filters allow; on other nights nothing. Pages are
        PACER's (4,320 bytes a page, at most 30 a report), counted on the report the
        sandbox would serve. ``watch`` maps ``"court/key"`` to the first night
        (default :meth:`initial_watch`).
        """
        from . import markup
        from .reports import DocketQuery, encode_page

        watch = self.initial_watch() if watch is None else watch
        nights = self.settings.nights if nights is None else nights
        per_night = [0] * nights
        full, changed = DocketQuery(parties=True, terminated=True), DocketQuery()
        for case in self.cases:
            first = watch.get("/".join(self.case_key(case)))
            if first is None:
                continue
            seen: dict[int, tuple] = {}
            adds = {ts for ts, _ in case.added_parties}
            for night in range(first, nights):
                ts = self.night_start(night).timestamp()
                entries = case.timeline(ts)
                state = {e.k: (getattr(e, "edit", None),) for e in entries}
                if night == first:
                    news, query = entries, full
                else:
                    news = [e for e in entries if seen.get(e.k) != state[e.k]]
                    query = full if any(e.k not in seen and e.ts in adds for e in news) else changed
                seen = state
                if not news:
                    continue
                report = markup.synthetic_report(case.at(ts), query, news)
                per_night[night] += billable_pages(len(encode_page(report.before)) + len(encode_page(report.after)))
        return {"total": sum(per_night), "per_night": per_night}

    def describe(self) -> dict:
        """The month's plan: settings, feed per court, events (no truth)."""
        kinds: dict[str, int] = {}
        for case in self.cases:
            kinds[case.court.kind] = kinds.get(case.court.kind, 0) + 1
        return {
            "settings": {f.name: getattr(self.settings, f.name) for f in fields(MonthSettings)},
            "nights": [self.night_start(n).isoformat() for n in range(self.settings.nights)],
            "feeds": self.feeds,
            "events": self.events,
            "cases_by_kind": kinds,
            "new_cases": sum(c.born for c in self.cases),
        }


def reference_case_name(name: str) -> str:
    """The case name as reference parses write it: "USA v. X" is "United States v. X"."""
    return "United States v. " + name[len("USA v. ") :] if name.startswith("USA v. ") else name


def reference_party_type(role: str) -> str:
    """A party type as reference parses write it: a defendant's count number "(1)" goes to criminal data."""
    head, sep, tail = role.rpartition(" (")
    return head if sep and tail.rstrip(")").isdigit() else role


def shown_entry(case: MonthCase, entry: Entry) -> dict:
    """An entry as the docket shows it: the parser's field names, the text of the Docket Text cell."""
    short, text = case.entry_text(entry)
    sealed = is_sealed(entry)
    if case.kind == "district" and entry.number is not None and not sealed:
        n_att = (entry.h >> 56) % 4
        if n_att:
            text += " (Attachments: " + ", ".join(f"# {i} Exhibit {chr(64 + i)}" for i in range(1, n_att + 1)) + ")"
    if case.kind == "appellate":
        clock = datetime.fromtimestamp(entry.ts, CHICAGO).strftime("%I:%M %p")
        text += f" [{case.case_number}] [Entered: {mdy(entry.entered)} {clock}]"
    else:
        text += f" (Entered: {mdy(entry.entered)})"
    edit = entry.edit if isinstance(entry, MonthEntry) else None
    return {
        "document_number": str(entry.number) if entry.number is not None else None,
        "date_filed": entry.filed.isoformat(),
        "date_entered": entry.entered.isoformat(),
        "description": text,
        "short_description": short,
        "edit": edit[1] if edit else None,
    }


def _with_year(number: str, yy: str, serial: int) -> str:
    """``3:19-cv-10004-ABC`` -> ``3:26-cv-20004-ABC`` (a case filed this year, numbered after the others)."""
    head, sep, rest = number.partition(":")
    if not sep:
        head, rest = "", number
    parts = rest.split("-")
    parts[0] = yy
    idx = 2 if len(parts) > 2 and parts[1].isalpha() else 1
    parts[idx] = f"{serial:05d}"
    return (f"{head}:" if sep else "") + "-".join(parts)


def _poisson(rng: random.Random, lam: float) -> int:
    n, t = 0, rng.expovariate(1.0)
    while t < lam:
        n += 1
        t += rng.expovariate(1.0)
    return n


def _timestamp(when: str | datetime | float) -> float:
    if isinstance(when, (int, float)):
        return float(when)
    return parse_time(when).timestamp()


def dump_truth(scenario: MonthScenario, when: str | datetime | float, keys: Iterable[str] | None = None) -> dict:
    """A JSON-ready dump: the plan and the truth at ``when`` (optionally some cases only)."""
    truth = scenario.truth_at(when)
    if keys is not None:
        wanted = set(keys)
        truth = {k: v for k, v in truth.items() if k in wanted}
    return {
        "at": datetime.fromtimestamp(_timestamp(when), CHICAGO).isoformat(),
        "plan": scenario.describe(),
        "cases": truth,
    }
