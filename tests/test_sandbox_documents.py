"""The sandbox's documents read back with the harvester's own parsers, and billed the PACER way."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from harvest_support import start_sandbox

from harvester.documents import access_refused
from harvester.parsers import attachment_page, confirmation_page, free_opinion_report
from harvester.sandbox.documents import (
    RESTRICTED_TEXT,
    SEALED_TEXT,
    DocumentService,
    SandboxDocument,
    attachment_menu,
    confirmation,
    notice,
    opinions_report,
    pdf,
)
from harvester.store.documents import pdf_page_count


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox_documents"), courts=("cand", "nysb"), cases=16,
                            clock_speed=0)  # fmt: skip
    by_court: dict[str, list] = {}
    for case in sandbox.synthetic.cases:
        by_court.setdefault(case.court.court_id, []).append(case)
    now = sandbox.clock.timestamp()
    docs = []
    for case in sandbox.synthetic.cases:
        for entry in case.timeline(now):
            if entry.number is not None:
                count = (entry.h >> 56) % 4 if case.kind == "district" else 0
                docs += [SandboxDocument(case, entry, i, count) for i in range(count + 1)]
    yield {"sandbox": sandbox, "service": DocumentService(by_court), "docs": docs, "now": now}
    sandbox.stop()


def test_documents_are_found_by_their_id_either_way_the_fourth_digit_says(world):
    for doc in world["docs"][:200]:
        for digit in "01":
            found = world["service"].find(doc.case.court.court_id, doc.doc_id[:3] + digit + doc.doc_id[4:], world["now"])
            assert (found.case, found.entry.k, found.attachment) == (doc.case, doc.entry.k, doc.attachment)


def test_attachment_menus_parse_with_their_page_counts(world):
    menus = [d for d in world["docs"] if d.attachment == 0 and d.attachments][:30]
    assert menus
    for doc in menus:
        record = attachment_page.parse(attachment_menu(doc).encode(), court_id=doc.case.court.court_id)
        assert record["page_count"] == doc.page_count and record["document_number"] == doc.entry.number
        parts = [SandboxDocument(doc.case, doc.entry, i, doc.attachments) for i in range(1, doc.attachments + 1)]
        assert [(a["attachment_number"], a["page_count"], a["description"]) for a in record["attachments"]] == [
            (p.attachment, p.page_count, p.description) for p in parts]


def test_confirmation_pages_bill_the_pacer_way(world):
    now = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    kinds = {"capped": 0, "transcript": 0, "opinion": 0}
    for doc in world["docs"]:
        record = confirmation_page.parse(confirmation(doc, now, "sandbox", "", doc.doc_id).encode())
        if doc.opinion:
            expected, kinds["opinion"] = 0, kinds["opinion"] + 1
        elif doc.transcript:
            expected, kinds["transcript"] = doc.page_count * 10, kinds["transcript"] + 1
        else:
            expected = min(doc.page_count, 30) * 10
            kinds["capped"] += doc.page_count > 30
        assert round(float(record["cost"]) * 100) == expected and record["pacer_doc_id"] == doc.doc_id[:3] + "0" + doc.doc_id[4:]
    assert all(kinds.values()), kinds


def test_pdfs_have_the_documents_page_count(world):
    for doc in world["docs"][:50]:
        body = pdf(doc)
        assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF") and pdf_page_count(body) == doc.page_count


def test_sealed_and_restricted_notices(world):
    sealed = next(d for d in world["docs"] if d.sealed)
    assert access_refused(notice(sealed, SEALED_TEXT).encode()) == "sealed"
    assert access_refused(notice(sealed, RESTRICTED_TEXT).encode()) == "restricted"
    assert any(d.restricted for d in world["docs"]) and not any(d.restricted and not d.transcript for d in world["docs"])


def test_the_written_opinions_report_states_a_total_that_counts_sealed_opinions(world):
    court = world["sandbox"].catalog.courts["cand"]
    opinions = world["service"].opinions("cand", date(2000, 1, 1), date(2026, 3, 3), world["now"])
    assert opinions and any(d.sealed for d in opinions)
    report = free_opinion_report.parse(opinions_report(court, opinions, date(2000, 1, 1), date(2026, 3, 3)).encode())
    listed = [d for d in opinions if not d.sealed]
    assert report["reported_total"] == len(opinions) != len(report["dockets"]) == len(listed)
    assert [(r["pacer_case_id"], r["document_number"]) for r in report["dockets"]] == [
        (d.case.pacer_case_id, str(d.entry.number)) for d in listed]
