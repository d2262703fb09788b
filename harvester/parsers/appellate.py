"""Appellate dockets: the TransportRoom ``CaseSummary.jsp`` full docket report (HTML).

The page is a stack of sections, each opened by an HTML comment such as
``NEW SECTION - Case Stub``: case stub (number, dates, name, appeal from, fee
status), case type, originating court, prior cases, panel, party/attorney list,
caption and docket entries. Values sit in the text right after a bold label
("Docketed:", "Fee Status:"), so most fields are read as "the tail of the first
element whose text starts with this label".
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from ..errors import ParseError
from .casename import case_name
from .court import court_from_url, is_appellate
from .docket_number import DISTRICT_NUMBER
from .judges import judge_name
from .rss import pacer_doc_id_from_url
from .text import clean_string, clean_value, decode_html, parse_date, strip_control_chars

__all__ = ["parse", "looks_like_appellate_docket"]

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
}  # fmt: skip
_HEADING_COURT = re.compile(
    r"(?i)(Bankruptcy Appellate Panel|Court of Appeals)\s+for\s+(?:the\s+)?"
    r"(Veterans Claims|District of Columbia Circuit|Federal Circuit|(\w+) Circuit)"
)
_ENTERED = re.compile(r"\[Entered:\s*([\d/]+)")
_ALIEN_NUMBER = re.compile(r"A[0-9-]+")
# Labels of the last two rows of the originating-court table, and their fields.
_OGC_DATE_LABELS = {
    "Date Order/Judgment:": "date_judgment",
    "Date Order/Judgment EOD:": "date_judgment_eod",
    "Date NOA Filed:": "date_filed_noa",
    "Date Rec'd COA:": "date_received_coa",
}


def looks_like_appellate_docket(text: str) -> bool:
    """Cheap check: a TransportRoom case summary with its section markers."""
    return "NEW SECTION - Case Stub" in text or "CaseSummary.jsp" in text and "Docketed:" in text


class _Page:
    """An lxml tree with the label lookups the sections need."""

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        self.tree = tree
        self._labelled = [el for el in tree.iter() if isinstance(el.tag, str) and el.text]

    def first_labelled(self, pattern: str, within: etree._Element | None = None) -> etree._Element | None:
        """The first element (in document order) whose own text matches ``pattern``."""
        regex = re.compile(pattern)
        for el in self._labelled:
            if regex.search(el.text) and (within is None or _inside(el, within)):
                return el
        return None

    def tail(self, pattern: str) -> str:
        """Cleaned value after the first element labelled ``pattern``, or "".

        The value is the label's tail plus any inline elements after it (some
        pages wrap numbers in links), up to the next line break or label.
        """
        el = self.first_labelled(pattern)
        if el is None:
            return ""
        value = el.tail or ""
        for sibling in el.itersiblings():
            if sibling.tag in ("br", "b", "table", "tr", "td") or not isinstance(sibling.tag, str):
                break
            value += sibling.text_content() + (sibling.tail or "")
        value = clean_string(value.strip())
        return "" if value == "null" else value

    def date(self, pattern: str) -> str | None:
        return parse_date(self.tail(pattern)) or None


def _inside(el: etree._Element, ancestor: etree._Element) -> bool:
    return any(a is ancestor for a in el.iterancestors())


def _ancestor(el: etree._Element, tag: str) -> etree._Element | None:
    for a in el.iterancestors(tag):
        return a
    return None


def _court_id(page: _Page, text: str, fallback: str | None) -> str | None:
    m = _HEADING_COURT.search(text)
    if m:
        kind, where, ordinal = m.group(1), m.group(2), m.group(3)
        if where.lower() == "veterans claims":
            return "cavc"
        if where.lower().startswith("district of columbia"):
            return "cadc"
        if where.lower().startswith("federal"):
            return "cafc"
        number = _ORDINALS.get((ordinal or "").lower())
        if number:
            return f"{'bap' if kind.lower().startswith('bankruptcy') else 'ca'}{number}"
    for href in page.tree.xpath("//a/@href"):
        court = court_from_url(href)
        if is_appellate(court):
            return court
    return fallback


def _case_name(page: _Page) -> str:
    label = page.first_labelled(r"Docket #|Case Number")
    table = _ancestor(label, "table") if label is not None else None
    if table is None:
        return ""
    for td in table.iter("td"):
        if not td.xpath(".//b"):
            return case_name(td.text_content())
    return ""


def _panel(page: _Page) -> list[str]:
    if page.first_labelled("Panel Assignment") is None:
        return []
    panel = page.tail("Panel:")
    if panel in ("", "Not available"):
        return []
    return panel.split()


def _case_type_information(page: _Page) -> str:
    label = page.first_labelled("Case Type Information")
    table = _ancestor(label, "table") if label is not None else None
    if table is None:
        return ""
    values = []
    for bold in table.iter("b"):
        value = (bold.tail or "").strip()
        if value and value not in ("null", "-"):
            values.append(value)
    return clean_value(", ".join(values))


def _originating_court(page: _Page) -> dict:
    label = page.first_labelled("Originating Court Information")
    table = _ancestor(label, "table") if label is not None else None
    if table is None:
        return {}
    info: dict = {}
    district = page.first_labelled("District", within=table)
    if district is not None:
        cell = _ancestor(district, "td")
        cell_text = (cell if cell is not None else district).text_content()
        m = DISTRICT_NUMBER.search(cell_text)
        if m:
            info["docket_number"] = m.group(1)
        else:
            # Agency cases: "District: BIA-1 : A999-999-999".
            pieces = cell_text.split(":")
            info["docket_number"] = clean_value(pieces[2]) if len(pieces) > 2 else ""
        if _ALIEN_NUMBER.match(info["docket_number"]):
            # Alien numbers identify people; keep them apart from docket numbers.
            info["RESTRICTED_ALIEN_NUMBER"] = info.pop("docket_number")
    links = table.xpath(".//a/@href")
    info["court_id"] = (court_from_url(links[0]) or "") if links else ""
    info["assigned_to"] = judge_name(page.tail("Trial Judge"))
    info["court_reporter"] = page.tail("Court Reporter")
    info["date_filed"] = page.date("Date Filed")
    info["date_disposed"] = page.date("Date Disposed")
    info["disposition"] = page.tail("Disposition")
    info["ordering_judge"] = judge_name(page.tail("Ordering Judge"))
    info.update(_originating_dates(table))
    return info


def _originating_dates(table: etree._Element) -> dict:
    rows = [tr for tr in table.iter("tr") if _ancestor(tr, "table") is table]
    if len(rows) < 2:
        return {}
    labels = [clean_value(td.text_content()) for td in rows[-2].iter("td")]
    values = [clean_value(td.text_content()) for td in rows[-1].iter("td")]
    dates = {}
    for label, value in zip(labels, values, strict=False):  # the rows need not have as many cells
        field = _OGC_DATE_LABELS.get(label)
        if field:
            dates[field] = parse_date(value)
    return dates


def _section_start(tree: lxml.html.HtmlElement, marker: str) -> etree._Element | None:
    for comment in tree.iter(etree.Comment):
        if marker in (comment.text or ""):
            return comment
    return None


def _following(node: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
    for sibling in node.itersiblings():
        if isinstance(sibling.tag, str) and sibling.tag in tags:
            return sibling
    return None


def _lines(cell: etree._Element) -> list[str]:
    """The text of ``cell`` split at each <br>, one cleaned string per line."""
    parts = [""]

    def walk(el: etree._Element) -> None:
        if el.tag == "br":
            parts.append("")
        elif isinstance(el.tag, str):
            parts[-1] += el.text or ""
            for child in el:
                walk(child)
                parts[-1] += child.tail or ""

    walk(cell)
    return [clean_value(p) for p in parts]


def _attorneys(cell: etree._Element) -> list[dict]:
    attorneys = []
    block: list[str] = []
    for line in _lines(cell) + [""]:
        if line:
            block.append(line)
            continue
        if block:
            name, rest = block[0], block[1:]
            roles = [line[1:-1] for line in rest if line.startswith("[") and line.endswith("]")]
            contact = [line for line in rest if not (line.startswith("[") and line.endswith("]"))]
            attorneys.append({"name": name, "contact": "\n".join(contact), "roles": roles})
            block = []
    return attorneys


def _party(name_cell: etree._Element, attorney_cell: etree._Element) -> dict | None:
    lines = [line for line in _lines(name_cell) if line]
    if len(lines) < 2:
        return None
    party: dict = {"name": lines[0], "type": re.sub(r",$", "", lines[-1])}
    for el in name_cell.iter("b"):
        label = clean_value(el.text_content()).rstrip(":")
        value = clean_value(el.tail or "")
        if label == "Terminated":
            party["date_terminated"] = parse_date(value)
        elif label:
            party[label] = value
    party["attorneys"] = _attorneys(attorney_cell)
    return party


def _parties(tree: lxml.html.HtmlElement) -> list[dict]:
    start = _section_start(tree, "NEW SECTION - Party/Aty List")
    table = _following(start, ("table",)) if start is not None else None
    if table is None:
        return []
    parties = []
    for row in table.xpath(".//table//tr"):
        cells = row.xpath("./td")
        if len(cells) < 2:
            continue
        party = _party(cells[0], cells[1])
        if party is not None:
            parties.append(party)
    return parties


def _entry(cells: list[etree._Element]) -> dict:
    number_cell, text_cell = cells[1], cells[2]
    numbers = [
        t.strip()
        for t in number_cell.xpath(".//text()[not(ancestor::font)]")
        if t.strip().isdigit()
    ]
    links = number_cell.xpath(".//a/@href")
    doc_id = pacer_doc_id_from_url(links[0]) if links else None
    seq = number_cell.xpath(".//input[@name='d']/@value")
    description = clean_value(text_cell.text_content())
    entered = _ENTERED.search(description)
    entry = {
        "date_filed": parse_date(cells[0].text_content()),
        "date_entered": parse_date(entered.group(1)) if entered else None,
        "document_number": numbers[0] if numbers else doc_id,
        "pacer_doc_id": doc_id,
        "description": description,
    }
    if seq:
        entry["pacer_seq_no"] = seq[0]
    return entry


def _docket_entries(tree: lxml.html.HtmlElement) -> list[dict]:
    start = _section_start(tree, "NEW SECTION - DOCKET ENTRIES")
    if start is None:
        return []
    container = _following(start, ("table", "form"))
    if container is None:
        return []
    entries = []
    for row in container.iter("tr"):
        cells = row.xpath("./td")
        # Entry rows are date | number | text; others are layout or notices.
        if len(cells) >= 3 and parse_date(cells[0].text_content()):
            entries.append(_entry(cells))
    return entries


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse an appellate docket page into a docket record."""
    text = strip_control_chars(decode_html(data))
    if not looks_like_appellate_docket(text):
        raise ParseError("not an appellate docket: no TransportRoom case summary sections")
    try:
        tree = lxml.html.fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    page = _Page(tree)
    docket_number = page.tail(r"Docket #|Case Number")
    if not docket_number:
        raise ParseError("appellate page without a docket number")
    return {
        "court_id": _court_id(page, text, court_id),
        "docket_number": docket_number,
        "case_name": _case_name(page),
        "panel": _panel(page),
        "nature_of_suit": page.tail("Nature of Suit"),
        "appeal_from": page.tail("Appeal From"),
        "fee_status": page.tail("Fee Status"),
        "date_filed": page.date("Docketed"),
        "date_terminated": page.date("Termed"),
        "case_type_information": _case_type_information(page),
        "originating_court_information": _originating_court(page),
        "parties": _parties(tree),
        "docket_entries": _docket_entries(tree),
    }
