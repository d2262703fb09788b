"""possible_case_numbers.pl answers and choosing the right match for a docket number."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import FIXTURES, differences, reference

from harvester.errors import ParseError
from harvester.parsers import case_numbers, parse_page

FOLDER = FIXTURES / "possible_case_numbers"
WITH_REFERENCE = sorted(p for p in FOLDER.glob("*.xml") if p.with_suffix(".json").exists())


@pytest.mark.parametrize("xml", WITH_REFERENCE, ids=lambda p: p.stem)
def test_golden_match(xml: Path) -> None:
    record = case_numbers.parse(xml.read_bytes())
    assert record["outcome"] == "found"
    assert differences(record, reference(xml)) == []


def test_all_matches_are_listed() -> None:
    record = case_numbers.parse((FOLDER / "armes-v-hot-pizzas.xml").read_bytes())
    assert [m["pacer_case_id"] for m in record["matches"]] == ["1000068", "977547", "969094", "985777"]
    assert record["request"] == "16-01152"


def test_sealed_and_not_found_have_clear_outcomes() -> None:
    sealed = case_numbers.parse((FOLDER / "sealed_case.xml").read_bytes())
    missing = case_numbers.parse((FOLDER / "no_results.xml").read_bytes())
    assert (sealed["outcome"], sealed["matches"], sealed["pacer_case_id"]) == ("sealed", [], None)
    assert sealed["message"] == "Case Under Seal"
    assert (missing["outcome"], missing["pacer_case_id"]) == ("not_found", None)


def test_not_logged_in_is_a_login_page() -> None:
    xml = b"<request number='1501084'><message text='Not logged in.  Please refresh this page.'/></request>"
    with pytest.raises(ParseError) as info:
        case_numbers.parse(xml)
    assert info.value.kind == "login_page"
    with pytest.raises(ParseError) as info:
        parse_page(xml)
    assert info.value.kind == "login_page"


MATCHES = [
    {"docket_number": "2:16-cr-1152", "pacer_case_id": "1", "title": "", "defendant": 2},
    {"docket_number": "2:16-cr-1152", "pacer_case_id": "2", "title": "", "defendant": 1},
    {"docket_number": "2:16-cv-1152", "pacer_case_id": "3", "title": "", "defendant": None},
    {"docket_number": "4:16-cv-1152", "pacer_case_id": "4", "title": "", "defendant": None},
    {"docket_number": "2:15-cv-1152", "pacer_case_id": "5", "title": "", "defendant": None},
]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"docket_number": "2:16-cv-01152"}, "3"),  # exact: office, year, type, serial
        ({"docket_number": "4:16-cv-1152-ABC"}, "4"),
        ({"docket_number": "16-1152", "office": "2"}, "3"),  # no type named: civil preferred
        ({"docket_number": "2:16-cr-1152"}, "2"),  # criminal: the first defendant
        ({"docket_number": "2:16-cr-1152", "defendant": 2}, "1"),
        ({"docket_number": "2:15-cv-01152"}, "5"),
        ({"docket_number": "16-1152"}, None),  # two civil cases in two offices: ambiguous
        ({"docket_number": "3:16-cv-1152"}, None),  # no such office
        ({"case_type": "cr", "defendant": 1}, "2"),
    ],
)
def test_choose_match(kwargs: dict, expected: str | None) -> None:
    chosen = case_numbers.choose_match(MATCHES, **kwargs)
    assert (chosen or {}).get("pacer_case_id") == expected


def test_garbage_is_refused() -> None:
    with pytest.raises(ParseError):
        case_numbers.parse(b"<html>nope</html>")
