"""All harvest writes go through one thread with its own SQLite connection.

Writes wait (bounded, with tenacity) while a researcher's query holds a lock; doing
that in Scrapy's reactor thread would freeze every download, so the pipeline hands
each write to this thread and awaits it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

from sqlite_utils import Database

from harvester.store.connection import open_db

T = TypeVar("T")


class DatabaseWriter:
    """A single writer thread owning one connection to the harvest database."""

    def __init__(self, path: str | Path, lock_wait: float | None = None) -> None:
        self.path = Path(path)
        self.lock_wait = lock_wait
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._db: Database | None = None

    def _connection(self) -> Database:
        if self._db is None:
            self._db = open_db(self.path) if self.lock_wait is None else open_db(self.path, lock_wait=self.lock_wait)
        return self._db

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``work(db, *args, **kwargs)`` on the writer thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: work(self._connection(), *args, **kwargs))

    def close(self) -> None:
        def close_db() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._pool.submit(close_db).result()
        self._pool.shutdown(wait=True)
