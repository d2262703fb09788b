"""Parties, their attorneys and (criminal cases) counts of a CM/ECF docket report.

The party table is found by its party-type headers: bold-underlined (district),
italic-bold (bankruptcy) or bold "----- Plaintiff -----" (adversary
proceedings). Each party row has the party (name in bold, then extra lines),
"represented by", and the attorneys (name in bold, contact lines, roles in
italics).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lxml import etree

from .casename import titlecase
from .html_tree import text_of
from .text import clean_string, clean_value, parse_date

__all__ = ["PartyRow", "party_rows", "parse_parties", "add_criminal_data", "normalize_party_type"]

_TERMINATED = re.compile(r"terminated:\s+([—\d\-–/]+)", re.I)
_DASHES = re.compile("----*")
_SEE_ABOVE = re.compile(r"see\s+above", re.I)

_PARTY_TYPE_FIXES = [
    (re.compile(p), r)
    for p, r in (
        (r"defendant\s+\(\d+\)", "defendant"),
        (r"debtor\s+\d+", "debtor"),
        (r"(thirdparty|3rd pty|3rd party)", "third party"),
        (r"(fourthparty|4th pty|4th party)", "fourth party"),
        (r"counter-(defendant|claimaint)", r"counter \1"),
        (r"\bus\b", "u.s."),
        (r"u\. s\.", "u.s."),
        (r"united states", "u.s."),
        (r"jointadmin", "jointly administered"),
        (r"consolidated-debtor", "consolidated debtor"),
        (r"plaintiff-? consolidated", "consolidated plaintiff"),
        (r"defendant-? consolidated", "consolidated defendant"),
        (r"intervenor-plaintiff", "intervenor plaintiff"),
        (r"intervenor pla\b", "intervenor plaintiff"),
        (r"intervenor dft\b", "intervenor defendant"),
    )
]


@functools.lru_cache(maxsize=1024)  # a docket repeats a handful of party types
def normalize_party_type(text: str) -> str:
    """ "DEFENDANT (1)" -> "Defendant", "3rd Party Plaintiff" -> "Third Party Plaintiff"."""
    text = text.lower().strip()
    for pattern, replacement in _PARTY_TYPE_FIXES:
        text = pattern.sub(replacement, text)
    return titlecase(text)


# --- small tree predicates (the reference's XPath tests, without XPath) -------


def _child_of(el: etree._Element, child_tag: str, parent_tag: str, with_text: bool) -> bool:
    """``el`` has a ``child_tag`` descendant whose parent is a ``parent_tag`` below ``el``.

    With ``with_text``, the ``child_tag`` element must have a direct text node.
    """
    for node in el.iter(child_tag):
        parent = node.getparent()
        if node is el or parent is el or parent.tag != parent_tag:
            continue
        if not with_text or _has_own_text(node):
            return True
    return False


def _has_own_text(el: etree._Element) -> bool:
    if el.text:
        return True
    return any(child.tail for child in el)


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row.iter("td") if c is not row]


class PartyRow:
    """A row of the party table with its cells and text, computed once."""

    __slots__ = ("row", "cells", "text", "lower")

    def __init__(self, row: etree._Element) -> None:
        self.row = row
        self.cells = _cells(row)
        self.text = text_of(row)
        self.lower = self.text.strip().lower()


def party_rows(root: etree._Element, bolds: list[etree._Element]) -> list[PartyRow]:
    """All rows of the tables (or table bodies) that hold a party-type header row.

    Only bold elements can make a header, so the search starts from them rather
    than from every row of a possibly huge docket. ``bolds``: every <b> of the
    page, in page order (gathered in the caller's one walk of the tree).
    """
    containers: set[etree._Element] = set()
    for bold in bolds:
        if not _is_type_marker(bold):
            continue
        el = bold.getparent()
        while el is not None:
            parent = el.getparent()
            if el.tag == "td" and parent is not None and parent.tag == "tr":
                if next(parent.iterchildren("td"), None) is el and parent.getparent() is not None:
                    containers.add(parent.getparent())
            el = parent
    if not containers:
        return []
    if len(containers) == 1:  # the usual case: its own rows, without a walk over every row of the page
        (container,) = containers
        return [PartyRow(row) for row in container if row.tag == "tr"]
    return [PartyRow(row) for row in root.iter("tr") if row.getparent() in containers]


def _is_type_marker(bold: etree._Element) -> bool:
    """A bold that marks a party type: inside <i>, holding <u> text, or "-----" text."""
    parent = bold.getparent()
    if parent is not None and parent.tag == "i" and _has_own_text(bold):
        return True
    if "-----" in (bold.text or ""):
        return True
    for child in bold:  # (one pass over the children for both of their tests: every <b> of the page comes here)
        if child.tag == "u" and _has_own_text(child):
            return True
        tail = child.tail
        if tail and "-----" in tail:
            return True
    return False


# --- parties -------------------------------------------------------------------


def _bold_name(cell: etree._Element) -> etree._Element | None:
    """The first bold element that is not the party type (not in <i>, no <u>, no dashes)."""
    for b in cell.iter("b"):
        if b is cell:
            continue
        parent = b.getparent()
        if parent is not None and parent.tag == "i":
            continue
        if any(child.tag == "u" for child in b):
            continue
        if "------" in text_of(b):
            continue
        return b
    return None


def _texts_outside_bold(el: etree._Element, out: list[str]) -> None:
    """Append, in page order, the text nodes under ``el`` whose parent is not a <b>."""
    if el.text and el.tag != "b" and isinstance(el.tag, str):
        out.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            _texts_outside_bold(child, out)
        if child.tail and el.tag != "b":
            out.append(child.tail)


def _extra_info(cell: etree._Element) -> str:
    """The party cell's text lines that are not directly inside a <b>."""
    lines: list[str] = []
    _texts_outside_bold(cell, lines)
    return "\n".join(s.strip() for s in lines if s.strip())


def _following(bold: etree._Element) -> Iterator[str | etree._Element]:
    """The text nodes and elements after ``bold`` under the same parent, in order."""
    if bold.tail is not None:
        yield bold.tail
    for sib in bold.itersiblings():
        if isinstance(sib.tag, str):  # comments hold no text node, only a tail
            yield sib
        if sib.tail is not None:
            yield sib.tail


def _attorney(bold: etree._Element) -> dict:
    """An attorney from its bold name and the lines and <i> roles that follow it.

    The attorney ends before the next bold name. As in the reference, a bold
    with nothing at all after it is not an attorney (returns {}).
    """
    roles: list[str] = []
    contact: list[str] = []
    first = True
    for node in _following(bold):
        if isinstance(node, str):
            line = " ".join(node.split())
            if line:
                contact.append(line + "\n")
        else:
            tag = node.tag
            if tag == "b" and not first:  # the next attorney (a bold right after the name is not)
                break
            if tag == "i":
                role = text_of(node).strip()
                if not role.lower().startswith(("bar status", "designation")):
                    roles.append(role)
        first = False
    if first:
        return {}
    return {"name": " ".join(text_of(bold).split()), "roles": roles, "contact": "".join(contact)}


def _attorneys(cell: etree._Element) -> list[dict]:
    found = []
    for bold in cell.iter("b"):
        if bold is cell:
            continue
        attorney = _attorney(bold)
        if attorney:
            found.append(attorney)
    return found


def _skip_row(prow: PartyRow, nxt: etree._Element | None) -> bool:
    """Rows that hold neither a party type nor a party (spacers, "V.", criminal details)."""
    row, cells, text = prow.row, prow.cells, prow.lower
    if not cells:
        return True
    if not text or text == "v.":
        return True
    if _child_of(cells[0], "u", "b", with_text=False):
        if nxt is None or next(nxt.iter("b"), None) is None:
            return True
        if len(cells) == 3 and text_of(cells[2]) == "Disposition":
            return True
    elif next(row.iter("b"), None) is None:
        return True
    return False


def _party_type(prow: PartyRow, party: dict, bankruptcy: bool) -> tuple[dict, bool]:
    """(party dict, whether the row was only a type header)."""
    cells, text = prow.cells, prow.lower
    if len(cells) == 1 and _child_of(cells[0], "u", "b", with_text=False):
        return {"type": normalize_party_type(text_of(cells[0]))}, True
    if "------" in text:
        header = text_of(cells[0]).strip()
        if len(cells) == 1:
            return {"type": normalize_party_type(_DASHES.sub("", header))}, True
        if len(cells) == 3:
            return {"type": _DASHES.split(header)[0]}, False
        return party, False
    if bankruptcy and len(cells) == 3 and _child_of(cells[0], "b", "i", with_text=False):
        italic = next(i for i in cells[0].iter("i") if i is not cells[0])
        return {"type": normalize_party_type(text_of(italic))}, False
    if len(cells) == 3 and "service list" in text:
        return {"type": "Service List"}, False
    return party, False


def _is_new(party: dict, seen: dict[tuple, list[dict]]) -> bool:
    """Whether no party equal to ``party`` (every field) was seen; records it if so.

    Parties are grouped by name and type, so a party is compared whole only with
    the few of the same name (a text key of every party was a sixtieth of a
    docket's parse). Their attorney dicts are all built with the same key order,
    so equal values are what equal texts were.
    """
    same_name = seen.setdefault((party.get("name"), party.get("type")), [])
    if party in same_name:
        return False
    same_name.append(party)
    return True


def parse_parties(rows: list[PartyRow], bankruptcy: bool, adversary: bool) -> list[dict]:
    """The parties of the docket, de-duplicated, in page order."""
    parties: list[dict] = []
    seen: dict[tuple, list[dict]] = {}
    party: dict = {}
    for i, prow in enumerate(rows):
        nxt = rows[i + 1].row if i + 1 < len(rows) else None
        if _skip_row(prow, nxt):
            continue
        party, type_only = _party_type(prow, party, bankruptcy)
        if type_only:
            continue
        cells = prow.cells
        name = _bold_name(cells[0])
        after_disposition = i > 0 and "Disposition" in rows[i - 1].text
        if name is not None and not after_disposition:
            party["name"] = text_of(name).strip()
            party["extra_info"] = _extra_info(cells[0])
            m = _TERMINATED.search(party["extra_info"])
            party["date_terminated"] = parse_date(m.group(1)) if m else None
        if len(cells) == 3 and party:
            party["attorneys"] = _attorneys(cells[2])
        if party and party.get("type") is None:
            party["type"] = "Unknown"
        if party:
            if _is_new(party, seen):
                parties.append(party)
        party = {"type": party["type"]} if adversary and party else {}
    _fill_see_above(parties)
    return parties


def _fill_see_above(parties: list[dict]) -> None:
    """Replace "(See above for address)" contacts with the attorney's earlier contact."""
    known: dict[str, str] = {}
    for party in parties:
        for attorney in party.get("attorneys", []):
            contact = attorney["contact"]
            if not contact:
                continue
            if _SEE_ABOVE.search(contact):
                attorney["contact"] = known.get(attorney["name"], "")
            else:
                known[attorney["name"]] = contact


# --- criminal cases: offense levels, counts, complaints ---------------------------

_OFFENSE = re.compile(r"highest\s+offense.*(?P<status>opening|terminated)", re.I)
_COUNTS = re.compile(r"(?P<status>pending|terminated)\s+counts", re.I)
_COMPLAINTS = re.compile(r"(?P<status>complaints)", re.I)


def _empty_criminal_data() -> dict:
    return {
        "counts": [],
        "complaints": [],
        "highest_offense_level_opening": "",
        "highest_offense_level_terminated": "",
    }


def _section_header(cell: etree._Element) -> tuple[str, str | None] | None:
    """(section, detail) when the first cell of a row starts a criminal-data section."""
    text = clean_string(text_of(cell))
    m = _OFFENSE.search(text)
    if m:
        return "highest_offense", "highest_offense_level_" + m.group("status").lower()
    m = _COUNTS.search(text)
    if m:
        return "counts", m.group("status").lower()
    if _COMPLAINTS.search(text):
        return "complaints", None
    if any(b.tag == "b" and any(u.tag == "u" for u in b) for b in cell):
        return "unknown", None
    return None


def _starts_next_party(cells: list[etree._Element], nxt: etree._Element | None) -> bool:
    """A "represented by" row, or a lone party-type header followed by a party."""
    if len(cells) == 3 and "represented by" in clean_string(text_of(cells[1])):
        return True
    return (
        len(cells) == 1
        and _child_of(cells[0], "u", "b", with_text=False)
        and nxt is not None
        and next(nxt.iter("b"), None) is not None
        and "represented by" not in clean_string(text_of(nxt))
    )


def _clean_nested(value: object) -> object:
    if isinstance(value, str):
        return clean_value(value)
    if isinstance(value, list):
        return [_clean_nested(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean_nested(v) for k, v in value.items()}
    return value


def add_criminal_data(parties: list[dict], rows: list[PartyRow]) -> None:
    """Attach offense levels, counts and complaints to the parties they follow.

    The data of a defendant is complete when the next party starts, so (as in
    the reference) the rows after the last party start are not attached.
    """
    data = _empty_criminal_data()
    section: tuple[str, str | None] | None = None
    current = -1
    for i, prow in enumerate(rows):
        cells, text = prow.cells, prow.lower
        if not cells or not text or text == "v.":
            continue
        nxt = rows[i + 1].row if i + 1 < len(rows) else None
        if _starts_next_party(cells, nxt):
            if data != _empty_criminal_data() and -len(parties) <= current < len(parties):
                parties[current]["criminal_data"] = _clean_nested(data)
            current += 1
            data = _empty_criminal_data()
            section = None
            continue
        header = _section_header(cells[0])
        if header is not None:
            section = header
            continue
        if section is None:
            continue
        name, detail = section
        disposition = text_of(cells[2]) if len(cells) > 2 else ""
        if name == "highest_offense" and detail:
            data[detail] = text_of(cells[0])
        elif name == "counts":
            count = text_of(cells[0]).strip()
            if count != "None":
                data["counts"].append({"name": count, "disposition": disposition, "status": detail})
        elif name == "complaints":
            complaint = text_of(cells[0])
            if complaint != "None":
                data["complaints"].append({"name": complaint, "disposition": disposition})
