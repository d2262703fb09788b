"""A real harvest database for the researcher and operator tests.

:func:`harvested_db` runs ``harvester run`` once per test session (in a
subprocess, in a temporary directory, against the embedded sandbox with a small
config) and hands every caller the same ``data/pacer.db``. Tests that write
must copy it first (:func:`copy_db`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HARVESTER = Path(sys.executable).with_name("harvester")
SMALL_CONFIG = "[sandbox]\ncases = 16\nseed = 7\n"
_CACHE: dict[str, Path] = {}


def run_harvest(workdir: Path, config: str = SMALL_CONFIG, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    """``harvester run`` in ``workdir`` with ``config`` as config/harvester.toml."""
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "harvester.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}  # never real credentials
    return subprocess.run([str(HARVESTER), "run"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout, **popen)  # fmt: skip


def harvested_db() -> Path:
    """The session's harvested database (made on first use)."""
    if "db" not in _CACHE:
        workdir = Path(tempfile.mkdtemp(prefix="harvest-"))
        result = run_harvest(workdir)
        db = workdir / "data" / "pacer.db"
        if result.returncode not in (0, 8) or not db.exists():  # 8: done with some failed requests
            raise RuntimeError(f"sandbox harvest failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        _CACHE["db"] = db
    return _CACHE["db"]


def copy_db(target_dir: Path) -> Path:
    """A private copy of the harvested database (consistent even if WAL frames are pending)."""
    target = target_dir / "pacer.db"
    source = sqlite3.connect(harvested_db())
    dest = sqlite3.connect(target)
    with dest:
        source.backup(dest)
    source.close()
    dest.execute("PRAGMA journal_mode=WAL")
    dest.close()
    return target


def cleanup() -> None:
    """Remove the session's harvest directory."""
    db = _CACHE.pop("db", None)
    if db is not None:
        shutil.rmtree(db.parent.parent, ignore_errors=True)
