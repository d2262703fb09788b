"""Datasette links each entry to its stored PDF and serves it from the documents folder."""

from __future__ import annotations

import asyncio
import re

import pytest

from harvester.store import documents
from harvester.store.connection import open_db
from harvester.web.serve import build_datasette

PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"


@pytest.fixture
def client(tmp_path):
    db = open_db(tmp_path / "pacer.db", create=True)
    db.execute("INSERT INTO courts (court_id) VALUES ('cand')")
    db.execute("INSERT INTO cases (id, court_id, pacer_case_id, kind) VALUES (1, 'cand', '300000', 'district')")
    for key, doc_id in (("1", "033000000004"), ("2", "033000000008")):
        db.execute("INSERT INTO docket_entries (case_id, entry_key, position, document_number, pacer_doc_id, description)"
                   " VALUES (1, ?, ?, ?, ?, 'ORDER')", [key, int(key), key, doc_id])  # fmt: skip
    db.conn.commit()
    documents.plan(db, "cand", "033000000004", price=0.1, pages=1, run_id=None, now="2026-03-04T01:00:00Z",
                   pacer_case_id="300000")  # fmt: skip
    path = documents.store_bought(db, tmp_path / "documents", "cand", "033000000004", PDF, source="bought", cost=0.1,
                                  pages=1, run_id=None, now="2026-03-04T01:00:00Z", book=lambda: None)  # fmt: skip
    # An attachment of entry 1, known from its attachment page (own pacer_doc_id), not bought.
    documents.note_document(db, "cand", "033000000005", pacer_case_id="300000", document_number="1",
                            attachment_number=1, description="Exhibit A", page_count=3)  # fmt: skip
    db.close()
    loop = asyncio.new_event_loop()
    ds = build_datasette(tmp_path / "pacer.db")
    loop.run_until_complete(ds.invoke_startup())
    yield lambda url: loop.run_until_complete(ds.client.get(url)), path
    loop.close()


def test_the_stored_pdf_is_served(client):
    get, path = client
    response = get(f"/-/documents/pacer/{path}")
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert get(f"/-/documents/pacer/{path[:3]}{'0' * 64}.pdf").status_code == 404
    assert get("/-/documents/pacer/../pacer.db").status_code == 404


def test_documents_and_entries_link_to_the_pdf(client):
    get, path = client
    assert f'href="/-/documents/pacer/{path}"' in get("/pacer/documents").text
    for page in ("/pacer/docket_entries", "/pacer/entries"):
        html = get(page).text
        assert html.count(f'href="/-/documents/pacer/{path}"') == 1, page  # the stored one only
        assert ">033000000008<" in html


def test_the_docket_page_links_each_entry_to_its_stored_pdf(client):
    get, path = client
    html = get("/pacer/cases/1").text
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr id="entry-(\d+)">(.*?)</tr>', html, re.S)}
    first, second = rows["1"], rows["2"]
    assert f'href="/-/documents/pacer/{path}"' in first and "Main document (1 page)" in first
    assert "Attachment 1: Exhibit A (3 pages)" in first  # listed by its entry's number, not linked: not stored
    assert first.count("/-/documents/") == 1
    assert "/-/documents/" not in second and 'class="document"' not in second
    assert get(f"/-/documents/pacer/{path}").content == PDF  # the link works
