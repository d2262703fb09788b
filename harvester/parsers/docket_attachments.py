"""Documents listed under an entry in the "view multiple documents" docket layout.

Each listed document row has a checkbox whose id is ``arr_de_seq_nums_<seq>_<bytes>``
and whose value is the document id without the court prefix, then the number
(0 = main document), a description, "N pages" and a size such as "17.14 KB".
The main document's page count and size go onto the entry itself; the others
become the entry's ``attachments``.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from .html_tree import text_of
from .text import clean_value

__all__ = ["attach_documents"]


def _checkbox(row: etree._Element) -> etree._Element | None:
    return next(row.iter("input"), None)


def _id_parts(box: etree._Element | None) -> list[str] | None:
    """[seq, bytes] from a download checkbox id, or None."""
    if box is None or box.get("name") != "download_documents":
        return None
    parts = (box.get("id") or "").removeprefix("arr_de_seq_nums_").split("_")
    return parts if len(parts) == 2 else None


def _dashed_value(box: etree._Element | None, index: int) -> str | None:
    """Part ``index`` of an "id-bytes-pages" checkbox value (older layout)."""
    if box is None:
        return None
    parts = (box.get("value") or "").split("-")
    return parts[index] if len(parts) == 3 else None


def _page_count(row: etree._Element, box: etree._Element | None) -> int | None:
    dashed = _dashed_value(box, 2)
    if dashed and dashed.isdigit() and int(dashed):
        return int(dashed)
    return pages_in_cells(row.iterchildren("td"))


def pages_in_cells(cells: Iterable[etree._Element]) -> int | None:
    """The first number of the first "N pages" cell (the cell's own text or a tail after its tags)."""
    for cell in cells:
        if "page" not in text_of(cell):
            continue
        for piece in (cell.text, *(child.tail for child in cell)):
            first = (piece or "").split()[:1]
            if first and first[0].isdigit():
                return int(first[0])
    return None


def _file_size_bytes(box: etree._Element | None) -> int | None:
    parts = _id_parts(box)
    raw = parts[1] if parts else _dashed_value(box, 1)
    if raw is None or not raw.isdigit() or int(raw) == 0:
        return None
    return int(raw)


def _doc_id(box: etree._Element | None, prefix: str) -> str | None:
    if box is None:
        return None
    suffix = box.get("value") if box.get("name") == "download_documents" else _dashed_value(box, 0)
    return f"{prefix}0{suffix}" if suffix is not None else None


def _seq_no(box: etree._Element | None) -> str | None:
    if box is None or box.get("name") is None:
        return None
    parts = _id_parts(box)
    if box.get("name") == "download_documents":
        return parts[0] if parts else None
    pieces = box.get("name", "").split("_")
    return pieces[2] if len(pieces) > 2 else None


def _first_cell_text(row: etree._Element) -> str:
    for cell in row.iter("td"):
        for piece in (cell.text, *(child.tail for child in cell)):
            if piece is not None:
                return piece
    return ""


def _description(row: etree._Element, bankruptcy: bool) -> str:
    """The first text of the description cell: the third cell, or in district
    layouts without a checkbox column, the second."""
    cells = [c for c in row if c.tag == "td"]
    index = 2 if bankruptcy or len(cells) == 5 else 1
    if len(cells) <= index:
        return ""
    first = next(cells[index].itertext(), "")
    return first.strip()


def _size_text(row: etree._Element) -> str:
    cells = [c for c in row if c.tag == "td"]
    last = text_of(cells[-1]) if cells else ""
    return last.strip() if ("kb" in last.lower() or "mb" in last.lower()) else ""


def _document(row: etree._Element, prefix: str, bankruptcy: bool) -> dict | None:
    number = _first_cell_text(row).strip()
    if not number.isdigit():
        return None
    box = _checkbox(row)
    doc = {
        "attachment_number": int(number),
        "description": clean_value(_description(row, bankruptcy)),
        "page_count": _page_count(row, box),
        "file_size_str": clean_value(_size_text(row)),
        "pacer_doc_id": _doc_id(box, prefix),
        "pacer_seq_no": _seq_no(box),
    }
    size = _file_size_bytes(box)
    if size is not None:
        doc["file_size_bytes"] = size
    return doc


def attach_documents(entry: dict, cell: etree._Element, bankruptcy: bool) -> None:
    """Read the document list in ``cell`` into ``entry`` (sizes, attachments)."""
    prefix = (entry.get("pacer_doc_id") or "")[:3]
    docs = []
    for table in cell.iterchildren("table"):
        for row in table.iter("tr"):
            doc = _document(row, prefix, bankruptcy)
            if doc is not None:
                docs.append(doc)
    attachments = []
    for doc in docs:
        same = doc["pacer_doc_id"] == entry["pacer_doc_id"] and doc["pacer_seq_no"] == entry["pacer_seq_no"]
        if same:
            entry["file_size_bytes"] = doc.get("file_size_bytes")
            entry["file_size_str"] = doc["file_size_str"]
            entry["page_count"] = doc["page_count"]
            if doc["attachment_number"] == 0:
                continue
        attachments.append(doc)
    if attachments:
        entry["attachments"] = attachments
