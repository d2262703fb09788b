"""Cheap byte tests that tell the document pages apart, without loading their parsers.

:func:`~harvester.parsers.dispatch.detect_kind` runs every test here on every page
(dockets included), so they live apart from the parser modules: a run over dockets
never imports (nor compiles the patterns of) the attachment, confirmation or
opinion-report parsers. Each test tries a literal first (dockets are megabytes),
then its pattern; the parser modules use the same patterns to check their page.
"""

from __future__ import annotations

import re

__all__ = [
    "APPELLATE_ATTACHMENT_MARKER",
    "SELECTION_MENU_MARKER",
    "OPINIONS_REPORT_MARKER",
    "looks_like_appellate_attachment_page",
    "looks_like_attachment_page",
    "looks_like_confirmation_page",
    "looks_like_free_opinion_report",
]

APPELLATE_ATTACHMENT_MARKER = re.compile(rb"(?i)Documents?\s+(?:are|is)\s+attached\s+to\s+this\s+filing")
# Document links: /docs1/<id>, and /docs4/<id> for bankruptcy appeals.
_DOCS_LINK = re.compile(rb"/docs\d+/")
# Case-sensitive: a literal prefix keeps the scan of a large page fast.
SELECTION_MENU_MARKER = re.compile(rb"Document\s+Selection\s+Menu")
_CONFIRMATION_APPELLATE = re.compile(
    rb"(?i)<title>\s*Download\s+Confirmation\s*</title>|Accept\s+Charges\s+and\s+Retrieve"
)
_CONFIRMATION_DISTRICT = re.compile(
    rb"(?i)To\s+accept\s+charges\s+shown\s+below,\s+click\s+on\s+the\s+'View\s+Document'\s+button"
)
_RECEIPT = re.compile(rb"(?i)Transaction\s+Receipt")
OPINIONS_REPORT_MARKER = re.compile(rb"(?i)<h2[^>]*>\s*Written\s+Opinions\s+Report\s*</h2>")


def looks_like_appellate_attachment_page(data: bytes) -> bool:
    """Whether ``data`` is an appellate attachment page."""
    if b"attached to this filing" not in data and b"ATTACHED TO THIS FILING" not in data:
        return False
    return bool(APPELLATE_ATTACHMENT_MARKER.search(data)) and bool(_DOCS_LINK.search(data))


def looks_like_attachment_page(data: bytes) -> bool:
    """Whether ``data`` is a Document Selection Menu."""
    return b"Selection" in data and bool(SELECTION_MENU_MARKER.search(data))


def looks_like_confirmation_page(data: bytes) -> bool:
    """Whether ``data`` is a document download confirmation."""
    if b"harges" not in data:
        return False
    marked = _CONFIRMATION_APPELLATE.search(data) or _CONFIRMATION_DISTRICT.search(data)
    return bool(marked) and bool(_RECEIPT.search(data))


def looks_like_free_opinion_report(data: bytes) -> bool:
    """Whether ``data`` is a Written Opinions report."""
    return b"Opinions" in data and bool(OPINIONS_REPORT_MARKER.search(data))
