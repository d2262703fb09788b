"""Attachment pages (district/bankruptcy Document Selection Menus and appellate
"N Documents are attached to this filing" pages) against reference parses."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import ParseError
from harvester.parsers import appellate_attachment_page, attachment_page, parse_page

DISTRICT = sorted((FIXTURES / "attachment_pages").glob("*.html"))
APPELLATE = sorted((FIXTURES / "appellate_attachment_pages").glob("*.html"))


def _numbers(record: dict) -> list[int | None]:
    return [a["attachment_number"] for a in record["attachments"]]


@pytest.mark.parametrize("html", DISTRICT, ids=lambda p: p.stem)
def test_golden_attachment_page(html: Path) -> None:
    record = attachment_page.parse(html.read_bytes())
    assert differences(record, reference(html)) == []


@pytest.mark.parametrize("html", APPELLATE, ids=lambda p: p.stem)
def test_golden_appellate_attachment_page(html: Path) -> None:
    record = appellate_attachment_page.parse(html.read_bytes())
    assert differences(record, reference(html)) == []


def test_sizes_and_sequence_numbers_of_every_document() -> None:
    html = FIXTURES / "attachment_pages" / "akd_0230682797.html"
    record, ref = attachment_page.parse(html.read_bytes()), reference(html)
    assert (record["file_size_bytes"], record["file_size_str"]) == (148571, "145.1 KB")
    for got, want in zip(record["attachments"], ref["attachments"], strict=True):
        keys = ("file_size_bytes", "file_size_str", "pacer_seq_no")
        assert {k: got.get(k) for k in keys} == {k: want[k] for k in keys}


def test_numbers_counting_the_main_document_are_shifted_until_the_numbering_restarts() -> None:
    # Attachments 2..8 were numbered the old way (main document = 1); the six added
    # later start again at 8, the new way.
    record = attachment_page.parse((FIXTURES / "attachment_pages" / "mssd_10502476759.html").read_bytes())
    assert _numbers(record) == list(range(1, 14))
    assert record["attachments"][7]["description"] == "Exhibit E - Pictures"


def test_a_gap_in_new_numbering_is_kept() -> None:
    record = attachment_page.parse((FIXTURES / "attachment_pages" / "arwd_029074.html").read_bytes())
    assert _numbers(record)[:3] == [1, 3, 4]


def test_bankruptcy_menu_has_no_entry_number() -> None:
    record = attachment_page.parse((FIXTURES / "attachment_pages" / "nysb_12604013833.html").read_bytes())
    assert record["court_id"] == "nysb"
    assert record["document_number"] is None
    assert [a["description"] for a in record["attachments"]] == ["Exhibit A Organizational Chart", "Proposed Order"]


def test_appellate_main_document_is_the_lowest_id_and_ids_come_from_the_script() -> None:
    record = appellate_attachment_page.parse((FIXTURES / "appellate_attachment_pages" / "ca1_46307_new.html").read_bytes())
    assert record["court_id"] == "ca1"
    assert (record["pacer_doc_id"], record["pacer_case_id"], record["pacer_seq_no"]) == ("00107548050", "46307", "6315334")
    assert [a.get("file_size_bytes") for a in record["attachments"]] == [13481, 8890]


def test_dispatch_detects_both_kinds() -> None:
    for html in DISTRICT:
        assert parse_page(html.read_bytes())["kind"] == "attachment_page", html.stem
    for html in APPELLATE:
        assert parse_page(html.read_bytes())["kind"] == "appellate_attachment_page", html.stem


@pytest.mark.parametrize("module", [attachment_page, appellate_attachment_page])
@pytest.mark.parametrize("data", [b"", b"garbage", b"<html><body><table><tr><td>1</td></tr></table></body></html>"])
def test_garbage_is_refused(module, data: bytes) -> None:
    with pytest.raises(ParseError):
        module.parse(data)


def test_menu_without_documents_is_refused_by_dispatch_with_its_kind() -> None:
    data = b"<html><body><p><b>Document Selection Menu</b></p><table><tr><td>none</td></tr></table></body></html>"
    with pytest.raises(ParseError, match="without document links") as info:
        parse_page(data)
    assert info.value.kind == "attachment_page"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DISTRICT + APPELLATE), st.floats(0.0, 1.0))
def test_truncated_pages_give_a_record_or_a_parse_error(html: Path, fraction: float) -> None:
    data = html.read_bytes()
    data = data[: int(len(data) * fraction)]
    module = attachment_page if html.parent.name == "attachment_pages" else appellate_attachment_page
    try:
        record = module.parse(data)
    except ParseError as exc:
        assert str(exc)
        return
    assert all(isinstance(a["pacer_doc_id"], str) for a in record["attachments"])


@pytest.mark.parametrize(
    ("folder", "module"),
    [("attachment_pages", attachment_page), ("appellate_attachment_pages", appellate_attachment_page)],
)
def test_whole_corpus_fidelity(folder: str, module) -> None:
    directory = CORPUS / folder
    if not directory.exists():
        pytest.skip(f"shared corpus folder {folder} absent")
    outputs = {page.stem: module.parse(page.read_bytes()) for page in directory.glob("*.html")}
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
