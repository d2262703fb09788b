"""``possible_case_numbers.pl`` answers: docket number -> pacer_case_id.

The endpoint answers a docket-number query with XML::

    <request number="16-01152">
      <case number="2:16-cv-1152" id="977547" title="2:16-cv-01152-JJT Armes v. ..."
            sortable="2:2016-cv-01152-JJT" [defendant="1"]/>
      ...
    </request>

or with ``<message text="Cannot find case 8202055"/>``, ``"Case Under Seal"`` or a
"Not logged in" message. :func:`parse` returns every match plus the one
:func:`choose_match` picks for the requested number; :func:`choose_match` is also
what a harvester calls with what it knows (office, case type, defendant).
"""

from __future__ import annotations

import re
from typing import TypedDict

from lxml import etree

from ..errors import ParseError

__all__ = ["parse", "choose_match", "split_number"]

_NUMBER = re.compile(
    r"^(?:(?P<office>\w):)?(?P<year>\d{2}|\d{4})-(?:(?P<type>[a-zA-Z]{1,5})-)?(?P<serial>\d+)"
)


class NumberParts(TypedDict):
    """A docket number's parts, None where the number does not give one."""

    office: str | None
    year: int | None
    case_type: str | None
    serial: int | None


def split_number(number: str) -> NumberParts:
    """``"2:16-cv-1152"`` -> office "2", year 16, case type "cv", serial 1152."""
    m = _NUMBER.match(number.strip())
    if not m:
        return {"office": None, "year": None, "case_type": None, "serial": None}
    return {
        "office": m.group("office"),
        "year": int(m.group("year")) % 100,
        "case_type": (m.group("type") or "").lower() or None,
        "serial": int(m.group("serial")),
    }


def _same_case(match: dict, wanted: NumberParts) -> bool:
    have = split_number(match["docket_number"])
    if (have["year"], have["serial"]) != (wanted["year"], wanted["serial"]):
        return False
    for key in ("office", "case_type"):
        if wanted[key] is not None and have[key] != wanted[key]:
            return False
    return True


def choose_match(
    matches: list[dict],
    docket_number: str | None = None,
    case_type: str | None = None,
    office: str | None = None,
    defendant: int | None = None,
) -> dict | None:
    """Pick the case a harvester means, or None when the choice is ambiguous.

    Keeps matches with the same year and serial as ``docket_number`` and, when
    given (or written in ``docket_number``), the same office and case type. A
    number that names no case type prefers civil ("cv") cases. Criminal cases
    list one match per defendant: ``defendant`` picks one, otherwise the main
    case (no defendant number, else the lowest) is taken.
    """
    candidates = list(matches)
    if docket_number:
        wanted = split_number(docket_number)
        if wanted["serial"] is not None:
            wanted["case_type"] = (case_type or wanted["case_type"] or "").lower() or None
            wanted["office"] = office or wanted["office"]
            candidates = [m for m in candidates if _same_case(m, wanted)]
            case_type = wanted["case_type"]
    elif case_type or office:
        candidates = [
            m
            for m in candidates
            if (not case_type or split_number(m["docket_number"])["case_type"] == case_type.lower())
            and (not office or split_number(m["docket_number"])["office"] == office)
        ]
    if len(candidates) > 1 and case_type is None:
        civil = [m for m in candidates if split_number(m["docket_number"])["case_type"] == "cv"]
        candidates = civil or candidates
    if len(candidates) > 1:
        if defendant is not None:
            candidates = [m for m in candidates if m.get("defendant") == defendant]
        else:
            candidates = _main_case(candidates)
    return candidates[0] if len(candidates) == 1 else None


def _main_case(candidates: list[dict]) -> list[dict]:
    """Among one case's per-defendant entries, the case itself or the first defendant.

    Entries of different cases (another office, type or serial) stay ambiguous.
    """
    cases = {tuple(split_number(m["docket_number"]).values()) for m in candidates}
    if len(cases) > 1:
        return candidates
    without = [m for m in candidates if m.get("defendant") is None]
    if len(without) == 1:
        return without
    return sorted(candidates, key=lambda m: m.get("defendant") or 0)[:1]


def _message_outcome(text: str) -> str:
    lowered = text.lower()
    if "seal" in lowered:
        return "sealed"
    if "cannot find" in lowered or "not found" in lowered:
        return "not_found"
    if "log" in lowered:
        return "not_logged_in"
    return "message"


def parse(data: bytes, court_id: str | None = None) -> dict:
    """Parse a possible_case_numbers.pl answer.

    Returns ``{"court_id", "request", "outcome", "message", "matches",
    "docket_number", "pacer_case_id", "title", "defendant"}``. ``outcome`` is
    "found", "sealed", "not_found" or "message" (any other text from the court);
    the last four fields are :func:`choose_match`'s pick, None when ambiguous.
    A "not logged in" answer raises ParseError (kind "login_page").
    """
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data.strip(), parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a possible_case_numbers answer: {exc}") from None
    if root is None or root.tag != "request":
        raise ParseError("not a possible_case_numbers answer: no <request> element")
    request = root.get("number", "")
    matches = [
        {
            "docket_number": case.get("number", ""),
            "pacer_case_id": case.get("id", ""),
            "title": case.get("title", ""),
            "defendant": int(case.get("defendant")) if (case.get("defendant") or "").isdigit() else None,
        }
        for case in root.iter("case")
    ]
    message_node = root.find("message")
    message = message_node.get("text", "") if message_node is not None else ""
    outcome = "found" if matches else _message_outcome(message)
    if outcome == "not_logged_in":
        raise ParseError(f"possible case numbers for {request!r}: {message}", kind="login_page")
    chosen = choose_match(matches, request) or {}
    return {
        "court_id": court_id,
        "request": request,
        "outcome": outcome,
        "message": message or None,
        "matches": matches,
        "docket_number": chosen.get("docket_number"),
        "pacer_case_id": chosen.get("pacer_case_id"),
        "title": chosen.get("title"),
        "defendant": chosen.get("defendant"),
    }
