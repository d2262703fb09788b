"""Judges whose label or name carries a title ("Chief Judge", "Magistrate Judge", ...).

Synthetic variants of real pages: the judge's label (case query) or the title
before the judge's name (docket header) is rewritten, and the judge must still
come out as ``assigned_to_str`` / ``referred_to_str`` with the title removed.
"""

from __future__ import annotations

import pytest
from golden_support import FIXTURES

from harvester.parsers import case_query, docket_report

CASE_QUERY = (FIXTURES / "case_queries" / "canb.html").read_bytes()
BANKRUPTCY_DOCKET = (FIXTURES / "dockets" / "bankruptcy" / "akb.html").read_bytes()
DISTRICT_DOCKET = (FIXTURES / "dockets" / "district" / "azd.html").read_bytes()

QUERY_LABELS = [
    "Judge:",
    "Chief Judge:",
    "Senior Judge:",
    "Chief Bankruptcy Judge:",
    "Bankruptcy Judge:",
    "U.S. Bankruptcy Judge:",
    "Chief U.S. Bankruptcy Judge:",
    "Magistrate Judge:",
    "Senior District Judge:",
    "Visiting Judge:",
    "Acting Chief Judge:",
    "Chief&nbsp;Judge:",
    "JUDGE:",
]


def _swap(page: bytes, old: bytes, new: bytes) -> bytes:
    assert page.count(old) == 1, old  # the real page must hold the line once
    return page.replace(old, new)


@pytest.mark.parametrize("label", QUERY_LABELS)
def test_case_query_judge_label_with_title(label: str) -> None:
    page = _swap(CASE_QUERY, b"<b>Judge:</b>", f"<b>{label}</b>".encode())
    record = case_query.parse(page)
    assert record["assigned_to_str"] == "William J. Lafferty"
    assert not [key for key in record if "judge" in key and not key.startswith("federal_dn_")]


@pytest.mark.parametrize("label", ["Trial Judge:", "Judge Assigned Date:", "Judges:"])
def test_case_query_other_labels_keep_their_own_key(label: str) -> None:
    page = _swap(CASE_QUERY, b"<b>Judge:</b>", f"<b>{label}</b>".encode())
    record = case_query.parse(page)
    assert "assigned_to_str" not in record


TITLES = [
    "Chief Judge",
    "Senior Judge",
    "Magistrate Judge",
    "Chief Bankruptcy Judge",
    "Bankruptcy Judge",
    "U.S. Bankruptcy Judge",
    "Chief Magistrate Judge",
    "Senior District Judge",
    "Honorable Chief Judge",
    "Hon. Senior-Judge",
]


@pytest.mark.parametrize("title", TITLES)
def test_bankruptcy_docket_judge_with_title(title: str) -> None:
    page = _swap(BANKRUPTCY_DOCKET, b"Herbert A. Ross<BR>", f"{title} Herbert A. Ross<BR>".encode())
    assert docket_report.parse(page)["assigned_to_str"] == "Herbert A. Ross"


@pytest.mark.parametrize("title", TITLES)
def test_district_docket_judges_with_titles(title: str) -> None:
    page = _swap(DISTRICT_DOCKET, b"Assigned to: Judge Steven P Logan", f"Assigned to: {title} Steven P Logan".encode())
    assert docket_report.parse(page)["assigned_to_str"] == "Steven P. Logan"


@pytest.mark.parametrize("title", ["Magistrate Judge", "Chief Magistrate Judge", "U.S. Magistrate Judge", "Mag. Judge"])
def test_district_docket_referral_with_title(title: str) -> None:
    page = (FIXTURES / "dockets" / "district" / "gasd.html").read_bytes()
    page = _swap(page, b"Referred to: Magistrate Judge Brian K. Epps", f"Referred to: {title} Brian K. Epps".encode())
    assert docket_report.parse(page)["referred_to_str"] == "Brian K. Epps"
