"""ACMS dockets (2nd and 9th Circuits, Veterans Claims): JSON in, an appellate docket record out.

The record has the field names of :mod:`.appellate` (the CM/ECF appellate
docket), so the store, export and Datasette treat both alike. What ACMS adds:

- ``pacer_case_id`` is ACMS's case GUID (``caseDetails.caseId``);
- each entry's ``document_number`` is its ACMS entry number, ``pacer_doc_id`` the
  entry's GUID, ``description_html`` the entry text as ACMS gives it (HTML) and
  ``page_count``/``document_count`` what the entry holds;
- entry dates are timestamps, as in the reference parses: ``date_filed`` is the
  entry's day at midnight, ``date_entered`` the time of its ``[Entered: ...]`` stamp.

The party list arrives as an HTML table inside a JSON string: one row per
party, the party's name, notes and role in the first cell (one per line), its
attorneys in the second, one ``<div>`` each (name, contact lines, ``[role]``).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import ParseError
from .acms_json import entered_at, html_text, iso_date, load_object, optional, required
from .court import court_from_url
from .html_tree import br_lines, build_tree, text_nodes
from .text import parse_date

__all__ = ["parse"]

_WHAT = "ACMS docket"
_LINE_BREAK = "\x00"  # how html_tree.text_nodes marks <br> and <p>
_ALIEN_NUMBER = re.compile(r"A\d[\d-]*")
# Dates of the originating case, by their ACMS key.
_ORIGIN_DATES = {
    "dateFiled": "date_filed",
    "judgmentDate": "date_judgment",
    "dateJudgmentEod": "date_judgment_eod",
    "noticeOfAppealFiled": "date_filed_noa",
    "dateNoaReceivedCoa": "date_received_coa",
}


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse ACMS docket JSON into a docket record (``court_id`` as given: ACMS names no court)."""
    doc = load_object(data, _WHAT)
    case = required(doc, "caseDetails", (dict,), "", _WHAT)
    info = required(doc, "docketInfo", (dict,), "", _WHAT)
    where = "caseDetails"
    return {
        "court_id": court_id,
        "docket_number": required(case, "caseNumber", (str,), where, _WHAT).strip(),
        "pacer_case_id": required(case, "caseId", (str,), where, _WHAT).strip(),
        "case_name": (required(case, "name", (str, type(None)), where, _WHAT) or "").strip(),
        "panel": [],  # ACMS does not publish the panel
        "nature_of_suit": _text(case, "natureOfSuit", where),
        "appeal_from": _court_name(case),
        "fee_status": _text(case, "feeStatus", where),
        "date_filed": _case_opened(case),
        "date_terminated": None,  # not in ACMS's docket JSON
        "case_type_information": _case_types(case),
        "originating_court_information": _originating_court(case),
        "parties": _parties(_text(case, "partyAttorneyList", where)),
        "docket_entries": _entries(required(info, "docketEntries", (list,), "docketInfo", _WHAT)),
    }


def _case_opened(case: dict) -> str | None:
    opened = required(case, "caseOpened", (str, type(None)), "caseDetails", _WHAT)
    return iso_date(opened, "caseDetails.caseOpened", _WHAT)


def _text(obj: dict, key: str, where: str) -> str:
    return (optional(obj, key, (str,), where, _WHAT) or "").strip()


def _court(case: dict) -> dict:
    return optional(case, "court", (dict,), "caseDetails", _WHAT) or {}


def _court_name(case: dict) -> str:
    return _text(_court(case), "name", "caseDetails.court")


def _case_types(case: dict) -> str:
    """"Agency, Immigration": the type, subtype and sub-subtype that are set."""
    parts = (_text(case, key, "caseDetails") for key in ("caseType", "caseSubType", "caseSubSubType"))
    return ", ".join(part for part in parts if part)


def _originating_court(case: dict) -> dict:
    """The court or agency appealed from; immigration cases name the district as well."""
    court = _court(case)
    info: dict = {}
    name = _text(case, "districtCourtName", "caseDetails") or _text(court, "name", "caseDetails.court")
    if name:
        info["name"] = name
    identifier = optional(court, "identifier", (str, int), "caseDetails.court", _WHAT)
    if identifier is not None:
        info["identifier"] = str(identifier)
    alien_number = _text(case, "aNumber", "caseDetails")
    if alien_number:
        # Alien numbers identify people; they are kept apart, as on CM/ECF appellate dockets.
        info["RESTRICTED_ALIEN_NUMBER"] = alien_number
    info.update(_origin_case(case))
    return info


def _origin_case(case: dict) -> dict:
    """Lower-court docket number, court, judge and dates, when ACMS gives them."""
    origins = optional(case, "originatingCasesInformation", (list,), "caseDetails", _WHAT) or []
    first = origins[0] if origins and isinstance(origins[0], dict) else {}
    where = "caseDetails.originatingCasesInformation[0]"
    info: dict = {}
    number = _text(first, "originCaseNumber", where) or _text(case, "originatingCaseNumber", "caseDetails")
    if number and not _ALIEN_NUMBER.fullmatch(number):  # an agency's file number may be the alien number
        info["docket_number"] = number
    court = court_from_url(_text(first, "pacerDocketUrl", where))
    if court:
        info["court_id"] = court
    for key, field in _ORIGIN_DATES.items():
        if key in first:
            info[field] = iso_date(optional(first, key, (str,), where, _WHAT), f"{where}.{key}", _WHAT)
    judge = _trial_judge(optional(first, "originatingCasePeople", (list,), where, _WHAT) or [])
    if judge:
        info["assigned_to"] = judge
    return info


def _trial_judge(people: list) -> str:
    for person in people:
        if isinstance(person, dict) and person.get("roleName") == "Trial Judge":
            names = (person.get(k) for k in ("firstName", "middleName", "lastName"))
            return " ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    return ""


def _parties(html: str) -> list[dict]:
    if not html:
        return []
    try:
        root = build_tree(html.encode("utf-8"))
    except ValueError:
        return []
    parties = []
    for row in root.iter("tr"):
        cells = [c for c in row if c.tag == "td"]
        party = _party(cells[0], cells[1] if len(cells) > 1 else None) if cells else None
        if party is not None:
            parties.append(party)
    return parties


def _party(name_cell: etree._Element, attorney_cell: etree._Element | None) -> dict | None:
    """Name on the first line, role on the last, notes (alien number, "AKA ...") between."""
    raw_lines = [line for line in " ".join(text_nodes(name_cell)).split(_LINE_BREAK) if line.strip()]
    if not raw_lines:
        return None
    party: dict = {"name": raw_lines[0].strip(), "type": ""}
    notes = []
    for line in raw_lines[1:]:
        label, _, value = line.strip().partition(":")
        if label == "Terminated":
            party["date_terminated"] = parse_date(value)
        else:
            notes.append(line)
    if notes:
        party["type"] = notes.pop().strip().rstrip(",").strip()
    if notes:
        party["unparsed"] = notes  # kept as ACMS wrote them, as the reference does
    party["attorneys"] = _attorneys(attorney_cell) if attorney_cell is not None else []
    return party


def _attorneys(cell: etree._Element) -> list[dict]:
    blocks = [child for child in cell if isinstance(child.tag, str)] or [cell]
    attorneys = []
    for block in blocks:
        lines = [line for line in br_lines(block) if line]
        if not lines:  # spacer blocks: <div><p>&nbsp;</p></div>, <div><br></div>
            continue
        roles = [line[1:-1] for line in lines[1:] if line.startswith("[") and line.endswith("]")]
        contact = [line for line in lines[1:] if not (line.startswith("[") and line.endswith("]"))]
        attorneys.append({"name": lines[0], "contact": "\n".join(contact), "roles": roles})
    return attorneys


def _entries(rows: list) -> list[dict]:
    return [_entry(row, f"docketInfo.docketEntries[{i}]") for i, row in enumerate(rows)]


def _entry(row: dict, where: str) -> dict:
    number = required(row, "entryNumber", (int, str), where, _WHAT)
    html = required(row, "docketEntryText", (str, type(None)), where, _WHAT) or ""
    description = html_text(html)
    day = iso_date(required(row, "endDate", (str, type(None)), where, _WHAT), f"{where}.endDate", _WHAT)
    return {
        "date_filed": f"{day}T00:00:00" if day else None,
        "date_entered": entered_at(description),
        "document_number": str(number).strip(),
        "pacer_doc_id": required(row, "docketEntryId", (str,), where, _WHAT).strip(),
        "description": description,
        "description_html": html,
        "page_count": _count(row, "pageCount", where),
        "document_count": _count(row, "documentCount", where),
    }


def _count(row: dict, key: str, where: str) -> int | None:
    value = optional(row, key, (int,), where, _WHAT)
    if value is not None and value < 0:
        raise ParseError(f"{_WHAT}: {where}.{key} is negative: {value}")
    return value
