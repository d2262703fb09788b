"""The ``harvester`` command: a thin click layer over the Python API."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from harvester import __version__
from harvester.errors import EXIT_INTERRUPTED, HarvesterError

PORT = click.IntRange(0, 65535)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harvester")
def cli() -> None:
    """Harvest PACER/CM/ECF court data into SQLite, gently and within budget."""


# harvester/entry.py runs plain invocations of this command itself, without loading
# click: keep its _PARSE_OPTIONS in step with the options here.
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
    from harvester.parse_files import write_parsed

    write_parsed(list(paths), court, jobs)


@cli.command()
@click.option("--db", "db_path", default="data/pacer.db", show_default=True, type=click.Path(dir_okay=False),
              help="Harvest database to read.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True,
              help="jsonl: one case a line, shaped like `harvester parse`; csv: one row per docket entry; "
                   "parquet: every table, partitioned by court, with manifest.json and a data dictionary "
                   "(needs --out).")  # fmt: skip
@click.option("--court", "courts", multiple=True, help="Only this CM/ECF court id (repeatable; jsonl and csv).")
@click.option("--case", "cases", multiple=True,
              help="Only this pacer_case_id or docket number (repeatable; jsonl and csv).")  # fmt: skip
@click.option("--output", "-o", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write; - for stdout (jsonl and csv).")  # fmt: skip
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder to write the parquet export to (replaced whole).")  # fmt: skip
@click.option("--since", "since_run", default=None, type=click.IntRange(min=1),
              help="parquet: only rows changed since this run id started (see `harvester status`).")  # fmt: skip
def export(db_path: str, fmt: str, courts: tuple[str, ...], cases: tuple[str, ...], output: str,
           out_dir: str | None, since_run: int | None) -> None:  # fmt: skip
    """Export the harvest: cases as JSON lines or CSV, or every table as Parquet for analysts."""
    from harvester.store.connection import open_readonly

    db = open_readonly(db_path)  # a researcher's copy may well be read-only
    if fmt == "parquet":
        _export_parquet(db, out_dir, since_run, bool(courts or cases))
        return
    if out_dir or since_run:
        raise click.UsageError("--out and --since go with --format parquet")
    from harvester.store.export import export as export_cases

    with click.open_file(output, "w", encoding="utf-8") as out:
        count = export_cases(db, out, fmt=fmt, courts=courts, cases=cases)  # type: ignore[arg-type]  # a text stream
    unit = "cases" if fmt == "jsonl" else "entry rows"
    click.echo(f"exported {count} {unit} to {'stdout' if output == '-' else output}", err=True)


def _export_parquet(db: Any, out_dir: str | None, since_run: int | None, filtered: bool) -> None:
    from harvester.store.parquet_export import export_parquet

    if not out_dir:
        raise click.UsageError("--format parquet writes a folder: give it with --out DIR")
    if filtered:
        raise click.UsageError("--court and --case go with jsonl and csv; a parquet export holds every court")
    result = export_parquet(db, out_dir, since_run=since_run)
    tables = len({f.table for f in result.files})
    rows = sum(f.rows for f in result.files)
    click.echo(f"exported {rows} rows of {tables} tables in {len(result.files)} files to {out_dir} "
               "(manifest.json, DATA_DICTIONARY.md, schema.json)", err=True)  # fmt: skip


@cli.command()
@click.option("--db", "db_path", default="data/pacer.db", show_default=True, type=click.Path(dir_okay=False),
              help="Harvest database to rewrite.")  # fmt: skip
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes parsing each case and planning its rows while this one writes what differs (default: one per core).")  # fmt: skip
def reparse(db_path: str, jobs: int | None) -> None:
    """Re-parse every archived page with the current parsers and rewrite the derived rows."""
    from harvester.parse_files import default_jobs
    from harvester.store.connection import open_db
    from harvester.store.reparse import reparse as reparse_all

    result = reparse_all(open_db(db_path, create=False), jobs=jobs or default_jobs())
    for failure in result.failures:
        click.echo(f"failed: {failure}", err=True)
    click.echo(result.summary())


@cli.group(invoke_without_command=True)
@click.option("--port", default=8443, show_default=True, type=PORT, help="Port to listen on (0: any free port).")
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
    from harvester.sandbox.runner import run_foreground

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
    from harvester.sandbox.runner import advance

    click.echo(json.dumps(advance(state_dir, hours=hours, to=to)))


@cli.command()
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="Harvest database to serve (readable while a harvest writes it). Default: data/pacer.db when it "
              "exists, else the sandbox's data/sandbox.db.")  # fmt: skip
@click.option("--port", default=8001, show_default=True, type=PORT, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the data and SQL to the network.")  # fmt: skip
def serve(db_path: str | None, port: int, host: str) -> None:
    """Browse, search and chart the harvest in Datasette (see docs/researchers.md)."""
    from harvester import config as config_module
    from harvester.web.serve import serve as serve_datasette

    if db_path is None:
        db_path = default_database(config_module.defaults())
    serve_datasette(db_path, host=host, port=port, announce=lambda line: click.echo(line, err=True))


def default_database(sections: dict) -> str:
    """With no --db: the real database when it exists, else the sandbox's; says which on stderr."""
    from pathlib import Path

    real, sandbox_db = sections["database"]["path"], sections["sandbox"]["database"]
    if Path(real).exists() or not Path(sandbox_db).exists():
        click.echo(f"Database: {real} (the real harvest; --db chooses another)", err=True)
        return real
    click.echo(f"Database: {sandbox_db} (the sandbox's: {real} does not exist yet; --db chooses another)", err=True)
    return sandbox_db


DB_OPTION = click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
                         help="Harvest database (default: database.path; for the sandbox, sandbox.database).")
CONFIG_OPTION = click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
                             help="Configuration file (default: config/harvester.toml).")


@cli.command()
@CONFIG_OPTION
@click.option("--wait", is_flag=True, help="Outside the harvest window, sleep until it opens instead of exiting.")
@click.option("--sandbox", "use_sandbox", is_flag=True,
              help="Harvest the embedded sandbox (its own database, data/sandbox.db), not PACER.")
@DB_OPTION
@click.option("--ignore-window", metavar="REASON", default=None, callback=lambda _c, _p, v: _override_reason(v),
              help="Ignore the 6 p.m.-6 a.m. window for this run only; the reason is logged and recorded.")
@click.option("--retry-login", is_flag=True,
              help="Try credentials that PACER refused in an earlier run once more (they are not retried otherwise).")
def run(config_path: str | None, wait: bool, use_sandbox: bool, db_path: str | None, ignore_window: str | None,
        retry_login: bool) -> None:  # fmt: skip
    """Run one nightly harvest pass and print its summary.

    The sandbox is harvested only with --sandbox or when the configuration watches
    no courts; a config that watches courts needs PACER credentials (exit 5 without).

    Exit codes: 0 done, 1 failed, 2 bad configuration, 3 outside the window (or it
    closed during the run), 4 budget exhausted, 5 login failed or no credentials,
    6 another run holds the database's lock, 7 interrupted, 8 finished with blocked
    courts or failed requests, 9 the login service's TLS was refused.
    """
    from harvester.run.assembly import RunRequest
    from harvester.run.nightly import nightly

    request = RunRequest(sandbox=use_sandbox, db_path=db_path, window_override=ignore_window, retry_login=retry_login,
                         wait=wait)  # fmt: skip
    sys.exit(nightly(config_path, request))


@cli.command()
@CONFIG_OPTION
@click.option("--sandbox", "use_sandbox", is_flag=True,
              help="Harvest the embedded sandbox (its own database, data/sandbox.db), not PACER.")
@DB_OPTION
def daemon(config_path: str | None, use_sandbox: bool, db_path: str | None) -> None:
    """Stay running and harvest every night when the window opens (SIGTERM stops it).

    APScheduler fires at each window opening (Central time); a start missed while the
    machine slept still runs later that night, and a missed night never runs twice.
    """
    from harvester.run.assembly import RunRequest
    from harvester.run.nightly import daemon as run_daemon

    sys.exit(run_daemon(config_path, RunRequest(sandbox=use_sandbox, db_path=db_path)))


@cli.command()
@CONFIG_OPTION
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="Harvest database to report on. Default: database.path when it exists, else sandbox.database.")
@click.option("--runs", "run_count", default=10, show_default=True, help="How many recent runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def status(config_path: str | None, db_path: str | None, run_count: int, as_json: bool) -> None:
    """Last runs, this quarter's spend against the $30 waiver, blocked courts, the next window, database size."""
    from harvester import config as config_module
    from harvester.run.status import format_status
    from harvester.run.status import status as status_report

    config = config_module.load(config_path)
    config = config.replaced("database", path=db_path or default_database(config.sections))
    report = status_report(config, runs=run_count)
    click.echo(json.dumps(report, indent=2) if as_json else format_status(report))


@cli.command("window")
@CONFIG_OPTION
@click.option("--at", "at", default=None, metavar="ISO8601",
              help="Judge this instant (with its UTC offset, e.g. 2026-03-08T05:30-05:00) instead of now.")
@click.option("--nights", default=3, show_default=True, help="How many upcoming open periods to list.")
def window_cmd(config_path: str | None, at: str | None, nights: int) -> None:
    """Show whether the harvest window is open, in Central time and your local time."""
    from datetime import UTC, datetime

    from harvester import config as config_module
    from harvester.gate.window import Window, WindowSpec, format_both

    try:
        now = datetime.fromisoformat(at) if at else datetime.now(UTC)
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
    from harvester import config as config_module

    if docs:
        click.echo(config_module.docs_markdown())
        return
    cfg = config_module.load(config_path)
    config_module.check_for_run(cfg)
    click.echo(f"# {cfg.source}: valid")
    for section, values in cfg.sections.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value)}")
    for court, ids in cfg.cases.items():
        click.echo(f"[watch.cases.{court}]")
        for key, value in ids.items():
            click.echo(f"{key} = {json.dumps(value)}")


def _override_reason(value: str | None) -> str | None:
    from harvester.config import override_reason

    return override_reason(value)


def main() -> None:
    """Entry point that turns HarvesterError into one clear line and its exit code."""
    try:
        code = cli(standalone_mode=False)
    except HarvesterError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except PermissionError as exc:  # a state dir, log or database the harvester's user may not write
        from harvester.masking import mask

        click.echo(mask(f"Error: permission denied: {exc.filename or exc}"), err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
