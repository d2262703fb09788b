"""Docket numbers as researchers type them find the case the court numbered."""

from __future__ import annotations

import pytest

from harvester.web.docket_lookup import normalise, parse_docket_number

STORED = "3:08-cv-00159"


@pytest.mark.parametrize("typed", [
    "3:08-cv-00159", "3:08-cv-00159-WHA", "3:08-cv-159", "08-cv-159", "3:08cv159", "08 CV 159",
    "3:08-CV-00159-WHA-1", "3:2008-cv-00159", " 3:08-cv-159 ",
])  # fmt: skip
def test_typed_forms_find_the_district_case(typed):
    query = parse_docket_number(typed)
    assert query is not None and query.matches(STORED), typed


@pytest.mark.parametrize("typed", ["3:08-cv-00160", "3:09-cv-00159", "3:08-cr-00159", "4:08-cv-00159", "08-160"])
def test_other_numbers_do_not_match(typed):
    query = parse_docket_number(typed)
    assert query is None or not query.matches(STORED), typed


def test_bankruptcy_and_appellate_numbers():
    assert parse_docket_number("23-10001").matches("1:23-bk-10001"), "a number without a type matches any type"
    assert parse_docket_number("1:23-bk-10001").matches("23-10001")
    assert not parse_docket_number("1:23-bk-10001").matches("1:23-cv-10001")
    assert parse_docket_number("23-10001").matches("23-10001")
    assert parse_docket_number("1:23-bk-10001-abc").matches("1:23-bk-10001")
    assert parse_docket_number("21-10000").matches("21-10000")
    assert parse_docket_number("8-18-74062").matches("8-18-74062-reg")


@pytest.mark.parametrize("text", ["", "smith v. jones", "cv", "12345", "3:08-cv-"])
def test_not_docket_numbers(text):
    assert parse_docket_number(text) is None


def test_normalise_says_what_it_folded():
    query, notes = normalise("08cv159-WHA")
    assert query.canonical() == "08-cv-00159"
    text = " ".join(notes)
    assert "'-WHA'" in text and "no office" in text and "00159" in text and "'cv'" in text
    assert normalise("3:08-cv-00159")[1] == []
