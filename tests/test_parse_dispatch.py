"""Kind detection and dispatch: every page gets a kind, damaged pages a reason.

``detect_kind`` reads byte markers only; ``parse_page`` returns a record with
its kind or raises ParseError with a reason (and a ``kind``), never another
exception, also on pages damaged by a hypothesis property test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from golden_support import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import ParseError
from harvester.parsers import detect_kind, parse_page
from harvester.parsers.dispatch import KINDS

EXPECTED = {
    "dockets/appellate": "appellate_docket",
    "dockets/district": "docket",
    "dockets/bankruptcy": "docket",
    "rss_feeds": "rss",
    "rss_feeds_2023": "rss",
    "possible_case_numbers": "case_numbers",
    "claims_registers": "claims_register",
    "authentication_samples": "login_page",
    "court_lookup": "court_lookup",
}
# iquery.pl "Case not found." answers carry no query menu: they read as not-a-docket pages.
CASE_QUERY_WITHOUT_SUMMARY = {"alsd"}


def _pages(folder: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / folder).glob("*") if p.suffix in (".html", ".xml") or p.name == "data.json")


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_detect_kind_on_fixtures(folder: str) -> None:
    pages = _pages(folder)
    if not pages:
        pytest.skip(f"no fixtures in {folder}")
    assert {p.stem: detect_kind(p.read_bytes()) for p in pages} == {p.stem: EXPECTED[folder] for p in pages}


def test_case_queries_and_not_dockets() -> None:
    for page in _pages("case_queries"):
        want = "docket" if page.stem in CASE_QUERY_WITHOUT_SUMMARY else "case_query"
        assert detect_kind(page.read_bytes()) == want, page.stem
    for page in _pages("dockets/not_dockets"):
        with pytest.raises(ParseError) as info:
            parse_page(page.read_bytes())
        assert info.value.kind == "not_docket"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "unknown"),
        (b"   \n", "unknown"),
        (b"%PDF-1.4 ...", "unknown"),
        (b"\x00\x01\x02binary", "unknown"),
        (b"just some text", "unknown"),
        (b'{"meta": {}, "data": [{"court_id": "CANDC"}]}', "court_lookup"),
        (b'{"something": "else"}', "unknown"),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<request number='1'><message text='Case Under Seal'/></request>", "case_numbers"),
        (b'<?xml version="1.0"?>\n<!-- generated -->\n<rss version="2.0"><channel/></rss>', "rss"),
    ],
)
def test_detect_kind_on_small_inputs(data: bytes, kind: str) -> None:
    assert detect_kind(data) == kind


def test_unknown_input_has_a_reason() -> None:
    for data, reason in [(b"", "empty file"), (b"%PDF-1.7", "PDF"), (b"hello", "not a recognised")]:
        with pytest.raises(ParseError, match=reason) as info:
            parse_page(data)
        assert info.value.kind == "unknown"


def test_records_carry_their_kind() -> None:
    record = parse_page((FIXTURES / "possible_case_numbers" / "sealed_case.xml").read_bytes(), court_id="cand")
    assert record["kind"] == "case_numbers" and record["outcome"] == "sealed"
    assert record["court_id"] == "cand"  # the XML names no court: the argument is used
    assert set(KINDS) >= {record["kind"]}


# Mutation test over every kind's fixtures (small ones keep each example fast).
SAMPLE = [
    p
    for folder in EXPECTED
    for p in _pages(folder)
    if p.stat().st_size < 60_000 and folder not in ("dockets/district", "dockets/bankruptcy")
]
_TAG = re.compile(rb"<[^<>]{0,200}>")


@st.composite
def damaged_pages(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SAMPLE)).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["truncate", "flip", "drop_tag", "insert", "recode"]))
        if how == "truncate" and data:
            data = data[: draw(st.integers(0, len(data)))]
        elif how == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
        elif how == "drop_tag":
            tags = list(_TAG.finditer(data))
            if tags:
                tag = draw(st.sampled_from(tags))
                data = data[: tag.start()] + data[tag.end() :]
        elif how == "insert":
            i = draw(st.integers(0, len(data)))
            data = data[:i] + draw(st.sampled_from([b"<br>", b"</table>", b"<b>", b"&#1;", b"\x00", b"]]>", b"<td>"])) + data[i:]
        else:
            data = data.decode("utf-8", "replace").encode("utf-16" if draw(st.booleans()) else "cp1252", "replace")
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(damaged_pages())
def test_damaged_pages_give_a_record_or_a_reason(data: bytes) -> None:
    try:
        record = parse_page(data)
    except ParseError as exc:
        assert str(exc) and getattr(exc, "kind", None) in KINDS
        return
    assert record["kind"] in KINDS


# What other kinds are told by, written into a docket entry's free text.
OTHER_KINDS_MARKS = [
    b"<h2>Written Opinions Report</h2>",
    b"<h2>District of Delaware<br>Claims Register</h2>",
    b"Document Selection Menu",
    b"Documents are attached to this filing /docs1/123",
    b"NEW SECTION - Case Stub",
    b"To accept charges shown below, click on the 'View Document' button. Transaction Receipt",
]


@pytest.mark.parametrize("mark", OTHER_KINDS_MARKS)
def test_entry_text_does_not_change_a_dockets_kind(mark: bytes) -> None:
    page = (FIXTURES / "dockets" / "district" / "cand_3.html").read_bytes()
    entries = page.lower().index(b"docket text")
    last_row = page.rindex(b"</td>")
    quoted = page[:last_row] + b" " + mark + page[last_row:]
    assert last_row > entries and detect_kind(quoted) == "docket"
    # The same mark in the page's head still decides (the check is not switched off).
    assert detect_kind(mark + b"<br>" + page) != "docket"
