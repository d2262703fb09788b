"""The docket parser on damaged pages: a record or ParseError, never another exception.

Real fixture pages are mutated (truncated, bytes flipped, tags deleted,
re-encoded, scripts injected) by a hypothesis property test; explicit tests
cover empty input, binary garbage and pages cut off mid-docket.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import ParseError
from harvester.parsers.docket_report import parse

FIXTURES = Path(__file__).parent / "fixtures" / "dockets"
PAGES = sorted(
    p for kind in ("district", "bankruptcy", "not_dockets") for p in (FIXTURES / kind).glob("*.html")
)
# Small and medium pages keep each example fast; the mutations are what vary.
SAMPLE = [p for p in PAGES if p.stat().st_size < 120_000]
_TAG = re.compile(rb"<[^<>]{0,200}>")


def _parse_or_refuse(data: bytes) -> None:
    try:
        record = parse(data)
    except ParseError as exc:
        assert str(exc)
        return
    assert isinstance(record, dict)
    assert isinstance(record["docket_entries"], list) and isinstance(record["parties"], list)


@st.composite
def damaged_pages(draw: st.DrawFn) -> bytes:
    data = (FIXTURES / draw(st.sampled_from([str(p.relative_to(FIXTURES)) for p in SAMPLE]))).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["truncate", "flip", "drop_tags", "cp1252", "latin1", "script", "splice"])
        )
        if kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "flip" and data:
            buf = bytearray(data)
            for pos, value in draw(
                st.lists(st.tuples(st.integers(0, len(buf) - 1), st.integers(0, 255)), max_size=40)
            ):
                buf[pos] = value
            data = bytes(buf)
        elif kind == "drop_tags":
            tags = list(_TAG.finditer(data))
            if tags:
                doomed = set(draw(st.lists(st.integers(0, len(tags) - 1), max_size=60)))
                data = (
                    b"".join(
                        data[(tags[i - 1].end() if i else 0) : t.start()]
                        + (b"" if i in doomed else t.group())
                        for i, t in enumerate(tags)
                    )
                    + data[tags[-1].end() :]
                )
        elif kind in ("cp1252", "latin1"):
            codec = "cp1252" if kind == "cp1252" else "latin-1"
            data = data.decode("utf-8", "replace").encode(codec, "replace")
        elif kind == "script":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + b"<script>document.write('</td></tr></table>');</script>" + data[at:]
        elif kind == "splice":
            a, b = sorted((draw(st.integers(0, len(data))), draw(st.integers(0, len(data)))))
            data = data[:a] + data[b:]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_pages())
def test_damaged_pages_parse_or_are_refused(data: bytes) -> None:
    _parse_or_refuse(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes_parse_or_are_refused(data: bytes) -> None:
    _parse_or_refuse(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\t ",
        b"\x00" * 100,
        bytes(range(256)) * 20,
        b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>",
        b"<html>",
        b"<table><tr><td>Docket Text",
        b"<?xml version='1.0' encoding='latin-1'?><html><body>Date filed: 01/01/2001</body></html>",
    ],
    ids=["empty", "blank", "nul", "binary", "utf16", "bare-html", "bare-header", "xml-declaration"],
)
def test_garbage_is_refused_or_parsed(data: bytes) -> None:
    _parse_or_refuse(data)


def test_empty_file_is_refused() -> None:
    with pytest.raises(ParseError):
        parse(b"")


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(ParseError):
        parse(bytes(range(256)) * 50)


@pytest.mark.parametrize("stem", ["district/njd_509180", "bankruptcy/akb", "bankruptcy/txnb_1"])
def test_page_cut_off_mid_docket_keeps_the_entries_it_has(stem: str) -> None:
    data = (FIXTURES / f"{stem}.html").read_bytes()
    full = parse(data)["docket_entries"]
    assert len(full) >= 4
    # Cut the page inside a row half way through the entry table: the entries
    # before the cut must survive intact.
    rows = [m.start() for m in re.finditer(rb"<tr", data, re.I) if m.start() > data.find(b"Docket Text")]
    partial = parse(data[: rows[len(rows) // 2] + 7])["docket_entries"]
    assert 2 <= len(partial) < len(full)
    kept = len(partial) - 1  # the entry that was cut may be incomplete
    assert partial[:kept] == full[:kept]
