"""What ``scrapy crawl`` needs that ``harvester run`` builds itself: one harvest per process.

:func:`standalone_settings` takes the same steps as ``harvester run`` through
:class:`~harvester.run.assembly.Assembly` (credentials, refusals, window, the
database's run lock, preflight) and returns the Scrapy settings with the harvest, the
session and the gate; :class:`StandaloneRun` (an extension) records the run, logs out
when the spider is idle, remembers a refused password and releases the lock at the end.
``scrapy crawl`` harvests the configured courts only: the sandbox is ``harvester run --sandbox``.
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from harvester.config import Config
from harvester.errors import HarvesterError
from harvester.gate.budget import Budget, BudgetCaps
from harvester.run.harvest import Harvest
from harvester.run.lock import RunLock
from harvester.run.refusals import RefusedLogins
from harvester.run.session import PacerSession
from harvester.run.settings import scrapy_settings
from harvester.store import ledger
from harvester.store.connection import open_db
from harvester.store.writer import DatabaseWriter

# The pieces ``harvester run`` adds to the gate's settings, shared with it.
HARVEST_PIECES = {
    "ITEM_PIPELINES": {"harvester.run.pipelines.StorePipeline": 300},
    "DOWNLOADER_MIDDLEWARES": {"harvester.run.session.SessionMiddleware": 980,
                               "harvester.run.acms_session.AcmsMiddleware": 985},  # ACMS courts' sessions
    "COOKIES_ENABLED": False,  # the session middleware sends the only cookie PACER needs
}


def standalone_settings(config: Config) -> dict[str, Any]:
    """The settings of one ``scrapy crawl``, once every check of a run passed (the lock is then held)."""
    from harvester.run.assembly import PACER_ORIGIN, Assembly

    assembly = Assembly(config)
    with assembly.target(embedded_sandbox=False) as target:
        config = assembly.effective_config(target)
        clock = assembly.admit(target, config)
        assembly.preflight(target)
        lock = RunLock.for_database(config["database"]["path"]).acquire()  # held until the spider closes
    lock_wait = config["database"]["lock_wait_seconds"]
    db = open_db(config["database"]["path"], lock_wait=lock_wait)
    harvest = Harvest(config, db, target.endpoints, target.courts, DatabaseWriter(config["database"]["path"], lock_wait),
                      clock, None, target.follow_rss)  # fmt: skip
    session = PacerSession.open(target.credentials, target.endpoints, config)
    budget = Budget(BudgetCaps.from_config(config["budget"]), lambda now: ledger.quarter_spend(db, now))
    return scrapy_settings(
        config, clock=clock, budget=budget, courts=target.courts,
        extra={**HARVEST_PIECES, "HARVEST": harvest, "PACER_SESSION": session, "SPIDER_MODULES": ["spiders"],
               "HARVEST_ORIGIN": PACER_ORIGIN, "RUN_LOCK": lock,
               "EXTENSIONS": {"harvester.run.standalone.StandaloneRun": 500}},
    )  # fmt: skip


def settings_or_exit(config_loader: Any) -> dict[str, Any]:
    """``standalone_settings`` for a settings module: a refused run is one line and its exit code, no traceback."""
    try:
        return standalone_settings(config_loader())
    except HarvesterError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None


class StandaloneRun:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.harvest: Harvest = crawler.settings.get("HARVEST")
        self.session: PacerSession | None = crawler.settings.get("PACER_SESSION")
        self.lock: RunLock | None = crawler.settings.get("RUN_LOCK")
        self._logging_out = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> StandaloneRun:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.harvest.run_id = ledger.start_run(self.harvest.db, now=self.harvest.clock.now())

    def spider_idle(self, spider: Any) -> None:
        if self.session is not None and self.session.token is not None and not self._logging_out:
            self._logging_out = True
            deferred_from_coro(self.session.logout(self.crawler))
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.harvest.writer.close()
        try:
            self._remember_refusal()
            if self.harvest.run_id is not None:
                outcome = {"finished": "done", "window_closed": "window_closed", "shutdown": "interrupted"}.get(reason, reason)
                ledger.finish_run(self.harvest.db, self.harvest.run_id, outcome=outcome,
                                  cases_checked=self.harvest.counters["cases_checked"],
                                  cases_changed=self.harvest.counters["cases_changed"],
                                  now=self.harvest.clock.now())  # fmt: skip
        finally:
            if self.lock is not None:
                self.lock.release()

    def _remember_refusal(self) -> None:
        from harvester.run.crawl import remember_refusal

        if self.session is not None:
            refusals = RefusedLogins(self.harvest.config["harvest"]["state_dir"])
            remember_refusal(refusals, self.session, self.harvest.clock)
