"""Federal docket numbers: find them in text and split them into their parts.

District numbers look like ``1:17-cv-00554-MKB-CLP-2`` (office, year, case type,
serial, assigned judge's initials, referred judge's initials, defendant number).
Bankruptcy numbers look like ``17-12306-1-rel`` or ``22-01333-lmj13`` (year,
serial, optional office, judge's initials, chapter). Appellate numbers are
``19-8054``. The parts feed the ``federal_dn_*`` fields of a record.
"""

from __future__ import annotations

import re

__all__ = [
    "DISTRICT_NUMBER",
    "BANKRUPTCY_NUMBER",
    "APPELLATE_NUMBER",
    "find_docket_number",
    "docket_number_parts",
    "empty_parts",
]

DISTRICT_NUMBER = re.compile(r"(?<!\d)((?:\d{1,2}:)?\d\d-[a-zA-Z]{1,5}-\d{1,10})")
BANKRUPTCY_NUMBER = re.compile(r"((?:\d-)?\d\d-\d*)")
APPELLATE_NUMBER = re.compile(r"(\d\d-\d+)")

# 1:17-cv-00554 followed by whatever suffix the court appends.
_DISTRICT_FULL = re.compile(r"^(?P<office>\d{1,2}):\d\d-(?P<type>[A-Za-z0-9~]+)-\d+(?P<rest>\S*)")
# Suffix: up to two judges' initials (a third is ignored) then a defendant number.
_DISTRICT_SUFFIX = re.compile(
    r"^(?:-(?P<assigned>[A-Za-z][A-Za-z0-9_/]*))?"
    r"(?:-(?P<referred>[A-Za-z][A-Za-z0-9_]*))?"
    r"(?:-[A-Za-z][A-Za-z0-9_]*)*"
    r"(?:-(?P<defendant>\d+))?$"
)
# 17-12306 optionally preceded by a one-digit office ("8-18-74062").
_BANKRUPTCY_FULL = re.compile(r"^(?:\d-)?\d\d-\d+(?P<rest>\S*)")
# Suffix: optional office digit, then the judge's initials, then chapter digits.
_BANKRUPTCY_SUFFIX = re.compile(r"^(?:-(?P<office>\d))?-(?P<judge>[A-Za-z]+)(?![A-Za-z])")

_PART_KEYS = (
    "federal_dn_office_code",
    "federal_dn_case_type",
    "federal_dn_judge_initials_assigned",
    "federal_dn_judge_initials_referred",
    "federal_defendant_number",
)


def empty_parts() -> dict[str, str | None]:
    """The ``federal_dn_*`` fields, all unknown."""
    return dict.fromkeys(_PART_KEYS)


def find_docket_number(text: str, bankruptcy: bool = False, appellate: bool = False) -> str | None:
    """Return the first docket number in ``text`` (without judge or defendant suffixes)."""
    patterns: tuple[re.Pattern[str], ...]
    if appellate:
        patterns = (APPELLATE_NUMBER,)
    elif bankruptcy:
        # Bankruptcy courts sometimes use district-style numbers.
        patterns = (DISTRICT_NUMBER, BANKRUPTCY_NUMBER)
    else:
        patterns = (DISTRICT_NUMBER,)
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return None


def docket_number_parts(full_number: str) -> dict[str, str | None]:
    """Split a full docket number (suffixes included) into ``federal_dn_*`` fields."""
    parts = empty_parts()
    token = full_number.strip()
    m = _DISTRICT_FULL.match(token)
    if m:
        parts["federal_dn_office_code"] = m.group("office")
        parts["federal_dn_case_type"] = m.group("type")
        suffix = _DISTRICT_SUFFIX.match(m.group("rest"))
        if suffix:
            parts["federal_dn_judge_initials_assigned"] = suffix.group("assigned")
            parts["federal_dn_judge_initials_referred"] = suffix.group("referred")
            parts["federal_defendant_number"] = suffix.group("defendant")
        return parts
    m = _BANKRUPTCY_FULL.match(token)
    if m:
        suffix = _BANKRUPTCY_SUFFIX.match(m.group("rest"))
        if suffix:
            parts["federal_dn_office_code"] = suffix.group("office")
            parts["federal_dn_judge_initials_assigned"] = suffix.group("judge")
    return parts
