"""Download confirmation pages (the receipt shown before PACER bills for a document)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference

from harvester.errors import ParseError
from harvester.parsers import confirmation_page, parse_page

PAGES = sorted((FIXTURES / "confirmation_pages").glob("*.html"))


@pytest.mark.parametrize("html", PAGES, ids=lambda p: p.stem)
def test_golden_confirmation_page(html: Path) -> None:
    ref = reference(html)
    if ref == {}:
        with pytest.raises(ParseError, match="not a download confirmation page"):
            confirmation_page.parse(html.read_bytes())
        return
    assert differences(confirmation_page.parse(html.read_bytes()), ref) == []


def test_appellate_page_fields() -> None:
    record = confirmation_page.parse((FIXTURES / "confirmation_pages" / "ca5_1.html").read_bytes())
    assert record["court_id"] == "ca5"
    # "5th Circuit - Appellate - 08/30/2022 13:48:21": the court's name is not a date.
    assert record["transaction_date"] == "2022-08-30 13:48:21"
    assert (record["billable_pages"], record["cost"]) == (2, "0.20")
    assert (record["pacer_doc_id"], record["pacer_case_id"]) == ("00506435537", "208667")


def test_district_page_reads_the_case_number_from_the_receipt() -> None:
    record = confirmation_page.parse((FIXTURES / "confirmation_pages" / "caeb_1.html").read_bytes())
    assert record["court_id"] == "caeb"
    assert (record["docket_number"], record["document_number"]) == ("20-10691", None)
    assert record["transaction_date"] == "2023-03-02T14:10:07"
    assert (record["pacer_doc_id"], record["pacer_case_id"]) == ("032031165612", "640228")


def _login(data: bytes) -> str:
    m = re.search(rb"(?is)Pacer\s+Login:.*?<td[^>]*>(.*?)</td>", data)
    return re.sub(rb"<[^>]*>", b"", m.group(1)).decode().strip() if m else ""


def test_the_login_never_reaches_the_record() -> None:
    pages = sorted((CORPUS / "confirmation_pages").glob("*.html")) or PAGES
    checked = 0
    for html in pages:
        data = html.read_bytes()
        login = _login(data)
        if len(login) < 4 or set(login) <= {"-"} or not confirmation_page.looks_like_confirmation_page(data):
            continue
        assert login not in json.dumps(confirmation_page.parse(data)), html.stem
        checked += 1
    assert checked


def test_dispatch_detects_confirmation_pages_and_not_report_confirmations() -> None:
    for html in PAGES:
        data = html.read_bytes()
        if reference(html) == {}:
            with pytest.raises(ParseError) as info:
                parse_page(data)
            assert info.value.kind == "not_docket"
        else:
            assert parse_page(data)["kind"] == "confirmation_page", html.stem
    # The report-billing confirmation ("click on the 'View Report' button") stays a not-docket page.
    for html in (FIXTURES / "dockets" / "not_dockets").glob("*.html"):
        with pytest.raises(ParseError) as info:
            parse_page(html.read_bytes())
        assert info.value.kind == "not_docket"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"<html><title>Download Confirmation</title><body>Accept Charges and Retrieve</body></html>",
        (FIXTURES / "confirmation_pages" / "ca1_1.html").read_bytes()[:1200],
    ],
)
def test_garbage_and_truncated_pages_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError):
        confirmation_page.parse(data)


def test_truncated_pages_give_a_record_or_a_parse_error() -> None:
    for html in PAGES:
        data = html.read_bytes()
        for end in range(0, len(data), max(1, len(data) // 40)):
            try:
                record = confirmation_page.parse(data[:end])
            except ParseError:
                continue
            assert record["billable_pages"] is not None or record["cost"] is not None


def test_whole_corpus_fidelity() -> None:
    directory = CORPUS / "confirmation_pages"
    if not directory.exists():
        pytest.skip("shared corpus folder confirmation_pages absent")
    outputs = {}
    for page in directory.glob("*.html"):
        try:
            outputs[page.stem] = confirmation_page.parse(page.read_bytes())
        except ParseError:
            assert reference(page) == {}, page.stem
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
