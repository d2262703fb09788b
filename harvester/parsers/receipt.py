"""The PACER Transaction Receipt at the foot of billable reports, and PACER's page rule.

The receipt is a small table of ``<th>Label:</th><td>value</td>`` pairs:
PACER Login, Client Code, Description, Search Criteria, Billable Pages, Cost.
It is the ground truth for what a request cost. The login names the account,
so :func:`parse_receipt` never returns it and :func:`strip_login` removes it
before a page is archived.
"""

from __future__ import annotations

import html
import math
import re

__all__ = [
    "BYTES_PER_PAGE",
    "PAGE_CAP",
    "LOGIN_REMOVED",
    "billable_pages",
    "parse_receipt",
    "receipt_value",
    "strip_login",
]

BYTES_PER_PAGE = 4320
PAGE_CAP = 30  # $3.00 at $0.10 a page, for docket reports and other case-specific reports.
LOGIN_REMOVED = b"[ LOGIN REMOVED ]"

_RECEIPT = re.compile(rb"(?i)Transaction\s+Receipt")
_TAG = re.compile(r"<[^>]*>")
# After a label: white space and any tags but <td>, then the value cell's content.
_VALUE_CELL = rb"(?:\s|<(?!td\b)[^>]*>)*<td\b[^>]*>(.*?)(?=</td>|<th\b|</tr>|<tr\b)"
_FIELDS = {
    "client_code": re.compile(rb"(?is)Client\s+Code\s*:" + _VALUE_CELL),
    "description": re.compile(rb"(?is)Description\s*:" + _VALUE_CELL),
    "search_criteria": re.compile(rb"(?is)Search\s+Criteria\s*:" + _VALUE_CELL),
    "billable_pages": re.compile(rb"(?is)Billable\s+Pages\s*:" + _VALUE_CELL),
    "cost": re.compile(rb"(?is)Cost\s*:" + _VALUE_CELL),
}
_LOGIN = re.compile(rb"(?is)PACER\s+Login\s*:" + _VALUE_CELL)
_TIMESTAMP = re.compile(rb"(\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}:\d{2})")


def billable_pages(n_bytes: int, capped: bool = True) -> int:
    """Pages PACER bills for an HTML report of ``n_bytes`` bytes.

    4,320 bytes make a page, a report costs at least one page, and case-specific
    reports (dockets, documents) stop at 30 pages when ``capped``.
    """
    pages = max(1, math.ceil(max(0, n_bytes) / BYTES_PER_PAGE))
    return min(pages, PAGE_CAP) if capped else pages


def _cell_text(raw: bytes) -> str:
    text = raw.decode("cp1252", errors="replace")
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _receipt_part(data: bytes) -> bytes | None:
    m = _RECEIPT.search(data)
    return data[m.end() :] if m else None


def parse_receipt(data: bytes) -> dict | None:
    """The receipt's fields, or None when the page has no receipt.

    Returns ``{"billable_pages": int | None, "cost": float | None, "description",
    "search_criteria", "client_code", "timestamp"}``; never the PACER login.
    """
    part = _receipt_part(data)
    if part is None:
        return None
    values: dict[str, str] = {}
    for name, pattern in _FIELDS.items():
        m = pattern.search(part)
        values[name] = _cell_text(m.group(1)) if m else ""
    if not values["cost"] and not values["billable_pages"]:
        return None
    pages = re.search(r"\d+", values["billable_pages"])
    cost = re.search(r"\d+(?:\.\d+)?", values["cost"].replace(",", ""))
    stamp = _TIMESTAMP.search(part)
    return {
        "billable_pages": int(pages.group(0)) if pages else None,
        "cost": float(cost.group(0)) if cost else None,
        "description": values["description"],
        "search_criteria": values["search_criteria"],
        "client_code": values["client_code"] or None,
        "timestamp": stamp.group(1).decode("ascii") if stamp else None,
    }


def receipt_value(data: bytes, label: str) -> str | None:
    """The text of the receipt cell labelled ``label`` (e.g. "Case Number"), or None
    when the page has no receipt or the receipt no such label. Not for the login."""
    part = _receipt_part(data)
    if part is None or "login" in label.lower():
        return None
    words = rb"\s+".join(re.escape(w.encode()) for w in label.split())
    m = re.search(rb"(?is)" + words + rb"\s*:" + _VALUE_CELL, part)
    return _cell_text(m.group(1)) if m else None


def strip_login(data: bytes) -> bytes:
    """``data`` with the receipt's PACER Login value replaced by "[ LOGIN REMOVED ]".

    Any other copy of the same login in the page (a client code equal to the
    login, say) is replaced as well. Pages without a receipt come back unchanged.
    """
    start = _RECEIPT.search(data)
    if start is None:
        return data
    m = _LOGIN.search(data, start.end())
    if m is None:
        return data
    login = _cell_text(m.group(1))
    if not login or login == LOGIN_REMOVED.decode():
        return data
    data = data[: m.start(1)] + _blank_text(m.group(1)) + data[m.end(1) :]
    raw_login = login.encode("cp1252", errors="ignore")
    if len(raw_login) >= 4:
        data = data.replace(raw_login, LOGIN_REMOVED)
    return data


def _blank_text(cell: bytes) -> bytes:
    """Replace the text of a table cell (keeping its tags) with the removal marker."""
    pieces = re.split(rb"(<[^>]*>)", cell)
    placed = False
    for i, piece in enumerate(pieces):
        if piece.startswith(b"<") or not html.unescape(piece.decode("cp1252", "replace")).strip():
            continue
        pieces[i] = b"" if placed else LOGIN_REMOVED
        placed = True
    return b"".join(pieces)
