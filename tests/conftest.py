"""Shared fixtures and the two layers of the suite.

- ``sandbox_factory``: start sandboxes (synthetic cases, a fixed night) that are stopped
  after the test; ``sandbox_factory(cases=4, courts=("cand",))``.
- The ``e2e`` marker: tests that run whole harvests, subprocesses or servers, or score
  the whole shared corpus. The fast
  in-process layer is ``pytest -m "not e2e"`` (parsers, store, gate, spiders' callbacks
  and the pipeline on recorded responses), under a minute. Whole modules of e2e tests
  are marked here, so their files need not repeat it; single tests carry the marker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Modules whose every test runs a harvest, a subprocess or a server (seconds each).
E2E_MODULES = {
    "test_bad_input", "test_browser", "test_crash_resume", "test_daemon", "test_faults", "test_gate_harvest",
    "test_harvest", "test_progress", "test_readers", "test_refusals", "test_sandbox_cli", "test_sandbox_tls",
    "test_scrapy_crawl", "test_secrets", "test_serve", "test_status", "test_lock", "test_sandbox_faults",
    "test_sandbox_log", "test_sandbox_login", "test_sandbox", "test_tls", "test_gate_middleware", "test_export",
    "test_reparse", "test_parse_cli", "test_acms_harvest", "test_acms_sandbox", "test_browser_nights",
    "test_browser_research", "test_documents", "test_export_parquet", "test_hostile_server", "test_sandbox_documents",
    "test_sandbox_month", "test_many_nights", "test_fail_closed", "test_assembly", "test_operator", "test_sandbox_mode",
}  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # Whole-corpus tests read all of ../shared (tens of seconds; skipped in a fresh clone).
        if Path(str(item.fspath)).stem in E2E_MODULES or "corpus" in item.name:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start sandboxes for one test (``harvest_support.start_sandbox`` options); all are stopped after it."""
    from harvest_support import start_sandbox

    started: list[Any] = []

    def make(**options: Any) -> Any:
        sandbox = start_sandbox(tmp_path / f"sandbox-{len(started)}", **options)
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
