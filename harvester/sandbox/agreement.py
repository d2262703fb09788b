"""How far a harvest database is from the truth: metadata, parties and entries, as percentages.

Reads only the database's documented tables (``cases``, ``parties``,
``docket_entries``; docs/database.md) and a truth dump of the shape
:meth:`harvester.sandbox.month.MonthScenario.truth_at` returns, so it judges any
harvester that writes that schema, not one implementation.

- metadata: each truth field of each case (docket number, name, dates, judge...)
  counts once; a missing case loses all its fields;
- parties: (name, type) pairs, scored as matches / (truth + extra in the database);
- entries: (document number, date filed, date entered, docket text) with the text
  compared after collapsing white space; an entry whose text differs (a clerk's
  edit not seen) is wrong, an entry the court no longer shows is extra;
- a case is *current* when its metadata and entries all agree.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Agreement:
    """Counts behind the three percentages, and the cases that are not current."""

    metadata_ok: int = 0
    metadata_total: int = 0
    parties_ok: int = 0
    parties_total: int = 0
    entries_ok: int = 0
    entries_total: int = 0
    entries_present: int = 0  # truth entries whose key is in the database, whatever their text
    cases: int = 0
    stale: list[str] = field(default_factory=list)

    @staticmethod
    def _pct(ok: int, total: int) -> float:
        return 100.0 * ok / total if total else 100.0

    @property
    def metadata_pct(self) -> float:
        return self._pct(self.metadata_ok, self.metadata_total)

    @property
    def parties_pct(self) -> float:
        return self._pct(self.parties_ok, self.parties_total)

    @property
    def entries_pct(self) -> float:
        return self._pct(self.entries_ok, self.entries_total)

    def summary(self) -> dict:
        """The figures as plain JSON."""
        return {
            "cases": self.cases,
            "current": self.cases - len(self.stale),
            "metadata_pct": round(self.metadata_pct, 2),
            "parties_pct": round(self.parties_pct, 2),
            "entries_pct": round(self.entries_pct, 2),
            "entries_present": self.entries_present,
            "entries_ok": self.entries_ok,
            "entries_total": self.entries_total,
        }


def norm(value) -> str:
    """A value as agreement compares it: text with white space collapsed, None as ""."""
    return " ".join(str(value).split()) if value is not None else ""


def _entry_key(entry: dict) -> tuple[str, str, str]:
    return (
        norm(entry.get("document_number")),
        norm(entry.get("date_filed"))[:10],
        norm(entry.get("date_entered"))[:10],
    )


def entry_identity(entry: dict) -> tuple[str, str, str, str]:
    """An entry as agreement compares it: document number, dates, docket text with white space collapsed."""
    return _entry_key(entry) + (norm(entry["description"]),)


def load_database(db_path: str | Path) -> dict[str, dict]:
    """The database's cases as ``"court/pacer_case_id"`` -> metadata row, parties, entries."""
    path = Path(db_path)
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        out: dict[str, dict] = {}
        by_id: dict[int, dict] = {}
        for row in conn.execute("SELECT * FROM cases"):
            case = {"metadata": dict(row), "parties": [], "entries": []}
            out[f"{row['court_id']}/{row['pacer_case_id']}"] = case
            by_id[row["id"]] = case
        for row in conn.execute("SELECT case_id, name, type FROM parties ORDER BY case_id, position"):
            if row["case_id"] in by_id:
                by_id[row["case_id"]]["parties"].append({"name": row["name"], "type": row["type"]})
        query = "SELECT case_id, document_number, date_filed, date_entered, description FROM docket_entries ORDER BY case_id, position"
        for row in conn.execute(query):
            if row["case_id"] in by_id:
                by_id[row["case_id"]]["entries"].append(dict(row))
        return out
    finally:
        conn.close()


def compare(database: dict[str, dict] | str | Path, truth: dict[str, dict], keys=None) -> Agreement:
    """Score ``database`` (a path, or :func:`load_database`'s result) against ``truth``.

    ``keys`` limits the comparison to some cases (default: every case of the truth).
    """
    db = load_database(database) if isinstance(database, (str, Path)) else database
    result = Agreement()
    for key in sorted(truth if keys is None else keys):
        want = truth.get(key)
        if want is None:
            continue
        have = db.get(key, {"metadata": {}, "parties": [], "entries": []})
        current = _score_case(want, have, result)
        result.cases += 1
        if not current:
            result.stale.append(key)
    return result


def _score_case(want: dict, have: dict, result: Agreement) -> bool:
    fields_ok = sum(norm(have["metadata"].get(k)) == norm(v) for k, v in want["metadata"].items())
    result.metadata_ok += fields_ok
    result.metadata_total += len(want["metadata"])

    want_parties = Counter((norm(p["name"]), norm(p["type"])) for p in want["parties"])
    have_parties = Counter((norm(p["name"]), norm(p["type"])) for p in have["parties"])
    result.parties_ok += sum((want_parties & have_parties).values())
    result.parties_total += sum(want_parties.values()) + sum((have_parties - want_parties).values())

    want_entries = Counter(map(entry_identity, want["entries"]))
    have_entries = Counter(map(entry_identity, have["entries"]))
    matched = sum((want_entries & have_entries).values())
    keys_want = Counter(_entry_key(e) for e in want["entries"])
    keys_have = Counter(_entry_key(e) for e in have["entries"])
    extra = sum((keys_have - keys_want).values())  # rows the court does not show (an edit seen twice is not extra)
    result.entries_ok += matched
    result.entries_total += sum(want_entries.values()) + extra
    result.entries_present += sum((keys_want & keys_have).values())
    return fields_ok == len(want["metadata"]) and matched == sum(want_entries.values()) and extra == 0
