"""The gate in whole harvests, proved from the sandbox's request log: window, budget, estimates."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from test_harvest import harvest, write_config

from harvester.gate.window import Window
from harvester.sandbox import Sandbox


def simulate(start: str, days: int, step_hours: float, workdir: Path) -> tuple[Counter, int, int]:
    """Run the harvester every ``step_hours`` for ``days``; return exit codes and requests in/out of the window."""
    window = Window()
    codes: Counter = Counter()
    with Sandbox(state_dir=workdir / "sandbox", courts=("cand", "nysb"), cases=6, mean_entries=20,
                 growth_per_day=4.0, seed=3, start=start, real_pages=False) as sandbox:  # fmt: skip
        watch: dict[str, list[str]] = {}
        for case in sandbox.cases():
            watch.setdefault(case["court"], []).append(str(case["pacer_case_id"]))
        config = write_config(workdir / "harvester.toml", sandbox, watch)
        for _ in range(int(days * 24 / step_hours)):
            codes[harvest(workdir, config, sandbox).returncode] += 1
            sandbox.advance(hours=step_hours)
        records = [r for r in sandbox.request_log.records() if r["endpoint"] != "sandbox-admin"]
    inside = sum(1 for r in records if window.is_open(datetime.fromisoformat(r["sandbox_time"])))
    return codes, inside, len(records) - inside



def test_fall_back_night_sends_nothing_outside_the_window(tmp_path):
    # Saturday 17:00 CDT to Sunday night: the clocks fall back at 02:00 on Sunday 2026-11-01.
    codes, inside, outside = simulate("2026-10-31T17:00:00-05:00", 1.5, 3.0, tmp_path)
    assert outside == 0
    assert inside > 0
    assert set(codes) == {0, 3}, codes  # harvested in the night, refused (exit 3) in the day


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(state_dir=tmp_path_factory.mktemp("sandbox"), courts=("cand", "nysb"), cases=16, mean_entries=60,
                 seed=21, real_pages=False) as running:  # fmt: skip
        yield running


def watch_all(sandbox: Sandbox) -> dict[str, list[str]]:
    watch: dict[str, list[str]] = {}
    for case in sandbox.cases():
        watch.setdefault(case["court"], []).append(str(case["pacer_case_id"]))
    return watch


@pytest.mark.parametrize("cap", [1.0, 4.0, 9.0])
def test_spend_never_exceeds_the_run_cap(tmp_path, sandbox, cap):
    config = write_config(tmp_path / "harvester.toml", sandbox, watch_all(sandbox))
    config.write_text(config.read_text().replace("run_dollars = 500", f"run_dollars = {cap}"))
    stored = 0
    for night in range(2):  # the next run continues where the money ran out
        mark = len(sandbox.request_log.records())
        result = harvest(tmp_path, config, sandbox)
        spent = sum(r["cost"] for r in sandbox.request_log.records()[mark:])
        assert spent <= cap + 1e-9, f"night {night}: spent ${spent:.2f} with a ${cap:.2f} cap"
        cases = sqlite3.connect(tmp_path / "data" / "pacer.db").execute("SELECT count(*) FROM cases").fetchone()[0]
        if cases < len(sandbox.cases()):
            assert result.returncode == 4, result.stderr[-2000:]  # budget exhausted: its own exit code
            assert "budget cap reached" in result.stdout
        else:  # the money sufficed for the rest: reservations held only in flight spend what they may
            assert result.returncode == 0, result.stderr[-2000:]
        if cap < 3.0:
            # A docket of unknown size may cost the $3.00 cap: below it nothing is ever risked.
            assert spent == 0 and cases == 0
        else:
            assert cases > stored, f"night {night} stored nothing new"
        stored = cases


def test_estimates_of_known_reports_are_within_one_page(tmp_path, sandbox):
    """Incremental reports are estimated from the feed; their receipts say what they cost."""
    config = write_config(tmp_path / "harvester.toml", sandbox, watch_all(sandbox))
    assert harvest(tmp_path, config, sandbox).returncode == 0
    sandbox.advance(hours=24)
    assert harvest(tmp_path, config, sandbox).returncode == 0
    db = sqlite3.connect(tmp_path / "data" / "pacer.db")
    rows = db.execute(
        "SELECT estimated_pages, billable_pages FROM requests WHERE run_id = (SELECT max(id) FROM runs)"
        " AND url LIKE '%DktRpt%' AND billable_pages IS NOT NULL"
    ).fetchall()
    assert rows, "no incremental report was fetched"
    misses = [(est, got) for est, got in rows if abs(est - got) > 1]
    assert not misses, f"estimates off by more than a page (estimate, receipt): {misses}"
