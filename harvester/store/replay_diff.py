"""Replay a case in a scratch database, then write only the rows that differ.

:func:`harvester.store.dockets.replay_case` rewrites a whole case: every row is
updated, and the search-index triggers fire for every entry, even when the new
parser makes exactly what is stored. Researchers re-parse after a parser fix,
when most pages yield what is already there, so :class:`CaseReplayer` runs that
same replay in an in-memory database with the harvest schema and no triggers,
seeded with what a replay keeps of the stored case: its row (harvest bookkeeping)
and its parties with their attorneys (when each party was first seen, the
attorney lists of reports that had none). Entries and entry versions are rebuilt
from the pages alone, as ``replay_case`` rebuilds them.

The rows it ends with are compared with the stored ones and only differences are
written: a changed row is updated in place (an entry keeps its id by its natural
key, a party by its id), a new one inserted, one no page yields any more deleted.
An unchanged case writes nothing, so a re-run writes nothing at all.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from harvester.store.connection import inserted_id
from harvester.store.dockets import ArchivedReport, replay_case
from harvester.store.fields import court_key
from harvester.store.judges import JUDGE_FIELDS, sync_case_judges
from harvester.store.migrations import migrate
from harvester.store.search_index import BulkIndex

_TABLES = ("cases", "parties", "attorneys", "party_attorneys", "docket_entries", "entry_versions")
_LINKS = (
    "SELECT pa.party_id, pa.position, a.name, a.contact, pa.roles, a.firm, a.email, a.id FROM party_attorneys pa"
    " JOIN parties p ON p.id = pa.party_id JOIN attorneys a ON a.id = pa.attorney_id"
    " WHERE p.case_id = ? ORDER BY pa.party_id, pa.position"
)


@dataclass
class _CaseRows:
    """Everything a replay decides about one case, as rows (each with its columns' values, id first)."""

    case: tuple | None = None
    parties: dict[int, tuple] = field(default_factory=dict)
    links: dict[int, list[tuple]] = field(default_factory=dict)  # party id -> [(position, name, contact, roles)]
    attorneys: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (name, contact) -> (firm, email, id)
    entries: dict[str, tuple] = field(default_factory=dict)  # by entry_key
    versions: list[tuple] = field(default_factory=list)


@dataclass
class CasePlan:
    """A case as stored and as the replay of its pages leaves it; ``entries``: its entry count then."""

    court: str
    case_key: str
    stored: _CaseRows
    target: _CaseRows
    entries: int


class CaseReplayer:
    """Replays cases of one harvest database through a scratch copy of its schema."""

    def __init__(self, db: Database) -> None:
        """``db``: the harvest database the stored cases are read from (and, in :meth:`write`, written to)."""
        self.db = db
        self.columns = {t: tuple(c.name for c in db.table(t).columns) for t in _TABLES}
        self.scratch = Database(sqlite3.connect(":memory:", isolation_level=None))
        migrate(self.scratch)
        for (trigger,) in self.scratch.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            self.scratch.execute(f'DROP TRIGGER "{trigger}"')  # the scratch rows are never searched

    def plan(self, court_id: str, pacer_case_id: str, reports: Sequence[ArchivedReport]) -> CasePlan:
        """Replay one case as stored in this replayer's database; nothing is written there.

        Raises ValueError (from ``replay_case``) when a report is not a docket.
        """
        court, case_key = court_key(court_id), str(pacer_case_id)
        stored = self._read(self.db, court, case_key)
        conn = self.scratch.conn
        conn.execute("BEGIN")
        try:
            self._seed(stored)
            count = replay_case(self.scratch, court, case_key, reports)
            target = self._read(self.scratch, court, case_key)
        finally:
            conn.execute("ROLLBACK")  # the scratch database is empty again for the next case
        return CasePlan(court, case_key, stored, target, count)

    def write(self, plan: CasePlan, *, verify: bool = True, index: BulkIndex | None = None) -> bool:
        """Write what ``plan`` changes (inside the caller's write transaction).

        With ``verify``, the case is read again first: a plan made from another
        connection (a worker's) is written only if the case is still as the plan
        found it; returns False, writing nothing, when it is not. With ``index``
        (:func:`~harvester.store.search_index.bulk_search_index`), the rows inserted
        are indexed for search through it.
        """
        if verify and self._read(self.db, plan.court, plan.case_key) != plan.stored:
            return False
        _Writer(self.db, self.columns, plan.stored, plan.target, index).write(plan.court)
        return True

    def _read(self, db: Database, court: str, case_key: str) -> _CaseRows:
        conn, cols = db.conn, {t: ", ".join(c) for t, c in self.columns.items()}
        case = conn.execute(f"SELECT {cols['cases']} FROM cases WHERE court_id = ? AND pacer_case_id = ?",
                            [court, case_key]).fetchone()  # fmt: skip
        rows = _CaseRows(case)
        if case is None:
            return rows
        key_at = self.columns["docket_entries"].index("entry_key")
        rows.parties = {
            r[0]: r for r in conn.execute(f"SELECT {cols['parties']} FROM parties WHERE case_id = ?", [case[0]])
        }
        rows.entries = {r[key_at]: r for r in conn.execute(
            f"SELECT {cols['docket_entries']} FROM docket_entries WHERE case_id = ?", [case[0]])}  # fmt: skip
        rows.versions = conn.execute(f"SELECT {cols['entry_versions']} FROM entry_versions WHERE case_id = ?"
                                     " ORDER BY id", [case[0]]).fetchall()  # fmt: skip
        links: defaultdict[int, list[tuple]] = defaultdict(list)
        for party_id, position, name, contact, roles, firm, email, attorney_id in conn.execute(_LINKS, [case[0]]):
            links[party_id].append((position, name, contact, roles))
            rows.attorneys[name, contact] = (firm, email, attorney_id)
        rows.links = dict(links)
        return rows

    def _seed(self, stored: _CaseRows) -> None:
        """Put the stored rows a replay keeps into the (empty) scratch database, ids and all."""
        if stored.case is None:
            return
        conn = self.scratch.conn
        _insert(conn, "cases", self.columns["cases"], [stored.case])
        _insert(conn, "parties", self.columns["parties"], stored.parties.values())
        attorneys = [
            (a_id, name, contact, firm, email) for (name, contact), (firm, email, a_id) in stored.attorneys.items()
        ]
        conn.executemany("INSERT INTO attorneys (id, name, contact, firm, email) VALUES (?,?,?,?,?)", attorneys)
        conn.executemany(
            "INSERT INTO party_attorneys (party_id, position, attorney_id, roles) VALUES (?,?,?,?)",
            [(party_id, position, stored.attorneys[name, contact][2], roles)
             for party_id, links in stored.links.items() for position, name, contact, roles in links],
        )  # fmt: skip


def _insert(conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def _insert_one(conn: sqlite3.Connection, table: str, columns: Sequence[str], row: tuple) -> int:
    """Insert one row; returns its id."""
    return inserted_id(
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", row)
    )


class _Writer:
    """Writes the difference between a case as stored and as the replay left it."""

    def __init__(
        self, db: Database, columns: dict[str, tuple[str, ...]], stored: _CaseRows, target: _CaseRows,
        index: BulkIndex | None = None,
    ) -> None:  # fmt: skip
        self.db, self.conn, self.columns = db, db.conn, columns
        self.stored, self.target = stored, target
        self.index = index

    def _inserting(self, table: str) -> None:
        """Before an insert into ``table`` (when this writer indexes: see ``_indexed``)."""
        if self.index is not None:
            self.index.suspend(table)

    def _indexed(self, table: str, ids: list[int]) -> None:
        """Index ``ids``, just inserted into ``table``, for search (when this writer indexes)."""
        if self.index is not None and ids:
            self.index.add(table, ids)

    def write(self, court: str) -> None:
        case_id = self._case(court)
        party_ids = self._parties(case_id)
        self._links(party_ids)
        self._entries(case_id)
        self._versions(case_id)
        if self.stored.case is None or self._case_field_changed(JUDGE_FIELDS):
            sync_case_judges(self.db, [case_id])

    def _case_field_changed(self, names: frozenset[str]) -> bool:
        at = [self.columns["cases"].index(n) for n in names]
        return any(self.stored.case[i] != self.target.case[i] for i in at)  # type: ignore[index]

    def _case(self, court: str) -> int:
        stored, target = self.stored.case, self.target.case
        assert target is not None, "replay_case leaves a case row"
        if stored is None:
            self.conn.execute("INSERT OR IGNORE INTO courts (court_id) VALUES (?)", [court])
            self._inserting("cases")
            case_id = _insert_one(self.conn, "cases", self.columns["cases"][1:], target[1:])
            self._indexed("cases", [case_id])
            return case_id
        if target[1:] != stored[1:]:
            self._update("cases", [target])
        return stored[0]

    def _parties(self, case_id: int) -> dict[int, int]:
        """Write the parties; returns the ids they have here by their ids in the scratch database."""
        columns = self.columns["parties"]
        stored, target = self.stored.parties, self.target.parties
        self.conn.executemany("DELETE FROM parties WHERE id = ?", [(i,) for i in stored.keys() - target.keys()])
        self._update("parties", [row for i, row in target.items() if i in stored and row != stored[i]])
        ids = {i: i for i in target if i in stored}
        if len(ids) < len(target):
            self._inserting("parties")
        for scratch_id, row in target.items():
            if scratch_id not in stored:
                values = _replaced(columns, row, case_id=case_id)[1:]
                ids[scratch_id] = _insert_one(self.conn, "parties", columns[1:], values)
        self._indexed("parties", [ids[i] for i in target if i not in stored])
        return ids

    def _links(self, party_ids: dict[int, int]) -> None:
        """Rewrite the attorney list of each party whose list changed."""
        for scratch_id, party_id in party_ids.items():
            links = self.target.links.get(scratch_id, [])
            if links == self.stored.links.get(party_id, []):
                continue
            self.conn.execute("DELETE FROM party_attorneys WHERE party_id = ?", [party_id])
            self.conn.executemany(
                "INSERT INTO party_attorneys (party_id, position, attorney_id, roles) VALUES (?,?,?,?)",
                [(party_id, position, self._attorney_id(name, contact), roles) for position, name, contact, roles in links],
            )  # fmt: skip

    def _attorney_id(self, name: str, contact: str) -> int:
        row = self.conn.execute("SELECT id FROM attorneys WHERE name = ? AND contact = ?", [name, contact]).fetchone()
        if row is not None:
            return row[0]
        firm, email, _ = self.target.attorneys[name, contact]
        self._inserting("attorneys")
        attorney = inserted_id(
            self.conn.execute(
                "INSERT INTO attorneys (name, contact, firm, email) VALUES (?,?,?,?)", [name, contact, firm, email]
            )
        )
        self._indexed("attorneys", [attorney])
        return attorney

    def _entries(self, case_id: int) -> None:
        columns = self.columns["docket_entries"]
        stored, target = self.stored.entries, self.target.entries
        self.conn.executemany(
            "DELETE FROM docket_entries WHERE id = ?", [(stored[k][0],) for k in stored.keys() - target.keys()]
        )
        # A stored entry's case was seeded into the replay: only the entry's own id can differ.
        changed = [(stored[k][0], *row[1:]) for k, row in target.items() if k in stored and row[1:] != stored[k][1:]]
        self._update("docket_entries", changed)
        added = [_replaced(columns, row, case_id=case_id)[1:] for k, row in target.items() if k not in stored]
        if added:
            self._inserting("docket_entries")
        _insert(self.conn, "docket_entries", columns[1:], added)
        if self.index is not None and added:
            rows = self.conn.execute("SELECT id, entry_key FROM docket_entries WHERE case_id = ?", [case_id])
            self._indexed("docket_entries", [entry_id for entry_id, key in rows if key not in stored])

    def _versions(self, case_id: int) -> None:
        """Keep the stored versions the replay made again; delete the others, insert the new ones."""
        columns = self.columns["entry_versions"]
        entry_at, key_at = columns.index("entry_id"), self.columns["docket_entries"].index("entry_key")
        stored_keys = {row[0]: key for key, row in self.stored.entries.items()}
        target_keys = {row[0]: key for key, row in self.target.entries.items()}

        def comparable(row: tuple, keys: dict[int, str]) -> tuple:  # what a version says, whatever the ids
            return keys.get(row[entry_at]), *(v for c, v in zip(columns, row, strict=True) if c not in _IDS)

        wanted = Counter(comparable(row, target_keys) for row in self.target.versions)
        stale = []
        for row in self.stored.versions:
            if wanted[comparable(row, stored_keys)] > 0:
                wanted[comparable(row, stored_keys)] -= 1
            else:
                stale.append((row[0],))
        self.conn.executemany("DELETE FROM entry_versions WHERE id = ?", stale)
        if not +wanted:
            return
        entry_ids = {r[key_at]: r[0] for r in self.conn.execute(
            f"SELECT {', '.join(self.columns['docket_entries'])} FROM docket_entries WHERE case_id = ?", [case_id])}  # fmt: skip
        added = []
        for row in self.target.versions:
            version = comparable(row, target_keys)
            if wanted[version] > 0:
                wanted[version] -= 1
                added.append(_replaced(columns, row, entry_id=entry_ids[version[0]], case_id=case_id)[1:])
        _insert(self.conn, "entry_versions", columns[1:], added)

    def _update(self, table: str, rows: list[tuple]) -> None:
        columns = self.columns[table]
        sets = ", ".join(f"{c} = ?" for c in columns[1:])
        self.conn.executemany(f"UPDATE {table} SET {sets} WHERE id = ?", [(*row[1:], row[0]) for row in rows])


_IDS = {"id", "entry_id", "case_id"}


def _replaced(columns: Sequence[str], row: tuple, **values: object) -> tuple:
    """``row`` with the named columns set to ``values``."""
    return tuple(values[c] if c in values else v for c, v in zip(columns, row, strict=True))
