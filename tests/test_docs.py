"""Docs that cannot drift: every command and option, every configuration key."""

from pathlib import Path

from harvester import clidoc

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current():
    assert (DOCS / "cli.md").read_text(encoding="utf-8").strip() == clidoc.reference().strip(), (
        "regenerate with: .venv/bin/python -m harvester.clidoc > docs/cli.md"
    )


def test_every_command_and_option_is_in_the_reference():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command, ctx in clidoc._walk(clidoc.cli, clidoc.click.Context(clidoc.cli, info_name="harvester")):
        assert f"## `{ctx.command_path}`" in text
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in text, f"{ctx.command_path} {opt} is undocumented"
