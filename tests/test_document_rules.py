"""Pricing documents the PACER way, the [documents] rule, and the documents table's safety rules."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response

from harvester.config import from_dict
from harvester.documents import DocumentRule, access_refused, document_type, listed_attachments, price_document
from harvester.errors import ConfigError
from harvester.gate.middleware import META_DOCUMENT_RECEIPT, document_receipt
from harvester.parsers import confirmation_page
from harvester.parsers.receipt import parse_receipt
from harvester.store import documents
from harvester.store.connection import open_db

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "pacer" / "confirmation_pages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# ----------------------------------------------------------------------------- prices
def test_a_document_is_capped_at_thirty_pages():
    price = price_document(41, {"billable_pages": 30, "cost": "3.00"}, transcript=False)
    assert (price.pages, price.cents, price.capped) == (30, 300, True)


def test_a_short_document_bills_its_pages():
    assert price_document(3, {"billable_pages": 3, "cost": "0.30"}, transcript=False).cents == 30


def test_a_transcript_is_not_capped():
    price = price_document(41, {"billable_pages": 41, "cost": "4.10"}, transcript=True)
    assert (price.pages, price.cents, price.capped) == (41, 410, False)


def test_a_document_that_may_be_a_transcript_is_priced_uncapped():
    # Nothing says what it is: assume a transcript, so the hold covers every page.
    assert documents.may_be_transcript(None) and documents.may_be_transcript("", "  ")
    assert documents.may_be_transcript("Exhibit A", "TRANSCRIPT of Proceedings")
    assert not documents.may_be_transcript("ORDER granting motion")
    assert price_document(75, None, transcript=documents.may_be_transcript(None)).cents == 750


def test_what_is_free_costs_nothing():
    assert price_document(12, {"billable_pages": 12, "cost": "0.00"}, transcript=False).free
    assert price_document(12, None, transcript=False, free=True).cents == 0


def test_the_price_is_never_below_what_the_confirmation_page_asks():
    assert price_document(2, {"billable_pages": 5, "cost": "0.50"}, transcript=False).cents == 50


def test_a_document_without_any_page_count_cannot_be_priced():
    assert price_document(None, {"billable_pages": None, "cost": None}, transcript=True) is None


def test_real_confirmation_pages_price_as_their_receipt_says():
    pages = sorted(CORPUS.glob("*.html"))
    if not pages:
        pytest.skip("the shared corpus (../shared) is not here")
    for page in pages:
        if access_refused(page.read_bytes()):
            continue  # a refusal saved where a confirmation was expected (txwd_1: restricted)
        record = confirmation_page.parse(page.read_bytes())
        if record["billable_pages"] is None or record["cost"] is None:
            continue
        price = price_document(None, record, transcript=False)
        assert price.cents == round(float(record["cost"]) * 100), page.name


# ----------------------------------------------------------------------------- the rule
def test_document_types_are_the_docket_texts_leading_words():
    assert document_type("SCHEDULING ORDER: Discovery due by 01/02/2026.") == "SCHEDULING ORDER"
    assert document_type("MOTION to Dismiss filed by Acme") == "MOTION"
    assert document_type("Order Granting Motion for Relief from Stay") == "ORDER"
    assert document_type(None) == ""


def test_the_rule_selects_by_type_pattern_and_attachment():
    rule = DocumentRule.from_config({"document_types": ["order"], "description_patterns": ["complaint"],
                                     "attachments": False, "run_dollars": 1})  # fmt: skip
    assert rule.active and rule.run_cents == 100
    assert rule.selects_entry("ORDER re 14 Stipulation") and rule.selects_entry("SCHEDULING ORDER: due")
    assert rule.selects_entry("AMENDED COMPLAINT against Acme") and not rule.selects_entry("MOTION to Dismiss")
    assert not rule.selects_attachment(True, "Exhibit A") and rule.selects_attachment(False, "Exhibit 1 Complaint")
    assert DocumentRule.from_config({"attachments": True, "document_types": ["ORDER"]}).selects_attachment(True, "Exhibit A")
    assert not DocumentRule.from_config({}).active


def test_max_pages_leaves_unknown_counts_to_the_confirmation_page():
    rule = DocumentRule.from_config({"max_pages": 10})
    assert rule.allows_pages(10) and not rule.allows_pages(11) and rule.allows_pages(None)


def test_attachments_named_in_the_docket_text():
    text = "MOTION to Dismiss (Attachments: # 1 Exhibit A, # 2 Declaration of Smith, Jones) (Entered: 01/02/2020)"
    assert listed_attachments(text) == [{"attachment_number": 1, "description": "Exhibit A"},
                                        {"attachment_number": 2, "description": "Declaration of Smith, Jones"}]  # fmt: skip
    assert listed_attachments("ORDER granting") == []


def test_the_documents_section_is_validated():
    config = from_dict({"documents": {"description_patterns": ["opinion"], "max_pages": 40}})
    assert config["documents"]["max_pages"] == 40 and config["documents"]["folder"] == "data/documents"
    with pytest.raises(ConfigError, match="documents.description_patterns"):
        from_dict({"documents": {"description_patterns": ["("]}})
    with pytest.raises(ConfigError, match="documents.per_case"):
        from_dict({"documents": {"per_case": -1}})


# ----------------------------------------------------------------------------- refusals
def test_sealed_and_restricted_answers_are_recognised():
    assert access_refused(b"<h3>This document is SEALED and is not available for viewing.</h3>") == "sealed"
    assert access_refused(b"<p>You do not have permission to view this document.</p>") == "restricted"
    assert access_refused(b"%PDF-1.4 ... sealed ...") is None
    # Real pages: a restricted document's answer, and a confirmation page that is not one.
    assert access_refused((FIXTURES / "confirmation_pages" / "txwd_1.html").read_bytes()) == "restricted"
    assert access_refused((FIXTURES / "confirmation_pages" / "ctd_1.html").read_bytes()) is None


# ----------------------------------------------------------------------------- the gate books the confirmed price
def _confirmation_bytes() -> bytes:
    return (FIXTURES / "confirmation_pages" / "ctd_1.html").read_bytes()


def test_a_confirmation_page_is_not_billed_though_it_shows_a_receipt():
    body = _confirmation_bytes()
    assert parse_receipt(body)["cost"] == 0.3
    response = HtmlResponse("https://ecf.ctd.uscourts.gov/doc1/04117953422", body=body)
    assert document_receipt(Request(response.url), response, parse_receipt(body)) is None


def test_a_pdf_books_the_price_its_confirmation_page_showed():
    request = Request("https://ecf.ctd.uscourts.gov/doc1/04117953422", method="POST",
                      meta={META_DOCUMENT_RECEIPT: {"billable_pages": 3, "cost": 0.3}})  # fmt: skip
    assert document_receipt(request, Response(request.url, body=b"%PDF-1.4\n..."), None) == {"billable_pages": 3, "cost": 0.3}
    # An error page instead of the PDF is not billed.
    assert document_receipt(request, Response(request.url, status=500, body=b"<html>"), None) is None


# ----------------------------------------------------------------------------- the table
@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "pacer.db", create=True)


def test_a_document_is_planned_once_ever(db):
    assert documents.plan(db, "cand", "033000000004", price=0.3, pages=3, run_id=None, now="2026-03-04T01:00:00Z")
    assert not documents.plan(db, "cand", "033000000004", price=0.3, pages=3, run_id=None, now="2026-03-04T01:00:00Z")
    documents.release(db, "cand", "033000000004")  # never sent: buyable again
    assert documents.plan(db, "cand", "033000000004", price=0.3, pages=3, run_id=None, now="2026-03-04T01:00:00Z")


def test_planned_rows_of_a_killed_run_become_uncertain_and_are_never_planned_again(db):
    documents.plan(db, "cand", "033000000004", price=0.3, pages=3, run_id=None, now="2026-03-04T01:00:00Z")
    assert documents.abandon_planned(db, run_id=7) == 1
    assert documents.document_row(db, "cand", "033000000004")["state"] == "uncertain"
    assert not documents.plan(db, "cand", "033000000004", price=0.3, pages=3, run_id=7, now="2026-03-04T01:00:00Z")


def test_a_bought_document_is_its_file_and_its_receipt_or_nothing(db, tmp_path):
    folder = tmp_path / "documents"
    body = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"
    documents.plan(db, "cand", "033000000004", price=0.1, pages=1, run_id=None, now="2026-03-04T01:00:00Z")

    def book_fails() -> None:
        db.execute("INSERT INTO requests (at, url, cost) VALUES ('2026-03-04T01:00:00Z', 'x', 0.1)")
        raise OSError("disk full")

    with pytest.raises(OSError):
        documents.store_bought(db, folder, "cand", "033000000004", body, source="bought", cost=0.1, pages=1,
                               run_id=None, now="2026-03-04T01:00:00Z", book=book_fails)  # fmt: skip
    assert documents.document_row(db, "cand", "033000000004")["state"] == "planned"
    assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 0  # no cost booked without the row
    path = documents.store_bought(db, folder, "cand", "033000000004", body, source="bought", cost=0.1, pages=1,
                                  run_id=None, now="2026-03-04T01:00:00Z", book=lambda: None)  # fmt: skip
    row = documents.document_row(db, "cand", "033000000004")
    assert (row["state"], row["page_count"], row["size_bytes"]) == ("bought", 1, len(body))
    assert path == f"{row['sha256'][:2]}/{row['sha256']}.pdf" and hashlib.sha256((folder / path).read_bytes()).hexdigest() == row["sha256"]
    assert not list(folder.glob("*/.*.part"))


def test_leftover_temporary_files_are_removed(tmp_path):
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / ".tmp123.part").write_bytes(b"%PDF-half")
    (tmp_path / "ab" / "ab12.pdf").write_bytes(b"%PDF-whole")
    assert documents.remove_partial_files(tmp_path) == 1
    assert [p.name for p in (tmp_path / "ab").iterdir()] == ["ab12.pdf"]


def test_an_opinion_report_creates_unknown_cases_and_records_a_total_mismatch(db):
    report = {"reported_total": 3, "dockets": [
        {"pacer_case_id": "417880", "docket_number": "3:23-cv-00001", "case_name": "Acme v. Beta",
         "document_number": "12", "pacer_doc_id": "035023515598", "pacer_seq_no": "19", "description": "ORDER",
         "nature_of_suit": "190 Contract: Other", "cause": ""},
        {"pacer_case_id": "417881", "docket_number": "3:23-cv-00002", "case_name": "Gamma v. Delta",
         "document_number": "4", "pacer_doc_id": "035023515600", "pacer_seq_no": "7", "description": "OPINION"},
    ]}  # fmt: skip
    from datetime import date

    assert documents.store_opinion_report(db, "cand", date(2026, 3, 1), date(2026, 3, 3), report, run_id=None,
                                          now="2026-03-04T01:00:00Z")  # fmt: skip
    cases = db.execute("SELECT pacer_case_id, docket_number, case_name, nature_of_suit FROM cases ORDER BY 1").fetchall()
    assert cases == [("417880", "3:23-cv-00001", "Acme v. Beta", "190 Contract: Other"),
                     ("417881", "3:23-cv-00002", "Gamma v. Delta", None)]  # fmt: skip
    linked = db.execute("SELECT count(*) FROM documents WHERE case_id IS NOT NULL AND source = 'free_opinion'").fetchone()[0]
    assert linked == 2 and documents.last_opinion_day(db, "cand") == date(2026, 3, 3)
    assert db.execute("SELECT reported_total, rows_parsed, mismatch FROM opinion_reports").fetchone() == (3, 2, 1)
