"""``harvester run``: configuration, logging, window, target, one harvest, the summary.

Kept apart from ``run.py`` (the harvest itself) so that the daemon and the tests can
call :func:`harvest_once` without the terminal concerns handled here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import contextmanager
from typing import Iterator

import click

from harvester import config as config_module
from harvester.config import Config
from harvester.errors import EXIT_OUTSIDE_WINDOW
from harvester.gate.window import WindowSpec
from harvester.logs import setup_logging
from harvester.run.crawl import RunResult, harvest_once, window_status
from harvester.run.preflight import check_endpoints
from harvester.run.refusals import RefusedLogins
from harvester.run.target import Target, resolved_target

logger = logging.getLogger(__name__)


@contextmanager
def prepared(config_path: str | None, sandbox: bool) -> Iterator[tuple[Config, Target]]:
    """The configuration, logging, and the target (an embedded sandbox runs while the block does)."""
    config = config_module.load(config_path)
    setup_logging(config["log"]["file"], config["log"]["level"])
    with resolved_target(config, sandbox=sandbox) as target:
        yield config, target


def nightly(config_path: str | None, *, wait: bool = False, sandbox: bool = False,
            window_override: str | None = None, retry_login: bool = False) -> int:  # fmt: skip
    """One nightly pass as the CLI runs it; returns the exit code."""
    with prepared(config_path, sandbox) as (config, target):
        check_endpoints(target.endpoints)  # nothing is locked, opened or written for a run that cannot start
        warn_legacy_account(target)
        if target.credentials is not None and not target.sandbox and not retry_login:
            RefusedLogins(config["harvest"]["state_dir"]).check(target.credentials)
        clock = target.endpoints.clock()
        if window_override:
            logger.warning("Window override requested for this run: %s", window_override)
        else:
            is_open, sentence, opens = window_status(WindowSpec.from_config(config["window"]), clock)
            if not is_open and not wait:
                click.echo(f"Not harvesting: {sentence}. Use --wait to sleep until then.", err=True)
                return EXIT_OUTSIDE_WINDOW
            if not is_open:
                click.echo(f"Waiting: {sentence}.", err=True)
                time.sleep(max(0.0, (opens - clock.now()).total_seconds()))
        result = harvest_once(config, target, clock=clock, window_override=window_override)
    click.echo(format_summary(result, sandbox=target.sandbox))
    return result.exit_code


def warn_legacy_account(target: Target) -> None:
    """Say before the login what PACER would refuse: legacy names on NextGen courts (PACER.md)."""
    creds = target.credentials
    if creds is None or target.sandbox or not creds.is_legacy_name:
        return
    message = (f"PACER login name {creds.username!r} has 6 characters or fewer: a legacy account, which NextGen "
               "CM/ECF courts refuse. Upgrade it on the PACER site (My Account and Billing, Manage My Account, "
               "Upgrade) if the login fails.")  # fmt: skip
    logger.warning("%s", message)
    click.echo(f"Warning: {message}", err=True)


def format_summary(result: RunResult, sandbox: bool = False) -> str:
    s = result.summary
    gates = s.get("gates", {})
    where = "sandbox" if sandbox else "PACER"
    lines = [
        f"Run {result.run_id} ({where}): {result.outcome} - {result.message}",
        f"  cases checked {s['cases_checked']}, changed {s['cases_changed']}, entries added {s['entries_added']}",
        f"  requests {s['requests']}, billable pages {s['billable_pages']}, cost ${s['cost']:.2f}"
        + (f" (sandbox play money; ${s['quarter_dollars']:.2f} this quarter)" if sandbox
           else f" (this quarter ${s['quarter_dollars']:.2f} of the $30.00 waiver)"),
        "  gate: " + ", ".join(f"{k.removeprefix('gate/')} {v:g}" for k, v in sorted(gates.items())
                              if k.startswith("gate/") and isinstance(v, (int, float))),
    ]  # fmt: skip
    return "\n".join(lines)


def daemon(config_path: str | None, *, sandbox: bool = False) -> int:
    """``harvester daemon``: harvest every night when the window opens, until SIGTERM."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    from harvester.gate.window import Window
    from harvester.run.crawl import harvest_async
    from harvester.run.daemon import Daemon

    with prepared(config_path, sandbox) as (config, target):
        clock = target.endpoints.clock()

        async def night(stop: asyncio.Event) -> RunResult:
            result = await harvest_async(config, target, clock=clock, stop=stop)
            click.echo(format_summary(result, sandbox=target.sandbox))
            return result

        service = Daemon(Window(WindowSpec.from_config(config["window"])), clock, night)
        deferred_from_coro(service.serve()).addBoth(lambda _: reactor.stop())
        reactor.run(installSignalHandlers=False)
    return 0
