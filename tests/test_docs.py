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
    for command, ctx in clidoc._walk(clidoc.cli, clidoc.context(clidoc.cli, "harvester")):
        assert f"## `{ctx.command_path}`" in text
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in text, f"{ctx.command_path} {opt} is undocumented"


def test_the_reference_does_not_depend_on_what_ran_before():
    # `pytest tests/test_window.py tests/test_docs.py` once failed: a CLI call in the same
    # process changed the help click rendered. The page is what `--help` shows, always.
    from click.testing import CliRunner

    before = clidoc.reference()
    assert CliRunner().invoke(clidoc.cli, ["window", "--at", "2026-03-07T12:00-06:00"]).exit_code == 0
    assert clidoc.reference() == before
    assert "-h, --help" in before


REPO = DOCS.parent
# Reference material that lives outside the repository: the repo must not point at it as its own.
NOT_IN_THE_REPO = ("STACK.md", "PACER.md", "tools/fidelity.py", "README's *Credentials*")


def repo_text_files() -> list[Path]:
    files = [REPO / "README.md", *DOCS.glob("*.md"), REPO / "pyproject.toml", REPO / "Makefile"]
    for folder in ("harvester", "spiders", "tests", "benchmarks"):
        files += [p for p in (REPO / folder).rglob("*.py")]
    return [p for p in files if "fixtures" not in p.parts and p.name != "test_docs.py"]


def test_no_reference_to_files_that_are_not_in_the_repository():
    for path in repo_text_files():
        text = path.read_text(encoding="utf-8")
        for name in NOT_IN_THE_REPO:
            for line in text.splitlines():
                if name in line:
                    assert "../shared" in line, f"{path.relative_to(REPO)} mentions {name}: {line.strip()}"


def test_markdown_links_point_at_files_that_exist():
    import re

    for page in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to missing {target}"
