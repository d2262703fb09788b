"""One run at a time; a lock left by a killed run is taken over."""

import os
import signal
import subprocess
import sys

import pytest

from harvester.errors import LockHeld
from harvester.run.lock import RunLock


def test_second_holder_is_refused(tmp_path):
    path = tmp_path / "run.lock"
    with RunLock(path):
        with pytest.raises(LockHeld, match=str(os.getpid())):
            RunLock(path).acquire()
    with RunLock(path):  # released: free again
        pass


def test_lock_of_killed_process_is_taken_over(tmp_path):
    path = tmp_path / "run.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from harvester.run.lock import RunLock;"
        f"RunLock({str(path)!r}).acquire(); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld):
            RunLock(path).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        lock = RunLock(path).acquire()
        assert lock.took_over_stale
        lock.release()
    finally:
        holder.kill()
