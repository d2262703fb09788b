"""Load and validate ``config/harvester.toml``.

One typed schema below is the single source of truth: every key has one type, one
default, one range and one sentence of documentation. The loader checks every key,
type and range against it (an unknown key, a wrong type, NaN, infinity or a value out
of range is a ConfigError naming the key); the gate's classes take their defaults
from it (:func:`default`); and ``docs/configuration.md`` is generated from it
(``harvester config --docs``), so neither the code nor the documentation can drift.

:func:`check_for_run` is every check ``harvester run`` makes before it starts (the
window rules, the court ids, the credentials file); ``harvester config`` runs it too,
so "valid" means a run would accept the file.

Credentials never live here: see ``credentials.py``.
"""

from __future__ import annotations

import builtins
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harvester.errors import ConfigError

DEFAULT_PATH = Path("config/harvester.toml")

# Real PACER endpoints: the defaults. The sandbox replaces them when it runs.
PACER_LOGIN_URL = "https://pacer.login.uscourts.gov/services/cso-auth"
PACER_LOGOUT_URL = "https://pacer.login.uscourts.gov/services/cso-logout"
PACER_COURT_LOOKUP_URL = "https://pacer.uscourts.gov/file-case/court-cmecf-lookup/data.json"
PACER_COURT_URL = "https://ecf.{court}.uscourts.gov"
ACMS_URL = "https://{court}-showdoc.azurewebsites.us"
ACMS_API_URL = "https://{court}-showdocservices.azurewebsites.us/api"
# Courts of appeals in ACMS (harvester.acms reads these): court@date = cases of that year on.
ACMS_COURTS = ("ca2@2023-01-01", "ca9@2023-10-01", "cavc@2026-10-01")


# Requests per second no real court is ever sent, whatever the configuration says.
REAL_COURT_MAX_PER_SECOND = 10.0
NUMBER = (int, float)


@dataclass(frozen=True)
class Key:
    """One configuration key: type, default, range and the sentence that documents it.

    Numbers must be finite and within ``[low, high]`` (``low`` excluded when
    ``above`` is set); ``url`` keys must be https unless their host is loopback.
    """

    # type[Any], not bare type: isinstance() against it keeps the value Any, not object.
    type: builtins.type[Any] | tuple[builtins.type[Any], ...]
    default: Any
    doc: str
    item_type: builtins.type[Any] | None = None  # for lists (builtins: the field ``type`` shadows the name)
    low: float | None = None
    high: float | None = None
    above: bool = False  # low itself is not allowed (a rate of 0 would never send)
    url: bool = False
    choices: tuple[str, ...] = ()  # a string key: one of these

    def check(self, name: str, value: Any, source: str) -> None:
        """ConfigError naming the key when ``value`` is out of this key's range."""
        if self.choices and value not in self.choices:
            raise ConfigError(f"{source}: {name} must be one of {', '.join(map(repr, self.choices))}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        if not math.isfinite(value):
            raise ConfigError(f"{source}: {name} must be a finite number, got {value!r}")
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            if self.above and self.low == 0:
                raise ConfigError(f"{source}: {name} must be greater than 0, got {value!r}")
            if self.low == 0:
                raise ConfigError(f"{source}: {name} must not be negative, got {value!r}")
            relation = "greater than" if self.above else "at least"
            raise ConfigError(f"{source}: {name} must be {relation} {self.low:g}, got {value!r}")
        if self.high is not None and value > self.high:
            raise ConfigError(f"{source}: {name} must be at most {self.high:g}, got {value!r}")


# section -> key -> Key.  Dollar amounts are US dollars; times are Central (America/Chicago).
SCHEMA: dict[str, dict[str, Key]] = {
    "watch": {
        "courts": Key(list, [], 'CM/ECF court ids to watch (e.g. ["cand", "nysb"]), or ["all"] for every court in the lookup.', str),
        "follow_rss": Key(bool, False, "Follow every case that appears in a watched court's RSS feed, not only the listed cases."),
        "parties": Key(bool, True, "Fetch parties and counsel with the first (full) docket report of a case."),
        "parties_refresh": Key(str, "parties", choices=("parties", "counsel", "never"), doc="When a later report asks for the party list again: 'parties' after an entry that adds or ends parties (an amended, third-party, counter- or cross-complaint, an intervention, a substitution, a party dismissed or terminated); 'counsel' also after appearances and withdrawals of counsel; 'never'."),
        "refresh_days": Key(int, 7, low=1, high=3650, doc="Re-check each watched case once this many nights since its last harvest went uncovered by its court's all-entries RSS feed (no feed, a partial, failed or stale one, a night not run; harvest nights, as the window counts them)."),
        "refresh_max_days": Key(int, 28, low=1, high=3650, doc="Longest wait for a re-check: a case whose newest entry is older than refresh_days nights at its last harvest waits as many nights as it had been quiet, up to this many; a closed case waits this many, and so does news in a gap of a court's good feed. Set it to refresh_days to re-check every case every refresh_days nights."),
        "refresh_by_pace": Key(bool, True, "Re-check a case sooner than refresh_days when its recent pace (entries a night over the 28 nights before its last harvest) predicts at least one new entry in the nights no feed covered; off: every refresh_days nights."),
        "feed_max_age_hours": Key(NUMBER, 72, low=1, high=24 * 365, doc="A feed built (lastBuildDate) or showing its newest item more than this many hours ago, or empty with no build date, is stale: its court is treated as having no feed that night."),
    },
    "endpoints": {
        "login_url": Key(str, PACER_LOGIN_URL, url=True, doc="PACER Authentication API login URL (cso-auth)."),
        "logout_url": Key(str, PACER_LOGOUT_URL, url=True, doc="PACER Authentication API logout URL (cso-logout)."),
        "court_lookup_url": Key(str, PACER_COURT_LOOKUP_URL, url=True, doc="The CM/ECF court lookup data.json."),
        "court_url": Key(str, PACER_COURT_URL, url=True, doc="Base URL of a court's CM/ECF site; {court} is replaced by the court id."),
        "ca_bundle": Key(str, "", "PEM file of trusted CA certificates; empty means the system trust store."),
        "clock_url": Key(str, "", url=True, doc="Sandbox only: URL of the sandbox's simulated clock. Refused for non-loopback hosts."),
        "acms_url": Key(str, "", url=True, doc="Base URL of an ACMS court's site (sign-on, dockets), {court} replaced by the court id; empty: PACER's own ACMS hosts when court_url is PACER's, else no ACMS (every case goes to CM/ECF)."),
        "acms_api_url": Key(str, "", url=True, doc="Base URL of an ACMS court's document API, {court} replaced by the court id; empty: follows acms_url."),
    },
    "acms": {
        "courts": Key(list, list(ACMS_COURTS), "Courts of appeals in ACMS: `ca9` (every case), or `cavc@2026-10-01` (a dual-system court: cases of that year on are asked of ACMS first, older ones and those ACMS does not know go to CM/ECF).", str),
        "documents": Key(bool, False, "Also fetch the document list (attachments, pages, sizes) of each new ACMS docket entry that has documents."),
    },
    "database": {
        "path": Key(str, "data/pacer.db", "SQLite database the harvest writes (WAL mode: readable during a run)."),
        "lock_wait_seconds": Key(NUMBER, 120.0, low=0, above=True, high=86400, doc="How long a write waits for another connection's write lock (a researcher's long transaction) before the run fails."),
    },
    "credentials": {
        "file": Key(str, "", "Optional TOML credentials file outside the repo, readable only by its owner (mode 0600)."),
    },
    "login": {
        "max_logins_per_run": Key(int, 3, low=1, high=20, doc="Stop the run when it would need more logins than this (PACER suspends accounts for excessive logins)."),
    },
    "window": {
        "start": Key(str, "18:00", "Daily opening of the harvest window, Central time (HH:MM)."),
        "end": Key(str, "06:00", "Daily closing of the harvest window, Central time (HH:MM); earlier than start means across midnight."),
        "all_day": Key(list, [], 'Days on which the window is open all day, e.g. ["sat", "sun"].', str),
    },
    "rate": {
        "per_court_per_second": Key(NUMBER, 1 / 3, low=0, above=True, high=1000, doc="Requests per second to one court (PACER publishes no limit; one request every 3 s is gentle). At most 10 for a real (non-loopback) court."),
        "global_per_second": Key(NUMBER, 1.0, low=0, above=True, high=1000, doc="Requests per second across all courts. At most 10 against real (non-loopback) courts."),
        "per_court_concurrency": Key(int, 1, low=1, high=16, doc="Requests in flight to one court at a time."),
        "max_retries": Key(int, 3, low=0, high=10, doc="Retries of one request after a 5xx, a timeout or a reset, with exponential backoff and jitter."),
        "backoff_seconds": Key(NUMBER, 5.0, low=0, above=True, high=600, doc="Delay before the first retry (doubling with each retry, jittered; at least what Retry-After asks)."),
        "timeout_seconds": Key(NUMBER, 120.0, low=0, above=True, high=3600, doc="Seconds to wait for a response before it counts as a timeout (and is retried)."),
        "breaker_threshold": Key(int, 3, low=1, high=1000, doc="Consecutive 403s or login pages after which a court is blocked for the night (also: this many requests' worth of 5xx, timeouts or resets in a row)."),
    },
    "budget": {
        "run_dollars": Key(NUMBER, 10.0, low=0, high=1e7, doc="Most a single run may spend, in dollars."),
        "quarter_dollars": Key(NUMBER, 30.0, low=0, high=1e7, doc="Most the harvest may spend in a calendar quarter (PACER waives quarters of $30 or less)."),
        "run_pages": Key(int, 0, low=0, high=10**9, doc="Optional cap on billable pages per run; 0 means no page cap."),
        "pace_quarter": Key(bool, True, "Pace the quarter: a run spends at most half of what is left of quarter_dollars (all of it on the quarter's last night), so later nights keep money for news."),
    },
    "documents": {
        "folder": Key(str, "data/documents", "Folder of the stored PDFs, content-addressed: <sha256[:2]>/<sha256>.pdf."),
        "description_patterns": Key(list, [], 'Buy documents whose description matches one of these regular expressions (case-insensitive), e.g. ["complaint", "opinion"].', str),
        "document_types": Key(list, [], 'Buy documents of these types: the docket text\'s first words, e.g. ["ORDER", "TRANSCRIPT"] (case-insensitive).', str),
        "attachments": Key(bool, False, "Also buy the attachments of a selected entry (an attachment whose own description matches is bought anyway)."),
        "max_pages": Key(int, 0, low=0, high=10**6, doc="Skip documents with more pages than this; 0 means no page limit."),
        "per_case": Key(int, 0, low=0, high=10**6, doc="Most documents bought per case, over all runs; 0 means no limit."),
        "run_dollars": Key(NUMBER, 5.0, low=0, high=1e7, doc="Most the documents bought in one run may cost, in dollars (the [budget] caps apply on top)."),
        "opinions": Key(bool, True, "Read the free Written Opinions report of the watched courts every night and keep the opinions (free)."),
        "opinion_days": Key(int, 7, low=0, high=36500, doc="Days the first Written Opinions report of a court looks back (0: today only)."),
    },
    "sandbox": {
        "courts": Key(list, [], "Courts the embedded sandbox serves (empty: its default mix of real and synthetic courts).", str),
        "cases": Key(int, 40, low=0, high=100000, doc="Synthetic cases in the embedded sandbox, dealt over its courts (its real corpus cases come on top)."),
        "seed": Key(int, 1, "Seed of the sandbox's synthetic content."),
        "run_dollars": Key(NUMBER, 1000.0, low=0, high=1e7, doc="Budget cap per run against the sandbox (play money; the gate still enforces it)."),
        "quarter_dollars": Key(NUMBER, 100000.0, low=0, high=1e7, doc="Quarterly budget cap against the sandbox (play money)."),
        "per_court_per_second": Key(NUMBER, 10.0, low=0, above=True, high=1000, doc="Rate limit per sandbox court (the sandbox is local: no PACER to protect, but the gate still paces)."),
        "global_per_second": Key(NUMBER, 50.0, low=0, above=True, high=1000, doc="Global rate limit against the sandbox."),
        "state_dir": Key(str, "data/sandbox", "Where the embedded sandbox keeps its CA and request log."),
        "database": Key(str, "data/sandbox.db", "Database of sandbox harvests (never the real one; `harvester run --db` overrides it)."),
    },
    "log": {
        "file": Key(str, "data/harvester.log", "Log file of every run (secrets are never logged)."),
        "level": Key(str, "INFO", "Log level: DEBUG, INFO, WARNING or ERROR."),
        "progress_seconds": Key(NUMBER, 60, low=0, above=True, high=86400, doc="Seconds between progress lines in the log during a run (on a terminal a live line is also redrawn every second)."),
    },
    "harvest": {
        "state_dir": Key(str, "data/state", "Where the record of refused credentials and the persisted request queue live (the run lock sits beside the database)."),
    },
}

# Keys of [watch.cases.<court>] tables.
CASE_KEYS = {
    "docket_numbers": "Docket numbers to watch in that court, e.g. \"3:12-cv-03879\".",
    "pacer_case_ids": "PACER case ids (the number in DktRpt.pl?<id>) to watch in that court.",
}


@dataclass
class Config:
    """Validated configuration: typed sections plus the watched cases.

    ``config["rate"]["per_court_per_second"]`` (mapping access, what most code uses)
    and ``config.rate.per_court_per_second`` (attribute access) read the same
    :class:`Section`; a section is read-only, so no code can change a checked value.
    """

    sections: dict[str, Section]
    cases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = "<defaults>"

    def __post_init__(self) -> None:
        self.sections = {name: v if isinstance(v, Section) else Section(name, v) for name, v in self.sections.items()}

    def __getitem__(self, section: str) -> Section:
        return self.sections[section]

    def replaced(self, section: str, **values: Any) -> Config:
        """A copy with some values of one section replaced (the original stays as checked)."""
        sections = {**self.sections, section: Section(section, {**self.sections[section], **values})}
        return Config(sections, self.cases, self.source)

    def __getattr__(self, section: str) -> Section:
        if section.startswith("_"):
            raise AttributeError(section)
        try:
            return self.__dict__["sections"][section]
        except KeyError:
            raise AttributeError(section) from None


class Section(Mapping[str, Any]):
    """One ``[section]`` of the configuration: a read-only mapping with attribute access."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self._name, self._values = name, dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):  # copy/pickle probe for hooks before _values exists
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"[{self._name}] has no key {key}") from None

    def __repr__(self) -> str:
        return f"Section({self._name!r}, {self._values!r})"


def defaults() -> dict[str, dict[str, Any]]:
    """Every section with its default values."""
    return {s: {k: _copy(key.default) for k, key in keys.items()} for s, keys in SCHEMA.items()}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def load(path: str | Path | None = None) -> Config:
    """Read and validate a TOML file; a missing default file means all defaults."""
    path = Path(path) if path is not None else DEFAULT_PATH
    if not path.exists():
        if path == DEFAULT_PATH:
            return from_dict({}, source="<defaults>")
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return from_dict(raw, source=str(path))


def from_dict(raw: dict[str, Any], source: str = "<dict>") -> Config:
    """Validate a parsed TOML document against SCHEMA."""
    sections = defaults()
    cases: dict[str, dict[str, list[str]]] = {}
    for section, values in raw.items():
        if section not in SCHEMA:
            raise ConfigError(f"{source}: unknown section [{section}] (known: {', '.join(SCHEMA)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        for key, value in values.items():
            if section == "watch" and key == "cases":
                cases = _validate_cases(value, source)
                continue
            sections[section][key] = _validate(section, key, value, source)
    _check_values(sections, cases, source)
    checked = {name: Section(name, values) for name, values in sections.items()}
    return Config(sections=checked, cases=cases, source=source)


def _validate(section: str, key: str, value: Any, source: str) -> Any:
    spec = SCHEMA[section].get(key)
    name = f"{section}.{key}"
    if spec is None:
        known = ", ".join(SCHEMA[section]) + (", cases" if section == "watch" else "")
        raise ConfigError(f"{source}: unknown key {name} (known in [{section}]: {known})")
    if isinstance(value, bool) and spec.type is not bool and bool not in _as_tuple(spec.type):
        raise ConfigError(f"{source}: {name} must be {_type_name(spec.type)}, not a boolean")
    if not isinstance(value, spec.type):
        raise ConfigError(f"{source}: {name} must be {_type_name(spec.type)}, got {type(value).__name__} {value!r}")
    if spec.item_type and not all(isinstance(v, spec.item_type) for v in value):
        raise ConfigError(f"{source}: {name} must be a list of {spec.item_type.__name__}s")
    spec.check(name, value, source)
    return value


def _validate_cases(value: Any, source: str) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: watch.cases must be a table of courts, e.g. [watch.cases.cand]")
    cases: dict[str, dict[str, list[str]]] = {}
    for court, table in value.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: watch.cases.{court} must be a table with docket_numbers and/or pacer_case_ids")
        entry: dict[str, list[str]] = {k: [] for k in CASE_KEYS}
        for key, items in table.items():
            name = f"watch.cases.{court}.{key}"
            if key not in CASE_KEYS:
                raise ConfigError(f"{source}: unknown key {name} (known: {', '.join(CASE_KEYS)})")
            if not isinstance(items, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in items):
                raise ConfigError(f"{source}: {name} must be a list of strings")
            entry[key] = [str(i).strip() for i in items]
        cases[court.lower()] = entry
    return cases


def _check_values(sections: dict[str, dict[str, Any]], cases: dict[str, Any], source: str) -> None:
    """Checks across keys: formats that would otherwise fail at 2 a.m., or leak a password in cleartext."""
    _check_acms_courts(sections["acms"]["courts"], source)
    if "{court}" not in sections["endpoints"]["court_url"]:
        raise ConfigError(f"{source}: endpoints.court_url must contain {{court}}")
    ca = sections["endpoints"]["ca_bundle"]
    if ca and not Path(ca).is_file():
        raise ConfigError(f"{source}: endpoints.ca_bundle: no such file: {ca}")
    if sections["log"]["level"].upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{source}: log.level must be DEBUG, INFO, WARNING or ERROR")
    for key, spec in SCHEMA["endpoints"].items():
        if spec.url and sections["endpoints"][key]:
            _check_url(f"endpoints.{key}", sections["endpoints"][key], source)
    if not is_loopback_url(sections["endpoints"]["court_url"].replace("{court}", "cand")):
        for key in ("per_court_per_second", "global_per_second"):
            if sections["rate"][key] > REAL_COURT_MAX_PER_SECOND:
                raise ConfigError(f"{source}: rate.{key} = {sections['rate'][key]:g} is more than the "
                                  f"{REAL_COURT_MAX_PER_SECOND:g} requests/s allowed against a real court")  # fmt: skip
    if sections["watch"]["refresh_max_days"] < sections["watch"]["refresh_days"]:
        raise ConfigError(f"{source}: watch.refresh_max_days ({sections['watch']['refresh_max_days']}) must be at least "
                          f"watch.refresh_days ({sections['watch']['refresh_days']})")  # fmt: skip
    _check_window(sections["window"], source)
    _check_courts(sections["watch"]["courts"], cases, source)
    _check_patterns(sections["documents"]["description_patterns"], source)


def _check_url(name: str, url: str, source: str) -> None:
    """https only, except for loopback hosts (the local sandbox): a password never travels in cleartext."""
    parts = urlsplit(url.replace("{court}", "cand"))
    try:
        _ = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        raise ConfigError(f"{source}: {name}: bad port in {url}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{source}: {name} must be an https:// URL, got {url!r}")
    if parts.scheme != "https" and not is_loopback_url(url):
        raise ConfigError(f"{source}: {name} must use https:// (only a loopback sandbox may use http), got {url!r}")


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is loopback (127.0.0.0/8, ::1, localhost): it cannot leave the machine."""
    from harvester.gate.destinations import is_loopback_host

    return is_loopback_host(urlsplit(url).hostname or "")


def _check_window(section: dict[str, Any], source: str) -> None:
    from harvester.gate.window import Window, WindowSpec

    try:
        Window(WindowSpec.from_config(section))
    except ConfigError as exc:
        raise ConfigError(f"{source}: [window]: {exc}") from None


def _check_courts(courts: list[str], cases: dict[str, Any], source: str) -> None:
    """Court ids must be CM/ECF ids of the bundled court lookup (``cnad`` is a typo, not a court)."""
    from harvester.parsers.court import KNOWN_COURTS

    wanted = [c.lower() for c in courts]
    if wanted == ["all"]:
        wanted = []
    unknown = sorted(set(wanted) - KNOWN_COURTS) + sorted(set(cases) - KNOWN_COURTS)
    if unknown:
        raise ConfigError(f"{source}: watch.courts: unknown court id(s): {', '.join(unknown)} "
                          "(CM/ECF ids such as cand, nysb, ca9)")  # fmt: skip


def check_for_run(config: Config) -> None:
    """Everything ``harvester run`` checks before it starts that the file alone does not show.

    The credentials file, when one is named, must exist, be readable by its owner only
    and hold known keys (its values are not kept).
    """
    from harvester.credentials import check_file

    if config["credentials"]["file"]:
        check_file(config["credentials"]["file"], repo_root=Path.cwd())


def override_reason(reason: str | None) -> str | None:
    """A ``--ignore-window`` reason, checked: not blank, not an option taken as its value."""
    if reason is None:
        return None
    text = " ".join(str(reason).split())
    if not text:
        raise ConfigError("--ignore-window needs a reason (it is recorded with the run), e.g. --ignore-window \"court asked\"")
    if text.startswith("-"):
        raise ConfigError(f"--ignore-window takes a reason, not the option {text.split()[0]!r}; "
                          "give the reason first, e.g. --ignore-window \"court asked\" --wait")  # fmt: skip
    return text


def default(section: str, key: str) -> Any:
    """The one default of ``section.key`` (the gate's classes take theirs from here)."""
    return _copy(SCHEMA[section][key].default)


def _check_patterns(patterns: list[str], source: str) -> None:
    """Every ``[documents] description_patterns`` entry compiles (the ranges are the schema's)."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{source}: documents.description_patterns: {pattern!r} is not a regular expression: {exc}") from None


def _check_acms_courts(entries: list[str], source: str) -> None:
    from harvester.acms import AcmsConfigError, AcmsCourts

    try:
        AcmsCourts(entries)
    except AcmsConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_name(t: type | tuple[type, ...]) -> str:
    types = _as_tuple(t)
    if float in types:
        return "a number"
    return {str: "a string", int: "an integer", bool: "true or false", list: "a list"}.get(types[0], types[0].__name__)


def docs_markdown() -> str:
    """The key-by-key reference of ``docs/configuration.md``, generated from SCHEMA."""
    lines = ["# Configuration reference", "",
             "`config/harvester.toml` (or `--config PATH`). Every key is optional; the default is shown.",
             "Unknown keys, wrong types, NaN, infinity and values out of range are refused with a message",
             "naming the key (exit code 2). `harvester config` makes every check `harvester run` makes.",
             "Credentials are never read from this file: see *Running it against PACER* in the README.", ""]
    for section, keys in SCHEMA.items():
        lines += [f"## [{section}]", "", "| key | default | meaning |", "| --- | --- | --- |"]
        for key, spec in keys.items():
            lines.append(f"| `{key}` | `{_toml_repr(spec.default)}` | {spec.doc}{_range_text(spec)} |")
        if section == "watch":
            for key, doc in CASE_KEYS.items():
                lines.append(f"| `cases.<court>.{key}` | `[]` | {doc} |")
        lines.append("")
    return "\n".join(lines)


def _range_text(spec: Key) -> str:
    parts = []
    if spec.low is not None:
        parts.append(f"{'>' if spec.above else '>='} {spec.low:g}")
    if spec.high is not None:
        parts.append(f"<= {spec.high:g}")
    if parts:
        return f" Allowed: a finite number {' and '.join(parts)}."
    if spec.url:
        return " Must be https:// (http only for a loopback sandbox)."
    if spec.choices:
        return f" One of {', '.join(f'`{c}`' for c in spec.choices)}."
    return ""


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_repr(v) for v in value) + "]"
    return str(value)
