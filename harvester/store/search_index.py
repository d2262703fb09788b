"""Index rows for full-text search as a bulk writer inserts them, not through the trigger.

sqlite-utils keeps each FTS5 index current with triggers (``<table>_ai``, ``_au``,
``_ad``; :mod:`harvester.store.migrations`). The insert trigger's FTS5 insert runs in
the statement's own savepoint, and FTS5 writes its pending terms out at every
savepoint, so each row becomes an index segment of its own, merged later. Measured
on 30,169 docket entries: 3.2 s through the trigger, 0.45 s inserted into the index
by ``executemany`` of plain VALUES. A reparse of a fresh archive writes every row, so this is
most of its writing time.

:func:`bulk_search_index` suspends tables' insert triggers for the rest of the
caller's write transaction; the writer calls :meth:`BulkIndex.suspend`
before inserting into a table and hands the ids of the rows it inserted to
:meth:`BulkIndex.add` right after (before anything updates
or deletes them: the update and delete triggers stay, and expect an indexed row).
A table's trigger is suspended only once something is about to be inserted into it.
The triggers are put back, with their own SQL, before the transaction commits, and
a rollback puts them back too. Other connections never see them missing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["BulkIndex", "bulk_search_index"]


class BulkIndex:
    """Indexes rows inserted while their table's insert trigger is off.

    A table's trigger goes off at its first :meth:`suspend` (nothing is touched for a
    table no row is inserted into: an unchanged reparse changes no schema), and comes
    back with :meth:`restore`, which :func:`bulk_search_index` calls. Any table with a
    sqlite-utils index (``<table>_fts`` and its ``<table>_ai`` trigger) qualifies.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # table -> (its insert trigger's SQL, read its rows, index them), or None: not indexed
        self._tables: dict[str, tuple[str, str, str] | None] = {}

    def suspend(self, table: str) -> None:
        """Call before inserting into ``table``: its rows are then indexed by :meth:`add`."""
        if table not in self._tables:
            self._tables[table] = self._suspended(table)

    def _suspended(self, table: str) -> tuple[str, str, str] | None:
        trigger = self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [f"{table}_ai"]
        ).fetchone()
        columns = [row[1] for row in self.conn.execute(f'PRAGMA table_info("{table}_fts")')]
        if trigger is None or not columns:  # (not indexed here: nothing to keep current)
            return None
        self.conn.execute(f'DROP TRIGGER "{table}_ai"')
        names = ", ".join(f'"{c}"' for c in columns)
        read = f'SELECT rowid, {names} FROM "{table}" WHERE rowid IN (SELECT value FROM json_each(?))'
        # (VALUES, not INSERT ... SELECT: a statement that may write several rows
        # opens a savepoint, and with it FTS5 writes a segment per row again)
        insert = f'INSERT INTO "{table}_fts" (rowid, {names}) VALUES (?, {", ".join("?" * len(columns))})'
        return trigger[0], read, insert

    def add(self, table: str, ids: Iterable[int]) -> None:
        """Index the rows ``ids`` of ``table``, inserted since :meth:`suspend`."""
        suspended = self._tables.get(table)
        if suspended is not None:
            _, read, insert = suspended
            self.conn.executemany(insert, self.conn.execute(read, [json.dumps(list(ids))]).fetchall())

    def restore(self) -> None:
        """Put the suspended triggers back (inside the same transaction)."""
        for suspended in self._tables.values():
            if suspended is not None:
                self.conn.execute(suspended[0])
        self._tables.clear()


@contextmanager
def bulk_search_index(conn: sqlite3.Connection) -> Iterator[BulkIndex]:
    """Inside a write transaction: inserts are indexed through the :class:`BulkIndex`
    given, not by their tables' insert triggers (see the module docstring)."""
    if not conn.in_transaction:
        raise RuntimeError("bulk_search_index needs an open write transaction")
    index = BulkIndex(conn)
    try:
        yield index
    finally:
        if conn.in_transaction:  # (a rolled-back transaction has its triggers back already)
            index.restore()
