"""What to buy (the ``[documents]`` rule) and what it will cost (PACER's fee rules), before buying.

Pure: no Scrapy, no database. A document is priced from what the attachment page
and the download confirmation page say, the PACER way:

- $0.10 a page, at most 30 pages ($3.00) for a case-specific document;
- no cap when the document is or may be a transcript (when in doubt, uncapped);
- $0 for what is free (opinions; a confirmation page asking $0.00).

The price is never below what the confirmation page itself asks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harvester.gate.budget import PAGE_CENTS, cents
from harvester.parsers.receipt import PAGE_CAP

_TYPE_WORDS = re.compile(r"^\s*([A-Z][A-Z'&/-]+(?:\s+[A-Z][A-Z'&/-]+)*)\b")
_FIRST_WORD = re.compile(r"^\s*([A-Za-z][A-Za-z'&/-]*)")
_ACCESS_REFUSED = re.compile(
    rb"(?i)(document\s+is\s+(?:under\s+)?seal|is\s+sealed|sealed\s+document|permission\s+to\s+view\s+this\s+document"
    rb"|document\s+is\s+restricted|is\s+restricted|restricted\s+document)"
)


_LISTED = re.compile(r"\(Attachments:\s*(.*?)\)\s*(?:\(Entered|$)", re.IGNORECASE | re.DOTALL)
_LISTED_PART = re.compile(r"#\s*(\d+)\s+([^#]*?)\s*(?:,\s*(?=#)|$)")


def listed_attachments(description: str | None) -> list[dict[str, Any]]:
    """Attachments a docket text lists, "(Attachments: # 1 Exhibit A, # 2 Exhibit B)": number and description.

    Docket texts name an entry's attachments this way; their page counts and ids
    come from the attachment page.
    """
    found = _LISTED.search(description or "")
    if not found:
        return []
    return [{"attachment_number": int(n), "description": d.strip()} for n, d in _LISTED_PART.findall(found.group(1))]


@dataclass(frozen=True)
class Price:
    """What a document will bill: ``pages`` billable pages, ``cents`` in all."""

    pages: int
    cents: int
    capped: bool
    free: bool = False

    @property
    def dollars(self) -> float:
        return self.cents / 100

    def as_receipt(self) -> dict[str, Any]:
        """The price in the form of a parsed Transaction Receipt (what the gate books)."""
        return {"billable_pages": self.pages if self.cents else 0, "cost": self.dollars}


def price_document(
    page_count: int | None, confirmation: Mapping[str, Any] | None, *, transcript: bool, free: bool = False
) -> Price | None:
    """The price of a document, or None when it cannot be priced (no page count anywhere)."""
    asked = _confirmation_cents(confirmation)
    if free or asked == 0:
        return Price(0, 0, capped=not transcript, free=True)
    known = [n for n in (page_count, (confirmation or {}).get("billable_pages")) if isinstance(n, int) and n > 0]
    if not known:
        return None
    pages = max(known) if transcript else min(max(known), PAGE_CAP)
    total = max(pages * PAGE_CENTS, asked or 0)
    return Price(math.ceil(total / PAGE_CENTS), total, capped=not transcript)


def _confirmation_cents(confirmation: Mapping[str, Any] | None) -> int | None:
    cost = (confirmation or {}).get("cost")
    if cost in (None, ""):
        return None
    try:
        return cents(str(cost).replace("$", "").replace(",", "").strip())
    except ArithmeticError:
        return None


def document_type(description: str | None) -> str:
    """A docket text's document type: its leading upper-case words ("SCHEDULING ORDER"), else its first word."""
    text = description or ""
    found = _TYPE_WORDS.match(text) or _FIRST_WORD.match(text)
    return " ".join(found.group(1).upper().split()) if found else ""


def access_refused(body: bytes) -> str | None:
    """"sealed" or "restricted" when a doc1 answer refuses the document (nothing is billed), else None."""
    if body[:5] == b"%PDF-":
        return None
    found = _ACCESS_REFUSED.search(body)
    if not found:
        return None
    return "sealed" if b"seal" in found.group(1).lower() else "restricted"


@dataclass(frozen=True)
class DocumentRule:
    """The ``[documents]`` section: which documents to buy, and the limits."""

    patterns: tuple[re.Pattern[str], ...] = ()
    types: tuple[str, ...] = ()
    attachments: bool = False
    max_pages: int = 0
    per_case: int = 0
    run_cents: int = 0

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DocumentRule:
        return cls(
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in section.get("description_patterns", [])),
            types=tuple(" ".join(t.upper().split()) for t in section.get("document_types", [])),
            attachments=bool(section.get("attachments", False)),
            max_pages=int(section.get("max_pages", 0)),
            per_case=int(section.get("per_case", 0)),
            run_cents=cents(section.get("run_dollars", 0)),
        )

    @property
    def active(self) -> bool:
        """Whether the rule selects anything at all."""
        return bool(self.patterns or self.types)

    def matches(self, description: str | None) -> bool:
        return any(p.search(description or "") for p in self.patterns)

    def selects_entry(self, description: str | None) -> bool:
        """Whether an entry's main document is selected (by its type or its description)."""
        kind = document_type(description)
        typed = any(kind == t or kind.endswith(" " + t) for t in self.types) if kind else False
        return typed or self.matches(description)

    def selects_attachment(self, entry_selected: bool, description: str | None) -> bool:
        return (entry_selected and self.attachments) or self.matches(description)

    def allows_pages(self, page_count: int | None) -> bool:
        """Within ``max_pages`` (an unknown count is allowed: the confirmation page tells)."""
        return not self.max_pages or page_count is None or page_count <= self.max_pages
