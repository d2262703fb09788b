"""`harvester daemon`: APScheduler at the window's opening, runs at once inside the window."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from harvester.gate.clock import FakeClock
from harvester.gate.window import CENTRAL, Window
from harvester.run.daemon import Daemon, next_start

HARVESTER = Path(sys.executable).with_name("harvester")


def central(*args: int) -> datetime:
    return CENTRAL.localize(datetime(*args))


async def start_daemon(at: datetime) -> tuple[Daemon, list[str]]:
    nights: list[str] = []

    async def night(stop: asyncio.Event) -> str:
        nights.append(at.isoformat())
        return "done"

    service = Daemon(Window(), FakeClock(at), night)
    service.start()
    await asyncio.sleep(0.3)  # let the scheduler fire any job that is due now
    return service, nights


def test_started_late_in_the_night_runs_at_once():
    # The machine was off at 18:00; the daemon comes up at 19:30: tonight still runs.
    async def scenario():
        service, nights = await start_daemon(central(2026, 11, 23, 19, 30))
        service.scheduler.shutdown(wait=False)
        return nights

    assert len(asyncio.run(scenario())) == 1


def test_started_in_the_day_waits_for_the_opening():
    async def scenario():
        service, nights = await start_daemon(central(2026, 11, 23, 14, 0))
        jobs = service.scheduler.get_jobs()
        service.scheduler.shutdown(wait=False)
        return nights, jobs

    nights, jobs = asyncio.run(scenario())
    assert nights == []
    assert [job.next_run_time.astimezone(CENTRAL).strftime("%H:%M %Z") for job in jobs] == ["18:00 CST"]
    for job in jobs:  # several missed starts make one run; a late start still runs that night
        assert job.coalesce is True
        assert job.misfire_grace_time >= 6 * 3600
        assert job.max_instances == 1


def test_next_start_across_dst():
    window = Window()
    assert next_start(window, central(2027, 3, 14, 12, 0)) == central(2027, 3, 14, 18, 0)  # spring forward day
    assert next_start(window, central(2026, 11, 1, 3, 0)) == central(2026, 11, 1, 3, 0)  # fall-back night: open


def test_daemon_process_harvests_the_sandbox_and_stops_on_sigterm(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "harvester.toml").write_text("[sandbox]\ncases = 6\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}
    proc = subprocess.Popen([str(HARVESTER), "daemon"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        log = tmp_path / "data" / "harvester.log"
        while time.monotonic() < deadline:
            if log.exists() and "Night 1 ended" in log.read_text():
                break
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "Night 1 ended: done" in log.read_text()
    assert proc.returncode == 0, err[-2000:]
    assert "Run 1 (sandbox): done" in out
    assert "Traceback" not in err
