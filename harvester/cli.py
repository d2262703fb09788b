"""The ``harvester`` command: a thin click layer over the Python API."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import HarvesterError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harvester")
def cli() -> None:
    """Harvest PACER/CM/ECF court data into SQLite, gently and within budget."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--court", help="CM/ECF court id (e.g. cand) for pages that do not name their court.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes parsing at once (default: one per core). The output order is the same.")  # fmt: skip
def parse(paths: tuple[str, ...], court: str | None, jobs: int | None) -> None:
    """Parse saved CM/ECF pages and write one JSON object per file to stdout.

    Each line has "source" (the path as given), "kind" (detected) and the parsed
    fields, or "error" with the reason when the page cannot be parsed.
    """
    from .parse_files import default_jobs, parse_files
    from .parsers import parse_page

    # Bytes, so a non-UTF-8 locale cannot make a court's accented name fatal.
    out = sys.stdout.buffer
    out.flush()  # nothing buffered may be copied into the worker processes
    for line in parse_files(list(paths), court, parse_page, jobs or default_jobs()):
        out.write(line)
        out.flush()


@cli.command()
@click.option("--db", "db_path", default="data/pacer.db", show_default=True, type=click.Path(dir_okay=False),
              help="Harvest database to read.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="jsonl: one case a line, shaped like `harvester parse`; csv: one row per docket entry.")  # fmt: skip
@click.option("--court", "courts", multiple=True, help="Only this CM/ECF court id (repeatable).")
@click.option("--case", "cases", multiple=True, help="Only this pacer_case_id or docket number (repeatable).")
@click.option("--output", "-o", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write; - for stdout.")  # fmt: skip
def export(db_path: str, fmt: str, courts: tuple[str, ...], cases: tuple[str, ...], output: str) -> None:
    """Export harvested cases as JSON lines or CSV (see harvester/export.py for the shapes)."""
    from .db import open_db
    from .export import export as export_cases

    db = open_db(db_path, create=False)
    with click.open_file(output, "w", encoding="utf-8") as out:
        count = export_cases(db, out, fmt=fmt, courts=courts, cases=cases)
    unit = "cases" if fmt == "jsonl" else "entry rows"
    click.echo(f"exported {count} {unit} to {'stdout' if output == '-' else output}", err=True)


@cli.command()
@click.option("--db", "db_path", default="data/pacer.db", show_default=True, type=click.Path(dir_okay=False),
              help="Harvest database to rewrite.")  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes parsing while this one writes (default: one per core).")  # fmt: skip
def reparse(db_path: str, jobs: int | None) -> None:
    """Re-parse every archived page with the current parsers and rewrite the derived rows."""
    from .db import open_db
    from .parse_files import default_jobs
    from .reparse import reparse as reparse_all

    result = reparse_all(open_db(db_path, create=False), jobs=jobs or default_jobs())
    for failure in result.failures:
        click.echo(f"failed: {failure}", err=True)
    click.echo(result.summary())


@cli.group(invoke_without_command=True)
@click.option("--port", default=8443, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--courts", default=None, help="Comma-separated CM/ECF court ids for synthetic cases "
              "(default: cand,nysd,ilnd,dcd,nysb,txsb,ca9,ca7).")
@click.option("--cases", default=200, show_default=True, help="Number of synthetic cases, dealt over the courts.")
@click.option("--mean-entries", default=100, show_default=True, help="Mean docket entries per synthetic case.")
@click.option("--seed", default=2023, show_default=True, help="Seed of the synthetic generator.")
@click.option("--start", default=None, help="Sandbox start time, ISO 8601 (default: 19:00 Chicago today).")
@click.option("--state-dir", default="sandbox-state", show_default=True, type=click.Path(file_okay=False),
              help="Directory for ca.pem, requests.jsonl and config.json.")
@click.option("--tls-mode", type=click.Choice(["normal", "tls11", "untrusted", "wrong-host"]), default="normal",
              show_default=True, help="TLS test mode.")
@click.option("--json", "as_json", is_flag=True, help="Print the config as one JSON line.")
@click.pass_context
def sandbox(ctx: click.Context, courts: str | None, as_json: bool, **options) -> None:
    """Run the local CM/ECF + PACER login sandbox in the foreground (Ctrl-C stops it)."""
    if ctx.invoked_subcommand is not None:
        return
    from .sandbox.runner import run_foreground

    if courts:
        options["courts"] = tuple(c.strip() for c in courts.split(",") if c.strip())
    run_foreground(options, as_json=as_json)


@sandbox.command("advance")
@click.option("--hours", type=float, default=None, help="Hours to move the sandbox clock forward.")
@click.option("--to", "to", default=None, help="ISO 8601 time to move the sandbox clock to.")
@click.option("--state-dir", default="sandbox-state", show_default=True, type=click.Path(file_okay=False),
              help="State directory of the running sandbox.")
def sandbox_advance(hours: float | None, to: str | None, state_dir: str) -> None:
    """Advance the clock of a running sandbox (its cases grow accordingly)."""
    from .sandbox.runner import advance

    click.echo(json.dumps(advance(state_dir, hours=hours, to=to)))


@cli.command()
@click.option("--db", "db_path", default="data/pacer.db", show_default=True, type=click.Path(dir_okay=False),
              help="Harvest database to serve (readable while a harvest writes it).")  # fmt: skip
@click.option("--port", default=8001, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the data and SQL to the network.")  # fmt: skip
def serve(db_path: str, port: int, host: str) -> None:
    """Browse, search and chart the harvest in Datasette (see docs/researchers.md)."""
    from .serve import serve as serve_datasette

    serve_datasette(db_path, host=host, port=port, announce=lambda line: click.echo(line, err=True))


CONFIG_OPTION = click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
                             help="Configuration file (default: config/harvester.toml).")


@cli.command()
@CONFIG_OPTION
@click.option("--wait", is_flag=True, help="Outside the harvest window, sleep until it opens instead of exiting.")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Harvest the embedded sandbox even if PACER credentials are set.")
@click.option("--ignore-window", metavar="REASON", default=None,
              help="Ignore the 6 p.m.-6 a.m. window for this run only; the reason is logged and recorded.")
@click.option("--retry-login", is_flag=True,
              help="Try credentials that PACER refused in an earlier run once more (they are not retried otherwise).")
def run(config_path: str | None, wait: bool, use_sandbox: bool, ignore_window: str | None, retry_login: bool) -> None:
    """Run one nightly harvest pass and print its summary.

    Exit codes: 0 done, 1 failed, 2 bad configuration, 3 outside the window (or it
    closed during the run), 4 budget exhausted, 5 login failed, 6 another run holds
    the lock, 7 interrupted, 8 finished with blocked courts or failed requests.
    """
    from .nightly import nightly

    code = nightly(config_path, wait=wait, sandbox=use_sandbox, window_override=ignore_window, retry_login=retry_login)
    sys.exit(code)


@cli.command()
@CONFIG_OPTION
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Harvest the embedded sandbox even if PACER credentials are set.")
def daemon(config_path: str | None, use_sandbox: bool) -> None:
    """Stay running and harvest every night when the window opens (SIGTERM stops it).

    APScheduler fires at each window opening (Central time); a start missed while the
    machine slept still runs later that night, and a missed night never runs twice.
    """
    from .nightly import daemon as run_daemon

    sys.exit(run_daemon(config_path, sandbox=use_sandbox))


@cli.command()
@CONFIG_OPTION
@click.option("--runs", "run_count", default=10, show_default=True, help="How many recent runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def status(config_path: str | None, run_count: int, as_json: bool) -> None:
    """Last runs, this quarter's spend against the $30 waiver, blocked courts, the next window, database size."""
    from . import config as config_module
    from .status import format_status, status as status_report

    report = status_report(config_module.load(config_path), runs=run_count)
    click.echo(json.dumps(report, indent=2) if as_json else format_status(report))


@cli.command("window")
@CONFIG_OPTION
@click.option("--at", "at", default=None, metavar="ISO8601",
              help="Judge this instant (with its UTC offset, e.g. 2026-03-08T05:30-05:00) instead of now.")
@click.option("--nights", default=3, show_default=True, help="How many upcoming open periods to list.")
def window_cmd(config_path: str | None, at: str | None, nights: int) -> None:
    """Show whether the harvest window is open, in Central time and your local time."""
    from datetime import datetime, timezone

    from . import config as config_module
    from .window import Window, WindowSpec, format_both

    try:
        now = datetime.fromisoformat(at) if at else datetime.now(timezone.utc)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {at}", param_hint="--at") from None
    if now.tzinfo is None:
        raise click.BadParameter("give a UTC offset, e.g. 2026-03-08T05:30-05:00", param_hint="--at")
    window = Window(WindowSpec.from_config(config_module.load(config_path)["window"]))
    click.echo(window.describe(now))
    click.echo(f"Rules: {window.spec.describe()}")
    for opening, closing in window.upcoming(now, nights):
        click.echo(f"  {format_both(opening)}  until  {format_both(closing)}")


@cli.command("config")
@CONFIG_OPTION
@click.option("--docs", is_flag=True, help="Print the key-by-key reference (docs/configuration.md).")
def config_cmd(config_path: str | None, docs: bool) -> None:
    """Check the configuration file and print the settings in force."""
    from . import config as config_module

    if docs:
        click.echo(config_module.docs_markdown())
        return
    cfg = config_module.load(config_path)
    click.echo(f"# {cfg.source}: valid")
    for section, values in cfg.sections.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value)}")
    for court, ids in cfg.cases.items():
        click.echo(f"[watch.cases.{court}]")
        for key, value in ids.items():
            click.echo(f"{key} = {json.dumps(value)}")


def main() -> None:
    """Entry point that turns HarvesterError into one clear line and its exit code."""
    try:
        code = cli(standalone_mode=False)
    except HarvesterError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
