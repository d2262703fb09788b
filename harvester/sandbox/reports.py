"""Docket report requests: reading the form, cutting entries, billing, the receipt.

The form is read like CM/ECF's DktRpt.pl: ``date_range_type`` (district) or
``date_type`` (bankruptcy) chooses whether ``date_from``/``date_to`` compare the
filed or the entered date; ``documents_numbered_from_``/``_to_`` keep entries
whose document number is in range (a number range drops unnumbered minute
entries); parties are listed only when ``list_of_parties_and_counsel=on``.

Real pages are cut with lxml: the docket-entries table is found by its header
row ("Date Filed ... Docket Text"), rows outside the filter are dropped, the
party tables (those saying "represented by") removed, and the page's own
receipt replaced by a fresh one.

Billing is PACER's: 4,320 bytes of report a page, at least one, at most 30
for a docket report; $0.10 a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import lxml.html

from ..parsers.receipt import billable_pages
from . import pages

PRICE_PER_PAGE = 0.10
RECEIPT_MARK = "<!--sandbox-receipt-->"


class QueryError(Exception):
    """A docket report form CM/ECF answers with an error page; ``page`` names which."""

    def __init__(self, page: str, field: str = "", value: str = "") -> None:
        super().__init__(page)
        self.page, self.field, self.value = page, field, value


@dataclass(frozen=True)
class DocketQuery:
    """What a docket report asks for, already validated."""

    date_type: str = "filed"  # filed | entered
    date_from: date | None = None
    date_to: date | None = None
    doc_from: int | None = None
    doc_to: int | None = None
    parties: bool = False
    terminated: bool = False
    newest_first: bool = False

    @property
    def cuts_entries(self) -> bool:
        """Whether any filter may drop entries."""
        return any(v is not None for v in (self.date_from, self.date_to, self.doc_from, self.doc_to))

    def keeps(self, filed: date | None, entered: date | None, number: int | None) -> bool:
        """Whether an entry passes the date and document-number filters."""
        when = entered if self.date_type == "entered" else filed
        when = when or filed
        if when is not None:
            if self.date_from is not None and when < self.date_from:
                return False
            if self.date_to is not None and when > self.date_to:
                return False
        if self.doc_from is not None or self.doc_to is not None:
            if number is None:
                return False
            if self.doc_from is not None and number < self.doc_from:
                return False
            if self.doc_to is not None and number > self.doc_to:
                return False
        return True

    def criteria(self, docket_number: str, kind: str) -> str:
        """The receipt's "Search Criteria", in the district or bankruptcy style."""
        if kind == "bankruptcy":
            dates = "".join(
                f" {label}: {d.month}/{d.day}/{d.year}" for label, d in (("From", self.date_from), ("To", self.date_to)) if d
            )
            return (
                f"{docket_number} Fil or Ent: {self.date_type}{dates} Doc From: {self.doc_from or 0} "
                f"Doc To: {self.doc_to or 99999999} Term: included Format: html"
            )
        parts = [docket_number]
        if self.date_from:
            parts.append(f"Start date: {self.date_from.month}/{self.date_from.day}/{self.date_from.year}")
        if self.date_to:
            parts.append(f"End date: {self.date_to.month}/{self.date_to.day}/{self.date_to.year}")
        if self.doc_from is not None or self.doc_to is not None:
            parts.append(f"Starting with document: {self.doc_from or 1}  Ending with document: {self.doc_to or 99999999}")
        return "    ".join(parts)


def _date_field(form: dict, name: str) -> date | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    for fmt in ("%m/%d/%Y", "%m/%d/%y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise QueryError("invalid", name, raw)


def _number_field(form: dict, name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise QueryError("invalid", name, raw)
    return int(raw)


def parse_query(form: dict) -> DocketQuery:
    """Read a DktRpt.pl form (district or bankruptcy names); raise QueryError like CM/ECF."""
    date_type = str(form.get("date_range_type") or form.get("date_type") or "filed").strip().lower()
    if date_type not in ("filed", "entered"):
        raise QueryError("invalid", "date_range_type", date_type)
    date_from, date_to = _date_field(form, "date_from"), _date_field(form, "date_to")
    if date_from and date_to and date_from > date_to:
        raise QueryError("start_after_end")
    doc_from, doc_to = _number_field(form, "documents_numbered_from_"), _number_field(form, "documents_numbered_to_")
    if doc_from is not None and doc_to is not None and doc_from > doc_to:
        raise QueryError("first_after_last")
    sort = str(form.get("sort1") or form.get("sort") or "").lower()
    return DocketQuery(
        date_type=date_type,
        date_from=date_from,
        date_to=date_to,
        doc_from=doc_from,
        doc_to=doc_to,
        parties=_on(form.get("list_of_parties_and_counsel")),
        terminated=_on(form.get("terminated_parties")),
        newest_first="most recent" in sort or "descending" in sort,
    )


def parse_appellate_query(params: dict) -> DocketQuery:
    """Read TransportRoom CaseSummary.jsp parameters (``dateFrom``, ``dateTo``, ``incPtyAty``)."""
    date_from, date_to = _date_field(params, "dateFrom"), _date_field(params, "dateTo")
    if date_from and date_to and date_from > date_to:
        raise QueryError("start_after_end")
    return DocketQuery(date_from=date_from, date_to=date_to, parties=str(params.get("incPtyAty", "")).upper() == "Y")


def _on(value) -> bool:
    return str(value or "").strip().lower() in ("on", "y", "yes", "1", "true")


def error_page(error: QueryError, title: str, kind: str) -> str:
    """CM/ECF's page for a refused form."""
    if error.page == "start_after_end":
        return pages.start_after_end(title, kind)
    if error.page == "first_after_last":
        return pages.first_doc_after_last(title, kind)
    return pages.invalid_field(title, kind, error.field, error.value)


# --------------------------------------------------------------------------- reports
@dataclass
class Report:
    """A docket report before its receipt: ``before`` + receipt + ``after``."""

    before: str
    after: str
    entries: int
    description: str = "Docket Report"


@dataclass
class Billed:
    """A finished report: the bytes to send and what they cost."""

    body: bytes
    billable_pages: int
    cost: float
    entries: int


def encode_page(html: str) -> bytes:
    """Pages travel as ASCII, anything else as character references.

    The bundled real pages are pure ASCII, so an uncut page keeps its exact
    bytes; text lxml turned into characters (``&nbsp;``) goes back to references.
    """
    return html.encode("ascii", errors="xmlcharrefreplace")


def finish(report: Report, *, now: datetime, login: str, client_code: str, criteria: str) -> Billed:
    """Bill the report PACER's way and append its Transaction Receipt."""
    before, after = encode_page(report.before), encode_page(report.after)
    n_pages = billable_pages(len(before) + len(after))
    cost = round(n_pages * PRICE_PER_PAGE, 2)
    table = pages.receipt(now, login, client_code, report.description, criteria, n_pages, f"{cost:.2f}")
    return Billed(before + encode_page(table) + after, n_pages, cost, report.entries)


# --------------------------------------------------------------------------- real pages
_RECEIPT_RE = re.compile(
    r"(?:<hr[^>]*>\s*)?(?:<center>\s*)?<table(?:(?!<table).)*?Transaction Receipt.*?</table>"
    r"(?:\s*</center>)?(?:\s*</hr>)?",
    re.I | re.S,
)
_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ENTERED_RE = re.compile(r"Entered:\s*(\d{1,2}/\d{1,2}/\d{4})")
_INT_RE = re.compile(r"\d+")


def split_receipt(html: str) -> tuple[str, str]:
    """Cut a real page around its receipt (or before ``</body>`` when it has none)."""
    found = None
    for match in _RECEIPT_RE.finditer(html):
        found = match  # the last receipt on the page
    if found:
        return html[: found.start()], html[found.end():]
    idx = html.lower().rfind("</body>")
    return (html[:idx], html[idx:]) if idx >= 0 else (html, "")


def _mdy(text: str) -> date | None:
    m = _DATE_RE.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None


def _norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split()).lower()


def _rows(table) -> list:
    return table.xpath("./tr|./tbody/tr|./thead/tr")


def find_entries_table(doc):
    """The docket-entries table: header row "Date ... Docket Text"."""
    for table in doc.iter("table"):
        rows = _rows(table)
        if not rows:
            continue
        cells = rows[0].xpath("./td|./th")
        if len(cells) >= 2 and "date" in _norm(cells[0].text_content()) and "docket text" in _norm(cells[-1].text_content()):
            return table
    return None


def _drop(element) -> None:
    element.drop_tree()  # keeps the element's tail text, unlike parent.remove()


def _drop_party_tables(doc, keep) -> None:
    """Remove the innermost tables listing parties ("represented by"), never ``keep``."""
    candidates = [t for t in doc.iter("table") if "represented by" in _norm(t.text_content())]
    for table in candidates:
        inner = any(other is not table and table in other.iterancestors() for other in candidates)
        if inner:
            continue  # an outer table of another candidate: removing it would take too much
        if keep is not None and (table is keep or keep in table.iterdescendants() or table in keep.iterancestors()):
            continue
        _drop(table)


def filter_real_page(before: str, after: str, query: DocketQuery, docket_number: str, kind: str) -> Report:
    """Cut a real district/bankruptcy or appellate page to the query."""
    doc = lxml.html.document_fromstring(before + RECEIPT_MARK + after)
    kept = _filter_appellate(doc, query) if kind == "appellate" else _filter_district(doc, query, docket_number)
    html = lxml.html.tostring(doc, encoding="unicode", doctype=doc.getroottree().docinfo.doctype)
    head, _, tail = html.partition(RECEIPT_MARK)
    return Report(head, tail, kept)


def _filter_district(doc, query: DocketQuery, docket_number: str) -> int:
    table = find_entries_table(doc)
    if not query.parties:
        _drop_party_tables(doc, table)
    if table is None:
        return 0
    rows = _rows(table)[1:]
    kept = 0
    for row in rows:
        cells = row.xpath("./td|./th")
        filed = _mdy(cells[0].text_content()) if cells else None
        if filed is None:
            continue
        entered_match = _ENTERED_RE.search(cells[-1].text_content())
        entered = _mdy(entered_match.group(1)) if entered_match else filed
        numbers = [_INT_RE.search(c.text_content()) for c in cells[1:-1]]
        number = next((int(m.group()) for m in numbers if m), None)
        if query.keeps(filed, entered, number):
            kept += 1
        else:
            _drop(row)
    if kept == 0:
        table.addnext(lxml.html.fragment_fromstring(pages.none_satisfy(docket_number)))
        _drop(table)
    elif query.newest_first:
        body = rows[0].getparent()
        entries = [r for r in _rows(table)[1:]]
        for row in entries:
            body.remove(row)
        for row in reversed(entries):
            body.append(row)
    return kept


def _filter_appellate(doc, query: DocketQuery) -> int:
    if not query.parties:
        for comment in doc.xpath("//comment()[contains(., 'Party/Aty List')]"):
            for table in comment.xpath("following::table[1]"):
                _drop(table)
    kept = 0
    for comment in doc.xpath("//comment()[contains(., 'DOCKET ENTRIES')]"):
        for table in comment.xpath("following::table[1]"):
            for row in list(table.iter("tr")):
                cells = row.xpath("./td")
                if not cells or not re.fullmatch(r"\s*\d{2}/\d{2}/\d{4}\s*", cells[0].text_content() or ""):
                    continue
                filed = _mdy(cells[0].text_content())
                if query.keeps(filed, filed, None):
                    kept += 1
                else:
                    _drop(row)
    return kept
