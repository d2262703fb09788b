"""Researchers query the database while the nightly harvest writes to it.

A reader process runs a loop of research queries (full-text search, views, joins)
in read transactions during a harvest; in every snapshot it checks that no docket
is half-stored (entry rows against ``entry_count``, harvested cases against their
archived report). It must see no error and no half docket, and it must really
have read while the harvest wrote (it saw the database change under it).
Timing (the harvest is not slowed by more than 20%) is ``benchmarks/bench_readers.py``.
"""

from __future__ import annotations

from harvest_support import (
    HarvestDir,
    docket_consistency_problems,
    start_reader,
    start_sandbox,
    stop_reader,
)


def test_a_reader_during_a_harvest_sees_no_error_and_no_half_docket(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=30, mean_entries=80, clock_speed=0)
    try:
        # Last night's harvest of one court, so there is something to read from the start.
        first = HarvestDir.create(tmp_path / "run", sandbox, cases=sandbox.cases("cand"))
        assert first.run().returncode == 0
        work = HarvestDir.create(tmp_path / "run", sandbox)
        reader = start_reader(work.db_path)
        try:
            result = work.run()
        finally:
            seen = stop_reader(reader)
    finally:
        sandbox.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen["error_count"] == 0, seen["errors"]
    assert seen["half_dockets_seen"] == 0
    assert seen["states_seen"] >= 3, f"the reader must read while dockets are stored: {seen}"
    assert seen["queries"] > 0
    conn = work.connect()
    assert docket_consistency_problems(conn) == []
    conn.close()
    assert len(work.export()) == len(sandbox.cases())
