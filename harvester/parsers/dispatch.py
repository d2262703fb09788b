"""Detect what kind of page some bytes are, and hand them to the right parser.

Every parser module exposes ``parse(data: bytes, court_id: str | None) -> dict``.
:func:`detect_kind` looks only at byte-level markers (no HTML parse), so each
page is parsed once, by its own parser. :func:`parse_page` returns
``{"kind": ..., **fields}`` or raises :class:`ParseError` with a reason and,
when known, a ``kind`` ("login_page", "not_docket", ...).

Kinds: docket, appellate_docket, acms_docket, acms_attachments, rss, case_numbers,
case_query, court_lookup, claims_register, login_page, not_docket, unknown.

JSON is told apart by its top-level keys, never by a file name: ACMS dockets and
entry document lists (:mod:`.acms_json`) and court lookup snapshots.
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import ParseError
from . import (
    acms_attachments,
    acms_docket,
    appellate,
    case_numbers,
    case_query,
    claims_register,
    court_lookup,
    docket_report,
    rss,
)
from .acms_json import acms_kind
from .login import is_login_page

__all__ = ["KINDS", "detect_kind", "parse_page"]

KINDS = (
    "docket",
    "appellate_docket",
    "acms_docket",
    "acms_attachments",
    "rss",
    "case_numbers",
    "case_query",
    "court_lookup",
    "claims_register",
    "login_page",
    "not_docket",
    "unknown",
)

_PARSERS: dict[str, Callable[[bytes, str | None], dict]] = {
    "docket": docket_report.parse,
    "appellate_docket": appellate.parse,
    "acms_docket": acms_docket.parse,
    "acms_attachments": acms_attachments.parse,
    "rss": rss.parse,
    "case_numbers": case_numbers.parse,
    "case_query": case_query.parse,
    "court_lookup": court_lookup.parse,
    "claims_register": claims_register.parse,
}

_XML_DECLARATION = re.compile(rb"^(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*", re.S)
_JSON_LOOKUP = re.compile(rb'"(?:login_url|court_id|software_version)"\s*:')
_HTML = re.compile(rb"(?i)<(?:!doctype\s+html|html|head|body|table|div|form|center|title)\b")
_APPELLATE = re.compile(rb"NEW SECTION - Case Stub|servlet=CaseSummary\.jsp")
# The report's own heading: "<H2>District of Delaware<BR>Claims Register </H2>".
_CLAIMS = re.compile(rb"(?i)<h2[^>]*>[^<]*(?:<br\s*/?>[^<]*)?Claims\s+Register")
_QUERY_MENU = re.compile(rb"(?i)qry(?:Summary|Alias|Attorneys?|Deadlines)\.pl")
_CASE_SUMMARY = re.compile(rb"(?i)Date\s+of\s+last\s+filing|Case\s+Summary")


def _start(data: bytes) -> bytes:
    """The first bytes of the document proper (after BOM, white space, XML prolog)."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf\x00 \t\r\n")
    return _XML_DECLARATION.sub(b"", head, count=1).lstrip()


def _is_binary(data: bytes) -> bool:
    return data.startswith(b"%PDF") or b"\x00" in data[:4096]


def _json_kind(data: bytes) -> str:
    """An ACMS docket or document list, a court lookup snapshot, or unknown JSON."""
    return acms_kind(data) or ("court_lookup" if _JSON_LOOKUP.search(data[:65536]) else "unknown")


def detect_kind(data: bytes) -> str:
    """Name the kind of page ``data`` is, from cheap byte-level markers."""
    if not data.strip() or _is_binary(data):
        return "unknown"
    start = _start(data)
    if start[:1] in (b"{", b"["):
        return _json_kind(data)
    lowered = start[:512].lower()
    if lowered.startswith(b"<rss") or b"<rss" in data[:2048].lower():
        return "rss"
    if lowered.startswith(b"<request"):
        return "case_numbers"
    if is_login_page(data):
        return "login_page"
    if not _HTML.search(data):
        return "unknown"
    if _APPELLATE.search(data):
        return "appellate_docket"
    if _CLAIMS.search(data) or b"No claims found" in data and b"Claims Register" in data:
        return "claims_register"
    if _QUERY_MENU.search(data) and _CASE_SUMMARY.search(data):
        return "case_query"
    return "docket"


def _describe(data: bytes) -> str:
    if not data.strip():
        return "empty file"
    if data.startswith(b"%PDF"):
        return "a PDF, not a CM/ECF page"
    if _is_binary(data):
        return "binary data, not a CM/ECF page"
    if _start(data)[:1] in (b"{", b"["):
        return (
            "JSON, but not an ACMS docket (caseDetails, docketInfo), an ACMS document list"
            " (caseDetails, docketEntry, docketEntryDocuments) or a PACER court lookup"
        )
    return "not a recognised CM/ECF or PACER page"


def parse_page(data: bytes, court_id: str | None = None) -> dict:
    """Parse one page of any supported kind into a record with a ``kind`` key."""
    kind = detect_kind(data)
    if kind == "unknown":
        raise ParseError(_describe(data), kind="unknown")
    if kind == "login_page":
        raise ParseError("PACER login page: the session was not logged in", kind="login_page")
    try:
        record = _PARSERS[kind](data, court_id)
    except ParseError as exc:
        if not hasattr(exc, "kind"):
            # The docket parser rejects exactly the pages that are not dockets.
            exc.kind = "not_docket" if kind == "docket" else kind
        raise
    return {"kind": kind, **record}
