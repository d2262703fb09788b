"""``harvester parse``: the real command on fixtures and on bad input.

One JSON line per path, in order; errors are lines with a reason, never a
traceback or a non-zero exit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from golden_support import FIXTURES

EXECUTABLE = Path(sys.executable).with_name("harvester")


def _run(*args: str | Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    command = [str(EXECUTABLE)] if EXECUTABLE.exists() else [sys.executable, "-m", "harvester.cli"]
    proc = subprocess.run(
        [*command, "parse", *map(str, args)], capture_output=True, timeout=300, env={"LANG": "C", "PATH": "/usr/bin:/bin"}
    )
    lines = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    return proc, lines


SAMPLES = {
    "appellate_docket": FIXTURES / "dockets" / "appellate" / "ca11_1.html",
    "rss": FIXTURES / "rss_feeds" / "ca10.xml",
    "case_numbers": FIXTURES / "possible_case_numbers" / "technology-properties.xml",
    "case_query": FIXTURES / "case_queries" / "cacd_26872.html",
    "court_lookup": FIXTURES / "court_lookup" / "data.json",
    "claims_register": FIXTURES / "claims_registers" / "orb.html",
}


def test_each_kind_through_the_command() -> None:
    proc, lines = _run(*SAMPLES.values())
    assert proc.returncode == 0, proc.stderr
    assert [line["kind"] for line in lines] == list(SAMPLES)
    assert [line["source"] for line in lines] == [str(p) for p in SAMPLES.values()]
    assert not any("error" in line for line in lines)
    by_kind = dict(zip(SAMPLES, lines, strict=True))
    assert by_kind["appellate_docket"]["docket_number"] == "18-90014"
    assert by_kind["rss"]["dockets"][0]["docket_number"] == "19-8054"
    assert by_kind["case_numbers"]["pacer_case_id"] == "257622"


def test_bad_input_gives_error_lines(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 40)
    missing = tmp_path / "missing.html"
    folder = tmp_path / "folder"
    folder.mkdir()
    login = FIXTURES / "authentication_samples" / "please_log_in.html"
    proc, lines = _run(empty, garbage, missing, folder, login)
    assert proc.returncode == 0
    assert b"Traceback" not in proc.stderr and proc.stderr == b""
    assert len(lines) == 5
    assert all(line.get("error") for line in lines)
    assert lines[0]["error"] == "empty file"
    assert "binary" in lines[1]["error"]
    assert "cannot read file" in lines[2]["error"] and "cannot read file" in lines[3]["error"]
    assert lines[4]["kind"] == "login_page"


def test_windows_1252_page(tmp_path: Path) -> None:
    page = (FIXTURES / "dockets" / "appellate" / "ca11_1.html").read_bytes()
    page = page.replace(b"Theodore D'Apuzzo, P.A. v. USA", b"Theodore D\x92Apuzzo, P.A. v. \x93USA\x94 \xe9t\xe9")
    path = tmp_path / "cp1252.html"
    path.write_bytes(page)
    proc, lines = _run(path)
    assert proc.returncode == 0 and proc.stderr == b""
    assert lines[0]["kind"] == "appellate_docket"
    assert lines[0]["case_name"] == "Theodore D'Apuzzo, P.A. v. \"USA\" \xe9t\xe9"


def test_not_docket_pages_say_why() -> None:
    pages = sorted((FIXTURES / "dockets" / "not_dockets").glob("*.html"))
    if not pages:
        pytest.skip("no not_docket fixtures")
    proc, lines = _run(*pages)
    assert proc.returncode == 0
    assert [line["kind"] for line in lines] == ["not_docket"] * len(pages)
    assert all(len(line["error"]) > 10 for line in lines)


def test_hundreds_of_files_in_one_process(tmp_path: Path) -> None:
    pages = sorted(FIXTURES.glob("*/*.html")) + sorted(FIXTURES.glob("*/*.xml")) + sorted(FIXTURES.glob("*/*/*.html"))
    paths = (pages * (300 // len(pages) + 1))[:300]
    paths[150] = tmp_path / "missing-in-the-middle.html"
    proc, lines = _run(*paths)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert [line["source"] for line in lines] == [str(p) for p in paths]
    assert "cannot read file" in lines[150]["error"]
