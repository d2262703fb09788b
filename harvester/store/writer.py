"""All harvest writes go through one thread with its own SQLite connection.

Writes wait (bounded, with tenacity) while a researcher's query holds a lock; doing
that in Scrapy's reactor thread would freeze every download, so the pipeline hands
each write to this thread and awaits it.

The writer is also the gate's store (``GATE_STORE``): once a write failed (locked
past ``database.lock_wait_seconds``, disk full, read-only file) :meth:`refusal` says
why, and the gate sends no paid request after that. While a write waits for a lock,
the gate's own in-flight record of the next paid request waits behind it in this
thread's queue: nothing paid is sent until the database takes writes again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

from sqlite_utils import Database

from harvester.shared import SharedInSettings
from harvester.store.connection import DatabaseLocked, open_db

T = TypeVar("T")


class DatabaseWriter(SharedInSettings):
    """A single writer thread owning one connection to the harvest database."""

    def __init__(self, path: str | Path, lock_wait: float | None = None) -> None:
        self.path = Path(path)
        self.lock_wait = lock_wait
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._db: Database | None = None
        self.failure: str | None = None

    def refusal(self) -> str | None:
        """Why the database refuses writes (the first failure), or None while it takes them."""
        return self.failure

    def _connection(self) -> Database:
        if self._db is None:
            self._db = open_db(self.path) if self.lock_wait is None else open_db(self.path, lock_wait=self.lock_wait)
        return self._db

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``work(db, *args, **kwargs)`` on the writer thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self._guarded(work, *args, **kwargs))

    def _guarded(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return work(self._connection(), *args, **kwargs)
        except (DatabaseLocked, sqlite3.Error) as exc:
            if self.failure is None:
                self.failure = str(exc) if isinstance(exc, DatabaseLocked) else f"{type(exc).__name__}: {exc}"
            raise

    def close(self) -> None:
        def close_db() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._pool.submit(close_db).result()
        self._pool.shutdown(wait=True)
