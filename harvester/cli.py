"""The ``harvester`` command: a thin click layer over the Python API."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .errors import HarvesterError, ParseError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harvester")
def cli() -> None:
    """Harvest PACER/CM/ECF court data into SQLite, gently and within budget."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--court", help="CM/ECF court id (e.g. cand) for pages that do not name their court.")
def parse(paths: tuple[str, ...], court: str | None) -> None:
    """Parse saved CM/ECF pages and write one JSON object per file to stdout.

    Each line has "source" (the path as given), "kind" (detected) and the parsed
    fields, or "error" with the reason when the page cannot be parsed.
    """
    from .parsers import parse_page

    out = sys.stdout
    for path in paths:
        out.write(json.dumps(_parse_one(path, court, parse_page), ensure_ascii=False) + "\n")


def _parse_one(path: str, court: str | None, parse_page) -> dict:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return {"source": path, "kind": "unreadable", "error": f"cannot read file: {exc.strerror}"}
    try:
        record = parse_page(data, court_id=court)
    except ParseError as exc:
        return {"source": path, "kind": getattr(exc, "kind", "unknown"), "error": str(exc)}
    except Exception as exc:  # a parser bug must not stop the other files
        return {"source": path, "kind": "unknown", "error": f"parser failure: {type(exc).__name__}: {exc}"}
    return {"source": path, **record}


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
