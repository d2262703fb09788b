"""A deterministic synthetic court: many cases, each generated lazily from a seed.

Only small per-case metadata is kept in memory (numbers, names, sizes); a
case's entries are recomputed on demand from integer hashes of (seed, case,
entry index), so 2,000 cases with 200,000 entries cost a few megabytes, and
the same seed and clock epoch always give the same dockets.

Timeline: a case's historic entries are spread between its filing date and the
sandbox epoch (the clock's start); an open case then keeps growing after the
epoch (exponential gaps, ``growth_per_day`` entries a day on average), so new
entries appear as sandbox time advances and show in the court's RSS feed.

Markup follows the real district, bankruptcy and appellate pages of the corpus
(``akd``, ``akb``/``nysb``, ``ca1`` formats).
"""

from __future__ import annotations

import math
import random
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from .clock import CHICAGO, day_start_ts
from .courts import Court

DEFAULT_SYNTHETIC_COURTS = ("cand", "nysd", "ilnd", "dcd", "nysb", "txsb", "ca9", "ca7")
DAY = 86400.0
_MASK64 = (1 << 64) - 1
MAX_CASES_PER_COURT = 4999  # keeps pacer_doc_ids unique within a court
ENTRY_SLOTS = 5000  # entries per case addressable by doc ids


def mix(x: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


_UTC_DAY_OFFSET: dict[int, int | None] = {}
_LOCAL_DAYS: dict[int, date] = {}
_ORDINAL_1970 = date(1970, 1, 1).toordinal()


def _chicago_offset(ts: float) -> float:
    """Chicago's UTC offset (s) at ``ts``."""
    offset = datetime.fromtimestamp(ts, CHICAGO).utcoffset()
    if offset is None:  # cannot happen: a datetime given a zone always has an offset
        raise ValueError("the Chicago zone gave no UTC offset")
    return offset.total_seconds()


def _offset_of_utc_day(day: int) -> int | None:
    """Chicago's UTC offset (s) during UTC day ``day``, or None if it changes that day."""
    first = _chicago_offset(day * 86400)
    last = _chicago_offset(day * 86400 + 86399)
    return int(first) if first == last else None


def local_date(ts: float) -> date:
    """Chicago calendar date of a POSIX timestamp.

    Hot path: the UTC offset is cached per UTC day and dates per local day, so
    the pytz conversion runs only on the two DST-change days of a year.
    """
    day = int(ts // 86400)
    if day not in _UTC_DAY_OFFSET:
        _UTC_DAY_OFFSET[day] = _offset_of_utc_day(day)
    offset = _UTC_DAY_OFFSET[day]
    if offset is None:
        return datetime.fromtimestamp(ts, CHICAGO).date()
    local_day = int((ts + offset) // 86400)
    found = _LOCAL_DAYS.get(local_day)
    if found is None:
        found = _LOCAL_DAYS[local_day] = date.fromordinal(_ORDINAL_1970 + local_day)
    return found


@lru_cache(maxsize=65536)
def mdy(d: date) -> str:
    """CM/ECF's date format (cached: a docket repeats its dates)."""
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


# --------------------------------------------------------------------------- names
FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard "
         "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark "
         "Sandra Steven Ashley Paul Dorothy Andrew Kimberly Joshua Emily Kenneth Donna Kevin Michelle "
         "Brian Carol George Amanda Timothy Melissa Ronald Deborah Jason Stephanie").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts").split()
COMPANY_WORDS = ("Acme Apex Summit Northwind Bluewater Granite Harbor Keystone Liberty Meridian Pioneer "
                 "Redwood Sterling Tristate Union Vanguard Westfield Lakeshore Ironwood Silverline").split()
COMPANY_KINDS = ("Holdings, LLC", "Corporation", "Inc.", "Logistics, Inc.", "Insurance Company",
                 "Partners, L.P.", "Bank, N.A.", "Manufacturing Co.", "Services, LLC", "Group, Inc.")
FIRMS = ("Baker & Rowe LLP", "Hale, Morgan & Pike", "Carter Lindqvist LLP", "Ortiz Kaplan P.C.",
         "Whitfield & Sons", "Greene Alvarez LLP", "Monroe Tate & Bell", "Sutton Park Law Group")
STREETS = ("Main Street", "Market Street", "Lake Avenue", "Broadway", "Court Street", "Elm Street")
ROLES = ("LEAD ATTORNEY", "ATTORNEY TO BE NOTICED", "PRO HAC VICE")
CAUSES = ("28:1331 Federal Question", "28:1332 Diversity-Breach of Contract", "42:1983 Civil Rights Act",
          "15:1 Antitrust Litigation", "29:201 Fair Labor Standards Act", "35:271 Patent Infringement")
NATURES = ("190 Contract: Other", "440 Civil Rights: Other", "410 Anti-Trust", "710 Labor: Fair Standards",
           "830 Patent", "110 Insurance", "365 Personal Inj. Prod. Liability")
JURISDICTIONS = ("Federal Question", "Diversity", "U.S. Government Defendant")
DIVISIONS = ("Oakland", "San Francisco", "Central", "Eastern", "Western", "Northern")
CIRCUITS = {"ca1": "First", "ca2": "Second", "ca3": "Third", "ca4": "Fourth", "ca5": "Fifth", "ca6": "Sixth",
            "ca7": "Seventh", "ca8": "Eighth", "ca9": "Ninth", "ca10": "Tenth", "ca11": "Eleventh",
            "cadc": "District of Columbia", "cafc": "Federal"}

# (short description, docket text) — {p} filer party, {a} filer's attorney,
# {j} judge, {r} an earlier document number, {d} the filing date, {due} a later date.
DISTRICT_TEXTS = (
    ("Motion to Dismiss", "MOTION to Dismiss for Failure to State a Claim filed by {p}. Motion Hearing set for {due} before Judge {j}."),
    ("Order on Motion to Dismiss", "ORDER granting in part and denying in part {r} Motion to Dismiss. Signed by Judge {j} on {d}."),
    ("Notice of Appearance", "NOTICE of Appearance by {a} on behalf of {p}"),
    ("Memorandum in Opposition", "MEMORANDUM in Opposition re {r} Motion filed by {p}."),
    ("Reply to Response", "REPLY to Response to Motion re {r} Motion filed by {p}."),
    ("Order", "ORDER re {r} Stipulation. Signed by Judge {j} on {d}."),
    ("Stipulation", "STIPULATION to Extend Time to Answer or Otherwise Respond by {p}."),
    ("Motion for Extension of Time", "MOTION for Extension of Time to File Response/Reply filed by {p}."),
    ("Scheduling Order", "SCHEDULING ORDER: Discovery due by {due}. Signed by Judge {j} on {d}."),
    ("Affidavit of Service", "AFFIDAVIT of Service for Summons and Complaint served on {p} on {d}."),
    ("Answer to Complaint", "ANSWER to Complaint with Jury Demand by {p}."),
    ("Status Report", "STATUS REPORT (Joint) by {p}."),
    ("Motion for Summary Judgment", "MOTION for Summary Judgment filed by {p}. Responses due by {due}."),
    ("Transcript", "TRANSCRIPT of Proceedings held on {d}, before Judge {j}. Release of Transcript Restriction set for {due}."),
)
DISTRICT_MINUTES = (
    ("Minute Entry", "Minute Entry for proceedings held before Judge {j}: Status Conference held on {d}."),
    ("Set/Reset Hearings", "Set/Reset Hearings: Motion Hearing set for {due} before Judge {j}."),
    ("Clerk's Notice", "CLERK'S NOTICE of Reassignment. Case reassigned to Judge {j}."),
)
BANKRUPTCY_TEXTS = (
    ("Motion for Relief From Stay", "Motion for Relief from Stay Fee Amount $188, Filed by {p}. Hearing scheduled for {due}."),
    ("Order on Motion for Relief From Stay", "Order Granting Motion for Relief from Stay (Related Doc # {r}). Signed on {d}."),
    ("Proof of Claim", "Notice of Filing of Proof of Claim Filed by {p}."),
    ("Objection to Claim", "Objection to Claim Filed by {p}. Hearing scheduled for {due}."),
    ("Chapter 13 Plan", "Chapter 13 Plan Filed by {p}."),
    ("Certificate of Service", "Certificate of Service (related document(s) {r}) Filed by {p}."),
    ("Monthly Operating Report", "Monthly Operating Report for the period ending {d} Filed by {p}."),
    ("Notice of Appearance", "Notice of Appearance and Request for Notice Filed by {a} on behalf of {p}."),
    ("Order", "Order Approving Stipulation (Related Doc # {r}). Signed on {d}."),
)
BANKRUPTCY_MINUTES = (
    ("Hearing Continued", "Hearing Continued (RE: related document(s) {r}). Hearing scheduled for {due}."),
    ("Meeting of Creditors", "Meeting of Creditors Held and Concluded on {d}."),
)
APPELLATE_TEXTS = (
    ("Notice of Appearance", "APPEARANCE of Counsel Form filed by Attorney {a} for {p}."),
    ("Brief", "OPENING BRIEF filed by {p}. Date of service: {d}."),
    ("Motion", "MOTION to extend time to file brief filed by {p}."),
    ("Order", "ORDER granting motion to extend time to file brief. Brief due {due}."),
    ("Opinion Issued", "OPINION ISSUED. Judgment entered on {d}."),
    ("Record on Appeal", "RECORD ON APPEAL filed. Date of service: {d}."),
)


@dataclass(frozen=True)
class SyntheticSettings:
    """What to generate. ``cases`` are dealt round-robin over ``courts``."""

    seed: int = 2023
    courts: tuple[str, ...] = DEFAULT_SYNTHETIC_COURTS
    cases: int = 200
    mean_entries: int = 100
    max_entries: int = 4000
    growth_per_day: float = 1.0
    closed_fraction: float = 0.25


@dataclass
class Attorney:
    name: str
    lines: tuple[str, ...]
    roles: tuple[str, ...]


@dataclass
class Party:
    role: str
    name: str
    attorneys: list[Attorney]
    terminated: date | None = None


class Entry:
    """One docket entry's facts; its text is rendered only when served.

    ``k`` is the entry's index in the case, ``seq`` its de_seq_num, ``number``
    its document number (None for minute entries), ``ts`` when it was entered
    (sandbox POSIX time), ``h`` the hash its details are drawn from.
    """

    __slots__ = ("k", "seq", "number", "ts", "filed", "entered", "h")

    def __init__(self, k: int, seq: int, number: int | None, ts: float, filed: date, entered: date, h: int):
        self.k, self.seq, self.number, self.ts = k, seq, number, ts
        self.filed, self.entered, self.h = filed, entered, h


@dataclass
class SyntheticCase:
    """A case's metadata; entries come from :meth:`timeline`."""

    court: Court
    local_index: int
    key: int
    pacer_case_id: str
    case_number: str
    docket_number: str
    case_name: str
    case_type: str  # cv, cr, bk, ap (appellate)
    judge: str
    filed_ts: float
    epoch_ts: float
    n_hist: int
    rate_per_s: float  # growth after the epoch; 0 for closed cases
    max_entries: int
    date_terminated: date | None
    extra: dict = field(default_factory=dict)
    _parties: list[Party] | None = field(default=None, repr=False)
    _filers: list[tuple[str, str]] = field(default_factory=list, repr=False)

    @property
    def date_filed(self) -> date:
        return local_date(self.filed_ts)

    @property
    def kind(self) -> str:
        return self.court.kind

    # ------------------------------------------------------------- timeline
    def _moments(self, now_ts: float):
        """(index, hash, entered timestamp) of each entry entered by ``now_ts``."""
        key, n_hist, filed_ts = self.key, self.n_hist, self.filed_ts
        span = max(self.epoch_ts - filed_ts - 3600.0, 3600.0)
        for k in range(n_hist):  # history: spread over (filing, epoch - 1 h), entry 0 on the filing
            h = mix(key + k)
            ts = filed_ts + span * (k + (h & 0xFFFF) / 65536.0) / n_hist if k else filed_ts
            if ts > now_ts:
                return
            yield k, h, ts
        if self.rate_per_s <= 0:
            return
        rng = random.Random(key)  # growth after the epoch: exponential gaps
        ts = self.epoch_ts
        for k in range(n_hist, self.max_entries):
            ts += rng.expovariate(self.rate_per_s)
            if ts > now_ts:
                return
            yield k, mix(key + k), ts

    def timeline(self, now_ts: float) -> list[Entry]:
        """Entries visible at ``now_ts`` (entered at or before it), oldest first.

        Hot path (every docket report): local names on purpose.
        """
        out: list[Entry] = []
        append = out.append
        number = 0
        for k, h, ts in self._moments(now_ts):
            if k == 0 or (h >> 16) & 0xFF >= 64:  # about a quarter are unnumbered minute entries
                number += 1
                shown = number
            else:
                shown = None
            entered = local_date(ts)
            filed = local_date(ts - DAY) if k and (h >> 24) & 0x7 == 0 else entered
            append(Entry(k, 3 * k + 1 + (h >> 28) % 3, shown, ts, filed, entered, h))
        return out

    def last_history_date(self) -> date:
        """Entered date of the last entry before the epoch."""
        last = self.n_hist - 1
        if last == 0:
            return local_date(self.filed_ts)
        span = max(self.epoch_ts - self.filed_ts - 3600.0, 3600.0)
        return local_date(self.filed_ts + span * (last + (mix(self.key + last) & 0xFFFF) / 65536.0) / self.n_hist)

    def entry_count(self, now_ts: float) -> int:
        """How many entries the docket has at ``now_ts``."""
        return len(self.timeline(now_ts))

    def last_filing(self, now_ts: float) -> date | None:
        """Filing date of the newest entry."""
        entries = self.timeline(now_ts)
        return max(e.filed for e in entries) if entries else None

    # ------------------------------------------------------------- content
    def doc_id(self, entry: Entry, attachment: int = 0) -> str:
        """pacer_doc_id: court prefix, attachment flag (4th digit), 8-digit serial."""
        serial = self.local_index * ENTRY_SLOTS * 4 + entry.k * 4 + attachment
        return f"{self.court.number:03d}{1 if attachment else 0}{serial:08d}"

    def doc_ids(self, entry: Entry, attachments: int) -> list[str]:
        """The main document's pacer_doc_id, then those of ``attachments`` attachments."""
        serial = self.local_index * ENTRY_SLOTS * 4 + entry.k * 4
        prefix = f"{self.court.number:03d}"
        return [f"{prefix}{1 if i else 0}{serial + i:08d}" for i in range(attachments + 1)]

    def parties(self) -> list[Party]:
        """The case's parties and their attorneys, as the docket lists them."""
        return self.original_parties()

    def original_parties(self) -> list[Party]:
        """The parties the case was filed with (generated once, then kept)."""
        if self._parties is None:
            self._parties = _make_parties(self)
            self._filers = [(p.name, p.attorneys[0].name if p.attorneys else p.name) for p in self._parties]
        return self._parties

    def entry_text(self, entry: Entry) -> tuple[str, str]:
        """(short description, docket text without links) of an entry."""
        if entry.k == 0:
            return _first_entry_text(self, self.original_parties())
        if self._parties is None:
            self.original_parties()
        h = entry.h
        party, attorney = self._filers[(h >> 32) % len(self._filers)]
        texts, minutes = _TEXTS[self.court.kind]
        choices = texts if entry.number is not None else minutes
        short, template = choices[(h >> 40) % len(choices)]
        ref = max(1, (entry.number or 2) - 1 - (h >> 48) % 3)
        filed = mdy(entry.filed)
        if "{due}" in template:
            due = mdy(local_date(entry.ts + (7 + (h >> 52) % 40) * DAY))
            return short, template.format(p=party, a=attorney, j=self.signing_judge(entry), r=ref, d=filed, due=due)
        return short, template.format(p=party, a=attorney, j=self.signing_judge(entry), r=ref, d=filed)

    def signing_judge(self, entry: Entry) -> str:
        """The judge an entry's text names: the one assigned when it was entered."""
        return self.judge


_TEXTS = {
    "district": (DISTRICT_TEXTS, DISTRICT_MINUTES),
    "bankruptcy": (BANKRUPTCY_TEXTS, BANKRUPTCY_MINUTES),
    "appellate": (APPELLATE_TEXTS, APPELLATE_TEXTS),
}


def _first_entry_text(case: SyntheticCase, parties: list[Party]) -> tuple[str, str]:
    first = parties[0]
    if case.kind == "bankruptcy":
        return f"Voluntary Petition (Chapter {case.extra['chapter']})", (
            f"Chapter {case.extra['chapter']} Voluntary Petition for Individual Fee Amount $313 Filed by {first.name}."
        )
    if case.kind == "appellate":
        return "Case Docketed", f"CIVIL CASE DOCKETED. Notice of appeal filed by {first.name}. Transcript required."
    if case.case_type == "cr":
        return "Indictment", f"INDICTMENT as to {first.name} (1) count(s) 1, 2."
    return "Complaint", f"COMPLAINT against {parties[-1].name} ( Filing fee $ 402) filed by {first.name}."


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(LAST)}"


def _company(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"


def _attorney(rng: random.Random) -> Attorney:
    name = _person(rng)
    last = name.split()[-1].lower()
    city = rng.choice(("Chicago, IL 60603", "New York, NY 10007", "San Francisco, CA 94104", "Houston, TX 77002"))
    lines = (
        rng.choice(FIRMS),
        f"{rng.randint(10, 999)} {rng.choice(STREETS)}",
        city,
        f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        f"Email: {name[0].lower()}{last}@example.com",
    )
    roles = tuple(r for r in ROLES if rng.random() < (0.5 if r != "PRO HAC VICE" else 0.1)) or ("ATTORNEY TO BE NOTICED",)
    return Attorney(name, lines, roles)


def _make_parties(case: SyntheticCase) -> list[Party]:
    rng = random.Random(case.key ^ 0x5EED)
    pool = [_attorney(rng) for _ in range(rng.randint(2, 5))]

    def lawyers() -> list[Attorney]:
        return rng.sample(pool, k=min(len(pool), rng.randint(0, 2) or 1))

    if case.kind == "bankruptcy":
        return [
            Party("Debtor", case.extra["debtor"], lawyers()),
            Party("Trustee", _person(rng), []),
            Party("U.S. Trustee", "United States Trustee", []),
        ]
    if case.kind == "appellate":
        return [Party("Plaintiff - Appellant", case.extra["appellant"], lawyers()),
                Party("Defendant - Appellee", case.extra["appellee"], lawyers())]
    if case.case_type == "cr":
        return [Party("Defendant (1)", case.extra["defendant"], lawyers()),
                Party("Plaintiff", "USA", [Attorney("AUSA " + _person(rng), ("U.S. Attorney's Office",), ("LEAD ATTORNEY",))])]
    plaintiffs = [Party("Plaintiff", case.extra["plaintiff"], lawyers())]
    plaintiffs += [Party("Plaintiff", _person(rng), lawyers()) for _ in range(rng.randint(0, 1))]
    defendants = [Party("Defendant", case.extra["defendant"], lawyers())]
    for _ in range(rng.randint(0, 2)):
        terminated = local_date(case.filed_ts + rng.uniform(10, 200) * DAY) if rng.random() < 0.3 else None
        defendants.append(Party("Defendant", _company(rng), lawyers(), terminated))
    return plaintiffs + defendants


# --------------------------------------------------------------------------- generation
class SyntheticCourts:
    """All synthetic cases, built from :class:`SyntheticSettings` and the clock epoch."""

    def __init__(
        self,
        settings: SyntheticSettings,
        courts: dict[str, Court],
        epoch_ts: float,
        reserved: AbstractSet[tuple[str, str]] = frozenset(),
    ) -> None:
        self.settings = settings
        self.epoch_ts = epoch_ts
        self.court_list = [courts[c] for c in settings.courts]
        per_court = math.ceil(settings.cases / max(1, len(self.court_list)))
        if per_court > MAX_CASES_PER_COURT:
            raise ValueError(f"at most {MAX_CASES_PER_COURT} synthetic cases per court; add courts")
        sizes = _entry_counts(settings)
        self.cases: list[SyntheticCase] = []
        for i in range(settings.cases):
            court = self.court_list[i % len(self.court_list)]
            self.cases.append(self._make_case(court, i // len(self.court_list), sizes[i], reserved))

    def _make_case(
        self, court: Court, local: int, n_hist: int, reserved: AbstractSet[tuple[str, str]]
    ) -> SyntheticCase:
        s = self.settings
        key = mix((s.seed & _MASK64) ^ mix(court.number * 1_000_003 + local)) & ((1 << 62) - 1)
        rng = random.Random(key)
        age_days = rng.uniform(30, 2500) * (1.0 + min(n_hist, 2000) / 500.0) ** 0.5
        filed_day = local_date(self.epoch_ts - age_days * DAY)
        filed_ts = day_start_ts(filed_day) + 10 * 3600 + rng.randint(0, 6 * 3600)
        closed = rng.random() < s.closed_fraction
        rate = 0.0 if closed else s.growth_per_day * rng.uniform(0.3, 1.7) / DAY
        case_id = 300000 + local
        while (court.court_id, str(case_id)) in reserved:
            case_id += MAX_CASES_PER_COURT + 1
        judge = _person(rng)
        initials = "".join(w[0] for w in judge.replace(".", "").split())
        yy = filed_day.year % 100
        extra: dict = {"office": rng.randint(1, 5), "division": rng.choice(DIVISIONS)}
        if court.kind == "bankruptcy":
            case_type, extra["chapter"] = "bk", rng.choice(("7", "11", "13"))
            extra["debtor"] = _person(rng) if extra["chapter"] != "11" else _company(rng)
            case_number = f"{extra['office']}:{yy:02d}-bk-{10000 + local:05d}"
            docket_number, name = f"{case_number}-{initials.lower()}", extra["debtor"]
        elif court.kind == "appellate":
            case_type = "ap"
            extra["appellant"], extra["appellee"] = _person(rng), _company(rng)
            case_number = docket_number = f"{yy:02d}-{10000 + local}"
            name = f"{extra['appellant'].split()[-1]} v. {extra['appellee']}"
        else:
            case_type = "cr" if rng.random() < 0.3 else "cv"
            extra["defendant"] = _person(rng)
            case_number = f"{extra['office']}:{yy:02d}-{case_type}-{10000 + local:05d}"
            docket_number = f"{case_number}-{initials}"
            if case_type == "cr":
                name = f"USA v. {extra['defendant'].split()[-1]}"
            else:
                extra["plaintiff"] = _company(rng)
                name = f"{extra['plaintiff']} v. {extra['defendant'].split()[-1]}"
            extra.update(cause=rng.choice(CAUSES), nature=rng.choice(NATURES), jurisdiction=rng.choice(JURISDICTIONS))
        case = SyntheticCase(
            court=court, local_index=local, key=key, pacer_case_id=str(case_id), case_number=case_number,
            docket_number=docket_number, case_name=name, case_type=case_type, judge=judge, filed_ts=filed_ts,
            epoch_ts=self.epoch_ts, n_hist=n_hist, rate_per_s=rate, max_entries=min(s.max_entries, ENTRY_SLOTS),
            date_terminated=None, extra=extra,
        )
        if closed:
            case.date_terminated = case.last_history_date()
        return case


def _entry_counts(settings: SyntheticSettings) -> list[int]:
    """Historic entry counts: long-tailed, summing to about cases x mean_entries."""
    rng = random.Random(settings.seed ^ 0xC0FFEE)
    weights = [rng.lognormvariate(0.0, 0.9) for _ in range(settings.cases)]
    total = sum(weights) or 1.0
    target = settings.cases * settings.mean_entries
    cap = min(settings.max_entries, ENTRY_SLOTS)
    return [max(1, min(cap, round(w / total * target))) for w in weights]
