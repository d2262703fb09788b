"""The appellate CM/ECF attachment page: "N Documents are attached to this filing".

Appellate CM/ECF (the TransportRoom servlet) answers a docket entry with
several documents with a table of rows: an optional checkbox, the document's
number, a ``/docs1/<id>`` link (an icon; ``/docs4/`` in bankruptcy appeals), a description, the page count and,
on newer pages, the size. The checkbox's ``sumDocSelected(this, pages, bytes,
id)`` call carries the page count and size in bytes the page totals with.

The page does not mark the main document; as on the docket, it is the
document with the lowest id. The case id and the docket entry's sequence
number appear only in the page's script (``caseId=...``, ``d=...&outputForm``).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import ParseError
from .attachment_page import cells_after_link, document_rows
from .court import court_from_text, is_appellate
from .doc_links import pacer_doc_id
from .html_tree import build_tree, text_of
from .page_markers import APPELLATE_ATTACHMENT_MARKER, looks_like_appellate_attachment_page
from .text import clean_value, decode_html_utf8

__all__ = ["parse", "looks_like_appellate_attachment_page"]

# Document links: /docs1/<id>, and /docs4/<id> for bankruptcy appeals.
_DOCS_LINK = re.compile(r"/docs\d+/")
_SUM_DOC = re.compile(r"sumDocSelected\(\s*this\s*,\s*(\d+)\s*,\s*(\d+)")
_CASE_ID = re.compile(r"(?i)[?&]caseId=(\d+)")
_SEQ_NO = re.compile(r"(?i)[?&]d=(\d+)&outputForm")


def _selection_counts(row: etree._Element) -> tuple[int | None, int | None]:
    """(pages, bytes) from the row checkbox's sumDocSelected call."""
    for box in row.iter("input"):
        m = _SUM_DOC.search(box.get("onclick") or "")
        if m:
            return int(m.group(1)), int(m.group(2))
    return None, None


def _number(row: etree._Element) -> int | None:
    """The document's number: the first cell whose text is a number."""
    for cell in row:
        if cell.tag == "td":
            text = text_of(cell).strip()
            if text.isdigit():
                return int(text)
    return None


def _document(row: etree._Element) -> dict:
    after = cells_after_link(row)
    description = clean_value(text_of(after[0])) if after else ""
    shown_pages = text_of(after[1]).strip() if len(after) > 1 else ""
    pages, size = _selection_counts(row)
    if pages is None and shown_pages.isdigit():
        pages = int(shown_pages)
    link = next(a for a in row.iter("a") if a.get("href"))
    doc = {
        "attachment_number": _number(row),
        "description": description,
        "page_count": pages,
        "pacer_doc_id": pacer_doc_id(link.get("href")),
    }
    if size:
        doc["file_size_bytes"] = size
    return doc


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse an appellate attachment page into the main document's id and ``attachments``."""
    text, utf8 = decode_html_utf8(data)
    if not APPELLATE_ATTACHMENT_MARKER.search(utf8):
        raise ParseError("not an appellate attachment page: no 'attached to this filing' heading")
    try:
        root = build_tree(utf8)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    rows = [row for row in document_rows(root) if any(_DOCS_LINK.search(a.get("href") or "") for a in row.iter("a"))]
    if not rows:
        raise ParseError("appellate attachment page without document links")
    attachments = [_document(row) for row in rows]
    ids = sorted(doc["pacer_doc_id"] for doc in attachments if doc["pacer_doc_id"])
    case_id = _CASE_ID.search(text)
    seq_no = _SEQ_NO.search(text)
    court = court_from_text(text)
    return {
        "court_id": court if is_appellate(court) else court_id,
        "pacer_doc_id": ids[0] if ids else None,
        "pacer_case_id": case_id.group(1) if case_id else None,
        "pacer_seq_no": seq_no.group(1) if seq_no else None,
        "attachments": attachments,
    }
