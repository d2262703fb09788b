"""One harvest per database: an flock-held lock file that records the holder's pid.

The lock belongs to the database file, not to a state directory: it lives beside the
database's resolved path (``pacer.db`` -> ``pacer.db.harvest-lock``), so two harvests
of one database are refused however they were started (``harvester run``, the daemon,
``scrapy crawl``) and whatever ``state_dir`` their configs name. The kernel releases
an flock when its process dies, so a lock file left by a killed run is recognised as
stale (nobody holds the flock) and simply taken over.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from harvester.errors import ConfigError, LockHeld
from harvester.shared import SharedInSettings

LOCK_SUFFIX = ".harvest-lock"


def database_lock_path(db_path: str | Path) -> Path:
    """The lock file of the database at ``db_path`` (symlinks and ``..`` resolved)."""
    resolved = Path(db_path).expanduser().resolve()
    return resolved.with_name(resolved.name + LOCK_SUFFIX)


class RunLock(SharedInSettings):
    """Context manager around an exclusive, non-blocking flock on ``path`` (one object even in Scrapy's settings)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.took_over_stale = False

    @classmethod
    def for_database(cls, db_path: str | Path) -> RunLock:
        return cls(database_lock_path(db_path))

    def acquire(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except (FileExistsError, NotADirectoryError):
            raise ConfigError(f"cannot create {self.path}: a part of {self.path.parent} is a file, not a directory") from None
        except PermissionError:
            raise ConfigError(f"cannot create the lock file {self.path}: permission denied") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockHeld(f"another harvester run (pid {holder}) holds {self.path}; not starting a second one") from None
        self.took_over_stale = bool(os.pread(fd, 32, 0).strip())
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)  # an empty file means a clean release
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
