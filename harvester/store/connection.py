"""Open the harvest database and run write transactions that survive a busy database.

The database is one SQLite file (``data/pacer.db`` by default) in WAL mode, so
researchers can query it (Datasette, sqlite3, notebooks) while the nightly job
writes. Every write goes through :func:`write_transaction`: ``BEGIN IMMEDIATE``
(take the write lock up front, so a transaction never fails half-way on a lock
upgrade), commit or roll back as a whole, and when another connection holds the
write lock, retry with backoff for a bounded time before raising
:class:`DatabaseLocked` with a clear message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from harvester.errors import HarvesterError

DEFAULT_PATH = Path("data/pacer.db")
# SQLite's own busy handler waits this long for a lock before an attempt fails...
DEFAULT_BUSY_TIMEOUT = 5.0
# ...and write_transaction keeps retrying whole transactions for this long in total.
DEFAULT_LOCK_WAIT = 120.0

T = TypeVar("T")


class DatabaseLocked(HarvesterError):
    """Another connection held the write lock for longer than the harvester waits."""


class SchemaError(HarvesterError):
    """The database file is not one this harvester can use (too new, not SQLite, missing)."""


class HarvestDatabase(Database):
    """A sqlite-utils Database that knows how long its writers may wait for a lock."""

    path: Path | None = None
    lock_wait: float = DEFAULT_LOCK_WAIT


def open_db(
    path: str | Path = DEFAULT_PATH,
    *,
    create: bool = True,
    migrate: bool = True,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    lock_wait: float = DEFAULT_LOCK_WAIT,
) -> HarvestDatabase:
    """Open (and by default create and upgrade) the harvest database at ``path``.

    Sets WAL mode, ``foreign_keys=ON``, a busy timeout of ``busy_timeout`` seconds
    and ``synchronous=NORMAL`` (safe in WAL mode: a killed process loses nothing
    committed). With ``create=False`` a missing file is a :class:`SchemaError`.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise SchemaError(f"no database at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout)
        db = HarvestDatabase(conn)
        db.path, db.lock_wait = path, lock_wait
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        _enable_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"{path} is not a usable SQLite database: {exc}") from None
    if migrate:
        from harvester.store.migrations import migrate as run_migrations

        run_migrations(db)
    return db


def open_readonly(path: str | Path) -> Database:
    """Open an existing database for reading only, even when the harvester's user may not write it.

    ``mode=ro`` still needs to create the WAL's shared-memory file; when the directory
    or the file is read-only that fails, and the file is opened ``immutable`` (no
    harvest can be writing a file nobody may write).
    """
    path = Path(path)
    if not path.exists():
        raise SchemaError(f"no database at {path}")
    last: Exception | None = None
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"file:{path.resolve()}?{flags}", uri=True, timeout=5)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            db = HarvestDatabase(conn)
            db.path = path
            return db
        except sqlite3.DatabaseError as exc:
            last = exc
    raise SchemaError(f"{path} is not a readable SQLite database: {last}")


def _enable_wal(db: HarvestDatabase) -> None:
    # Switching to WAL needs a moment with no other writer: wait like any write.
    def switch() -> None:
        db.enable_wal()

    _retry_locked(db, switch)


def write_transaction(db: Database, work: Callable[[], T]) -> T:
    """Run ``work()`` in one write transaction and return its result.

    Outside a transaction: ``BEGIN IMMEDIATE``, ``work()``, ``COMMIT``; on any error
    everything is rolled back, and a "database is locked" error retries the whole
    transaction (so ``work`` must only write through ``db``) until ``db.lock_wait``
    seconds have passed, then raises :class:`DatabaseLocked`. Inside an open
    transaction ``work`` runs in a savepoint of the caller's transaction.
    """
    if db.conn.in_transaction:
        with db.atomic():
            return work()
    return _retry_locked(db, lambda: _immediate(db, work))


def _immediate(db: Database, work: Callable[[], T]) -> T:
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        result = work()
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    return result


def is_locked_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite saying another connection holds a lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _retry_locked(db: Database, attempt: Callable[[], T]) -> T:
    lock_wait = getattr(db, "lock_wait", DEFAULT_LOCK_WAIT)
    retrying = Retrying(
        retry=retry_if_exception(is_locked_error),
        stop=stop_after_delay(lock_wait),
        wait=wait_exponential(multiplier=0.05, max=2.0) + wait_random(0, 0.1),
    )
    try:
        return retrying(attempt)
    except RetryError:
        where = getattr(db, "path", None) or "the database"
        raise DatabaseLocked(
            f"{where} stayed locked by another connection for more than {lock_wait:g} s; "
            "a long write (or an open transaction) elsewhere is holding it"
        ) from None


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT just wrote (sqlite3 types ``lastrowid`` as optional)."""
    rowid = cursor.lastrowid
    if rowid is None:  # cannot happen after an INSERT: None only before any statement
        raise RuntimeError("the INSERT reported no row id")
    return rowid


def utc_timestamp(moment: datetime | str | None = None) -> str:
    """``moment`` (default: now) as ISO 8601 UTC to the second, the form every table stores.

    Naive datetimes are taken as UTC; strings are parsed and normalised.
    """
    if moment is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def schema_version(db: Database) -> int:
    """The schema version recorded in the file (``PRAGMA user_version``)."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def statements(script: str) -> list[str]:
    """The SQL statements of a script, one by one (comments kept), as sqlite3 itself delimits them."""
    found, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    return [s for s in found if s.strip(" ;\n")]
