"""Recognise pages that CM/ECF returns instead of a docket report.

:func:`reason` returns a short human reason ("case not found", ...) for pages
that must not be stored as dockets, or None when the page may be one.
:func:`reason_lower` does the same on the page's lower-cased UTF-8 bytes
(what the docket parser has at hand; bytes keep huge pages compact).

A page with a docket entry table is a docket unless it is a text-format report
or a browser extension rewrote it. CM/ECF's error messages are looked for only
in pages without an entry table: a real docket's text may quote them.
"""

from __future__ import annotations

import functools
import re

from .text import literal_search

__all__ = ["reason", "reason_lower"]


def _phrase(text: str) -> re.Pattern[bytes]:
    """A pattern for ``text`` in a lower-cased page; any white space matches any.

    Case-sensitive patterns over lower-cased text keep a literal prefix, which
    lets the regex engine skip quickly through a large page.
    """
    return re.compile(rb"\s+".join(re.escape(word.encode()) for word in text.lower().split()))


# CM/ECF's messages in place of a report: (cheap keyword, pattern, reason). The
# keyword, a rare word of the phrase, spares most pages the regex. Compiled when a
# page without docket entries first comes: a run over dockets never needs them
# (compiled at import, they cost every start of `harvester parse` ~2 ms).
@functools.cache
def _messages() -> list[tuple[bytes, re.Pattern[bytes], str]]:
    return [
        (b"found.", _phrase("Case not found."), "case not found"),
        (b"documents", _phrase("There are no documents in this case."), "no documents in this case"),
        (
            b"because",
            _phrase("The report may take a long time to run because this case has many docket entries"),
            'large-docket interstitial ("may take a long time"); ask again with a date range',
        ),
        (
            b"charges",
            _phrase("To accept charges shown below, click on the 'View Report' button"),
            "billing confirmation page (\"click on the 'View Report' button\")",
        ),
        (
            b"exist.",
            _phrase("The page ID does not exist. Please enter a valid page ID number."),
            "invalid page ID",
        ),
        (
            b"request.",
            _phrase("Incomplete request. Please try your query again by choosing the Query or Reports option"),
            "incomplete request",
        ),
        (b"unable", _phrase("Unable to create PDF file."), "CM/ECF could not create the PDF"),
        (
            b"administratively",
            _phrase("*** This case was administratively closed.***"),
            "case administratively closed (no docket shown)",
        ),
        (b"equal", _phrase("The start date must be less than or equal to the end date"), "bad date range"),
        (
            b"equal",
            _phrase("The starting document number must be less than or equal to the ending document number"),
            "bad document-number range",
        ),
        (
            b"permission",
            _phrase(
                "Either you do not have permission to view the document, or the document does not exist in the case."
            ),
            "no permission, or no such document",
        ),
        (
            b"waiting",
            _phrase("Server timeout waiting for the HTTP request from the client."),
            "server timeout page",
        ),
        (b"must", re.compile(rb"the\s+case\s+type\s+was.*but\s+it\s+must\s+be"), "wrong case type"),
        (
            b"opened",
            _phrase(
                "This case is in the process of being opened, please check back later for additional information."
            ),
            "case still being opened",
        ),
        (
            b"submission",
            _phrase("Submission already made, please wait for response from server"),
            "duplicate submission page",
        ),
    ]


# Pages that look like dockets but must not be stored: text-format reports, and
# pages a browser extension rewrote (the "Drumpf" extension even changes names).
_NOT_AS_SERVED: list[tuple[bytes, re.Pattern[bytes], str]] = [
    (b"format:", re.compile(rb"format:\s+text"), "docket in text format, not HTML"),
    (b"metamask", re.compile(rb"metamask.*web3"), "page altered by a browser extension (MetaMask)"),
    (
        b"cloudmask",
        re.compile(rb'console\.log\(".*cloudmask'),
        "page altered by a browser extension (CloudMask)",
    ),
    (b"drumpf", re.compile(b"drumpf"), "page altered by a browser extension (Drumpf)"),
]

_ENTRY_TABLE = re.compile(rb"docket\s+text")
_HEADER = re.compile(rb"date\s+filed:")
_SEALED = re.compile(rb"\bsealed\b|under\s+seal")
_QUERY_FORM = re.compile(rb"name\s*=\s*[\"']?(?:all_case_ids|date_range_type|documents_numbered_from_)\b")


def _first_match(lower: bytes, checks: list[tuple[bytes, re.Pattern[bytes], str]]) -> str | None:
    for keyword, pattern, why in checks:
        if pattern.pattern.startswith(keyword):  # the regex runs only where the keyword is
            if literal_search(pattern, keyword, lower):
                return why
        elif keyword in lower and pattern.search(lower):
            return why
    return None


def reason_lower(lower: bytes) -> str | None:
    """Why a page (given as its lower-cased UTF-8 bytes) is not a docket report, or None."""
    altered = _first_match(lower, _NOT_AS_SERVED)
    if altered:
        return altered
    if b"docket text" in lower or _ENTRY_TABLE.search(lower):
        return None
    if _QUERY_FORM.search(lower):
        return "docket report selection form, not a report"
    message = _first_match(lower, _messages())
    if message:
        return message
    if b"date filed:" in lower or _HEADER.search(lower):
        return None
    if _SEALED.search(lower):
        return "sealed case"
    return "no docket header or docket entries on the page"


def reason(text: str) -> str | None:
    """Why ``text`` (a decoded page) is not a docket report, or None when it may be one."""
    return reason_lower(text.lower().encode("utf-8", "replace"))
