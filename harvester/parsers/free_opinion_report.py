"""The Written Opinions report (WrtOpRpt.pl): free opinions filed in a date range.

The report is one table whose header names its columns: "Case Number & Name:",
"Date Filed:", "Doc. #", "Description:" and, in most courts, "Notes:" (office,
case flags, "NOS:" nature of suit, "Cause:"). Sorted by date, the date comes
first; sorted by case number, the case does. A row that repeats the previous
row's case (or date) leaves that cell empty, so empty cells inherit.

The case cell links to the docket (``DktRpt.pl?<case id>``); its text is either
"4:23-bk-10939 Todd Armstrong" or the number, a line break and the name in
bold. The document cell links to ``/doc1/<id>``, with a ``goDLS`` call that
carries the case id and the entry's sequence number when the court adds one.

Below the table the report states "Total number of opinions reported: N";
:func:`reported_total` reads it so a harvester can compare it with the rows
parsed. :func:`parse` returns ``{"court_id", "reported_total", "dockets": [...]}``
with one record per opinion (its case's fields and the document's).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import ParseError
from .casename import case_name
from .court import court_from_text, court_from_title, is_bankruptcy
from .doc_links import case_id_and_seq_no, pacer_doc_id
from .docket_number import docket_number_parts, empty_parts, find_docket_number
from .html_tree import build_tree, direct_rows, text_of
from .page_markers import OPINIONS_REPORT_MARKER, looks_like_free_opinion_report
from .text import decode_html_utf8, parse_date

__all__ = ["parse", "reported_total", "looks_like_free_opinion_report"]

_TOTAL = re.compile(r"(?i)Total\s+number\s+of\s+opinions\s+reported\s*:?\s*(?:<[^>]*>\s*)*(\d[\d,]*)")
_CASE_ID = re.compile(r"\?(\d+)")
# Column names as the header row spells them, by the field they hold.
_COLUMNS = {
    "case": re.compile(r"(?i)case\s+number|name"),
    "date": re.compile(r"(?i)date\s+filed"),
    "document": re.compile(r"(?i)doc\.?\s*#|document"),
    "description": re.compile(r"(?i)description"),
    "notes": re.compile(r"(?i)notes"),
}
_NOTE_LABELS = {"nature_of_suit": re.compile(r"(?i)^NOS\b"), "cause": re.compile(r"(?i)^Cause\b")}


def reported_total(data: bytes) -> int | None:
    """The report's own "Total number of opinions reported", or None when absent."""
    m = _TOTAL.search(decode_html_utf8(data)[0])
    return int(m.group(1).replace(",", "")) if m else None


def _columns(header: etree._Element) -> dict[str, int]:
    """Field name -> cell index, from the header row's cell texts."""
    found: dict[str, int] = {}
    for index, cell in enumerate(c for c in header if c.tag in ("th", "td")):
        label = text_of(cell)
        for field, pattern in _COLUMNS.items():
            if field not in found and pattern.search(label):
                found[field] = index
                break
    return found


def _report_table(root: etree._Element) -> tuple[etree._Element, dict[str, int]] | None:
    """The results table and its column map: the first table headed by the columns."""
    for table in root.iter("table"):
        rows = list(direct_rows(table))
        if rows and rows[0].find("th") is not None:
            columns = _columns(rows[0])
            if {"case", "document", "description"} <= set(columns):
                return table, columns
    return None


def _case(cell: etree._Element, bankruptcy: bool) -> dict | None:
    """Case fields of a case cell, or None when the cell is empty (same case as above)."""
    link = next((a for a in cell.iter("a") if a.get("href")), None)
    if link is None or not text_of(link).strip():
        return None
    label = " ".join(text_of(link).split())
    number_token, _, rest = label.partition(" ")
    # The name follows the number in the link, or after it in the cell.
    name = rest or " ".join(text_of(cell).split())[len(label) :]
    case_id = _CASE_ID.search(link.get("href") or "")
    return {
        "pacer_case_id": case_id.group(1) if case_id else None,
        "docket_number": find_docket_number(number_token, bankruptcy=bankruptcy) or number_token,
        "case_name": case_name(name),
        **(docket_number_parts(number_token) if number_token else empty_parts()),
    }


def _notes(cell: etree._Element | None) -> dict[str, str]:
    """Nature of suit and cause from the notes cell's "<i>NOS:</i> ..." lines."""
    notes = {field: "" for field in _NOTE_LABELS}
    for label in cell.iter("i") if cell is not None else ():
        for field, pattern in _NOTE_LABELS.items():
            if pattern.match((label.text or "").strip()):
                notes[field] = (label.tail or "").strip()
    return notes


def _document(cell: etree._Element) -> tuple[dict, str | None]:
    """The opinion's document fields, and the case id its goDLS call names (or None)."""
    link = next((a for a in cell.iter("a") if a.get("href")), None)
    if link is None:
        return {"document_number": None, "pacer_doc_id": None, "pacer_seq_no": None}, None
    case_id, seq_no = case_id_and_seq_no(link)
    fields = {
        "document_number": text_of(link).strip() or None,
        "pacer_doc_id": pacer_doc_id(link.get("href")),
        "pacer_seq_no": seq_no,
    }
    return fields, case_id


def _same_case(previous: dict) -> dict:
    return {key: previous[key] for key in ("pacer_case_id", "docket_number", "case_name", *empty_parts())}


def _opinion(cells: list[etree._Element], columns: dict[str, int], previous: dict | None, context: dict) -> dict | None:
    """One row's record, or None for a row that is not an opinion (no document link)."""

    def cell(field: str) -> etree._Element | None:
        index = columns.get(field)
        return cells[index] if index is not None and index < len(cells) else None

    case_cell, doc_cell = cell("case"), cell("document")
    if case_cell is None or doc_cell is None:
        return None
    case = _case(case_cell, context["bankruptcy"]) or (_same_case(previous) if previous else None)
    document, go_dls_case_id = _document(doc_cell)
    if case is None or document["pacer_doc_id"] is None:
        return None
    date_cell, description_cell = cell("date"), cell("description")
    date = parse_date(text_of(date_cell)) if date_cell is not None else None
    return {
        "court_id": context["court_id"],
        **case,
        # The goDLS call names the case the download works with; prefer it.
        "pacer_case_id": go_dls_case_id or case["pacer_case_id"],
        "date_filed": date or (previous["date_filed"] if previous else None),
        **document,
        "description": " ".join(text_of(description_cell).split()) if description_cell is not None else "",
        **_notes(cell("notes")),
    }


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a Written Opinions report into ``{"court_id", "reported_total", "dockets"}``."""
    text, utf8 = decode_html_utf8(data)
    if not OPINIONS_REPORT_MARKER.search(utf8):
        raise ParseError("not a Written Opinions report: no 'Written Opinions Report' heading")
    try:
        root = build_tree(utf8)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    total = reported_total(data)
    found = _report_table(root)
    if found is None:
        if total == 0:
            return {"court_id": court_from_text(text) or court_id, "reported_total": 0, "dockets": []}
        raise ParseError("Written Opinions report without its results table")
    table, columns = found
    court = court_from_text(text) or court_from_title(text) or court_id
    context = {"court_id": court, "bankruptcy": is_bankruptcy(court)}
    opinions: list[dict] = []
    for row in list(direct_rows(table))[1:]:
        cells = [c for c in row if c.tag == "td"]
        opinion = _opinion(cells, columns, opinions[-1] if opinions else None, context)
        if opinion is not None:
            opinions.append(opinion)
    return {"court_id": court, "reported_total": total, "dockets": opinions}
