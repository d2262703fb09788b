"""``harvester run`` and ``harvester daemon``: the terminal around :class:`~harvester.run.assembly.Assembly`.

Configuration, logging, the printed summary and the exit code live here; every step of
the harvest itself (target, refusals, window, lock, preflight, crawl) is the assembly's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click

from harvester import config as config_module
from harvester.config import Config
from harvester.errors import HarvesterError
from harvester.logs import setup_logging
from harvester.run.assembly import Assembly, RunRequest, log_to_file, run_in_reactor
from harvester.run.crawl import RunResult

logger = logging.getLogger(__name__)


def say(line: str) -> None:
    click.echo(line, err=True)


@contextmanager
def logged_errors(what: str) -> Iterator[None]:
    """Errors that stop a run (lock held, bad configuration, refused login) reach the log file too."""
    try:
        yield
    except HarvesterError as exc:
        log_to_file(logging.ERROR, "%s stopped: %s", what, exc)  # the terminal gets the CLI's "Error:" line
        raise


def load_and_log(config_path: str | None) -> Config:
    config = config_module.load(config_path)
    setup_logging(config["log"]["file"], config["log"]["level"])
    return config


def nightly(config_path: str | None, request: RunRequest | None = None) -> int:
    """One nightly pass as the CLI runs it; returns the exit code."""
    config = load_and_log(config_path)
    assembly = Assembly(config, request, say=say)
    with logged_errors("Harvest"), assembly.target() as target:
        run_config = assembly.effective_config(target)
        clock = assembly.admit(target, run_config)
        result: RunResult = run_in_reactor(lambda: assembly.harvest(target, run_config, clock))
    click.echo(format_summary(result, sandbox=target.sandbox, database=run_config["database"]["path"]))
    return result.exit_code


def format_summary(result: RunResult, sandbox: bool = False, database: str | None = None) -> str:
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
    if database:
        lines.append(f"  database: {database}")
    return "\n".join(lines)


def daemon(config_path: str | None, request: RunRequest | None = None) -> int:
    """``harvester daemon``: harvest every night when the window opens, until SIGTERM.

    Each night is a whole assembly (refusals, window, lock, preflight, crawl): a
    password PACER refused on one night is not sent on the next.
    """
    from harvester.gate.window import Window, WindowSpec
    from harvester.run.daemon import Daemon

    config = load_and_log(config_path)
    assembly = Assembly(config, request, say=say)
    with logged_errors("Daemon"), assembly.target() as target:
        run_config = assembly.effective_config(target)
        clock = target.endpoints.clock()

        async def night(stop: asyncio.Event) -> RunResult:
            result = await assembly.night(target, stop)
            click.echo(format_summary(result, sandbox=target.sandbox, database=run_config["database"]["path"]))
            return result

        service = Daemon(Window(WindowSpec.from_config(run_config["window"])), clock, night)
        run_in_reactor(service.serve)
    return 0
