"""District and bankruptcy docket reports (CM/ECF ``DktRpt.pl`` HTML) -> one record.

``parse(data, court_id=None)`` returns the case metadata, ``parties`` and
``docket_entries`` in the field names of the reference parses, plus
``court_id`` read from the page (falling back to the argument). Whether the
page is a bankruptcy docket is read from the page itself. Pages that are not
docket reports raise :class:`~harvester.errors.ParseError` with the reason.

One lxml parse (for big pages a streaming one, during which finished entry rows
become records and are emptied: a 100,000-entry docket would otherwise need
over half a GB of tree), then a pass over the header table, the party rows and
the entry tables (see :mod:`docket_meta`, :mod:`docket_parties`,
:mod:`docket_entries`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from lxml import etree

from ..errors import ParseError
from . import not_docket
from .court import court_from_title
from .docket_entries import SEQ_CHECKBOX_NAME, EntryRowDigest, entry_rows, ordered_by, parse_entries
from .docket_meta import (
    JUDGE_LABELS,
    adversary_nature_of_suit,
    bankruptcy_case_name,
    clean_metadata,
    district_case_name,
    docket_number,
    header_lines,
    read_metadata,
)
from .docket_parties import add_criminal_data, parse_parties, party_rows
from .html_tree import build_tree, text_holders, words
from .text import literal_search, to_utf8

__all__ = ["parse", "parse_page", "STREAM_ABOVE"]

# Pages this big are parsed incrementally, emptying entry rows as they complete:
# libxml2's tree costs ~8 bytes per byte of HTML. Smaller pages skip the per-row work.
STREAM_ABOVE = 4_000_000

# Literal prefixes let the regex engine skip ahead quickly on big pages.
_ECF_HOST = re.compile(rb"ecf\.([a-z0-9]{2,6})\.uscourts\.gov")
_TITLE = re.compile(rb"<title>.*?</title>", re.S)
_MULTI_DOC_FORM = re.compile(rb"<form[^>]*name\s*=\s*[\"']?view_multi_docs\b")
_SEQ_CHECKBOX = SEQ_CHECKBOX_NAME.encode()
_BANKRUPTCY_HEADING = re.compile(r"bankruptcy\s+(?:court|petition)|adversary\s+proceeding\s+#", re.I)


def _court_from_page(lower: bytes, bankruptcy_hint: bool) -> str | None:
    """The court id of the page: its most linked CM/ECF host, else its <title>."""
    hosts = Counter(_ECF_HOST.findall(lower))
    if hosts:
        return hosts.most_common(1)[0][0].decode()
    m = _TITLE.search(lower, 0, 20000)
    if m:
        return court_from_title(m.group(0).decode("utf-8", "replace"), bankruptcy_hint)
    return None


class _Landmarks:
    """The elements the passes below start from, gathered in one walk of the tree
    (one instead of four: on a big docket each walk touches megabytes of tree).
    """

    __slots__ = ("headings", "tables", "bolds")

    def __init__(self, root: etree._Element) -> None:
        self.headings: list[etree._Element] = []  # center, h2, h3: in page order
        self.tables: list[etree._Element] = []
        self.bolds: list[etree._Element] = []
        by_tag = {"table": self.tables, "b": self.bolds}
        for el in root.iter("center", "h3", "h2", "table", "b"):
            by_tag.get(el.tag, self.headings).append(el)


def _headings(elements: list[etree._Element]) -> Iterator[str]:
    """Texts of the page headings, lines (<br>) separated by spaces, each read when
    asked for (a bankruptcy docket says so in its first heading)."""
    return (" ".join(words(el)) for el in elements)


def _court_from_headings(headings: list[str], bankruptcy: bool) -> str | None:
    """The court named in the heading ("Central District of California (Los Angeles)")."""
    for heading in headings:
        if "district" in heading.lower():
            court = court_from_title(f"<title>{heading}</title>", bankruptcy)
            if court:
                return court
    return None


def _is_bankruptcy(headings: Iterator[str], read: list[str], court_id: str | None) -> bool:
    """Bankruptcy when the heading says so; failing a heading, by the court id.

    The headings read are added to ``read`` (the rest stay in ``headings``).
    """
    for heading in headings:
        read.append(heading)
        if _BANKRUPTCY_HEADING.search(heading):
            return True
    if any("district court" in h.lower() or "docket for case" in h.lower() for h in read):
        return False
    return bool(court_id and court_id.endswith("b"))


def _is_adversary(root: etree._Element, page: bytes) -> bool:
    """Any text node mentioning "Adversary Proceeding" (the reference's test)."""
    if b"Adversary Proceeding" not in page:
        return False
    return next(text_holders(root, ("Adversary Proceeding",), 1), None) is not None


def _all_text(root: etree._Element) -> list[str]:
    return [t for t in root.xpath("//text()") if t and not t.isspace()]


class _PageFacts:
    """What the raw page says before any tree exists (cheap byte-level searches)."""

    def __init__(self, page: bytes, lower: bytes) -> None:
        self.not_docket = not_docket.reason_lower(lower)
        self.court = _court_from_page(lower, b"bankruptcy" in lower[:20000])
        self.closing_br = b"</br" in lower
        self.multi_doc = literal_search(_MULTI_DOC_FORM, b"<form", lower) is not None
        # (lower-cased: a superset of the pages whose inputs carry the exact name)
        self.checkboxes = _SEQ_CHECKBOX in lower
        self.judge_labels = {label for label in JUDGE_LABELS if label.encode() in lower}


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a docket report page into a record (see the module docstring)."""
    return parse_page(data, court_id)


def parse_page(
    data: bytes, court_id: str | None = None, *, stream_rows: bool | None = None, lowered: bytes | None = None
) -> dict:
    """:func:`parse`; ``stream_rows`` forces the row streaming on or off (by default
    pages of STREAM_ABOVE bytes or more are streamed; tests compare both ways).
    ``lowered`` is ``data.lower()`` when the caller has it already (the dispatcher)."""
    page = data.encode("utf-8") if isinstance(data, str) else to_utf8(data)
    if lowered is None or page is not data:  # (a re-encoded page needs its own copy)
        lowered = page.lower()
    facts = _PageFacts(page, lowered)
    lowered = None  # (as big as the page: not kept while the tree grows)
    if facts.not_docket:
        raise ParseError(f"not a docket report: {facts.not_docket}")
    if stream_rows is None:
        stream_rows = len(page) >= STREAM_ABOVE
    digest = EntryRowDigest(facts.multi_doc, facts.checkboxes) if stream_rows else None
    try:
        root = build_tree(page, digest, facts.closing_br)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not a docket report: unreadable HTML ({exc})") from None
    return _record(root, page, facts, court_id, digest)


def _record(
    root: etree._Element, page: bytes, facts: _PageFacts, court_id: str | None, digest: EntryRowDigest | None
) -> dict:
    """The docket record from the parsed tree (``digest`` holds rows emptied while parsing)."""
    marks = _Landmarks(root)
    headings = _headings(marks.headings)
    read: list[str] = []
    bankruptcy = _is_bankruptcy(headings, read, facts.court)
    court = facts.court or _court_from_headings([*read, *headings], bankruptcy) or court_id
    adversary = _is_adversary(root, page)
    lines = header_lines(root, page)
    rows = entry_rows(root, page, marks.tables)
    p_rows = party_rows(root, marks.bolds)
    number, number_parts = docket_number(marks.headings, bankruptcy)
    if not lines and len(rows) < 2 and not p_rows and number is None:
        raise ParseError("not a docket report: no case header, parties or docket entries")

    parties = parse_parties(p_rows, bankruptcy, adversary)
    if not bankruptcy:
        add_criminal_data(parties, p_rows)
    meta = read_metadata(lines, lambda: _all_text(root), facts.judge_labels)
    if adversary:
        meta["nature_of_suit"] = adversary_nature_of_suit(root)
    if bankruptcy:
        name = bankruptcy_case_name(root, parties, adversary)
    else:
        name = district_case_name(lines, parties)
    record = clean_metadata(
        {
            "court_id": court,
            "docket_number": number,
            "case_name": name,
            **meta,
            "ordered_by": ordered_by(rows),
            **number_parts,
        }
    )
    record["parties"] = parties
    record["docket_entries"] = parse_entries(rows[1:], facts.multi_doc, bankruptcy, digest, facts.checkboxes)
    return record
