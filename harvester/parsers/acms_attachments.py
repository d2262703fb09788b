"""ACMS docket-entry document lists (2nd and 9th Circuits, Veterans Claims): JSON in, attachments out.

ACMS's counterpart of the CM/ECF attachment page: one docket entry
(``docketEntry``) and its documents (``docketEntryDocuments``). The record names
the entry (``pacer_doc_id`` its GUID, ``entry_number``, ``description``) and
lists its ``attachments``: number, description, pages, size, cost, permission
and ACMS's GUID of the document (``acms_document_guid``).

Field derivations follow the reference parses:

- ``page_count`` is what ACMS bills (``billablePages``); ``document_page_count``
  keeps the document's own count (``pageCount``) beside it;
- the attachment number is the part after the dot of "4.1" (newer ACMS) or the
  plain "1" (older ACMS);
- the description is read from the file name, "<case> <entry>-<doc> - <entry
  type> - <description>.pdf"; when the name has more " - " separators than that,
  the entry type itself contains one and the split is ambiguous, so the whole
  name is kept;
- the entry text is folded to compatibility characters (NFKD: a no-break space
  becomes a space), and dates are the day of ACMS's timestamps as written (UTC).
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import ParseError
from .acms_json import html_text, iso_date, load_object, optional, required

__all__ = ["parse"]

_WHAT = "ACMS document list"
_ATTACHMENT_NUMBER = re.compile(r"^\s*(?:\d+\.)?(\d+)\s*$")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
# Case, entry and document number, entry type, description: three parts.
_NAME_PARTS = 3


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse an ACMS entry's document list into a record with an ``attachments`` list."""
    doc = load_object(data, _WHAT)
    case = required(doc, "caseDetails", (dict,), "", _WHAT)
    entry = required(doc, "docketEntry", (dict,), "", _WHAT)
    documents = required(doc, "docketEntryDocuments", (list,), "", _WHAT)
    where = "docketEntry"
    entry_id = required(entry, "docketEntryId", (str,), where, _WHAT).strip()
    number = required(entry, "entryNumber", (int, str), where, _WHAT)
    html = required(entry, "docketEntryText", (str, type(None)), where, _WHAT) or ""
    return {
        "court_id": court_id,
        "pacer_case_id": required(case, "caseId", (str,), "caseDetails", _WHAT).strip(),
        "pacer_doc_id": entry_id,
        "entry_number": _int(number, f"{where}.entryNumber"),
        "description": unicodedata.normalize("NFKD", html_text(html)),
        "date_filed": _day(entry, "createdOn", where),
        "date_end": _day(entry, "endDate", where),
        "attachments": [
            _attachment(row, entry_id, f"docketEntryDocuments[{i}]") for i, row in enumerate(documents)
        ],
    }


def _day(obj: dict, key: str, where: str) -> str | None:
    return iso_date(optional(obj, key, (str,), where, _WHAT), f"{where}.{key}", _WHAT)


def _int(value: int | str, where: str) -> int:
    if isinstance(value, int):
        return value
    if not value.strip().isdigit():
        raise ParseError(f"{_WHAT}: {where} is not a number: {value[:40]!r}")
    return int(value)


def _attachment(row: dict, entry_id: str, where: str) -> dict:
    number = required(row, "documentNumber", (str, int), where, _WHAT)
    name = (required(row, "name", (str, type(None)), where, _WHAT) or "").strip()
    return {
        "attachment_number": _attachment_number(number, f"{where}.documentNumber"),
        "description": _description(name),
        "page_count": optional(row, "billablePages", (int,), where, _WHAT),
        "document_page_count": optional(row, "pageCount", (int,), where, _WHAT),
        "pacer_doc_id": entry_id,  # documents are bought through their entry
        "acms_document_guid": required(row, "docketDocumentDetailsId", (str,), where, _WHAT).strip(),
        "cost": optional(row, "cost", (int, float), where, _WHAT),
        "date_filed": _day(row, "createdOn", where),
        "permission": optional(row, "documentPermission", (str,), where, _WHAT),
        "file_size": optional(row, "fileSize", (int,), where, _WHAT),
    }


def _attachment_number(value: int | str, where: str) -> int:
    """1 from "1" (older ACMS) or from "4.1" (newer: entry 4, document 1)."""
    if isinstance(value, int):
        return value
    m = _ATTACHMENT_NUMBER.match(value)
    if not m:
        raise ParseError(f"{_WHAT}: {where} is not a document number: {value[:40]!r}")
    return int(m.group(1))


def _description(name: str) -> str:
    """"Case OPENED" from "23-7222 003-01 - Case OPENED - Case OPENED.pdf" (see the module doc)."""
    parts = name.split(" - ")
    if len(parts) != _NAME_PARTS:
        return name
    return _EXTENSION.sub("", parts[-1]).strip()
