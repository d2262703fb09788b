"""The ``harvester`` executable. A plain ``harvester parse FILE...`` starts without click.

Loading click and the command definitions (:mod:`harvester.cli`) takes ~40 ms, a
third of the start of ``harvester parse`` on a few files. A plain invocation (paths,
``--court C``, ``--jobs N``/``-j N``) is recognised here and run directly. Anything
else (help, any other command, another spelling of an option, a mistake) goes to
:mod:`harvester.cli`, so click stays the one definition of the commands, their
help and their errors.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main", "plain_parse"]

# The value options of `harvester parse` (harvester/cli.py), by the parameter they set.
_PARSE_OPTIONS = {"--court": "court", "--jobs": "jobs", "-j": "jobs"}


def plain_parse(argv: list[str]) -> tuple[list[str], str | None, int | None] | None:
    """(paths, court, jobs) when ``argv`` is a plain ``parse`` invocation, else None.

    Accepted only where click would read the same: options spelled apart from
    their values, values not starting with "-", jobs a whole number of at least 1,
    at least one path; the last of a repeated option wins, as in click.
    """
    if argv[:1] != ["parse"]:
        return None
    paths: list[str] = []
    values: dict[str, str] = {}
    args = iter(argv[1:])
    for arg in args:
        if not arg.startswith("-"):
            paths.append(arg)
            continue
        name, value = _PARSE_OPTIONS.get(arg), next(args, None)
        if name is None or value is None or value.startswith("-"):
            return None
        values[name] = value
    jobs = values.get("jobs")
    if jobs is not None and not (jobs.isascii() and jobs.isdigit() and int(jobs) >= 1):
        return None
    if not paths:
        return None
    return paths, values.get("court"), None if jobs is None else int(jobs)


def main() -> None:
    """Run ``harvester`` with ``sys.argv``: a plain parse here, anything else through click."""
    request = plain_parse(sys.argv[1:])
    if request is None:
        from harvester.cli import main as click_main

        click_main()
        return
    from harvester.errors import EXIT_INTERRUPTED
    from harvester.parse_files import write_parsed

    try:
        write_parsed(*request)
    except KeyboardInterrupt:  # as click reports it
        sys.stderr.write("\nAborted.\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # the reader left (`| head`): exit 1 without a word, as click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (the exit's flush cannot fail again)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
