"""Find a case by the docket number a researcher types, not only the one the court prints.

People type ``3:08-cv-00159-WHA`` (with the judge's initials), ``3:08-cv-159``
(unpadded), ``08-cv-159`` (no office), ``3:08cv159`` or ``08 CV 159`` (no dashes),
``1:23-bk-10001`` or ``23-10001`` (bankruptcy), ``21-10000`` (appeals). Each form is
reduced to its identifying parts (office, two-digit year, case type, serial number);
a stored case matches when every part the query gives agrees. :func:`normalise` says
what it changed, so the search page can tell the researcher why a number matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# office:yy-type-serial[-suffixes], with or without dashes and padding; the type is letters.
_DISTRICT = re.compile(
    r"^\s*(?:(?P<office>\d{1,2})\s*:\s*)?(?P<year>\d{2}|\d{4})\s*[-\s]?\s*(?P<type>[a-z]{1,5})\s*[-\s]?\s*"
    r"(?P<serial>\d{1,7})(?P<suffix>(?:\s*-\s*[a-z0-9]+)*)\s*$",
    re.I,
)
# yy-serial (bankruptcy without a type, appeals), optional leading office digit "8-18-74062".
_PLAIN = re.compile(r"^\s*(?:(?P<office>\d)\s*-\s*)?(?P<year>\d{2})\s*-\s*(?P<serial>\d{1,7})(?P<suffix>(?:-[a-z0-9]+)*)\s*$", re.I)


@dataclass(frozen=True)
class DocketQuery:
    """The identifying parts of a typed docket number; None where the query did not say."""

    year: str
    serial: int
    case_type: str | None = None
    office: str | None = None
    dropped_suffix: str = ""

    def matches(self, stored: str | None) -> bool:
        other = parse_docket_number(stored or "")
        if other is None or other.year != self.year or other.serial != self.serial:
            return False
        # A part only one side names does not rule a case out: bankruptcy courts print "23-10001"
        # for what a researcher may type as "1:23-bk-10001", and the other way round.
        if self.case_type and other.case_type and self.case_type != other.case_type:
            return False
        return not (self.office and other.office and self.office != other.office)

    def like_pattern(self) -> str:
        """A SQL LIKE pattern every matching stored number satisfies (a coarse pre-filter)."""
        return f"%{self.year}%"

    def canonical(self) -> str:
        serial = f"{self.serial:05d}"
        core = f"{self.year}-{self.case_type}-{serial}" if self.case_type else f"{self.year}-{serial}"
        return f"{self.office}:{core}" if self.office and self.case_type else core


def parse_docket_number(text: str) -> DocketQuery | None:
    """The parts of a docket number in any of the usual forms, or None when it is not one."""
    m = _DISTRICT.match(text or "")
    if m:
        return DocketQuery(_year(m["year"]), int(m["serial"]), m["type"].lower(), _office(m["office"]),
                           m["suffix"].replace(" ", ""))  # fmt: skip
    m = _PLAIN.match(text or "")
    if m:
        return DocketQuery(m["year"], int(m["serial"]), None, _office(m["office"]), m["suffix"])
    return None


def _year(year: str) -> str:
    return year[-2:]


def _office(office: str | None) -> str | None:
    return str(int(office)) if office else None


def normalise(text: str) -> tuple[DocketQuery | None, list[str]]:
    """The query's parts and, in words, what was folded to find it."""
    query = parse_docket_number(text)
    if query is None:
        return None, []
    notes = []
    if query.dropped_suffix:
        notes.append(f"ignored the suffix {query.dropped_suffix!r} (judges' initials or a defendant number)")
    if query.office is None and query.case_type:
        notes.append("no office given: any office matches")
    if query.case_type is None:
        notes.append("no case type given: any type matches")
    if not re.search(r"\d{5}", text):
        notes.append(f"read the serial number {query.serial} as {query.serial:05d}")
    if query.case_type and not re.search(r"-\s*[a-z]{1,5}\s*-", text, re.I):
        notes.append(f"read the case type as {query.case_type!r}")
    return query, notes
