"""The district/bankruptcy "Document Selection Menu": a docket entry's main document and attachments.

``/doc1/<id>`` with the fourth digit of the id set to 0 answers, for an entry
with attachments, a table of documents. Each document row holds a link to
the document (its text is the document or attachment number), a description,
"N pages" and a size such as "145.1 KB". Newer pages put a checkbox first,
named ``document_<entry>_<attachment>`` with the value ``<id>-<bytes>-<pages>``.

The first row is the main document unless its checkbox names a non-zero
attachment. Older CM/ECF versions numbered the main document 1 and its
attachments from 2; when no attachment on the page is numbered below 2, the
numbers are shifted down by one so that attachment numbers mean the same on
every page (bankruptcy pages always number this way).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ..errors import ParseError
from .court import court_from_text, court_from_title, is_bankruptcy
from .doc_links import case_id_and_seq_no, pacer_doc_id
from .docket_attachments import pages_in_cells
from .html_tree import build_tree, text_of
from .page_markers import SELECTION_MENU_MARKER, looks_like_attachment_page
from .text import clean_value, decode_html_utf8, strip_control_chars

__all__ = ["parse", "looks_like_attachment_page", "document_rows", "cells_after_link"]

_CHECKBOX_NAME = re.compile(r"^document_(\d*)_(\d+)$")
_CASE_ID_IN_URL = re.compile(r"(?i)[?&]caseid=(\d+)")
_SEQ_IN_URL = re.compile(r"(?i)[?&]arr_de_seq_nums=(\d+)")
_PAGES_OR_SIZE = re.compile(r"(?i)^(?:\d+\s+pages?|[\d.,]+\s*(?:[kmg]?b|bytes))$")
_MAIN_LABEL = re.compile(r"Document\s+Number|Main\s+Document")


def document_rows(root: etree._Element) -> list[etree._Element]:
    """Rows holding a document link, innermost rows only (layout tables may nest)."""
    rows = []
    for row in root.iter("tr"):
        if any(a.get("href") for a in row.iter("a")) and not any(True for _ in row.iterdescendants("tr")):
            rows.append(row)
    return rows


def _checkbox(row: etree._Element) -> etree._Element | None:
    return next(row.iter("input"), None)


def _checkbox_numbers(row: etree._Element) -> tuple[str, int] | None:
    """(entry number as shown, attachment number) from a ``document_N_M`` checkbox."""
    box = _checkbox(row)
    m = _CHECKBOX_NAME.match((box.get("name") or "") if box is not None else "")
    return (m.group(1), int(m.group(2))) if m else None


def _value_part(row: etree._Element, index: int) -> int | None:
    """Part ``index`` of the checkbox value "<id>-<bytes>-<pages>" as a positive int."""
    box = _checkbox(row)
    parts = (box.get("value") or "").split("-") if box is not None else []
    if len(parts) != 3 or not parts[index].strip().isdigit():
        return None
    return int(parts[index]) or None


def _link(row: etree._Element) -> etree._Element:
    return next(a for a in row.iter("a") if a.get("href"))


def _link_number(row: etree._Element) -> int | None:
    label = text_of(_link(row)).strip()
    return int(label) if label.isdigit() else None


def _cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if cell.tag in ("td", "th")]


def cells_after_link(row: etree._Element) -> list[etree._Element]:
    """The cells of ``row`` after the one holding its first document link."""
    cells = _cells(row)
    link = _link(row)
    start = next((i for i, cell in enumerate(cells) if link in cell.iter("a")), len(cells))
    return cells[start + 1 :]


def _description(row: etree._Element) -> str:
    """The first text of the first non-empty cell after the one holding the document
    link (bankruptcy menus put an empty cell between), unless that is the page
    count or the size: then the document has no description."""
    for cell in cells_after_link(row):
        text = text_of(cell).strip()
        if not text:
            continue
        if _PAGES_OR_SIZE.match(text):
            return ""
        return clean_value(next((t for t in cell.itertext() if t.strip()), text))
    return ""


def _page_count(row: etree._Element) -> int | None:
    """Pages from the checkbox value, else the first number of the "N pages" cell."""
    pages = _value_part(row, 2)
    if pages:
        return pages
    return pages_in_cells(_cells(row))


def _size_text(row: etree._Element) -> str:
    cells = _cells(row)
    last = text_of(cells[-1]) if cells else ""
    lowered = last.lower()
    return clean_value(last) if "kb" in lowered or "mb" in lowered else ""


def _document(row: etree._Element, seq_no: str | None) -> dict:
    link = _link(row)
    own_seq = case_id_and_seq_no(link)[1]
    doc = {
        "description": _description(row),
        "page_count": _page_count(row),
        "file_size_str": _size_text(row),
        "pacer_doc_id": pacer_doc_id(link.get("href")),
        "pacer_seq_no": own_seq or seq_no,
    }
    size = _value_part(row, 1)
    if size:
        doc["file_size_bytes"] = size
    return doc


def _attachment_number(row: etree._Element) -> int | None:
    numbers = _checkbox_numbers(row)
    return numbers[1] if numbers else _link_number(row)


def _page_ids(root: etree._Element) -> tuple[str | None, str | None]:
    """(pacer_case_id, pacer_seq_no) for the page: the first goDLS link, else the
    "View All" button's URL."""
    for anchor in root.iter("a"):
        case_id, seq_no = case_id_and_seq_no(anchor)
        if case_id:
            return case_id, seq_no
    for box in root.iter("input"):
        onclick = box.get("onclick") or ""
        case_match = _CASE_ID_IN_URL.search(onclick)
        if case_match:
            seq_match = _SEQ_IN_URL.search(onclick)
            return case_match.group(1), seq_match.group(1) if seq_match else None
    return None, None


def _document_number(rows: list[etree._Element], bankruptcy: bool) -> int | None:
    """The docket entry's number: from the checkbox names, else (district pages) the
    link in the row labelled "Document Number" or "Main Document"."""
    for row in rows:
        numbers = _checkbox_numbers(row)
        if numbers is not None:
            entry = numbers[0]
            if not entry:
                return None
            if int(entry):
                return int(entry)
    if bankruptcy:
        return None  # bankruptcy menus show the main document's position, not the entry
    for row in rows:
        if _MAIN_LABEL.search(text_of(row)):
            return _link_number(row)
    return None


def _court(text: str, court_id: str | None) -> str | None:
    return court_from_text(text) or court_from_title(text) or court_id


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a Document Selection Menu into the main document's fields and ``attachments``."""
    text, utf8 = decode_html_utf8(data)
    if not SELECTION_MENU_MARKER.search(utf8):
        raise ParseError("not an attachment page: no Document Selection Menu")
    try:
        root = build_tree(utf8)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    rows = document_rows(root)
    if not rows:
        raise ParseError("attachment page without document links")
    court = _court(strip_control_chars(text), court_id)
    case_id, seq_no = _page_ids(root)
    first = _checkbox_numbers(rows[0])
    main_row = rows[0] if first is None or first[1] == 0 else None
    record: dict[str, Any] = {
        "court_id": court,
        "document_number": _document_number(rows, is_bankruptcy(court)),
        "pacer_case_id": case_id,
        "page_count": None,
        "file_size_str": "",
        # Without a main document row, the ids are the first listed document's.
        "pacer_doc_id": pacer_doc_id(_link(rows[0]).get("href")),
        "pacer_seq_no": case_id_and_seq_no(_link(rows[0]))[1] or seq_no,
    }
    if main_row is not None:
        main = _document(main_row, seq_no)
        record.update(page_count=main["page_count"], file_size_str=main["file_size_str"])
        if "file_size_bytes" in main:
            record["file_size_bytes"] = main["file_size_bytes"]
    record["attachments"] = _attachments([r for r in rows if r is not main_row], seq_no)
    return record


def _attachments(rows: list[etree._Element], seq_no: str | None) -> list[dict]:
    numbered = [(_attachment_number(row), row) for row in rows]
    known = [n for n, _ in numbered if n is not None]
    # Older menus counted the main document as 1: no attachment is numbered 1.
    shift = 1 if known and min(known) >= 2 else 0
    attachments = []
    previous = None
    for number, row in numbered:
        # An attachment added after the court's upgrade is numbered the new way, so
        # its number repeats (or falls below) the last old one; the rest follow it.
        if shift and number is not None and previous is not None and number <= previous:
            shift = 0
        previous = number if number is not None else previous
        doc = _document(row, seq_no)
        attachments.append({"attachment_number": None if number is None else number - shift, **doc})
    return attachments
