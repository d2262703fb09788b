"""PACER court lookup (data.json) -> court records with CM/ECF court ids."""

from __future__ import annotations

import json

import pytest
from golden_support import FIXTURES, SHARED

from harvester.errors import ParseError
from harvester.parsers import court_lookup, parse_page

FIXTURE = FIXTURES / "court_lookup" / "data.json"


def _by_code(data: bytes) -> dict[str, dict]:
    return {c["pacer_code"]: c for c in court_lookup.parse(data)["courts"]}


def test_court_records() -> None:
    courts = _by_code(FIXTURE.read_bytes())
    cand = courts["CANDC"]
    assert cand["court_id"] == "cand"
    assert cand["type"] == "district"
    assert cand["circuit"] == "09"
    assert cand["nextgen"] is True and cand["version"] == "1.6"
    assert cand["rss_url"] == "https://ecf.cand.uscourts.gov/cgi-bin/rss_outside.pl"
    assert cand["web_url"] == "https://ecf.cand.uscourts.gov/"
    assert courts["NYSBK"]["court_id"] == "nysb" and courts["NYSBK"]["type"] == "bankruptcy"
    assert courts["02CA"]["type"] == "appellate" and courts["02CA"]["version"] == "1.6"
    assert courts["OHNDAD"]["court_id"] == "ohndad"  # ecf.ohndad.ohnd.uscourts.gov


def test_records_without_login_or_fields() -> None:
    courts = _by_code(FIXTURE.read_bytes())
    scotus = courts["SCOTUS"]
    assert scotus["court_id"] is None and scotus["login_url"] is None
    assert scotus["nextgen"] is False and scotus["version"] is None
    assert courts["00PCL"]["court_id"] is None  # pcl.uscourts.gov is not a CM/ECF court
    assert courts["NMIBK"]["web_url"] is None


def test_meta_and_dispatch() -> None:
    record = parse_page(FIXTURE.read_bytes())
    assert record["kind"] == "court_lookup"
    assert record["meta"]["last_updated"] == "Tue, 10 Jan 2023 06:10:05 -0500"
    assert len(record["courts"]) == len(json.loads(FIXTURE.read_text())["data"])


@pytest.mark.parametrize("data", [b"{}", b"[1, 2]", b"{\"data\": 5}", b"not json"])
def test_bad_feeds_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError):
        court_lookup.parse(data)


def test_whole_snapshot() -> None:
    path = SHARED / "corpus" / "court_lookup" / "data.json"
    if not path.exists():
        pytest.skip("/work/shared corpus absent")
    courts = court_lookup.parse(path.read_bytes())["courts"]
    assert len(courts) == 210
    ids = [c["court_id"] for c in courts]
    assert ids.count(None) == 2  # Pacer Case Locator and the Supreme Court
    assert {"cand", "nysb", "ca9", "cadc", "cit"} <= set(ids)
    assert sum(1 for c in courts if c["rss_url"]) == 180
