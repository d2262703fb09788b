"""iquery.pl case summaries against reference parses; "{}" references must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference

from harvester.errors import ParseError
from harvester.parsers import case_query, parse_page

PAGES = sorted((FIXTURES / "case_queries").glob("*.html"))


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_golden_case_query(html: Path) -> None:
    ref = reference(html)
    if ref == {}:
        with pytest.raises(ParseError) as info:
            case_query.parse(html.read_bytes())
        assert len(str(info.value)) > 10
        return
    record = case_query.parse(html.read_bytes())
    assert differences(record, ref) == []


def test_fixtures_include_refusals_and_bankruptcy() -> None:
    refs = {p.stem: reference(p) for p in PAGES}
    assert sum(1 for r in refs.values() if r == {}) >= 3
    assert any("chapter" in r for r in refs.values())


def test_bankruptcy_summary_fields() -> None:
    record = case_query.parse((FIXTURES / "case_queries" / "canb.html").read_bytes())
    assert record["court_id"] == "canb"  # from the page title: no links name the court
    assert (record["chapter"], record["asset"], record["case_type"]) == ("13", "Yes", "bk")
    assert record["date_joint_debtor_dismissed"] == "2015-09-21"


def test_referral_without_presiding_judge() -> None:
    record = case_query.parse((FIXTURES / "case_queries" / "ncwd.html").read_bytes())
    assert record["referred_to_str"] == "Carl Horn, III"
    assert "assigned_to_str" not in record
    assert record["federal_defendant_number"] == "3"


def test_reasons_for_refusal() -> None:
    with pytest.raises(ParseError, match="case not found"):
        case_query.parse((FIXTURES / "case_queries" / "alsd.html").read_bytes())
    with pytest.raises(ParseError, match="neither a label nor a judge"):
        case_query.parse((FIXTURES / "case_queries" / "cand.html").read_bytes())


def test_dispatch_detects_case_summaries() -> None:
    assert parse_page((FIXTURES / "case_queries" / "akd_58813.html").read_bytes())["kind"] == "case_query"
    with pytest.raises(ParseError) as info:
        parse_page((FIXTURES / "case_queries" / "txsd_4.html").read_bytes())
    assert info.value.kind == "case_query"


def test_whole_corpus_fidelity() -> None:
    directory = CORPUS / "case_queries"
    if not directory.exists():
        pytest.skip("/work/shared corpus absent")
    outputs = {}
    for page in directory.glob("*.html"):
        try:
            outputs[page.stem] = case_query.parse(page.read_bytes())
        except ParseError:
            assert reference(page) == {}, page.stem
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
