"""Case metadata of a CM/ECF docket report: the header above the parties.

The header is the outermost table (not the one holding the receipt's
``<center>``) around the cell that says "Date Filed:". Its cells are read as
lines (``<br>`` separated) and the labelled values ("Assigned to:", "Cause:",
...) are taken from the first line that has them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from .casename import case_name
from .html_tree import br_lines, text_holders, text_of
from .judges import judge_name
from .text import clean_string, clean_value, parse_date

__all__ = [
    "JUDGE_LABELS",
    "header_lines",
    "read_metadata",
    "docket_number",
    "district_case_name",
    "bankruptcy_case_name",
    "adversary_nature_of_suit",
    "clean_metadata",
]

_DATE = r"[—\d\-–/]+"
_DATE_FILED = re.compile(rf"Date [fF]iled:\s+({_DATE})")
_DATE_TERMINATED = re.compile(rf"[tT]erminated:\s+({_DATE})", re.I)
_DATE_CONVERTED = re.compile(rf"Date [Cc]onverted:\s+({_DATE})")
_DATE_DISCHARGED = re.compile(rf"(?:Date|Debtor)\s+[Dd]ischarged:\s+({_DATE})")
_ASSIGNED = re.compile(r"Assigned to:\s+(.*)", re.I | re.S)
_REFERRED = re.compile(r"Referred to:\s+(.*)", re.I | re.S)
_CAUSE = re.compile(r"Cause:\s+(.*)")
_NATURE_OF_SUIT = re.compile(r"Nature of Suit:\s+(.*)")
_JURY_DEMAND = re.compile(r"Jury Demand:\s+(.*)")
_JURISDICTION = re.compile(r"Jurisdiction:\s+(.*)")
_MDL_STATUS = re.compile(r"MDL Status:\s+(.*)")
_DEMAND = re.compile(r"^Demand:\s+(.*)")

_CASE_NAME_V = r"(?:Case\s+title:\s+)?(.*\bvs?\.?\s.*)"
_CASE_NAME_PATTERNS = [
    re.compile(_CASE_NAME_V),
    re.compile(_CASE_NAME_V, re.I),
    re.compile(r"(?:Case\s+title:\s+)(.*)", re.I),
    re.compile(r"(\bIN\s+RE:?\s+.*)", re.I),
    re.compile(r"(\bIn\s+the\s+matter\s+.*)", re.I),
]

_DN_DISTRICT = re.compile(r"(?<!\d)((\d{1,2}:)?\d\d-[a-zA-Z]{1,5}-\d{1,10})")
_DN_BANKRUPTCY = re.compile(r"(?:#:\s+)?((\d-)?\d\d-\d*)")
_DN_MDL = re.compile(r"(MDL No.\s+\d*)")
_DN_PARTS_DISTRICT = re.compile(
    r"(?P<federal_dn_office_code>\d):\d{2}-"
    r"(?P<federal_dn_case_type>[a-zA-Z0-9]{1,5}|~gr)-\d{5}"
    r"(?:-(?P<federal_dn_judge_initials_assigned>N\/A|P1|[a-zA-Z_]{1,5}))?"
    r"(?:-(?P<federal_dn_judge_initials_referred>[a-zA-Z_]{1,5}))?"
    r"(?:-(?P<federal_defendant_number>\d{1,3}))?"
)
_DN_PARTS_BANKRUPTCY = re.compile(
    r"\d{2}-\d{5}-(?P<alt_office>\d)-(?P<alt_judge>[a-zA-Z]{2,4})"
    r"|(?:(?P<federal_dn_office_code>\d):\d{2}-"
    r"(?P<federal_dn_case_type>[a-zA-Z0-9]{1,5}|~gr)-\d{5}|(?:\d{2}-\d{5}))"
    r"(?:-(?P<federal_dn_judge_initials_assigned>N\/A|P1|[a-zA-Z_]{1,5}))?"
)
_DN_PART_NAMES = (
    "federal_dn_office_code",
    "federal_dn_case_type",
    "federal_dn_judge_initials_assigned",
    "federal_dn_judge_initials_referred",
    "federal_defendant_number",
)


# The reference's test is contains(translate(., "f", "F"), "Date Filed:").
_DATE_FILED_LABELS = ("Date Filed:", "Date filed:")
_DATE_FILED_BYTES = tuple(label.encode() for label in _DATE_FILED_LABELS)


def _table_of(el: etree._Element) -> etree._Element | None:
    """The outermost table without a <center> around the cell holding ``el``'s text."""
    if el.tag != "td" and next(el.iterancestors("td"), None) is None:
        return None
    outermost = None
    for table in el.iterancestors("table"):
        if next(table.iter("center"), None) is None:
            outermost = table
    return outermost


def _header_table(root: etree._Element, page: bytes) -> etree._Element | None:
    """The header table: around the first "Date Filed:" cell (the header is near
    the top, so the walk usually stops early)."""
    if not any(label in page for label in _DATE_FILED_BYTES):  # (found near the top: no full scan)
        return None
    count = None  # of labels in the page, which bounds the walk: counted only if the first holder has no table
    for seen, holder in enumerate(text_holders(root, _DATE_FILED_LABELS), 1):
        table = _table_of(holder)
        if table is not None:
            return table
        count = count or sum(page.count(label) for label in _DATE_FILED_BYTES)
        if seen >= count:
            return None
    return None


def header_lines(root: etree._Element, page: bytes) -> list[str]:
    """Cleaned lines of every cell of the header table, then all of them joined.

    ``page`` is the raw page, to skip the search when it has no label at all.
    """
    table = _header_table(root, page)
    if table is None:
        return []
    lines = [clean_string(line) for cell in table.iter("td") for line in br_lines(cell)]
    lines.append(" ".join(lines))
    return lines


def _first(pattern: re.Pattern[str], lines: list[str], label: str) -> str:
    """The first line's value for a labelled pattern (``label`` must be in the line)."""
    for line in lines:
        if label not in line:
            continue
        m = pattern.search(line)
        if m:
            hit = m.group(1)
            if "date filed" not in hit.lower():
                return hit
    return ""


def _first_date(pattern: re.Pattern[str], lines: list[str], label: str) -> str | None:
    for line in lines:
        if label not in line:
            continue
        m = pattern.search(line)
        if m:
            return parse_date(m.group(1))
    return None


def _judge(
    pattern: re.Pattern[str],
    label: str,
    lines: list[str],
    all_text: Callable[[], list[str]],
    labels: set[str],
) -> str:
    """A judge from the header lines, else from any text node of the page."""
    found = _first_ci(pattern, lines, label)
    if not found and label in labels:
        found = _first_ci(pattern, all_text(), label)
    return judge_name(found) if found else ""


def _first_ci(pattern: re.Pattern[str], lines: list[str], label: str) -> str:
    """Like :func:`_first` for a case-insensitive pattern with a lower-case label."""
    for line in lines:
        if label not in line.lower():
            continue
        m = pattern.search(line)
        if m:
            hit = m.group(1)
            if "date filed" not in hit.lower():
                return hit
    return ""


def _split_docket_number(text: str, bankruptcy: bool) -> dict[str, str | None]:
    m = (_DN_PARTS_BANKRUPTCY if bankruptcy else _DN_PARTS_DISTRICT).search(text)
    if not m:
        return dict.fromkeys(_DN_PART_NAMES)
    parts = m.groupdict()
    if parts.get("alt_office"):
        parts["federal_dn_office_code"] = parts["alt_office"]
        parts["federal_dn_judge_initials_assigned"] = parts["alt_judge"]
    return {name: parts.get(name) for name in _DN_PART_NAMES}


def docket_number(
    headings: list[etree._Element], bankruptcy: bool
) -> tuple[str | None, dict[str, str | None]]:
    """The docket number from the page heading, and its parts (office, type, judges).

    ``headings``: the page's center, h2 and h3 elements, in page order.
    """
    if bankruptcy:
        nodes = [f for c in headings if c.tag == "center" for f in c.iter("font")]
        patterns = ((_DN_DISTRICT, "-"), (_DN_BANKRUPTCY, "-"))
    else:
        nodes = [h for h in headings if h.tag == "h3"]
        patterns = ((_DN_DISTRICT, "-"), (_DN_MDL, "MDL No"))
    texts = [text_of(n) for n in dict.fromkeys(nodes)]
    for pattern, needed in patterns:  # (the literal every match holds spares the regex most texts)
        for text in texts:
            m = pattern.search(text) if needed in text else None
            if m:
                return m.group(1), _split_docket_number(text, bankruptcy)
    return None, dict.fromkeys(_DN_PART_NAMES)


def district_case_name(lines: list[str], parties: list[dict]) -> str:
    """The caption's case name, else "first plaintiff v. first defendant"."""
    first = lines[0] if lines else ""
    for pattern in _CASE_NAME_PATTERNS:
        m = pattern.search(first)
        if m:
            return case_name(m.group(1))
    plaintiff = next((p.get("name") for p in parties if p.get("type") == "Plaintiff"), None)
    defendant = next((p.get("name") for p in parties if p.get("type") == "Defendant"), None)
    if plaintiff and defendant:
        return case_name(f"{plaintiff} v. {defendant}")
    return case_name("Unknown Case Title")


def bankruptcy_case_name(root: etree._Element, parties: list[dict], adversary: bool) -> str:
    """The debtor's name, else the lead case title, else "Unknown Case Title"."""
    for party in parties:
        if party.get("type") in ("Debtor", "Debtor In Possession") and "name" in party:
            return party["name"]
    following = root.xpath('(//i[contains(., "Lead BK Title")]/following::text())[1]')
    title = following[0].strip() if following else "Unknown Case Title"
    if adversary:
        title += " - Adversary Proceeding"
    return case_name(title)


def adversary_nature_of_suit(root: etree._Element) -> str:
    """Adversary proceedings list their natures of suit in a table of their own."""
    natures = []
    for table in root.xpath('//table[contains(., "Nature[s] of")]'):
        for row in table.iter("tr"):
            texts = [
                piece.strip()
                for cell in [c for c in row if c.tag == "td"][2:]
                for piece in (cell.text, *(child.tail for child in cell))
                if piece and piece.strip()
            ]
            if len(texts) > 1:
                natures.append(" ".join(texts))
    return "; ".join(natures)


JUDGE_LABELS = ("assigned to:", "referred to:")


def read_metadata(
    lines: list[str],
    all_text: Callable[[], list[str]],
    labels: set[str],
) -> dict[str, str | None]:
    """The labelled header values (dates as ISO strings, judges as names).

    ``all_text`` gives every text node of the page, for judges missing from the
    header; ``labels`` are the JUDGE_LABELS the (lower-cased) page has at all,
    to skip that search when futile.
    """
    terminated = [line for line in lines if "terminated:" in line.lower()]
    return {
        "date_filed": _first_date(_DATE_FILED, lines, "iled:"),
        "date_terminated": _first_date(_DATE_TERMINATED, terminated, ""),
        "date_converted": _first_date(_DATE_CONVERTED, lines, "onverted:"),
        "date_discharged": _first_date(_DATE_DISCHARGED, lines, "ischarged:"),
        "assigned_to_str": _judge(_ASSIGNED, "assigned to:", lines, all_text, labels),
        "referred_to_str": _judge(_REFERRED, "referred to:", lines, all_text, labels),
        "cause": _first(_CAUSE, lines, "Cause:"),
        "nature_of_suit": _first(_NATURE_OF_SUIT, lines, "Nature of Suit:"),
        "jury_demand": _first(_JURY_DEMAND, lines, "Jury Demand:"),
        "demand": _first(_DEMAND, lines, "Demand:"),
        "jurisdiction": _first(_JURISDICTION, lines, "Jurisdiction:"),
        "mdl_status": _first(_MDL_STATUS, lines, "MDL Status:"),
    }


def clean_metadata(data: dict) -> dict:
    """Squash white space in every string value."""
    return {k: clean_value(v) if isinstance(v, str) else v for k, v in data.items()}
