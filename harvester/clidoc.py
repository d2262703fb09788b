"""The command reference of ``docs/cli.md``, generated from the click commands themselves.

    .venv/bin/python -m harvester.clidoc > docs/cli.md

A test compares the file with this output, so every command and option is documented.
The contexts are made the way click makes them for a real ``--help`` (the group's
``context_settings`` included, e.g. ``-h``), so the page is what a user sees, whatever
commands ran before in the same process.
"""

from __future__ import annotations

import click

from harvester.cli import cli

WIDTH = {"terminal_width": 80, "max_content_width": 80}


def context(command: click.Command, name: str, parent: click.Context | None = None) -> click.Context:
    """The context click would make for ``name --help``, at a fixed width."""
    return click.Context(command, info_name=name, parent=parent, **{**command.context_settings, **WIDTH})


def _walk(command: click.Command, ctx: click.Context) -> list[tuple[click.Command, click.Context]]:
    found = [(command, ctx)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, context(sub, name, ctx))
    return found


def reference() -> str:
    """Every command's ``--help`` text, in one Markdown page."""
    parts = ["# Command reference", "", "Generated from the commands' own `--help` (`python -m harvester.clidoc`).", ""]
    for command, ctx in _walk(cli, context(cli, "harvester")):
        parts += [f"## `{ctx.command_path}`", "", "```", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference())
