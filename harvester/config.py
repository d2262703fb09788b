"""Load and validate ``config/harvester.toml``.

One schema below is the single source of truth: the loader checks every key and type
against it (an unknown key or a wrong type is a ConfigError naming the key), and
``docs/configuration.md`` is generated from it (``harvester config --docs``), so the
documentation cannot drift from what the code accepts.

Credentials never live here: see ``credentials.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Key:
    """One configuration key: its type, default and the sentence that documents it."""

    type: type | tuple[type, ...]
    default: Any
    doc: str
    item_type: type | None = None  # for lists


# section -> key -> Key.  Dollar amounts are US dollars; times are Central (America/Chicago).
SCHEMA: dict[str, dict[str, Key]] = {
    "watch": {
        "courts": Key(list, [], 'CM/ECF court ids to watch (e.g. ["cand", "nysb"]), or ["all"] for every court in the lookup.', str),
        "follow_rss": Key(bool, False, "Follow every case that appears in a watched court's RSS feed, not only the listed cases."),
        "parties": Key(bool, True, "Fetch parties and counsel with the first (full) docket report of a case."),
        "refresh_days": Key(int, 7, "Courts without an RSS feed: re-check each watched case this many days after its last harvest."),
    },
    "endpoints": {
        "login_url": Key(str, PACER_LOGIN_URL, "PACER Authentication API login URL (cso-auth)."),
        "logout_url": Key(str, PACER_LOGOUT_URL, "PACER Authentication API logout URL (cso-logout)."),
        "court_lookup_url": Key(str, PACER_COURT_LOOKUP_URL, "The CM/ECF court lookup data.json."),
        "court_url": Key(str, PACER_COURT_URL, "Base URL of a court's CM/ECF site; {court} is replaced by the court id."),
        "ca_bundle": Key(str, "", "PEM file of trusted CA certificates; empty means the system trust store."),
        "clock_url": Key(str, "", "Sandbox only: URL of the sandbox's simulated clock. Refused for non-loopback hosts."),
        "acms_url": Key(str, "", "Base URL of an ACMS court's site (sign-on, dockets), {court} replaced by the court id; empty: PACER's own ACMS hosts when court_url is PACER's, else no ACMS (every case goes to CM/ECF)."),
        "acms_api_url": Key(str, "", "Base URL of an ACMS court's document API, {court} replaced by the court id; empty: follows acms_url."),
    },
    "acms": {
        "courts": Key(list, list(ACMS_COURTS), "Courts of appeals in ACMS: `ca9` (every case), or `cavc@2026-10-01` (a dual-system court: cases of that year on are asked of ACMS first, older ones and those ACMS does not know go to CM/ECF).", str),
        "documents": Key(bool, False, "Also fetch the document list (attachments, pages, sizes) of each new ACMS docket entry that has documents."),
    },
    "database": {
        "path": Key(str, "data/pacer.db", "SQLite database the harvest writes (WAL mode: readable during a run)."),
        "lock_wait_seconds": Key((int, float), 120.0, "How long a write waits for another connection's write lock (a researcher's long transaction) before the run fails."),
    },
    "credentials": {
        "file": Key(str, "", "Optional TOML credentials file outside the repo, readable only by its owner (mode 0600)."),
    },
    "login": {
        "max_logins_per_run": Key(int, 3, "Stop the run when it would need more logins than this (PACER suspends accounts for excessive logins)."),
    },
    "window": {
        "start": Key(str, "18:00", "Daily opening of the harvest window, Central time (HH:MM)."),
        "end": Key(str, "06:00", "Daily closing of the harvest window, Central time (HH:MM); earlier than start means across midnight."),
        "all_day": Key(list, [], 'Days on which the window is open all day, e.g. ["sat", "sun"].', str),
    },
    "rate": {
        "per_court_per_second": Key((int, float), 0.33, "Requests per second to one court (PACER publishes no limit; one request every 3 s is gentle)."),
        "global_per_second": Key((int, float), 1.0, "Requests per second across all courts."),
        "per_court_concurrency": Key(int, 1, "Requests in flight to one court at a time."),
        "max_retries": Key(int, 3, "Retries of one request after a 5xx, a timeout or a reset, with exponential backoff and jitter."),
        "backoff_seconds": Key((int, float), 5.0, "Delay before the first retry (doubling with each retry, jittered; at least what Retry-After asks)."),
        "timeout_seconds": Key((int, float), 120.0, "Seconds to wait for a response before it counts as a timeout (and is retried)."),
        "breaker_threshold": Key(int, 3, "Consecutive 403s or login pages after which a court is blocked for the night (also: this many requests' worth of 5xx, timeouts or resets in a row)."),
    },
    "budget": {
        "run_dollars": Key((int, float), 3.0, "Most a single run may spend, in dollars."),
        "quarter_dollars": Key((int, float), 30.0, "Most the harvest may spend in a calendar quarter (PACER waives quarters of $30 or less)."),
        "run_pages": Key(int, 0, "Optional cap on billable pages per run; 0 means no page cap."),
    },
    "sandbox": {
        "courts": Key(list, [], "Courts the embedded sandbox serves (empty: its default mix of real and synthetic courts).", str),
        "cases": Key(int, 40, "Synthetic cases in the embedded sandbox, dealt over its courts (its real corpus cases come on top)."),
        "seed": Key(int, 1, "Seed of the sandbox's synthetic content."),
        "run_dollars": Key((int, float), 1000.0, "Budget cap per run against the sandbox (play money; the gate still enforces it)."),
        "quarter_dollars": Key((int, float), 100000.0, "Quarterly budget cap against the sandbox (play money)."),
        "per_court_per_second": Key((int, float), 10.0, "Rate limit per sandbox court (the sandbox is local: no PACER to protect, but the gate still paces)."),
        "global_per_second": Key((int, float), 50.0, "Global rate limit against the sandbox."),
        "state_dir": Key(str, "data/sandbox", "Where the embedded sandbox keeps its CA and request log."),
    },
    "log": {
        "file": Key(str, "data/harvester.log", "Log file of every run (secrets are never logged)."),
        "level": Key(str, "INFO", "Log level: DEBUG, INFO, WARNING or ERROR."),
        "progress_seconds": Key((int, float), 60, "Seconds between progress lines in the log during a run (on a terminal a live line is also redrawn every second)."),
    },
    "harvest": {
        "state_dir": Key(str, "data/state", "Where the lock file and the persisted request queue live."),
    },
}

# Keys of [watch.cases.<court>] tables.
CASE_KEYS = {
    "docket_numbers": "Docket numbers to watch in that court, e.g. \"3:12-cv-03879\".",
    "pacer_case_ids": "PACER case ids (the number in DktRpt.pl?<id>) to watch in that court.",
}


@dataclass
class Config:
    """Validated configuration: ``sections[section][key]`` plus the watched cases."""

    sections: dict[str, dict[str, Any]]
    cases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = "<defaults>"

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.sections[section]


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
    _check_values(sections, source)
    return Config(sections=sections, cases=cases, source=source)


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
    return value


def _validate_cases(value: Any, source: str) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: watch.cases must be a table of courts, e.g. [watch.cases.cand]")
    cases: dict[str, dict[str, list[str]]] = {}
    for court, table in value.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: watch.cases.{court} must be a table with docket_numbers and/or pacer_case_ids")
        entry = {k: [] for k in CASE_KEYS}
        for key, items in table.items():
            name = f"watch.cases.{court}.{key}"
            if key not in CASE_KEYS:
                raise ConfigError(f"{source}: unknown key {name} (known: {', '.join(CASE_KEYS)})")
            if not isinstance(items, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in items):
                raise ConfigError(f"{source}: {name} must be a list of strings")
            entry[key] = [str(i).strip() for i in items]
        cases[court.lower()] = entry
    return cases


def _check_values(sections: dict[str, dict[str, Any]], source: str) -> None:
    """Checks beyond types: ranges and formats that would otherwise fail at 2 a.m."""
    for section, key in (("rate", "per_court_per_second"), ("rate", "global_per_second"), ("rate", "backoff_seconds"),
                         ("rate", "timeout_seconds"), ("database", "lock_wait_seconds"), ("log", "progress_seconds")):
        if sections[section][key] <= 0:
            raise ConfigError(f"{source}: {section}.{key} must be greater than 0")
    for section, key in (("budget", "run_dollars"), ("budget", "quarter_dollars"), ("budget", "run_pages"),
                         ("rate", "max_retries"), ("login", "max_logins_per_run")):
        if sections[section][key] < 0:
            raise ConfigError(f"{source}: {section}.{key} must not be negative")
    if sections["login"]["max_logins_per_run"] < 1:
        raise ConfigError(f"{source}: login.max_logins_per_run must be at least 1")
    if sections["rate"]["per_court_concurrency"] < 1:
        raise ConfigError(f"{source}: rate.per_court_concurrency must be at least 1")
    _check_acms_courts(sections["acms"]["courts"], source)
    if "{court}" not in sections["endpoints"]["court_url"]:
        raise ConfigError(f"{source}: endpoints.court_url must contain {{court}}")
    ca = sections["endpoints"]["ca_bundle"]
    if ca and not Path(ca).is_file():
        raise ConfigError(f"{source}: endpoints.ca_bundle: no such file: {ca}")
    if sections["log"]["level"].upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"{source}: log.level must be DEBUG, INFO, WARNING or ERROR")


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
             "Unknown keys and wrong types are refused with a message naming the key (exit code 2).",
             "Credentials are never read from this file: see the README's *Credentials* section.", ""]
    for section, keys in SCHEMA.items():
        lines += [f"## [{section}]", "", "| key | default | meaning |", "| --- | --- | --- |"]
        for key, spec in keys.items():
            lines.append(f"| `{key}` | `{_toml_repr(spec.default)}` | {spec.doc} |")
        if section == "watch":
            for key, doc in CASE_KEYS.items():
                lines.append(f"| `cases.<court>.{key}` | `[]` | {doc} |")
        lines.append("")
    return "\n".join(lines)


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_repr(v) for v in value) + "]"
    return str(value)
