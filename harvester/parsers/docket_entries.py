"""Docket entries of a CM/ECF docket report: one pass over the entry table rows.

The entry table is every table holding the "Docket Text" header plus the
header-less tables that follow it (big dockets are split), minus the
multi-document download tables. Each row becomes ``{date_filed,
document_number, pacer_doc_id, pacer_seq_no, description, date_entered}``;
in the "view multiple documents" layout, the attachment rows under an entry
add ``page_count``/``file_size_*`` and ``attachments``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from lxml import etree

from .docket_attachments import attach_documents
from .html_tree import direct_rows, first_word, text_holders, text_of
from .text import clean_value, parse_date

__all__ = ["SEQ_CHECKBOX_NAME", "EntryRowDigest", "entry_rows", "ordered_by", "parse_entries"]

_ENTERED = re.compile(r"Entered:\s+([—\d\-–/]+)")
_GODLS_ARGS = re.compile(r"'(.*?)'")
_WS = "[\\s\u00a0]"
# Rows where the number and the text share one cell: "2 (23 pgs; 4 docs) text",
# "2 (23 pgs) text", "2 text" or just "text" (no document).
_MERGED_CELL_PATTERNS = [
    re.compile(p.format(ws=_WS))
    for p in (
        r"^{ws}*\d+{ws}+\(\d+{ws}+pgs;{ws}\d+{ws}docs\){ws}+(.*)",
        r"^{ws}*\d+{ws}+\(\d+{ws}+pgs\){ws}+(.*)",
        r"^{ws}*\d+{ws}+(.*)",
        r"^{ws}*(.*)",
    )
]


def _tables_with_text(root: etree._Element, page: bytes, needle: str) -> set[etree._Element]:
    """Every table that has a text node containing ``needle`` among its descendants.

    ``page`` is the raw page: how often the needle occurs there bounds the walk.
    """
    found: set[etree._Element] = set()
    count = page.count(needle.encode())
    if not count:
        return found
    for el in text_holders(root, (needle,), count):
        while el is not None:
            if el.tag == "table":
                if el in found:
                    break
                found.add(el)
            el = el.getparent()
    return found


def entry_rows(root: etree._Element, page: bytes, tables: list[etree._Element]) -> list[etree._Element]:
    """All rows of the docket entry tables, in page order, header row first.

    Entry tables are those with a "Docket Text" text node and the tables after
    them at the same level (long dockets come in several tables), except the
    multi-document download tables. ``tables``: every table of the page, in page
    order (gathered in the caller's one walk of the tree).
    """
    headed = _tables_with_text(root, page, "Docket Text")
    if not headed:
        return []
    candidates = set(headed)
    for table in headed:
        for sib in table.itersiblings("table"):
            candidates.add(sib)
    excluded: set[etree._Element] = set()
    for needle in ("Total file size of selected documents", "Footer format:"):
        excluded |= _tables_with_text(root, page, needle)
    kept = [t for t in tables if t in candidates and t not in excluded]
    return [row for table in kept for row in direct_rows(table)]


def ordered_by(rows: list[etree._Element]) -> str | None:
    """ "date_entered" when the first column is the entry date, else "date_filed"."""
    if not rows:
        return None
    header = [c for c in rows[0] if c.tag in ("td", "th") and not _has_input_child(c)]
    if not header:
        return None
    return "date_entered" if text_of(header[0]) in ("Date Entered", "Docket Date") else "date_filed"


def _has_input_child(cell: etree._Element) -> bool:
    for child in cell:
        if child.tag == "input":
            return True
    return False


def _data_cells(row: etree._Element, inputs: bool = True) -> list[etree._Element]:
    """The row's ``td`` cells without an ``input`` child (inlined: it runs on every row).

    ``inputs=False``: the row's table holds no ``input`` at all, so no cell's
    children need looking at (a description cell has dozens).
    """
    if not inputs:
        return [cell for cell in row if cell.tag == "td"]
    cells = []
    for cell in row:
        if cell.tag == "td":
            for child in cell:
                if child.tag == "input":
                    break
            else:
                cells.append(cell)
    return cells


def _doc_id_from_href(href: str) -> str:
    """The document id of a doc1 link, with its fourth digit zeroed (the reference's rule).

    Like the reference, this reads the last path segment of any link, so an old
    ``/cgi-bin/show_doc.pl?caseid=..`` link gives "sho0_doc.pl": a third of the
    corpus's bankruptcy entries carry that value, and fidelity is scored on it.
    """
    last = href.rsplit("/", 1)[-1].split("?")[0]
    return f"{last[:3]}0{last[4:]}"


def _seq_from_onclick(anchor: etree._Element) -> str | None:
    onclick = anchor.get("onclick")  # (the HTML parser lower-cases attribute names: onClick too)
    if onclick and "goDLS" in onclick:
        args = _GODLS_ARGS.findall(onclick)
        if len(args) >= 3:
            return args[2]
    return None


def _doc_link(cell: etree._Element, number: str | None) -> tuple[str | None, str | None]:
    """(pacer_doc_id, pacer_seq_no) of the first link in ``cell`` whose text is ``number``."""
    if not number:
        return None, None
    # The usual cell holds just the link: its first child, the first <a> of the
    # walk below, is tried without setting the walk up.
    first = cell[0] if len(cell) else None
    if first is not None and first.tag == "a" and _is_labelled(first, number):
        return _link_ids(first)
    for anchor in cell.iter("a"):
        if _is_labelled(anchor, number):
            return _link_ids(anchor)
    return None, None


def _is_labelled(anchor: etree._Element, number: str) -> bool:
    label = anchor.text if len(anchor) == 0 else text_of(anchor)
    return label is not None and label.strip() == number


def _link_ids(anchor: etree._Element) -> tuple[str | None, str | None]:
    href = anchor.get("href")
    if href is None:
        return None, None
    return _doc_id_from_href(href), _seq_from_onclick(anchor)


SEQ_CHECKBOX_NAME = "arr_de_seq_nums"


def _seq_from_checkbox(row: etree._Element) -> str | None:
    """The sequence number of an entry's "select" checkbox (multi-document layout)."""
    for box in row.iter("input"):
        if box.get("name") == SEQ_CHECKBOX_NAME:
            value = box.get("value")
            box_id = box.get("id")
            if box_id is not None and box_id.removeprefix(SEQ_CHECKBOX_NAME + "_") != value:
                return None
            return value
    return None


def _merged_description(text: str) -> str:
    for pattern in _MERGED_CELL_PATTERNS:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return text


def _strip_select_cells(cells: list[etree._Element]) -> None:
    """Drop the empty checkbox cells of the multi-document layout, in place."""
    if len(cells) == 4 and not text_of(cells[2]).strip():
        del cells[2]
    if len(cells) == 5:
        del cells[3]


def _entry(row: etree._Element, cells: list[etree._Element], date_text: str, checkboxes: bool) -> dict | None:
    """One docket entry from a row's data cells, or None for rows that are not entries.

    ``checkboxes``: whether the page may hold "select" checkboxes at all (most pages
    have none: their rows are not searched for one).
    """
    merged = len(cells) == 2  # number and text in one cell
    if len(cells) < 2:
        return None
    number = first_word(cells[1])
    if merged and number is not None and not number.isdigit():
        number = None
    doc_id, seq_no = _doc_link(cells[1], number)
    if seq_no is None and checkboxes:
        seq_no = _seq_from_checkbox(row)
    if merged:
        description = _merged_description(text_of(cells[1]))
    else:
        description = text_of(cells[2])
    description = clean_value(description)
    if number is not None and not number.isdigit():
        return None  # "doc" style non-numbered rows are not entries in the reference
    m = _ENTERED.search(description)
    return {
        "date_filed": parse_date(date_text),
        "document_number": number,
        "pacer_doc_id": doc_id,
        "pacer_seq_no": seq_no,
        "description": description,
        "date_entered": parse_date(m.group(1)) if m else None,
    }


def _row_cells(row: etree._Element, multi_doc: bool, inputs: bool = True) -> list[etree._Element]:
    """The data cells of an entry-table row, with layout-only columns removed
    (``inputs``: see :func:`_data_cells`)."""
    cells = _data_cells(row, inputs)
    if multi_doc:
        _strip_select_cells(cells)
    if len(cells) == 4:
        del cells[1]  # an extra (empty) number column in some courts
    return cells


_DATE_FIRST = re.compile(r"\s*\d{1,2}/\d{1,2}/\d{2,4}")


class EntryRowDigest:
    """Turns finished entry rows into records while the page is still being parsed.

    Called on each ``</tr>`` of a streaming parse: a row that starts with a
    date is an entry row; its record is kept and the row emptied (a huge docket
    would otherwise hold hundreds of MB of tree). Rows that mention what the
    rest of the parser searches the tree for (see ``_KEEP``) stay intact, so
    the later passes see the same tree text as an unstreamed parse would.
    """

    _KEEP = (
        "Docket Text",
        "Total file size of",
        "Footer format:",
        "Date Filed:",
        "Date filed:",
        "Adversary Proceeding",
        "Nature[s] of",
        "Lead BK Title",
    )
    _KEEP_LOWER = ("assigned to:", "referred to:")

    def __init__(self, multi_doc: bool, checkboxes: bool) -> None:
        self.multi_doc = multi_doc
        self.checkboxes = checkboxes
        self.records: list[dict | None] = []
        # Marks an emptied row with its record's index; random, so no page can forge it.
        self.mark = f"data-harvester-{os.urandom(6).hex()}"

    def _must_keep(self, text: str) -> bool:
        for needle in self._KEEP:
            if needle in text:
                return True
        if "to:" in text or "TO:" in text or "To:" in text:
            lower = text.lower()
            return any(needle in lower for needle in self._KEEP_LOWER)
        return False

    def __call__(self, row: etree._Element) -> None:
        parent = row.getparent()
        if parent is None or parent.tag not in ("table", "tbody"):
            return
        etree.strip_elements(row, "script", "style", with_tail=False)
        cells = _row_cells(row, self.multi_doc)
        if not cells:
            return
        first = cells[0]
        date_text = text_of(first)
        if first is not row.find("td") or not _DATE_FIRST.match(date_text):
            return  # only rows whose first cell starts with a date are entry rows
        if self._must_keep(text_of(row)):
            return
        self.records.append(_entry(row, cells, date_text, self.checkboxes))
        row.clear()
        row.set(self.mark, str(len(self.records) - 1))


def parse_entries(
    rows: Iterable[etree._Element],
    multi_doc: bool,
    bankruptcy: bool,
    digest: EntryRowDigest | None,
    checkboxes: bool,
) -> list[dict]:
    """Docket entries from the entry-table rows (header row excluded).

    Rows already turned into records by ``digest`` contribute those records.
    ``checkboxes``: whether the page may hold the entries' "select" checkboxes
    (False when its bytes never name them: no row is searched for one).
    """
    entries: list[dict] = []
    # Whether each table (or tbody) of the rows holds any <input>: one walk in C per
    # table instead of a look at every cell's children (most tables hold none).
    inputs_in: dict[etree._Element, bool] = {}
    for row in rows:
        mark = row.get(digest.mark) if digest is not None else None
        if mark is not None and digest is not None:
            record = digest.records[int(mark)]
            if record is not None:
                entries.append(record)
            continue
        table = row.getparent()
        inputs = inputs_in.get(table)
        if inputs is None:
            inputs = inputs_in[table] = table is None or next(table.iter("input"), None) is not None
        cells = _row_cells(row, multi_doc, inputs)
        if not cells:
            continue
        date_text = text_of(cells[0])
        if not date_text.strip():
            if multi_doc and len(cells) >= 3 and entries:
                attach_documents(entries[-1], cells[2], bankruptcy)
            continue
        entry = _entry(row, cells, date_text, checkboxes)
        if entry is not None:
            entries.append(entry)
    return entries
