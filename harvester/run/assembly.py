"""One harvest, assembled in one place: every entry point goes through :class:`Assembly`.

``harvester run`` (:mod:`harvester.run.nightly`), ``harvester daemon`` (each night) and
plain ``scrapy crawl`` (:mod:`harvester.run.standalone`) all take the same steps, in
this order, so every safety check holds on every entry point:

1. **target**: real PACER, or the sandbox only when asked for (``--sandbox``) or when
   the configuration watches nothing. A config that watches courts but has no
   credentials stops here (exit 5) naming the missing variables: nothing is sent.
2. **database**: sandbox harvests write to their own file (``sandbox.database``,
   ``data/sandbox.db``), and a database never mixes sandbox and real runs.
3. **refusals**: credentials PACER refused in an earlier run are not sent again.
4. **legacy login**: a warning before PACER would refuse a legacy account name.
5. **window**: outside it, stop (exit 3) or, with ``--wait``, sleep until it opens.
6. **preflight**: the first connections of the run, to the login and lookup hosts
   (TCP only: nothing is sent, and a run that cannot start writes nothing).
7. **lock**: one harvest per database file (:mod:`harvester.run.lock`).
8. **crawl**: the spiders in turn (:func:`harvester.run.crawl.harvest_async`), then
   the summary, its log line and the exit code.

Steps 1 to 5 open no connection of any kind (a sandbox's simulated clock aside, read
from the loopback sandbox itself) and write nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.config import Config
from harvester.credentials import ENV_VARS
from harvester.errors import EXIT_INTERRUPTED, EXIT_OUTSIDE_WINDOW, ConfigError, HarvesterError, LoginFailed
from harvester.gate.clock import Clock
from harvester.gate.window import Window, WindowSpec, format_both
from harvester.run.crawl import RunResult, harvest_async
from harvester.run.lock import RunLock
from harvester.run.preflight import check_endpoints
from harvester.run.refusals import RefusedLogins
from harvester.run.target import Target, configured_credentials, pacer_target, sandbox_target, watches_nothing

logger = logging.getLogger(__name__)

SANDBOX_ORIGIN = "sandbox"
PACER_ORIGIN = "pacer"


class OutsideWindow(HarvesterError):
    """The harvest window is closed and the run was not asked to wait."""

    exit_code = EXIT_OUTSIDE_WINDOW


class Interrupted(HarvesterError):
    """SIGTERM or Ctrl-C before the harvest started (e.g. while waiting for the window)."""

    exit_code = EXIT_INTERRUPTED


@dataclass(frozen=True)
class RunRequest:
    """What the entry point asks for, on top of the configuration."""

    sandbox: bool = False
    db_path: str | None = None
    window_override: str | None = None
    retry_login: bool = False
    wait: bool = False


class Assembly:
    """Takes a configuration and a request; :meth:`target`, :meth:`effective_config`, :meth:`admit`, :meth:`harvest`."""

    def __init__(self, config: Config, request: RunRequest | None = None,
                 say: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.config = config
        self.request = request or RunRequest()
        self.say = say or (lambda line: None)

    # -- 1. target ----------------------------------------------------------------

    def wants_sandbox(self) -> bool:
        return self.request.sandbox or watches_nothing(self.config)

    @contextmanager
    def target(self, *, embedded_sandbox: bool = True) -> Iterator[Target]:
        """The run's target; an embedded sandbox runs while the block does."""
        if not self.wants_sandbox():
            yield self.real_target()
            return
        if self.config["credentials"]["file"] and not self.request.sandbox:
            configured_credentials(self.config)  # a loose or broken credentials file is refused in any mode
        if not embedded_sandbox:
            raise ConfigError("the configuration watches no courts: add courts to [watch], "
                              "or harvest the sandbox with `harvester run --sandbox`")  # fmt: skip
        if not self.request.sandbox:
            self.warn("The configuration watches no courts ([watch] courts and [watch.cases] are empty): "
                      "harvesting the bundled sandbox instead of PACER")  # fmt: skip
        from harvester.sandbox import Sandbox

        options = self.config["sandbox"]
        kwargs: dict[str, Any] = {"state_dir": options["state_dir"], "seed": options["seed"], "cases": options["cases"]}
        if options["courts"]:
            kwargs["courts"] = tuple(options["courts"])
        with Sandbox(**kwargs) as running:
            logger.info("Harvesting the embedded sandbox at %s", running.base_url)
            yield sandbox_target(running.config, running.cases(acms=True))  # its ACMS cases (ca2, ca9, cavc) too

    def real_target(self) -> Target:
        """Real PACER (the ``[endpoints]``): credentials are required, never silently replaced by the sandbox."""
        missing = self.missing_credentials()
        if missing:
            courts = ", ".join(pacer_target(self.config, None).courts)
            raise LoginFailed(f"the configuration watches {courts} but {' and '.join(missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} not set; nothing was sent "
                              "(export them, set [credentials] file, or run with --sandbox)")  # fmt: skip
        return pacer_target(self.config, configured_credentials(self.config))

    def missing_credentials(self, environ: dict[str, str] | None = None) -> list[str]:
        """The PACER_* variables a real run lacks ([] when a credentials file is configured: it is checked on load)."""
        env = os.environ if environ is None else environ
        if self.config["credentials"]["file"]:
            return []
        return [ENV_VARS[key] for key in ("username", "password") if not env.get(ENV_VARS[key])]

    # -- 2. database --------------------------------------------------------------

    def effective_config(self, target: Target) -> Config:
        """The configuration with the run's database: ``--db``, else the sandbox's own file for the sandbox."""
        if self.request.db_path:
            path = self.request.db_path
        elif target.sandbox:
            path = self.config["sandbox"]["database"]
        else:
            path = self.config["database"]["path"]
        check_database_path(path)
        refuse_mixed_database(path, SANDBOX_ORIGIN if target.sandbox else PACER_ORIGIN)
        return self.config.replaced("database", path=str(path))

    # -- 3-5. admission: refusals, legacy login, window ------------------------------

    def admit(self, target: Target, config: Config) -> Clock:
        """Refusals, legacy-login warning, window (waiting for it with ``wait``); returns the run's clock."""
        if target.credentials is not None and not target.sandbox and not self.request.retry_login:
            RefusedLogins(config["harvest"]["state_dir"]).check(target.credentials)
        self.warn_legacy_account(target)
        clock = target.endpoints.clock()
        if self.request.window_override:
            logger.warning("Window override requested for this run: %s", self.request.window_override)
            return clock
        window = Window(WindowSpec.from_config(config["window"]))
        now = clock.now()
        if window.is_open(now):
            return clock
        opens = window.next_open(now)
        sentence = f"outside the harvest window; it opens {format_both(opens)}"
        if not self.request.wait:
            raise OutsideWindow(f"Not harvesting: {sentence}. Use --wait to sleep until then.")
        self.say(f"Waiting: {sentence}.")
        logger.info("Waiting: %s", sentence)
        with interrupt_on_signals():
            time.sleep(max(0.0, (opens - clock.now()).total_seconds()))
        return clock

    def warn_legacy_account(self, target: Target) -> None:
        """Say before the login what PACER would refuse: legacy names on NextGen courts."""
        creds = target.credentials
        if creds is None or target.sandbox or not creds.is_legacy_name:
            return
        self.warn(f"PACER login name {creds.username!r} has 6 characters or fewer: a legacy account, which NextGen "
                  "CM/ECF courts refuse. Upgrade it on the PACER site (My Account and Billing, Manage My Account, "
                  "Upgrade) if the login fails.")  # fmt: skip

    # -- 6-7. lock and preflight ------------------------------------------------------

    @contextmanager
    def locked(self, config: Config) -> Iterator[RunLock]:
        with RunLock.for_database(config["database"]["path"]) as lock:
            if lock.took_over_stale:
                logger.warning("Took over the lock of a run that did not finish (killed?)")
            yield lock

    def preflight(self, target: Target) -> None:
        check_endpoints(target.endpoints)

    # -- 8. the harvest -----------------------------------------------------------

    async def harvest(self, target: Target, config: Config, clock: Clock, stop: asyncio.Event | None = None) -> RunResult:
        """Lock, preflight, crawl and summary, inside a running asyncio reactor (checks already passed)."""
        await asyncio.get_running_loop().run_in_executor(None, self.preflight, target)
        with self.locked(config):
            result = await harvest_async(config, target, clock=clock, window_override=self.request.window_override,
                                         stop=stop, origin=SANDBOX_ORIGIN if target.sandbox else PACER_ORIGIN)  # fmt: skip
        log_summary(result)
        return result

    async def night(self, target: Target, stop: asyncio.Event | None = None) -> RunResult:
        """Every step after the target, for one harvest (the daemon's night)."""
        config = self.effective_config(target)
        clock = self.admit(target, config)
        return await self.harvest(target, config, clock, stop)

    def warn(self, message: str) -> None:
        logger.warning("%s", message)
        self.say(f"Warning: {message}")


def run_in_reactor(coro_factory: Callable[[], Any]) -> Any:
    """Install Scrapy's asyncio reactor, run ``coro_factory()`` to its end, return its value (or raise)."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor as installed
    from twisted.python.failure import Failure

    reactor: Any = installed  # the asyncio reactor: its run() takes installSignalHandlers

    outcome: dict[str, Any] = {}

    def stop(value: Any) -> None:
        outcome["value"] = value
        if reactor.running:
            reactor.stop()

    deferred_from_coro(coro_factory()).addBoth(stop)
    reactor.run(installSignalHandlers=False)
    value = outcome.get("value")
    if isinstance(value, Failure):
        value.raiseException()
    return value


def log_summary(result: RunResult) -> None:
    """One line per run in the log file: run id, outcome, counts, cost (the terminal gets the printed summary)."""
    s = result.summary
    log_to_file(logging.INFO, "Run %s summary: outcome=%s cases_checked=%s cases_changed=%s entries_added=%s "
                "requests=%s billable_pages=%s cost=$%.2f quarter=$%.2f (%s)", result.run_id, result.outcome,
                s.get("cases_checked"), s.get("cases_changed"), s.get("entries_added"), s.get("requests"),
                s.get("billable_pages"), s.get("cost") or 0.0, s.get("quarter_dollars") or 0.0,
                result.message)  # fmt: skip


def log_to_file(level: int, message: str, *args: Any) -> None:
    """A record for the log file only: for what the terminal is told another way."""
    record = logger.makeRecord(logger.name, level, __file__, 0, message, args, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def check_database_path(path: str | Path) -> None:
    """A clear error for a database path that cannot be a file (its parent is a file, or it is a directory)."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ConfigError(f"database path {target} is a directory, not a database file")
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"database path {target}: {parent} is a file, not a directory")
            return


def refuse_mixed_database(path: str | Path, origin: str) -> None:
    """Refuse a sandbox harvest into a database of real runs, and the reverse: their cases would merge."""
    target = Path(path)
    if not target.is_file() or target.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=5)
        try:
            modes = {row[0] or PACER_ORIGIN for row in conn.execute("SELECT DISTINCT mode FROM runs")}
        finally:
            conn.close()
    except sqlite3.Error:
        return  # not a harvest database yet (or not one at all): opening it says so
    other = modes - {origin}
    if not other:
        return
    if origin == SANDBOX_ORIGIN:
        raise ConfigError(f"{target} holds real PACER runs; a sandbox harvest never writes into it "
                          "(sandbox harvests use sandbox.database, data/sandbox.db; or pass --db)")  # fmt: skip
    raise ConfigError(f"{target} holds sandbox runs (synthetic cases); a real harvest never writes into it: "
                      "set [database] path to a new file, or pass --db")  # fmt: skip


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` while the block runs (exit 7, not 143 or 130)."""

    def interrupted(signum: int, frame: Any) -> None:
        raise Interrupted(f"stopped by {signal.Signals(signum).name} before the harvest started")

    previous = {signum: signal.signal(signum, interrupted) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
