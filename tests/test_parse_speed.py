"""Parsing fast: on every core, with the same output in the same order, and a lean start.

``harvester parse`` forks workers over batches of files; ``harvester reparse``
parses in worker processes while the main one writes the database. Both must
give exactly what the one-process run gives. ``harvester parse`` must not load
the harvesting stack (Scrapy, Twisted, sqlite-utils, Datasette) at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from db_support import DOCKET_FIXTURES, page, table_dump
from golden_support import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester import parse_files as parse_files_module
from harvester.cli import cli
from harvester.entry import plain_parse
from harvester.parse_files import parse_files
from harvester.parsers import parse_page
from harvester.parsers import text as text_module
from harvester.parsers.text import literal_matches, literal_search
from harvester.process_map import ordered_map
from harvester.store import reparse as reparse_module
from harvester.store.connection import open_db
from harvester.store.raw_pages import archive_raw_page
from harvester.store.reparse import reparse

EXECUTABLE = Path(sys.executable).with_name("harvester")
PAGES = sorted(str(p) for p in FIXTURES.glob("dockets/*/*.html")) + [
    str(FIXTURES / "rss_feeds" / "ca10.xml"),
    "/nonexistent/page.html",  # unreadable: its error line keeps its place
    str(FIXTURES / "case_queries" / "alsd.html"),  # refused: an error line
]


def _serial(paths: list[str]) -> list[bytes]:
    return list(parse_files(paths, None, parse_page, jobs=1))


def test_forked_workers_give_the_serial_output_in_order(monkeypatch) -> None:
    monkeypatch.setattr(parse_files_module, "_MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parse_files_module, "_BATCH_FILES", 7)  # several batches, a short last one
    expected = _serial(PAGES)
    assert len(expected) == len(PAGES)
    assert list(parse_files(PAGES, None, parse_page, jobs=3)) == expected
    parent = os.getpid()

    def tagged(data: bytes, court_id: str | None = None) -> dict:
        return {"in_worker": os.getpid() != parent}

    lines = list(parse_files(PAGES, None, tagged, jobs=3))
    # All but the unreadable file and one file a batch (parsed here before forking).
    batches = -(-len(PAGES) // 7)
    assert sum(b'"in_worker": true' in line for line in lines) >= len(PAGES) - 1 - batches


def test_a_worker_that_dies_leaves_its_files_to_the_parent(monkeypatch) -> None:
    monkeypatch.setattr(parse_files_module, "_MIN_PARALLEL_BYTES", 0)
    parent = os.getpid()

    def dies_in_a_worker(data: bytes, court_id: str | None = None) -> dict:
        if os.getpid() != parent:
            os._exit(3)
        return parse_page(data, court_id)

    assert list(parse_files(PAGES, None, dies_in_a_worker, jobs=2)) == _serial(PAGES)


def test_parse_command_jobs_option_keeps_the_output() -> None:
    command = [str(EXECUTABLE)] if EXECUTABLE.exists() else [sys.executable, "-m", "harvester.entry"]
    # (--jobs=2 is not a plain invocation: click runs that one)
    runs = [
        subprocess.run([*command, "parse", *jobs, *PAGES], capture_output=True, timeout=300, check=True).stdout
        for jobs in (["-j", "1"], ["-j", "2"], [], ["--jobs=2"])
    ]
    assert runs[0] == runs[1] == runs[2] == runs[3]
    assert runs[0].count(b"\n") == len(PAGES)


def _click_parse(args: list[str]) -> tuple[list[str], str | None, int | None] | None:
    """What click makes of ``harvester parse ARGS``, None when it refuses them or shows help."""
    # (under the group's context, as a real run: -h is help there too, and click keeps
    # the help option it makes first, so a context without it would change --help)
    parent = click.Context(cli, info_name="harvester", **cli.context_settings)
    try:
        params = cli.commands["parse"].make_context("parse", list(args), parent=parent).params
    except (click.ClickException, click.exceptions.Exit):
        return None
    return list(params["paths"]), params["court"], params["jobs"]


_PATH_ARGS = st.sampled_from(["a.html", "b c.html", "", "-a.html", "-"])
_OPTION_ARGS = st.sampled_from(["--court", "--jobs", "-j", "--court=cand", "--jobs=2", "-j2", "-h", "--help", "--", "--bogus"])
_VALUE_ARGS = st.sampled_from(["cand", "", "2", "01", "0", "-1", "+3", " 4", "\u0663", "\u00b2", "--jobs", "a.html"])
# Command lines of paths, options with a value, and options alone (mistakes among them).
_PARSE_ARGS = st.lists(
    st.one_of(_PATH_ARGS.map(lambda a: [a]), st.tuples(_OPTION_ARGS, _VALUE_ARGS).map(list), _OPTION_ARGS.map(lambda a: [a])),
    max_size=5,
).map(lambda parts: [arg for part in parts for arg in part])


@settings(max_examples=400, deadline=None)
@given(_PARSE_ARGS)
def test_a_plain_parse_reads_its_arguments_as_click_does(args: list[str]) -> None:
    """The executable runs plain `harvester parse` invocations without click: whatever
    it accepts, click reads the same way (the rest it leaves to click)."""
    plain = plain_parse(["parse", *args])
    if plain is not None:
        assert plain == _click_parse(args)


@pytest.mark.parametrize(
    "args",
    [["a.html"], ["a.html", "b.html", "--court", "cand"], ["-j", "2", "a.html"], ["--jobs", "1", "a", "--court", ""],
     ["--court", "x", "--court", "y", "a.html"]],  # fmt: skip
)
def test_the_usual_invocations_are_plain(args: list[str]) -> None:
    assert plain_parse(["parse", *args]) == _click_parse(args) is not None


@pytest.mark.parametrize("jobs", [["-j", "2"], ["--jobs=2"]])  # plain, and through click
def test_a_reader_that_leaves_ends_the_command_quietly(jobs: list[str]) -> None:
    """`harvester parse ... | head`: exit 1 and no traceback, on both paths."""
    command = [str(EXECUTABLE)] if EXECUTABLE.exists() else [sys.executable, "-m", "harvester.entry"]
    pages = [p for p in PAGES if os.path.exists(p)] * 4  # (more output than a pipe holds)
    proc = subprocess.Popen([*command, "parse", *jobs, *pages], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert stderr == b""


def _modules_after_parse(entry: str, args: list[str]) -> tuple[str, set[str]]:
    """(stdout, modules loaded) of ``harvester parse ARGS`` run through ``entry``'s ``main`` in a fresh interpreter."""
    probe = (
        "import sys\n"
        f"from {entry} import main\n"
        f"sys.argv = ['harvester', 'parse', *{args!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return run.stdout, set(run.stderr.split())


def test_a_plain_parse_does_not_load_click() -> None:
    out, loaded = _modules_after_parse("harvester.entry", ["-j", "1", str(FIXTURES / "rss_feeds" / "ca10.xml")])
    assert "harvester.parsers.rss" in loaded
    assert not loaded & {"click", "harvester.cli", "logging", "pathlib"}
    assert json.loads(out)["kind"] == "rss"


def _square(n: int) -> int:
    if n == 13:
        raise ValueError("unlucky")
    return n * n


def test_ordered_map_keeps_order_and_raises_the_workers_error() -> None:
    assert list(ordered_map(_square, range(12), jobs=2, ahead=2)) == [n * n for n in range(12)]
    with pytest.raises(ValueError, match="unlucky"):
        list(ordered_map(_square, range(20), jobs=2))


def _archive(path: Path) -> None:
    db = open_db(path)
    for copy in range(3):
        for kind, stem, court in DOCKET_FIXTURES:
            data = page(kind, stem) + f"<!-- copy {copy} -->".encode()
            archive_raw_page(db, data, kind="docket", court_id=court, pacer_case_id=f"{stem}-{copy % 2}",
                             fetched_at=f"2026-01-0{copy + 1}T02:00:00Z")  # fmt: skip
    db.close()


def test_reparse_in_worker_processes_writes_what_one_process_writes(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(reparse_module, "_MIN_PARALLEL_PAGES", 1)
    dumps = []
    for jobs in (1, 2):
        path = tmp_path / f"jobs{jobs}.db"
        _archive(path)
        db = open_db(path)
        result = reparse(db, jobs=jobs)
        assert result.failed == 0 and result.parsed_pages == 3 * len(DOCKET_FIXTURES)
        dumps.append({t: table_dump(db, t) for t in ("cases", "parties", "attorneys", "docket_entries")})
        db.close()
    assert dumps[0] == dumps[1]
    assert dumps[0]["docket_entries"]


def test_parse_command_does_not_import_the_harvesting_stack() -> None:
    district = str(FIXTURES / "dockets" / "district" / "azd.html")
    _, loaded = _modules_after_parse("harvester.cli", [district, str(FIXTURES / "rss_feeds" / "ca10.xml")])
    assert "harvester.parsers.docket_report" in loaded and "harvester.parsers.rss" in loaded
    heavy = {"scrapy", "twisted", "sqlite_utils", "datasette", "apscheduler", "pyarrow", "duckdb"}
    assert not loaded & heavy
    assert "harvester.parsers.appellate" not in loaded  # a kind that was not met is not imported
    # The document pages' byte tests run on every docket; their parsers need not load.
    assert not loaded & {f"harvester.parsers.{m}" for m in ("attachment_page", "confirmation_page", "free_opinion_report")}


def test_a_slow_file_does_not_hold_up_the_others(monkeypatch) -> None:
    """The workers take files one at a time: while one is stuck on a file, the other
    takes every file left (a split fixed in advance would leave half of them waiting)."""
    monkeypatch.setattr(parse_files_module, "_MIN_PARALLEL_BYTES", 0)
    paths = [p for p in PAGES if os.path.exists(p)]
    slow = max(paths, key=os.path.getsize)  # taken first: biggest first

    def pid_of_parser(data: bytes, court_id: str | None = None) -> dict:
        if data == Path(slow).read_bytes():
            time.sleep(1.5)
        return {"pid": os.getpid()}

    lines = [json.loads(line) for line in parse_files(paths, None, pid_of_parser, jobs=2)]
    slow_pid = lines[paths.index(slow)]["pid"]
    assert sum(line["pid"] == slow_pid for line in lines) == 1


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (rb"ecf\.([a-z0-9]{2,6})\.uscourts\.gov", b"ecf."),
        (rb"<form[^>]*name\s*=\s*[\"']?view_multi_docs\b", b"<form"),
        (rb"&#0?[1-8](?![0-9])", b"&#"),
        (rb"<t(?:d|r)", b"<t"),
        (rb"aa", b"aa"),  # matches that could overlap: finditer's are disjoint
    ],
)
def test_literal_search_finds_what_the_regex_finds(pattern: bytes, prefix: bytes) -> None:
    compiled = re.compile(pattern)
    pages = [Path(p).read_bytes().lower() for p in PAGES if os.path.exists(p)] + [b"aaaaa", b"a&#1&#9aa", b""]
    for data in pages:
        expected = [m.span() for m in compiled.finditer(data)]
        assert [m.span() for m in literal_matches(compiled, prefix, data)] == expected
        first = literal_search(compiled, prefix, data)
        assert (first.span() if first else None) == (expected[0] if expected else None)


def test_ragged_ends_are_the_marks_and_every_white_space() -> None:
    white = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(text_module._RAGGED) == set("-\u2013_/;,") | white


def test_workers_end_when_their_parent_is_killed() -> None:
    psutil = pytest.importorskip("psutil")
    probe = "import time; from harvester.process_map import ordered_map; list(ordered_map(time.sleep, [0.2] * 500, 2))"
    parent = subprocess.Popen([sys.executable, "-c", probe])
    try:
        deadline = time.monotonic() + 60
        workers: list = []
        while time.monotonic() < deadline:
            workers = [p for p in psutil.Process(parent.pid).children() if "spawn_main" in " ".join(p.cmdline())]
            if len(workers) == 2:
                break
            time.sleep(0.2)
        assert len(workers) == 2
        time.sleep(1.0)  # the workers are running their initializer by now
        parent.kill()
        parent.wait()
        _, alive = psutil.wait_procs(workers, timeout=20)
        assert not alive
    finally:
        parent.kill()
