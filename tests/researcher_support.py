"""A real harvest database for the researcher and operator tests (serve, browser, status).

:func:`harvested_db` runs ``harvester run`` once per test session (in a
subprocess, in a temporary directory, against the embedded sandbox with a small
config) and hands every caller the same ``data/pacer.db``. Tests that write
must copy it first (:func:`copy_db`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HARVESTER = Path(sys.executable).with_name("harvester")
SMALL_CONFIG = "[sandbox]\ncases = 16\nseed = 7\n"
_CACHE: dict[str, Path] = {}


def run_harvest(workdir: Path, config: str = SMALL_CONFIG, timeout: float = 300, **popen) -> subprocess.CompletedProcess:
    """``harvester run`` in ``workdir`` with ``config`` as config/harvester.toml (never real credentials), into data/pacer.db."""
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "harvester.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}
    # The sandbox's harvests go to data/sandbox.db by default; these tests read data/pacer.db.
    return subprocess.run([str(HARVESTER), "run", "--db", "data/pacer.db"], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=timeout, **popen)  # fmt: skip


def harvested_db(tmp_path_factory) -> Path:
    """The session's harvested database, made on first use in a pytest temporary directory."""
    if "db" not in _CACHE:
        workdir = tmp_path_factory.mktemp("harvest")
        result = run_harvest(workdir)
        db = workdir / "data" / "pacer.db"
        if result.returncode not in (0, 8) or not db.exists():  # 8: done, some requests failed
            raise RuntimeError(f"sandbox harvest failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        _CACHE["db"] = db
    return _CACHE["db"]


def copy_db(source_path: Path, target_dir: Path) -> Path:
    """A private copy of a database (consistent even if WAL frames are pending), in WAL mode."""
    target = target_dir / "pacer.db"
    source = sqlite3.connect(source_path)
    dest = sqlite3.connect(target)
    with dest:
        source.backup(dest)
    source.close()
    dest.execute("PRAGMA journal_mode=WAL")
    dest.close()
    return target


@contextmanager
def serving(db_path: Path) -> Iterator[str]:
    """``harvester serve --port 0`` on ``db_path`` while the block runs; yields its base URL (no trailing /)."""
    proc = subprocess.Popen([str(HARVESTER), "serve", "--db", str(db_path), "--port", "0"],
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    line = proc.stderr.readline() if proc.stderr else ""
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"harvester serve did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    try:
        yield match.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
