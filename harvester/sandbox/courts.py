"""The courts the sandbox knows (from the court lookup) and the cases it serves.

Court ids are CM/ECF's (``cand``, ``nysb``, ``ca9``): the middle label of a
court's ``login_url`` in the lookup. A :class:`Catalog` joins the real cases
(bundled pages) and the synthetic ones and answers "which case is this?".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Iterable, Protocol

DATA_DIR = Path(__file__).resolve().parent / "data"
LOOKUP_PATH = DATA_DIR / "court_lookup" / "data.json"

# Appellate courts whose servlet lives under /cmecf/ rather than /n/beam/.
CMECF_SERVLET_COURTS = frozenset({"ca5", "ca7", "ca11"})
_KIND_BY_TYPE = {"District": "district", "Bankruptcy": "bankruptcy", "Appeals": "appellate", "National": "district"}
_HOST_RE = re.compile(r"^https?://[^./]+\.([a-z0-9]+)\.uscourts\.gov", re.I)


@dataclass(frozen=True)
class Court:
    """One CM/ECF court as the sandbox serves it."""

    court_id: str
    kind: str  # district | bankruptcy | appellate
    name: str  # e.g. "California Northern District"
    title: str  # e.g. "California Northern District Court"
    number: int  # stable 3-digit prefix of the court's pacer_doc_ids

    @cached_property
    def host(self) -> str:
        """The real court's base URL, as links inside CM/ECF pages spell it."""
        return f"https://ecf.{self.court_id}.uscourts.gov"

    @property
    def servlet_path(self) -> str:
        """Path of an appellate court's TransportRoom servlet."""
        prefix = "cmecf" if self.court_id in CMECF_SERVLET_COURTS else "n/beam"
        return f"{prefix}/servlet/TransportRoom"


def court_id_of(record: dict) -> str | None:
    """The CM/ECF court id of a lookup record, from its login URL."""
    match = _HOST_RE.match(record.get("login_url") or "")
    return match.group(1).lower() if match else None


def load_courts(lookup_bytes: bytes) -> dict[str, Court]:
    """Every court of the lookup that has a CM/ECF host, by court id."""
    records = json.loads(lookup_bytes)["data"]
    courts: dict[str, Court] = {}
    for record in records:
        cid = court_id_of(record)
        if not cid or (cid in courts and not str(record.get("court_id", "")).endswith("CA")):
            continue  # keep one record per host; the circuit, not its BAP, for ca9
        name = re.split(r"\s+-\s+", record.get("court_name") or record.get("title") or cid)[0]
        courts[cid] = Court(cid, _KIND_BY_TYPE.get(record.get("type"), "district"), name, record.get("title") or name, 0)
    return {cid: _numbered(c, i) for i, (cid, c) in enumerate(sorted(courts.items()), start=1)}


def _numbered(court: Court, number: int) -> Court:
    return Court(court.court_id, court.kind, court.name, court.title, number)


class Case(Protocol):
    """What the server needs from a case, real or synthetic."""

    court: Court
    pacer_case_id: str
    docket_number: str  # as printed on the docket, e.g. 3:08-cv-00284-TMB
    case_number: str  # without judge initials, e.g. 3:08-cv-00284
    case_name: str
    date_terminated: date | None

    @property
    def date_filed(self) -> date | None: ...  # real pages may lack one; a read-only property suffices

    def entry_count(self, now_ts: float) -> int: ...

    def last_filing(self, now_ts: float) -> date | None: ...


_NUMBER_RE = re.compile(
    r"^(?:(?P<office>\d{1,2}):)?(?P<year>\d{2}|\d{4})-?(?:(?P<type>[a-z]{2,4})-?)?(?P<num>\d{1,5})(?:-.*)?$", re.I
)
_COMPACT_RE = re.compile(r"^(?P<year>\d{2})(?P<num>\d{5})$")


@dataclass(frozen=True)
class NumberQuery:
    """A docket number as typed in possible_case_numbers.pl: parts that must match."""

    office: str | None
    year: int
    case_type: str | None
    number: int

    @classmethod
    def parse(cls, text: str) -> "NumberQuery | None":
        """Read ``1:16-cv-00745``, ``16-cv-745``, ``16-01152`` or ``1601152``; None if none of these."""
        text = text.strip()
        match = _COMPACT_RE.match(text) or _NUMBER_RE.match(text)
        if not match:
            return None
        parts = match.groupdict()
        return cls(parts.get("office"), int(parts["year"]) % 100, (parts.get("type") or "").lower() or None, int(parts["num"]))

    def matches(self, case_number: str) -> bool:
        """Whether a case's number (``3:08-cv-00284``) is what was asked for."""
        other = NumberQuery.parse(case_number)
        if other is None:
            return False
        return (
            other.year == self.year
            and other.number == self.number
            and (self.office is None or other.office is None or int(other.office) == int(self.office))
            and (self.case_type is None or other.case_type is None or other.case_type == self.case_type)
        )


class Catalog:
    """All cases served, indexed by court and pacer_case_id (or appellate case number)."""

    def __init__(self, courts: dict[str, Court], cases: Iterable[Case]) -> None:
        self.courts = courts
        self._by_id: dict[tuple[str, str], Case] = {}
        self._by_court: dict[str, list[Case]] = {}
        for case in cases:
            key = (case.court.court_id, case.pacer_case_id)
            if key in self._by_id:
                continue  # a real page and a synthetic case never share an id; first wins
            self._by_id[key] = case
            self._by_court.setdefault(case.court.court_id, []).append(case)
        self._by_number = {
            (c.court.court_id, c.case_number): c for cases_ in self._by_court.values() for c in cases_
        }

    def get(self, court_id: str, pacer_case_id: str) -> Case | None:
        """The case with this id in this court."""
        return self._by_id.get((court_id, str(pacer_case_id).strip()))

    def by_case_number(self, court_id: str, case_number: str) -> Case | None:
        """The case whose docket number (without judge initials) is exactly this."""
        return self._by_number.get((court_id, case_number.strip()))

    def search(self, court_id: str, text: str) -> list[Case]:
        """Cases of a court matching a typed docket number (possible_case_numbers.pl)."""
        query = NumberQuery.parse(text)
        if query is None:
            return []
        return [c for c in self._by_court.get(court_id, ()) if query.matches(c.case_number)]

    def cases(self, court_id: str | None = None) -> list[Case]:
        """Every case, or those of one court."""
        if court_id is not None:
            return list(self._by_court.get(court_id, ()))
        return [c for cases in self._by_court.values() for c in cases]

    def court_ids(self) -> list[str]:
        """Courts that have at least one case."""
        return sorted(self._by_court)
