"""The download confirmation page PACER shows before it bills for a document.

Asking for a document's PDF first answers a page with a Transaction Receipt
(billable pages, cost, description) and a button to accept the charge.
Appellate CM/ECF titles it "Download Confirmation" and heads it
"Document: PDF Document (Case: 12-2209, Document: 00116475093)"; district and
bankruptcy CM/ECF say "To accept charges shown below, click on the 'View
Document' button" and put the case number in the receipt ("Case Number:").

Values are kept as the page shows them (cost "0.50", document "46-1"), except
``billable_pages`` (an int) and ``transaction_date``: appellate receipts
("09/15/2022 17:53:22", sometimes after the court's name) give
"2022-09-15 17:53:22", district ones ("Thu Mar  2 14:10:07 2023") give
"2023-03-02T14:10:07", the forms of the reference parses. The PACER login on
the receipt is never returned.
"""

from __future__ import annotations

import datetime as _dt
import re

from lxml import etree

from ..errors import ParseError
from .court import court_from_text
from .doc_links import go_dls_args, pacer_doc_id
from .html_tree import build_tree
from .page_markers import looks_like_confirmation_page
from .receipt import receipt_value
from .text import clean_string, decode_html, to_utf8

__all__ = ["parse", "looks_like_confirmation_page"]

# "Document: PDF Document (Case: 12-2209, Document: 00116475093)"
_HEADING = re.compile(r"(?i)Document:\s*[^(<]*\(\s*Case:\s*([^,)<]*),\s*Document:\s*([^)<]*)\)")
_NUMERIC_STAMP = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")
_CTIME_STAMP = re.compile(r"\b[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\b")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_TAG = re.compile(r"<[^>]*>")


def _stamp(text: str) -> str | None:
    """The receipt's date and time (its first stamp) in the reference's form (see
    the module docstring)."""
    numeric, ctime = _NUMERIC_STAMP.search(text), _CTIME_STAMP.search(text)
    if numeric and (ctime is None or numeric.start() < ctime.start()):
        month, day, year, hour, minute, second = map(int, numeric.groups())
        sep = " "
    elif ctime and ctime.group(1) in _MONTHS:
        month, (day, hour, minute, second, year) = _MONTHS[ctime.group(1)], map(int, ctime.groups()[1:])
        sep = "T"
    else:
        return None
    try:
        return _dt.datetime(year, month, day, hour, minute, second).isoformat(sep=sep)
    except ValueError:
        return None


def _receipt_text(text: str) -> str:
    start = re.search(r"(?i)Transaction\s+Receipt", text)
    return " ".join(_TAG.sub(" ", text[start.end() :]).split()) if start else ""


def _value(data: bytes, label: str) -> str | None:
    value = receipt_value(data, label)
    return clean_string(value) if value else None


def _form_ids(data: bytes) -> tuple[str | None, str | None]:
    """(pacer_doc_id, pacer_case_id) of the document the accept button fetches: the
    appellate form's dls_id and caseId fields, or the district form's doc1 action
    and its goDLS call."""
    try:
        root = build_tree(to_utf8(data))
    except (etree.ParserError, ValueError):
        return None, None
    for form in root.iter("form"):
        fields = {box.get("name"): box.get("value") for box in form.iter("input")}
        if fields.get("dls_id"):
            return pacer_doc_id(fields["dls_id"]), fields.get("caseId") or None
        if "/doc1/" in (form.get("action") or ""):
            args = go_dls_args(form.get("onsubmit"))
            return pacer_doc_id(form.get("action")), (args[1] or None) if len(args) > 1 else None
    return None, None


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a download confirmation page into its receipt's fields."""
    if not looks_like_confirmation_page(data):
        raise ParseError("not a download confirmation page: no receipt with an accept-charges button")
    text = decode_html(data)
    heading = _HEADING.search(_TAG.sub(" ", text))
    pages = _value(data, "Billable Pages")
    cost = _value(data, "Cost")
    if pages is None and cost is None:
        raise ParseError("download confirmation page without billable pages or cost")
    docket_number = clean_string(heading.group(1)) if heading else _value(data, "Case Number")
    doc_id, case_id = _form_ids(data)
    return {
        "court_id": court_from_text(text) or court_id,
        "pacer_doc_id": doc_id,
        "pacer_case_id": case_id,
        "docket_number": docket_number or None,
        "document_number": (clean_string(heading.group(2)) or None) if heading else None,
        "document_description": _value(data, "Description"),
        "billable_pages": int(pages) if pages and pages.isdigit() else None,
        "cost": cost,
        "transaction_date": _stamp(_receipt_text(text)),
    }
