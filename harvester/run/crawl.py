"""The crawl of one harvest: run row, login, spiders in turn, logout, summary.

:func:`harvest_async` is awaited by :class:`harvester.run.assembly.Assembly` once the
run is admitted (target, refusals, window, lock, preflight: all there). The spiders run one after the other in one Scrapy process (limits are per crawler: two crawlers at once
would double the load on PACER): ``courts`` (when the lookup is stale), ``rss``,
``dockets``, ``appellate``, then the logout. Each is a separate crawler sharing the
run's gate state (budget, clock) and PACER session.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from harvester.config import Config
from harvester.errors import (
    EXIT_BUDGET,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOGIN,
    EXIT_OK,
    EXIT_OUTSIDE_WINDOW,
    EXIT_PARTIAL,
    EXIT_TLS,
)  # fmt: skip
from harvester.gate.budget import Budget, BudgetCaps
from harvester.gate.clock import Clock
from harvester.gate.window import Window, WindowSpec, format_both
from harvester.run.harvest import Harvest
from harvester.run.pipelines import STORE_ERROR, STORE_FAILED
from harvester.run.refusals import RefusedLogins
from harvester.run.session import PacerSession
from harvester.run.settings import scrapy_settings
from harvester.run.standalone import HARVEST_PIECES
from harvester.run.target import Target
from harvester.store import cases, ledger
from harvester.store.connection import open_db
from harvester.store.writer import DatabaseWriter

logger = logging.getLogger(__name__)

COURT_LOOKUP_MAX_AGE = timedelta(days=7)
# Text stats kept in the run's totals (the numeric ones are summed over the spiders).
TEXT_STATS = ("gate/breaker/blocked", "pacer/login_failure", STORE_ERROR)
OUTCOME_EXIT = {
    "done": EXIT_OK, "window_closed": EXIT_OUTSIDE_WINDOW, "budget_exhausted": EXIT_BUDGET,
    "login_failed": EXIT_LOGIN, "tls_refused": EXIT_TLS, "interrupted": EXIT_INTERRUPTED, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED,
}  # fmt: skip


@dataclass
class RunResult:
    run_id: int
    outcome: str
    summary: dict[str, Any]
    message: str = ""

    @property
    def exit_code(self) -> int:
        return OUTCOME_EXIT.get(self.outcome, EXIT_FAILED)


async def harvest_async(
    config: Config,
    target: Target,
    *,
    clock: Clock | None = None,
    window_override: str | None = None,
    stop: asyncio.Event | None = None,
    origin: str | None = None,
) -> RunResult:
    """One harvest inside a running asyncio reactor, once :class:`~harvester.run.assembly.Assembly` admitted it.

    The caller holds the database's run lock. Setting ``stop`` ends the harvest
    gracefully (requests in flight are stored); without one, SIGTERM and SIGINT do
    that for its duration. ``origin`` (sandbox or pacer) is recorded on every case.
    """
    config = effective_config(config, target)
    state_dir = Path(config["harvest"]["state_dir"])
    lock_wait = config["database"]["lock_wait_seconds"]
    db = open_db(config["database"]["path"], lock_wait=lock_wait)
    clock = clock or target.endpoints.clock()
    mode = "sandbox" if target.sandbox else "pacer"
    origin = origin or mode
    abandoned = ledger.close_abandoned_runs(db, now=clock.now())  # the caller holds the lock: none is running
    if abandoned:
        logger.warning("Marked %d earlier run(s) that never finished (killed?) as abandoned", abandoned)
    run_id = ledger.start_run(db, now=clock.now(), mode=mode)
    for court, case_id, number in target.seed_cases:
        cases.watch_case(db, court, case_id, docket_number=number, source="sandbox")
    writer = DatabaseWriter(config["database"]["path"], lock_wait)
    harvest = Harvest(config, db, target.endpoints, target.courts, writer, clock, run_id, target.follow_rss)
    session = PacerSession.open(target.credentials, target.endpoints, config)
    budget = Budget(BudgetCaps.from_config(config["budget"]), lambda now: ledger.quarter_spend(db, now, mode=mode))
    try:
        with stop_on_signals(stop or asyncio.Event(), install=stop is None) as stop_event:
            outcome, stats = await crawl_sequence(config, harvest, session, budget, clock, window_override,
                                                  stop_event, origin)  # fmt: skip
    except BaseException:
        ledger.finish_run(db, run_id, outcome="failed", message="the harvest stopped on an error; see the log")
        raise
    finally:
        writer.close()
    if session is not None and not target.sandbox:
        remember_refusal(RefusedLogins(state_dir), session, clock)
    gates = {k: v for k, v in stats.items() if k.startswith(("gate/", "pacer/"))}
    message = _message(outcome, stats)
    summary = ledger.finish_run(db, run_id, outcome=outcome, cases_checked=harvest.counters["cases_checked"],
                                cases_changed=harvest.counters["cases_changed"], gates=gates, message=message,
                                now=clock.now())  # fmt: skip
    result = {**summary.__dict__, "gates": gates, "quarter_dollars": ledger.quarter_spend(db, clock.now(), mode=mode)}
    db.close()
    return RunResult(run_id, outcome, result, message)


def remember_refusal(refusals: RefusedLogins, session: PacerSession, clock: Clock) -> None:
    """Credentials PACER refused are not tried again by later runs; a good login forgets that."""
    if session.refused:
        refusals.record(session.credentials, session.failure or "refused", clock.now())
    elif session.logins and session.failure is None:
        refusals.clear()


def effective_config(config: Config, target: Target) -> Config:
    """The configuration in force: the target's endpoints; against the sandbox, its rates and play-money budget."""
    config = config.replaced("endpoints", **asdict(target.endpoints))
    if target.sandbox:
        sandbox = config["sandbox"]
        config = config.replaced("rate", per_court_per_second=sandbox["per_court_per_second"],
                                 global_per_second=sandbox["global_per_second"])  # fmt: skip
        config = config.replaced("budget", run_dollars=sandbox["run_dollars"],
                                 quarter_dollars=sandbox["quarter_dollars"])  # fmt: skip
    return config


async def crawl_sequence(
    config: Config, harvest: Harvest, session: PacerSession | None, budget: Budget, clock: Clock,
    window_override: str | None, stop: asyncio.Event, origin: str = "pacer",
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """Run the spiders one after the other; stop early when the night or the money ends."""
    from scrapy.crawler import AsyncCrawlerRunner

    from spiders.acms import AcmsSpider
    from spiders.appellate import AppellateSpider
    from spiders.courts import CourtsSpider
    from spiders.dockets import DocketsSpider
    from spiders.documents import DOCUMENT_SPIDERS
    from spiders.logout import LogoutSpider
    from spiders.rss import RssSpider

    settings = scrapy_settings(
        config, clock=clock, budget=budget, courts=harvest.courts, window_override=window_override,
        extra={**HARVEST_PIECES, "HARVEST": harvest, "PACER_SESSION": session, "HARVEST_ORIGIN": origin,
               "EXTENSIONS": {"harvester.run.progress.HarvestProgress": 600},  # live line / progress log lines
               "PROGRESS_LOG_SECONDS": config["log"]["progress_seconds"],
               "LOG_ENABLED": False},  # the harvester configures logging itself
    )  # fmt: skip
    runner = AsyncCrawlerRunner(settings)
    watcher = asyncio.ensure_future(_stop_when(stop, runner))
    # ACMS before TransportRoom: a case ACMS does not know goes to TransportRoom.
    spiders = [RssSpider, DocketsSpider, AcmsSpider, AppellateSpider, *DOCUMENT_SPIDERS]
    if _lookup_is_stale(harvest):
        spiders.insert(0, CourtsSpider)
    totals: dict[str, Any] = {}
    outcome = "done"
    for spider in spiders:
        crawler = runner.create_crawler(spider)
        await runner.crawl(crawler)
        stats = crawler.stats.get_stats()
        _add(totals, stats)
        reason = stats.get("finish_reason", "finished")
        if stop.is_set() or reason == "shutdown":
            outcome = "interrupted"
            break
        if reason in ("window_closed", "login_failed"):
            outcome = reason
            break
        if reason == STORE_FAILED:
            outcome = "failed"
            break
    if session is not None and session.token is not None:
        crawler = runner.create_crawler(LogoutSpider)
        await runner.crawl(crawler)
        _add(totals, crawler.stats.get_stats())
    watcher.cancel()
    if session is not None and session.failure:
        totals["pacer/login_failure"] = session.failure
    if outcome == "login_failed" and session is not None and session.tls_refused:
        outcome = "tls_refused"
    # Levels, not counters: the budget is one object shared by every crawler.
    totals["gate/budget/run_dollars"] = budget.run_cents() / 100
    totals["gate/budget/run_pages"] = budget.run_pages()
    if outcome == "done" and totals.get("gate/refused/budget"):
        outcome = "budget_exhausted"
    elif outcome == "done" and (totals.get("gate/breaker/tripped") or totals.get("harvest/failed")):
        outcome = "partial"
    return outcome, totals


@contextmanager
def stop_on_signals(stop: asyncio.Event, install: bool = True) -> Iterator[asyncio.Event]:
    """SIGTERM/SIGINT (cron, systemd, Ctrl-C) set ``stop`` while the block runs (unless ``install`` is False)."""
    loop = asyncio.get_event_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT) if install else ():
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    try:
        yield stop
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def _stop_when(stop: asyncio.Event, runner: Any) -> None:
    from harvester.gate.middleware import GateMiddleware

    await stop.wait()
    logger.warning("Stop requested: finishing the requests in flight, then stopping")
    for crawler in list(runner.crawlers):
        # Requests still waiting for their turn in the gate must not go out after the signal.
        gate = crawler.get_downloader_middleware(GateMiddleware) if crawler.engine else None
        if gate is not None:
            gate.stop_sending()
    await runner.stop()


def _lookup_is_stale(harvest: Harvest) -> bool:
    row = harvest.db.execute("SELECT max(updated_at) FROM courts WHERE pacer_code IS NOT NULL").fetchone()
    if not row or not row[0]:
        return True
    fetched = datetime.fromisoformat(row[0].replace("Z", "+00:00"))
    return harvest.clock.now() - fetched > COURT_LOOKUP_MAX_AGE


def _add(totals: dict[str, Any], stats: dict[str, Any]) -> None:
    for key, value in stats.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            totals[key] = totals.get(key, 0) + value
        elif key == "finish_reason":
            totals.setdefault("finish_reasons", []).append(value)
        elif key in TEXT_STATS and value:
            totals[key] = value  # levels of run-wide objects (the breaker, the session): the latest says all


def _message(outcome: str, stats: dict[str, Any]) -> str:
    blocked = stats.get("gate/breaker/blocked")
    failed = stats.get("harvest/failed", 0)
    return {
        "done": "all planned work done",
        "window_closed": "the harvest window closed; the rest waits for the next night",
        "budget_exhausted": f"budget cap reached: {stats.get('gate/refused/budget', 0)} paid requests refused; the next run continues",
        "login_failed": f"PACER login failed: {stats.get('pacer/login_failure') or 'see the log'}",
        "tls_refused": f"PACER login not attempted: {stats.get('pacer/login_failure') or 'TLS refused'}",
        "interrupted": "stopped by a signal; what was fetched is stored",
        "partial": "finished, but " + ("; ".join(
            ([f"courts blocked for the night: {blocked}"] if blocked else [])
            + ([f"{failed} requests failed (reasons in the requests table)"] if failed else [])
        ) or "some courts were blocked or some requests failed"),
        "failed": f"stopped: the database refused a write: {stats.get(STORE_ERROR)}; the rest waits for the next run",
    }.get(outcome, outcome)


def window_status(spec: WindowSpec, clock: Clock) -> tuple[bool, str, datetime]:
    """(open now, a sentence for the user, the next opening)."""
    window = Window(spec)
    now = clock.now()
    opens = window.next_open(now)
    if window.is_open(now):
        return True, window.describe(now), opens
    return False, f"outside the harvest window; it opens {format_both(opens)}", opens
