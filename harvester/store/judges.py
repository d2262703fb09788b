"""Judges as people, not strings: the ``judges`` and ``case_judges`` tables.

A docket names its judges in free text: ``assigned_to_str`` ("William Alsup",
"Chief Judge Ann Claire Williams"), ``referred_to_str`` (sometimes two magistrate
judges: "Donna M. Ryu and Joseph C. Spero"), and appellate panels. The same judge
is written with and without a title, a middle initial or full stops. Each name is
split, its title dropped and its spelling folded to a key ("william alsup"); one
``judges`` row per key, and ``case_judges`` links a case to each of its judges with
the role (assigned, referred, panel) and the string as the docket printed it.

The folding is a heuristic: two judges whose names differ only in a middle initial
share a key. That is rare on one bench and much rarer than the same judge written
two ways, so folding serves researchers better than keeping every spelling apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from harvester.store.connection import statements

# Titles as dockets print them, longest first so "Chief Magistrate Judge" goes before "Judge".
_TITLE_WORDS = (
    "chief", "senior", "magistrate", "bankruptcy", "bkptcy", "district", "circuit", "us", "u.s.",
    "united", "states", "judge", "justice", "hon.", "hon", "honorable", "the",
)  # fmt: skip
_TITLE = re.compile(r"^(?:(?:{})\b\.?\s*)+".format("|".join(re.escape(w) for w in _TITLE_WORDS)), re.I)
_SPLIT = re.compile(r"\s*(?:;|\band\b|&|/|\n)\s*", re.I)
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
# The case fields judges are read from: a stored report that has none of them changes no link.
JUDGE_FIELDS = frozenset({"assigned_to_str", "referred_to_str", "panel"})
_NOT_NAMES = {"", "unassigned", "none", "n/a", "na", "tbd", "unknown"}


@dataclass(frozen=True)
class JudgeName:
    """One judge named in a docket string: the name as printed (title dropped) and its folded key."""

    name: str
    key: str


def split_judges(raw: str | None) -> list[JudgeName]:
    """The judges named in one docket string, in order, each once."""
    found: dict[str, JudgeName] = {}
    for part in _parts(raw or ""):
        name = _TITLE.sub("", part).strip(" ,.")
        key = judge_key(name)
        if key and key not in found:
            found[key] = JudgeName(name, key)
    return list(found.values())


def _parts(raw: str) -> Iterator[str]:
    for chunk in _SPLIT.split(raw.strip()):
        # "Ryu, Spero" lists two judges; "Alsup, William" would be one, but CM/ECF prints first names first.
        pieces = [p.strip() for p in chunk.split(",")]
        if len(pieces) > 1 and all(len(p.split()) >= 2 for p in pieces if p):
            yield from pieces
        else:
            yield chunk


def judge_key(name: str) -> str:
    """Lower case, no punctuation, no middle initials: "William H. Alsup" and "WILLIAM ALSUP" fold alike."""
    tokens = [t for t in re.sub(r"[^\w\s'-]", " ", name.lower()).replace("'", "").split() if t]
    if not tokens or " ".join(tokens) in _NOT_NAMES or len(tokens) == 1 and len(tokens[0]) <= 2:
        return ""
    kept = [t for i, t in enumerate(tokens) if i == 0 or len(t) > 1 or t in _SUFFIXES]
    return " ".join(kept)


def _case_roles(assigned: str | None, referred: str | None, panel: str | None) -> Iterator[tuple[str, str, JudgeName]]:
    for role, raw in (("assigned", assigned), ("referred", referred)):
        for judge in split_judges(raw):
            yield role, raw or "", judge
    for raw in _panel_names(panel):
        for judge in split_judges(raw):
            yield "panel", raw, judge


def _panel_names(panel: str | None) -> list[str]:
    try:
        names = json.loads(panel) if panel else []
    except ValueError:
        return []
    return [str(n) for n in names if n] if isinstance(names, list) else []


def sync_case_judges(db: Database, case_ids: Iterable[int]) -> None:
    """Rewrite the ``case_judges`` rows of these cases from their stored judge strings (inside a transaction)."""
    conn = db.conn
    for case_id in case_ids:
        row = conn.execute("SELECT assigned_to_str, referred_to_str, panel FROM cases WHERE id = ?", [case_id]).fetchone()
        if row is None:
            continue
        conn.execute("DELETE FROM case_judges WHERE case_id = ?", [case_id])
        for position, (role, raw, judge) in enumerate(_case_roles(*row)):
            judge_id = _judge_id(db, judge)
            conn.execute(
                "INSERT OR IGNORE INTO case_judges (case_id, judge_id, role, raw, position) VALUES (?,?,?,?,?)",
                [case_id, judge_id, role, raw, position],
            )


def _judge_id(db: Database, judge: JudgeName) -> int:
    conn = db.conn
    conn.execute("INSERT OR IGNORE INTO judges (name_key, name) VALUES (?, ?)", [judge.key, judge.name])
    judge_id, name = conn.execute("SELECT id, name FROM judges WHERE name_key = ?", [judge.key]).fetchone()
    if len(judge.name) > len(name):  # keep the fullest spelling seen ("William H. Alsup" over "William Alsup")
        conn.execute("UPDATE judges SET name = ? WHERE id = ?", [judge.name, judge_id])
    return judge_id


JUDGES_SCHEMA = """
CREATE TABLE judges (
    id INTEGER PRIMARY KEY,
    name_key TEXT NOT NULL UNIQUE,   -- folded: lower case, no punctuation, titles or middle initials
    name TEXT NOT NULL               -- the fullest spelling seen on a docket, title dropped
);
CREATE TABLE case_judges (
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    judge_id INTEGER NOT NULL REFERENCES judges(id),
    role TEXT NOT NULL,              -- assigned, referred or panel
    raw TEXT NOT NULL,               -- the docket's string the judge was read from
    position INTEGER NOT NULL,
    PRIMARY KEY (case_id, role, judge_id)
);
CREATE INDEX case_judges_judge ON case_judges (judge_id);
"""


def create_judges(db: Database) -> None:
    """Migration: the two tables, filled from every stored case."""
    for statement in statements(JUDGES_SCHEMA):  # not executescript: it would commit the migration's transaction
        db.conn.execute(statement)
    sync_case_judges(db, [row[0] for row in db.conn.execute("SELECT id FROM cases")])
