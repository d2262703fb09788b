"""Progress during `harvester run`: a live line on a terminal, log lines under cron.

Two real sandbox harvests in subprocesses: one with stderr on a pseudo-terminal
(the line is redrawn in place, and progress records stay off the terminal but
reach the log file), one with stderr on a pipe (plain periodic log lines).
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import sqlite3
import struct
import subprocess
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from researcher_support import HARVESTER

from harvester.run.progress import CLEAR_LINE, Snapshot

CONFIG = "[sandbox]\ncases = 24\nseed = 3\nper_court_per_second = 4.0\nglobal_per_second = 20.0\n[log]\nprogress_seconds = 0.25\n"
FINAL = re.compile(r"(courts|rss|dockets|appellate|logout): courts (\d+)/(\d+) done, requests ([\d,]+) sent, ([\d,]+) queued, "
                   r"entries ([\d,]+) stored, \$([\d,.]+) spent, window \d+h\d\dm left \(closes \d\d:\d\d C[SD]T\) \[(\w+)\]")  # fmt: skip


def prepare(workdir: Path) -> dict[str, str]:
    (workdir / "config").mkdir(parents=True)
    (workdir / "config" / "harvester.toml").write_text(CONFIG, encoding="utf-8")
    return {k: v for k, v in os.environ.items() if not k.startswith(("PACER_", "COLUMNS", "LINES"))}


def last_run(workdir: Path) -> sqlite3.Row:
    conn = sqlite3.connect(workdir / "data" / "sandbox.db")  # a sandbox harvest: its own database
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    return row


def check_final_lines(text: str, run: sqlite3.Row) -> None:
    """The spiders' closing lines agree with what the run recorded."""
    finals = {m.group(1): m for m in FINAL.finditer(text)}
    assert {"rss", "dockets", "appellate"} <= set(finals), text[-3000:]
    last = finals["appellate"]
    assert int(last.group(6).replace(",", "")) == run["entries_added"] > 0
    assert float(last.group(7).replace(",", "")) == pytest.approx(run["cost"])
    dockets = finals["dockets"]
    assert dockets.group(2) == dockets.group(3) != "0" and dockets.group(5) == "0"  # all courts done, none queued


def test_snapshot_text():
    closes = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 06:00 CST
    snap = Snapshot("dockets", 3, 7, 1234, 56, 9876, 12.3, timedelta(hours=4, minutes=5, seconds=59), closes)
    assert snap.text() == ("dockets: courts 3/7 done, requests 1,234 sent, 56 queued, entries 9,876 stored, "
                           "$12.30 spent, window 4h05m left (closes 06:00 CST)")  # fmt: skip
    closed = Snapshot("rss", 0, 0, 0, 0, 0, None, None, None)
    assert closed.text().endswith("entries 0 stored, window closed")
    ignored = Snapshot("rss", 0, 0, 0, 0, 0, 0.0, None, None, window_ignored=True)
    assert ignored.text().endswith("$0.00 spent, window ignored for this run")


def test_cron_gets_plain_log_lines(tmp_path):
    env = prepare(tmp_path)
    result = subprocess.run([str(HARVESTER), "run"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode in (0, 8), result.stderr[-2000:]
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    progress = [line for line in result.stderr.splitlines() if " INFO harvester.run.progress: " in line]
    periodic = [line for line in progress if not line.endswith("]")]
    assert periodic, "no periodic progress line while the dockets were fetched"
    check_final_lines(result.stderr, last_run(tmp_path))
    log = (tmp_path / "data" / "harvester.log").read_text(encoding="utf-8")
    assert all(line in log for line in progress)


def test_terminal_gets_a_live_line(tmp_path):
    env = prepare(tmp_path)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
    proc = subprocess.Popen([str(HARVESTER), "run"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, close_fds=True)  # fmt: skip
    os.close(slave)
    screen = read_until_exit(master, proc, timeout=300)
    assert proc.returncode in (0, 8), screen[-2000:]
    redraws = re.findall(re.escape(CLEAR_LINE) + r"dockets: courts \d+/\d+ done", screen)
    assert len(redraws) >= 2, screen[-3000:]  # drawn at once, then redrawn until the dockets are done
    # Progress records go to the log file only: on the terminal the live line says it.
    assert " INFO harvester.run.progress: " not in screen
    log = (tmp_path / "data" / "harvester.log").read_text(encoding="utf-8")
    assert "INFO harvester.run.progress: dockets: courts" in log
    check_final_lines(screen, last_run(tmp_path))
    # Other log records start on a cleared line instead of running into the live line.
    assert re.search(re.escape(CLEAR_LINE) + r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO harvester\.", screen)


def read_until_exit(master: int, proc: subprocess.Popen, timeout: float) -> str:
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError as exc:
            if exc.errno != errno.EIO:  # EIO: the child closed the terminal
                raise
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=30)
    return b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
