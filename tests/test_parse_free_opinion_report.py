"""The Written Opinions report (WrtOpRpt.pl): one record per opinion, and the stated total."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference
from lxml import etree

from harvester.errors import ParseError
from harvester.parsers import free_opinion_report, parse_page

PAGES = sorted((FIXTURES / "free_opinion_report").glob("*.html"))
CACD = FIXTURES / "free_opinion_report" / "cacd_1.html"


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_golden_report(html: Path) -> None:
    ref = reference(html)
    record = free_opinion_report.parse(html.read_bytes())
    assert len(record["dockets"]) == len(ref)
    for got, want in zip(record["dockets"], ref, strict=True):
        assert differences(got, want) == []


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_stated_total_matches_the_rows(html: Path) -> None:
    record = free_opinion_report.parse(html.read_bytes())
    assert record["reported_total"] == free_opinion_report.reported_total(html.read_bytes())
    assert record["reported_total"] == len(record["dockets"]) == len(reference(html))


def _rows(root: etree._Element) -> list[etree._Element]:
    table = next(t for t in root.iter("table") if t.find(".//th") is not None)
    return [row for row in table.iter("tr") if row.find("td") is not None]


def _edited(edit) -> bytes:
    root = etree.fromstring(CACD.read_bytes(), etree.HTMLParser())
    edit(root)
    return etree.tostring(root, method="html")


def test_an_empty_case_cell_repeats_the_case_above() -> None:
    def blank_second_case(root: etree._Element) -> None:
        cell = _rows(root)[1][0]
        for child in list(cell):
            cell.remove(child)

    first, second = free_opinion_report.parse(_edited(blank_second_case))["dockets"]
    for key in ("docket_number", "case_name", "federal_dn_judge_initials_assigned"):
        assert second[key] == first[key], key
    assert second["document_number"] == "11"  # the document is still its own
    assert second["pacer_case_id"] == "919680"  # from its goDLS call


def test_date_sorted_layout_is_read_by_column_names() -> None:
    def swap_first_columns(root: etree._Element) -> None:
        table = next(t for t in root.iter("table") if t.find(".//th") is not None)
        for row in table.iter("tr"):
            cells = [c for c in row if c.tag in ("th", "td")]
            if len(cells) >= 2:
                row.remove(cells[1])
                row.insert(list(row).index(cells[0]), cells[1])

    want = free_opinion_report.parse(CACD.read_bytes())["dockets"]
    assert free_opinion_report.parse(_edited(swap_first_columns))["dockets"] == want


def test_report_with_no_opinions_is_an_empty_list() -> None:
    data = (
        b"<html><body><center><h2>Written Opinions Report</h2></center>"
        b"<br>&nbsp; <b>Total number of opinions reported:</b> 0<br></body></html>"
    )
    assert free_opinion_report.parse(data)["dockets"] == []
    assert parse_page(data)["kind"] == "free_opinion_report"


def test_dispatch_detects_the_report() -> None:
    for html in PAGES:
        assert parse_page(html.read_bytes())["kind"] == "free_opinion_report", html.stem


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"<html><body><h2>Written Opinions Report</h2><table><tr><td>x</td></tr></table></body></html>",
    ],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ParseError):
        free_opinion_report.parse(data)


def test_truncated_reports_give_rows_or_a_parse_error() -> None:
    data = CACD.read_bytes()
    for end in range(0, len(data), len(data) // 60):
        try:
            record = free_opinion_report.parse(data[:end])
        except ParseError:
            continue
        assert all(row["pacer_doc_id"] for row in record["dockets"])


def test_whole_corpus_fidelity() -> None:
    directory = CORPUS / "free_opinion_report"
    if not directory.exists():
        pytest.skip("shared corpus folder free_opinion_report absent")
    outputs = {page.stem: free_opinion_report.parse(page.read_bytes()) for page in directory.glob("*.html")}
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
