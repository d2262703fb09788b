"""Detect what kind of page some bytes are, and hand them to the right parser.

Every parser module exposes ``parse(data: bytes, court_id: str | None) -> dict``.
:func:`detect_kind` looks only at byte-level markers (no HTML parse), so each
page is parsed once, by its own parser. :func:`parse_page` returns
``{"kind": ..., **fields}`` or raises :class:`ParseError` with a reason and,
when known, a ``kind`` ("login_page", "not_docket", ...).

Kinds: docket, appellate_docket, acms_docket, acms_attachments, rss, case_numbers,
case_query, court_lookup, claims_register, login_page, not_docket, unknown; and the
document pages attachment_page, appellate_attachment_page, confirmation_page,
free_opinion_report.

JSON is told apart by its top-level keys, never by a file name: ACMS dockets and
entry document lists (:mod:`.acms_json`) and court lookup snapshots.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Callable

from ..errors import ParseError
from . import page_markers
from .acms_json import acms_kind
from .login import is_login_page
from .text import literal_search

__all__ = ["KINDS", "detect_kind", "parse_page"]

KINDS: tuple[str, ...] = (
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

# Each kind's parser module, imported when a page of that kind first comes: a run
# over dockets does not pay for compiling the other parsers' patterns.
_PARSERS: dict[str, str] = {
    "docket": "docket_report",
    "appellate_docket": "appellate",
    "acms_docket": "acms_docket",
    "acms_attachments": "acms_attachments",
    "rss": "rss",
    "case_numbers": "case_numbers",
    "case_query": "case_query",
    "court_lookup": "court_lookup",
    "claims_register": "claims_register",
}

# Pages about documents rather than cases, each recognised by its own heading
# (kind and module, byte test). Tried after the other HTML kinds, before "docket".
# The tests live in page_markers, so that a docket does not load these parsers.
_DOCUMENT_PAGES: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("appellate_attachment_page", page_markers.looks_like_appellate_attachment_page),
    ("attachment_page", page_markers.looks_like_attachment_page),
    ("confirmation_page", page_markers.looks_like_confirmation_page),
    ("free_opinion_report", page_markers.looks_like_free_opinion_report),
)
KINDS += tuple(kind for kind, _ in _DOCUMENT_PAGES)
_PARSERS.update((kind, kind) for kind, _ in _DOCUMENT_PAGES)


def _module(name: str) -> Any:
    return importlib.import_module(f"{__package__}.{name}")


def _parser(kind: str) -> Callable[[bytes, str | None], dict]:
    return _module(_PARSERS[kind]).parse


_XML_DECLARATION = re.compile(rb"^(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*", re.S)
_JSON_LOOKUP = re.compile(rb'"(?:login_url|court_id|software_version)"\s*:')
# The markers are matched in the lower-cased page (the same as matching without
# case): a pattern that starts with a literal lets the regex engine skip through a
# big page instead of trying every position.
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|table|div|form|center|title)\b")
_APPELLATE = (b"NEW SECTION - Case Stub", b"servlet=CaseSummary.jsp")
# The report's own heading: "<H2>District of Delaware<BR>Claims Register </H2>".
_CLAIMS = re.compile(rb"<h2[^>]*>[^<]*(?:<br\s*/?>[^<]*)?claims\s+register")
_QUERY_MENU = re.compile(rb"qry(?:summary|alias|attorneys?|deadlines)\.pl")
_CASE_SUMMARY = (re.compile(rb"date\s+of\s+last\s+filing"), re.compile(rb"case\s+summary"))


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
    return _detect(data)[0]


def _detect(data: bytes) -> tuple[str, bytes | None]:
    """(kind, the page lower-cased when it was needed): the docket parser reuses it."""
    if not data or data.isspace() or _is_binary(data):
        return "unknown", None
    start = _start(data)
    if start[:1] in (b"{", b"["):
        return _json_kind(data), None
    lowered = start[:512].lower()
    if lowered.startswith(b"<rss") or b"<rss" in data[:2048].lower():
        return "rss", None
    if lowered.startswith(b"<request"):
        return "case_numbers", None
    page_lower = data.lower()
    if is_login_page(data, page_lower):
        return "login_page", None
    return _html_kind(data, page_lower), page_lower


def _before_entries(data: bytes, page_lower: bytes) -> tuple[bytes, bytes]:
    """The page (as is, lower-cased) up to its first "Docket Text", if any.

    The other kinds are told by their headings, menus and forms, which come
    before any docket entry; the entries' free text (typed by filers, and most of
    a docket's bytes) is not searched for those marks, so it cannot make a docket
    pass for another kind either.
    """
    end = page_lower.find(b"docket text")
    if end < 0:
        return data, page_lower
    return data[:end], page_lower[:end]


def _html_kind(data: bytes, page_lower: bytes) -> str:
    if not _HTML.search(page_lower):
        return "unknown"
    data, page_lower = _before_entries(data, page_lower)
    if any(marker in data for marker in _APPELLATE):
        return "appellate_docket"
    if b"claims" in page_lower and literal_search(_CLAIMS, b"<h2", page_lower):
        return "claims_register"
    if b"No claims found" in data and b"Claims Register" in data:
        return "claims_register"
    if literal_search(_QUERY_MENU, b"qry", page_lower) and any(p.search(page_lower) for p in _CASE_SUMMARY):
        return "case_query"
    for kind, test in _DOCUMENT_PAGES:
        if test(data):
            return kind
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
    kind, page_lower = _detect(data)
    if kind == "unknown":
        raise ParseError(_describe(data), kind="unknown")
    if kind == "login_page":
        raise ParseError("PACER login page: the session was not logged in", kind="login_page")
    try:
        if kind == "docket":  # the biggest pages: hand over the lower-cased copy made above,
            handed = [page_lower]  # not keeping it here while the parser builds its tree
            del page_lower
            record = _module("docket_report").parse_page(data, court_id, lowered=handed.pop())
        else:
            record = _parser(kind)(data, court_id)
    except ParseError as exc:
        if not hasattr(exc, "kind"):
            # The docket parser rejects exactly the pages that are not dockets.
            exc.kind = "not_docket" if kind == "docket" else kind
        raise
    return {"kind": kind, **record}
