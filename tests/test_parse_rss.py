"""RSS feed parsing (district/bankruptcy rss_outside.pl, appellate RSSGenerator).

Golden files in ``tests/fixtures/rss_feeds`` and ``rss_feeds_2023``: the
reference is a JSON array of dockets matched in order against ``dockets``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, reference

from harvester.errors import ParseError
from harvester.parsers import parse_page, rss

FEEDS = sorted((FIXTURES / "rss_feeds").glob("*.xml")) + sorted((FIXTURES / "rss_feeds_2023").glob("*.xml"))


@pytest.mark.parametrize("xml", FEEDS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_feed(xml: Path) -> None:
    record = rss.parse(xml.read_bytes())
    ref = reference(xml)
    assert len(record["dockets"]) == len(ref)
    for i, (ours, want) in enumerate(zip(record["dockets"], ref, strict=True)):
        assert differences(ours, want) == [], f"item {i}"


def test_court_comes_from_the_feed_not_the_argument() -> None:
    record = rss.parse((FIXTURES / "rss_feeds" / "mdb_1.xml").read_bytes(), court_id="cand")
    assert record["court_id"] == "mdb"
    assert all(d["court_id"] == "mdb" for d in record["dockets"])


def test_bankruptcy_header_fields() -> None:
    record = rss.parse((FIXTURES / "rss_feeds" / "mdb_1.xml").read_bytes())
    first = record["dockets"][0]
    assert (first["type"], first["office"], first["chapter"]) == ("ap", "1", "")
    assert first["docket_number"] == "18-00079"


def test_multi_event_items_are_merged() -> None:
    """akd lists one filing twice (two event types); the feed gives one entry."""
    data = (FIXTURES / "rss_feeds_2023" / "akd.xml").read_bytes()
    record = rss.parse(data)
    assert data.count(b"<item>") == len(record["dockets"]) + 1
    merged = [d for d in record["dockets"] if " AND " in d["docket_entries"][0]["short_description"]]
    assert len(merged) == 1
    names = merged[0]["docket_entries"][0]["short_description"].split(" AND ")
    assert names == sorted(names)


def test_appellate_feed_uses_document_ids_and_local_time() -> None:
    record = rss.parse((FIXTURES / "rss_feeds" / "ca10.xml").read_bytes())
    first = record["dockets"][0]
    assert first["pacer_case_id"] is None
    entry = first["docket_entries"][0]
    assert entry["date_filed"] == "2023-02-03T09:05:16-07:00"  # MST
    assert entry["document_number"] == entry["pacer_doc_id"] == "010010807970"


def test_doc1_ids_have_the_fourth_digit_zeroed() -> None:
    assert rss.pacer_doc_id_from_url("https://ecf.nysd.uscourts.gov/doc1/127122264358?caseid=1") == "127022264358"


def test_iso_8859_1_feed_with_accents() -> None:
    feed = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        "<link>https://ecf.prd.uscourts.gov</link><item><title>3:22-cv-01234 Mu\xf1oz v. Pe\xf1a</title>"
        "<link>https://ecf.prd.uscourts.gov/cgi-bin/DktRpt.pl?171</link>"
        "<description>[Order] (&lt;a href=\"https://ecf.prd.uscourts.gov/doc1/17102345678?caseid=171&amp;"
        'de_seq_num=9"&gt;5&lt;/a&gt;)</description><pubDate>Mon, 05 Dec 2022 14:00:00 GMT</pubDate>'
        "</item></channel></rss>"
    ).encode("latin-1")
    record = rss.parse(feed)
    docket = record["dockets"][0]
    assert record["court_id"] == "prd"
    assert docket["case_name"] == "Mu\xf1oz v. Pe\xf1a"
    assert docket["pacer_case_id"] == "171"
    assert docket["docket_entries"][0]["pacer_seq_no"] == "9"
    assert docket["docket_entries"][0]["document_number"] == "5"


def test_not_a_feed_is_refused() -> None:
    with pytest.raises(ParseError):
        rss.parse(b"<html><body>no feed</body></html>")


def test_dispatch_detects_feeds() -> None:
    assert parse_page((FIXTURES / "rss_feeds" / "ca11.xml").read_bytes())["kind"] == "rss"


@pytest.mark.parametrize("folder", ["rss_feeds", "rss_feeds_2023"])
def test_whole_corpus_fidelity(folder: str) -> None:
    directory = CORPUS / folder
    if not directory.exists():
        pytest.skip("/work/shared corpus absent")
    outputs = {p.stem: rss.parse(p.read_bytes()) for p in directory.glob("*.xml")}
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
    matched, total = units["entries"]
    assert matched / total >= 0.995
