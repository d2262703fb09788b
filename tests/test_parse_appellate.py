"""Appellate (TransportRoom CaseSummary) docket parsing against reference parses.

Golden files in ``tests/fixtures/dockets/appellate``; the last test scores the
whole shared corpus and skips when /work/shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference

from harvester.errors import ParseError
from harvester.parsers import appellate, parse_page

PAGES = sorted((FIXTURES / "dockets" / "appellate").glob("*.html"))


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_golden_appellate(html: Path) -> None:
    record = appellate.parse(html.read_bytes())
    assert differences(record, reference(html)) == []


def test_fixture_set_covers_the_layouts() -> None:
    names = {p.stem for p in PAGES}
    # BAP, a court of appeals on /cmecf/, the D.C. Circuit, Veterans Claims, no entries.
    assert {"bap9_15-1074", "ca5_212643", "cadc_1", "cavc_18-3815", "ca9_293296"} <= names


def test_court_is_read_from_the_page_heading() -> None:
    courts = {p.stem: appellate.parse(p.read_bytes())["court_id"] for p in PAGES}
    assert courts["bap9_15-1074"] == "bap9"
    assert courts["ca5_212643"] == "ca5"
    assert courts["cadc_1"] == "cadc"
    assert courts["cavc_18-3815"] == "cavc"


def test_parties_attorneys_and_entries_in_detail() -> None:
    record = appellate.parse((FIXTURES / "dockets" / "appellate" / "ca5_212643.html").read_bytes())
    appellee = record["parties"][0]
    assert appellee["name"] == "United States of America"
    assert appellee["type"] == "Plaintiff - Appellee"  # NBSPs folded
    lawyer = appellee["attorneys"][0]
    assert lawyer["name"] == "Thomas Forrest Phillips"
    assert lawyer["roles"] == ["COR LD NTC Government"]
    assert lawyer["contact"].splitlines()[0] == "Direct: 337-262-6618"
    first = record["docket_entries"][0]
    assert first["document_number"] == "1"
    assert first["pacer_doc_id"] == "00506667755"
    assert first["pacer_seq_no"] == "10057372"
    assert first["date_entered"] == "2023-03-07"
    assert record["docket_number"] == "23-30126"  # wrapped in a tel: link on this page
    assert record["originating_court_information"]["court_id"] == "lawd"


def test_alien_numbers_are_kept_out_of_docket_numbers() -> None:
    record = appellate.parse((FIXTURES / "dockets" / "appellate" / "ca1_2.html").read_bytes())
    origin = record["originating_court_information"]
    assert "docket_number" not in origin
    assert origin["RESTRICTED_ALIEN_NUMBER"].startswith("A")


def test_dispatch_names_the_kind() -> None:
    record = parse_page((FIXTURES / "dockets" / "appellate" / "cadc_1.html").read_bytes())
    assert record["kind"] == "appellate_docket"


def test_non_appellate_html_is_refused() -> None:
    with pytest.raises(ParseError, match="not an appellate docket"):
        appellate.parse(b"<html><body><table><tr><td>hello</td></tr></table></body></html>")


def test_whole_corpus_fidelity() -> None:
    directory = CORPUS / "dockets" / "appellate"
    if not directory.exists():
        pytest.skip("/work/shared corpus absent")
    outputs = {p.stem: appellate.parse(p.read_bytes()) for p in directory.glob("*.html")}
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
    matched, total = units["entries"]
    assert matched / total >= 0.995
