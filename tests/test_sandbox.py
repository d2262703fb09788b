"""The sandbox court: clock, court lookup, case numbers, docket reports and their
filters, receipts, growth over sandbox nights, RSS, case query, appellate courts.

Every request goes over a real TLS socket to an in-process sandbox.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sandbox_support import (
    START,
    Client,
    entry_rows,
    multipart,
    receipt_size,
    report_fields,
)

from harvester.parsers.receipt import parse_receipt
from harvester.sandbox import Sandbox
from harvester.sandbox.clock import CHICAGO, SandboxClock, default_start
from harvester.sandbox.courts import LOOKUP_PATH
from harvester.sandbox.synthetic import SyntheticCourts, SyntheticSettings

DATA = Path(__file__).resolve().parents[1] / "harvester" / "sandbox" / "data"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(cases=80, start=START, state_dir=tmp_path_factory.mktemp("sandbox"), big_docket_entries=150) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    c = Client(sandbox.config)
    c.login()
    yield c
    c.close()


def synthetic(sandbox, court: str) -> list[dict]:
    return [c for c in sandbox.cases(court) if c["synthetic"]]


def case_with_entries(sandbox, court: str | None, least: int, most: int = 10**9) -> dict:
    """A synthetic case (of ``court``, or any district court) with so many entries."""
    infos = synthetic(sandbox, court) if court else [c for c in synthetic(sandbox, None) if c["kind"] == "district"]
    for info in infos:
        case = sandbox.catalog.get(info["court"], info["pacer_case_id"])
        if least <= case.entry_count(sandbox.clock.timestamp()) <= most:
            return info
    raise AssertionError(f"no {court} case with {least}..{most} entries")


# ----------------------------------------------------------------------------- clock
def test_clock_endpoint_reports_chicago_time_from_the_configured_start(sandbox, client):
    reply = client.get(sandbox.config["clock_url"]).json()
    assert reply["timezone"] == "America/Chicago"
    now = datetime.fromisoformat(reply["now"])
    assert now.utcoffset() == timedelta(hours=-6)  # 3 March: CST
    assert timedelta(0) <= now - datetime.fromisoformat(START + "-06:00") < timedelta(minutes=10)


def test_default_start_is_19_00_chicago_today():
    start = default_start()
    assert (start.hour, start.minute) == (19, 0)
    assert start.tzinfo.zone == "America/Chicago"
    assert start.date() == datetime.now(CHICAGO).date()
    assert start.utcoffset() in (timedelta(hours=-5), timedelta(hours=-6))  # never LMT -5:51


def test_clock_moves_forward_only_and_across_dst():
    clock = SandboxClock("2026-03-07T19:00:00")
    after = clock.advance(hours=48)  # spring forward on 8 March 2026
    assert after.utcoffset() == timedelta(hours=-5)
    assert after.hour == 20  # 48 elapsed hours: 19:00 CST + 48 h = 20:00 CDT
    target = clock.advance(to="2026-03-20T21:30:00")
    assert target.isoformat().startswith("2026-03-20T21:30:00")
    with pytest.raises(ValueError):
        clock.advance(hours=-1)
    with pytest.raises(ValueError):
        clock.advance(to="2026-03-01T00:00:00")


def test_admin_advance_moves_the_clock(tmp_path):
    with Sandbox(cases=8, start=START, state_dir=tmp_path) as sb:
        c = Client(sb.config)
        reply = c.admin("advance", {"hours": 24}).json()
        assert reply["now"].startswith("2026-03-04T19:00")
        reply = c.admin("advance", {"to": "2026-03-06T02:00:00-06:00"}).json()
        assert reply["now"].startswith("2026-03-06T02:00")
        bad = c.admin("advance", {"to": "2026-01-01T00:00:00"})
        assert bad.status == 400 and "past" in bad.json()["error"]
        assert c.get(sb.config["clock_url"]).json()["now"].startswith("2026-03-06T02:0")


# ----------------------------------------------------------------------------- court lookup
def test_court_lookup_serves_the_2023_snapshot(sandbox, client):
    reply = client.get(sandbox.config["court_lookup_url"])
    assert reply.status == 200
    assert reply.body == LOOKUP_PATH.read_bytes()
    data = reply.json()
    assert data["meta"]["last_updated"].startswith("Tue, 10 Jan 2023")
    assert len(data["data"]) == 210
    cand = next(c for c in data["data"] if c.get("court_id") == "CANDC")
    assert cand["login_url"] == "https://ecf.cand.uscourts.gov"


# ----------------------------------------------------------------------------- possible case numbers
def test_possible_case_numbers_finds_synthetic_and_real_cases(sandbox, client):
    info = synthetic(sandbox, "cand")[0]
    office, rest = info["case_number"].split(":")
    yy, ctype, number = rest.split("-")
    reply = client.get(client.court_url("cand", f"cgi-bin/possible_case_numbers.pl?{yy}-{int(number)}"))
    root = ET.fromstring(reply.body)
    cases = root.findall("case")
    assert [c.get("id") for c in cases] == [info["pacer_case_id"]]
    assert cases[0].get("number") == f"{office}:{yy}-{ctype}-{int(number)}"
    assert cases[0].get("title").startswith(info["docket_number"] + " ")
    real = ET.fromstring(client.get(client.court_url("akd", "cgi-bin/possible_case_numbers.pl?3:08-cv-284")).body)
    assert [c.get("id") for c in real.findall("case")] == ["11428"]
    assert "(closed 06/04/2009)" in real.find("case").get("title")


def test_possible_case_numbers_not_found_and_not_logged_in(sandbox, client):
    missing = ET.fromstring(client.get(client.court_url("cand", "cgi-bin/possible_case_numbers.pl?8202055")).body)
    assert missing.find("message").get("text") == "Cannot find case 8202055"
    anonymous = Client(sandbox.config)
    reply = anonymous.get(client.court_url("cand", "cgi-bin/possible_case_numbers.pl?20-10000"))
    assert "Not logged in" in ET.fromstring(reply.body).find("message").get("text")


# ----------------------------------------------------------------------------- docket report: CM/ECF answers
def test_docket_report_needs_the_token_cookie(sandbox, client):
    info = synthetic(sandbox, "cand")[0]
    anonymous = Client(sandbox.config)
    page = anonymous.docket("cand", report_fields(info))
    assert page.status == 200
    assert b'name="GetPass"' in page.body and b"CM/ECF Filer or PACER Login" in page.body
    assert b"Transaction Receipt" not in page.body
    old_cookie = anonymous.docket("cand", report_fields(info), {"Cookie": f"PacerSession={client.token}"})
    assert b"Transaction Receipt" in old_cookie.body  # older servers read PacerSession


def test_unknown_case_gives_case_not_found(client):
    page = client.docket("cand", {"all_case_ids": "999999", "case_num": "9:99-cv-99999", "date_from": "1/1/1960"})
    assert b"<h3>Case not found.</h3>" in page.body
    assert b"Transaction Receipt" not in page.body


def test_refused_forms_give_cm_ecf_messages(sandbox, client):
    info = synthetic(sandbox, "cand")[0]
    dates = client.docket("cand", report_fields(info, date_from="3/1/2026", date_to="2/1/2026"))
    assert b"The start date must be less than or equal to the end date" in dates.body
    numbers = client.docket("cand", report_fields(info, documents_numbered_from_="9", documents_numbered_to_="3"))
    assert b"The starting document number must be less than or equal to the ending document number" in numbers.body


def test_big_docket_without_date_from_gets_the_interstitial(sandbox, client):
    info = case_with_entries(sandbox, None, 151)
    page = client.docket(info["court"], report_fields(info, date_from=""))
    assert b"The report may take a long time to run because this case has many docket entries" in page.body
    assert b'name="date_from" type="radio" value="02/24/2026"' in page.body  # past week, from sandbox today
    assert b"Transaction Receipt" not in page.body
    full = client.docket(info["court"], report_fields(info, date_from="1/1/1960"))
    assert b"Transaction Receipt" in full.body and len(entry_rows(full.body)) > 150


# ----------------------------------------------------------------------------- filters
def test_filed_date_range_cuts_entries(sandbox, client):
    info = case_with_entries(sandbox, "cand", 60, 150)
    everything = entry_rows(client.docket("cand", report_fields(info)).body)
    dates = sorted({r.filed for r in everything})
    lo, hi = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    cut = entry_rows(client.docket("cand", report_fields(
        info, date_from=f"{lo:%m/%d/%Y}", date_to=f"{hi:%m/%d/%Y}")).body)
    expected = [r for r in everything if lo <= r.filed <= hi]
    assert cut == expected and 0 < len(cut) < len(everything)


def test_entered_date_range_uses_the_entered_date(sandbox, client):
    info = case_with_entries(sandbox, "cand", 60, 150)
    everything = entry_rows(client.docket("cand", report_fields(info)).body)
    lagging = [r for r in everything if r.entered != r.filed]
    assert lagging, "the generator should enter some entries a day after filing"
    day = lagging[0].entered
    cut = entry_rows(client.docket("cand", report_fields(
        info, date_range_type="Entered", date_from=f"{day:%m/%d/%Y}", date_to=f"{day:%m/%d/%Y}")).body)
    assert cut == [r for r in everything if r.entered == day]


def test_document_number_range_cuts_entries_and_minute_entries(sandbox, client):
    info = case_with_entries(sandbox, "cand", 40, 150)
    everything = entry_rows(client.docket("cand", report_fields(info)).body)
    assert any(r.number is None for r in everything), "synthetic dockets have unnumbered minute entries"
    cut = entry_rows(client.docket("cand", report_fields(
        info, documents_numbered_from_="10", documents_numbered_to_="20")).body)
    assert [r.number for r in cut] == list(range(10, 21))


def test_bankruptcy_form_uses_date_type(sandbox, client):
    info = case_with_entries(sandbox, "nysb", 30, 150)
    everything = entry_rows(client.docket("nysb", report_fields(info, date_range_type=None)).body)
    day = everything[len(everything) // 2].entered
    page = client.docket("nysb", report_fields(
        info, date_range_type=None, date_type="entered", date_from=f"{day:%m/%d/%Y}")).body
    assert entry_rows(page) == [r for r in everything if r.entered >= day]
    assert b"Fil or Ent: entered From: " in page and b"Bankruptcy Petition #:" in page


def test_parties_only_when_asked(sandbox, client):
    info = synthetic(sandbox, "cand")[0]
    with_parties = client.docket("cand", report_fields(info)).body
    without = client.docket("cand", report_fields(info, list_of_parties_and_counsel="")).body
    assert b"represented&nbsp;by" in with_parties and b"<u>Plaintiff" in with_parties
    assert b"represented" not in without and b"<u>Plaintiff" not in without
    assert entry_rows(with_parties) == entry_rows(without)


def test_no_entry_matching_says_none_satisfy(sandbox, client):
    info = synthetic(sandbox, "cand")[0]
    page = client.docket("cand", report_fields(info, date_from="1/1/1990", date_to="1/2/1990")).body
    assert b"but none satisfy the selection criteria" in page
    assert b"Transaction Receipt" in page and entry_rows(page) == []


def test_newest_first_reverses_the_entries(sandbox, client):
    info = case_with_entries(sandbox, "cand", 10, 150)
    oldest = entry_rows(client.docket("cand", report_fields(info)).body)
    newest = entry_rows(client.docket("cand", report_fields(info, sort1="most recent date first")).body)
    assert newest == oldest[::-1]


# ----------------------------------------------------------------------------- real pages
def test_real_page_unfiltered_is_served_byte_for_byte(client):
    original = (DATA / "pages" / "district" / "akd.html").read_bytes()
    page = client.docket("akd", {"all_case_ids": "11428", "case_num": "3:08-cv-00284", "date_from": "",
                                 "list_of_parties_and_counsel": "on"}).body
    start = page.rfind(b"<HR><CENTER><TABLE BORDER=1 BGCOLOR=white")
    assert page[:start] == original[: original.rfind(b"<HR><CENTER><TABLE")]
    assert b"[ LOGIN REMOVED ]" not in page and b" sandbox </FONT>" in page  # fresh receipt, our login


def test_real_page_filters_cut_rows_and_parties(client):
    page = client.docket("akd", {"all_case_ids": "11428", "date_from": "", "documents_numbered_from_": "5",
                                 "documents_numbered_to_": "6"}).body
    assert [r.number for r in entry_rows(page)] == [5, 6]
    assert b"Jamieson" not in page.split(b"Docket Text")[0]  # the attorney's block is gone
    assert b"represented" not in page
    assert b"West American Insurance Company v. Gifford et al" in page  # the case header stays


def test_real_page_date_filter_on_a_long_docket(client):
    reference = json.loads((DATA / "pages" / "district" / "utd.json").read_text())
    everything = entry_rows(client.docket("utd", {"all_case_ids": "65232", "date_from": "",
                                                   "list_of_parties_and_counsel": "on"}).body)
    assert len(everything) == len(reference["docket_entries"])
    page = client.docket("utd", {"all_case_ids": "65232", "date_from": "1/1/2009", "date_to": "6/30/2009"}).body
    expected = [e for e in reference["docket_entries"] if "2009-01-01" <= e["date_filed"] <= "2009-06-30"]
    assert len(entry_rows(page)) == len(expected) > 0


def test_real_appellate_page_date_filter_and_parties(client):
    reference = json.loads((DATA / "pages" / "appellate" / "ca1_2.json").read_text())
    url = client.court_url("ca1", "n/beam/servlet/TransportRoom?servlet=CaseSummary.jsp&caseNum=16-1033"
                                  "&incDktEntries=Y&dateFrom=01/01/2016&dateTo=03/31/2016")
    page = client.get(url).body
    expected = [e for e in reference["docket_entries"] if e["date_filed"] <= "2016-03-31"]
    assert page.count(b"<input type=checkbox name='d'") + page.count(b'<input type="checkbox" name="d"') == len(expected)
    assert b"Party/Aty List" in page and b"Jeffrey Brian Rubin" not in page  # no incPtyAty=Y
    full = client.get(url.replace("&dateFrom=01/01/2016&dateTo=03/31/2016", "&incPtyAty=Y")).body
    assert b"Jeffrey Brian Rubin" in full and b"Docket Report (full)" in full


# ----------------------------------------------------------------------------- receipt and billing
def test_receipt_bills_the_pacer_way(sandbox, client):
    info = case_with_entries(sandbox, "cand", 20, 150)
    page = client.docket("cand", report_fields(info)).body
    receipt = parse_receipt(page)
    pages = min(30, max(1, math.ceil((len(page) - receipt_size(page)) / 4320)))
    assert receipt["billable_pages"] == pages > 1
    assert receipt["cost"] == pytest.approx(pages * 0.10)
    assert receipt["description"] == "Docket Report"
    assert receipt["search_criteria"].startswith(info["docket_number"])
    small = client.docket("cand", report_fields(info, date_from="1/1/1990", date_to="1/2/1990")).body
    assert parse_receipt(small)["billable_pages"] == 1


def test_receipt_is_capped_at_thirty_pages(sandbox, client):
    biggest = max(sandbox.synthetic.cases, key=lambda c: c.n_hist if c.kind == "district" else 0)
    page = client.docket(biggest.court.court_id, report_fields(
        {"pacer_case_id": biggest.pacer_case_id, "case_number": biggest.case_number})).body
    assert len(page) > 30 * 4320
    receipt = parse_receipt(page)
    assert receipt["billable_pages"] == 30 and receipt["cost"] == pytest.approx(3.00)


def test_request_log_bills_what_the_receipt_says(sandbox, client):
    info = synthetic(sandbox, "ilnd")[1]
    page = client.docket("ilnd", report_fields(info)).body
    record = [r for r in sandbox.request_log.records(endpoint="DktRpt", court="ilnd") if r["case"] == info["pacer_case_id"]][-1]
    receipt = parse_receipt(page)
    assert record["billable_pages"] == receipt["billable_pages"]
    assert record["cost"] == pytest.approx(receipt["cost"])
    assert record["entries"] == len(entry_rows(page))
    assert record["bytes"] == len(page) and record["status"] == 200


# ----------------------------------------------------------------------------- growth and RSS
def test_cases_grow_and_rss_shows_the_last_24_sandbox_hours(tmp_path):
    with Sandbox(courts=("cand",), cases=30, growth_per_day=3.0, start=START, state_dir=tmp_path) as sb:
        c = Client(sb.config)
        c.login()
        open_case = next(x for x in sb.synthetic.cases if x.rate_per_s > 0)
        info = {"pacer_case_id": open_case.pacer_case_id, "case_number": open_case.case_number}
        before = entry_rows(c.docket("cand", report_fields(info)).body)
        sb.advance(hours=72)
        c.login()  # the token of three sandbox days ago has expired
        after = entry_rows(c.docket("cand", report_fields(info)).body)
        assert len(after) > len(before) and after[: len(before)] == before
        assert after[-1].entered > before[-1].entered
        feed = ET.fromstring(c.get(c.court_url("cand", "cgi-bin/rss_outside.pl")).body)
        now = datetime.fromisoformat(c.get(sb.config["clock_url"]).json()["now"])
        items = feed.findall("./channel/item")
        assert items, "72 sandbox hours of growth must show in the feed"
        stamps = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
        assert all(now - timedelta(hours=24) < s <= now for s in stamps)
        assert stamps == sorted(stamps, reverse=True)
        mine = [i for i in items if i.findtext("link").endswith(f"DktRpt.pl?{open_case.pacer_case_id}")]
        new_today = [r for r in after if r.entered >= (now - timedelta(hours=24)).date()]
        assert len(mine) >= len([r for r in new_today if r.entered == now.date()])
        sb.advance(hours=24 * 30)
        later = ET.fromstring(c.get(c.court_url("cand", "cgi-bin/rss_outside.pl")).body)
        assert {i.findtext("guid") for i in later.findall("./channel/item")}.isdisjoint(
            {i.findtext("guid") for i in items})


def test_real_rss_feed_and_empty_feed(sandbox, client):
    akd = client.get(client.court_url("akd", "cgi-bin/rss_outside.pl"))
    assert akd.body == (DATA / "rss" / "akd.xml").read_bytes()
    anonymous = Client(sandbox.config)
    empty = ET.fromstring(anonymous.get(client.court_url("hid", "cgi-bin/rss_outside.pl")).body)
    assert empty.find("channel/title") is not None and empty.findall("channel/item") == []


def test_rss_is_free_and_logged_without_account(sandbox):
    anonymous = Client(sandbox.config)
    assert anonymous.get(anonymous.court_url("cand", "cgi-bin/rss_outside.pl")).status == 200
    record = sandbox.request_log.records(endpoint="rss_outside", court="cand")[-1]
    assert record["account"] is None and record["cost"] == 0.0 and record["billable_pages"] == 0


# ----------------------------------------------------------------------------- case query, appellate
def test_iquery_case_summary(sandbox, client):
    info = case_with_entries(sandbox, "cand", 5, 150)
    body, ctype = multipart({"all_case_ids": info["pacer_case_id"], "case_num": info["case_number"]})
    page = client.request("POST", client.court_url("cand", "cgi-bin/iquery.pl?1-L_1_0-1"), body, {"Content-Type": ctype}).body
    last = max(r.filed for r in entry_rows(client.docket("cand", report_fields(info)).body))
    assert info["docket_number"].encode() in page
    assert f"<b>Date of last filing:</b> {last:%m/%d/%Y}".encode() in page
    assert b"Transaction Receipt" not in page


@pytest.mark.parametrize("court, path", [("ca9", "n/beam"), ("ca7", "cmecf")])
def test_synthetic_appellate_docket_and_feed(sandbox, client, court, path):
    info = synthetic(sandbox, court)[0]
    url = client.court_url(court, f"{path}/servlet/TransportRoom?servlet=CaseSummary.jsp&caseNum={info['case_number']}"
                                  "&incDktEntries=Y&incPtyAty=Y&fullDocketReport=Y&actionType=Run+Docket+Report")
    page = client.get(url).body
    assert b"Court of Appeals Docket #: </b>" + info["case_number"].encode() in page
    assert b"InvalidUserLogin.jsp" in page and b"Transaction Receipt" in page
    assert b"Party/Aty List" in page
    wrong_path = "cmecf" if path == "n/beam" else "n/beam"
    assert client.get(url.replace(f"/{path}/", f"/{wrong_path}/")).status == 404
    feed = client.get(client.court_url(court, f"{path}/servlet/TransportRoom?servlet=RSSGenerator"))
    assert ET.fromstring(feed.body).find("channel/title").text.startswith("United States Court of Appeals")


# ----------------------------------------------------------------------------- generator
def test_generator_is_deterministic_and_lazy():
    from harvester.sandbox.courts import load_courts

    courts = load_courts(LOOKUP_PATH.read_bytes())
    epoch = SandboxClock(START).epoch_ts
    settings = SyntheticSettings(cases=2000, mean_entries=100)
    one, two = SyntheticCourts(settings, courts, epoch), SyntheticCourts(settings, courts, epoch)
    assert [c.docket_number for c in one.cases] == [c.docket_number for c in two.cases]
    total = sum(c.entry_count(epoch) for c in one.cases)
    assert 0.97 * 200_000 <= total <= 1.03 * 200_000
    sample = one.cases[123]
    assert [(e.seq, e.number, e.filed) for e in sample.timeline(epoch)] == [
        (e.seq, e.number, e.filed) for e in two.cases[123].timeline(epoch)]
    assert all(c._parties is None for c in one.cases[:50]), "nothing rendered until asked"
    other = SyntheticCourts(SyntheticSettings(cases=2000, mean_entries=100, seed=7), courts, epoch)
    assert [c.case_name for c in other.cases[:20]] != [c.case_name for c in one.cases[:20]]


def test_synthetic_ids_and_numbers_are_unique(sandbox):
    cases = sandbox.cases()
    assert len({(c["court"], c["pacer_case_id"]) for c in cases}) == len(cases)
    assert len({(c["court"], c["case_number"]) for c in cases}) == len(cases)


# ----------------------------------------------------------------------------- the harvester's parsers read it
def test_synthetic_reports_parse_with_the_docket_parser(sandbox, client):
    from harvester.parsers import parse_page

    for court in ("cand", "nysb"):
        info = case_with_entries(sandbox, court, 10, 150)
        case = sandbox.catalog.get(court, info["pacer_case_id"])
        page = client.docket(court, report_fields(info)).body
        record = parse_page(page, court_id=court)
        assert record["kind"] == "docket" and record["docket_number"] == info["case_number"]
        assert record["case_name"]
        assert len(record["parties"]) == len(case.parties())
        rows = entry_rows(page)
        entries = record["docket_entries"]
        assert [e["document_number"] for e in entries] == [str(r.number) if r.number else None for r in rows]
        assert [e["date_filed"] for e in entries] == [r.filed.isoformat() for r in rows]
        numbered = next(e for e in entries if e["document_number"])
        assert numbered["pacer_doc_id"][:3] == f"{case.court.number:03d}"
        without = parse_page(client.docket(court, report_fields(info, list_of_parties_and_counsel="")).body, court_id=court)
        assert without["parties"] == [] and len(without["docket_entries"]) == len(entries)


def test_synthetic_appellate_docket_and_feeds_parse(tmp_path):
    from harvester.parsers import parse_page

    with Sandbox(courts=("ca9", "cand"), cases=10, growth_per_day=4.0, start=START, state_dir=tmp_path) as sb:
        c = Client(sb.config)
        c.login()
        info = synthetic(sb, "ca9")[0]
        page = c.get(c.court_url("ca9", "n/beam/servlet/TransportRoom?servlet=CaseSummary.jsp"
                                        f"&caseNum={info['case_number']}&incPtyAty=Y")).body
        record = parse_page(page, court_id="ca9")
        assert record["kind"] == "appellate_docket" and record["docket_number"] == info["case_number"]
        case = sb.catalog.by_case_number("ca9", info["case_number"])
        assert len(record["docket_entries"]) == case.entry_count(sb.clock.timestamp())
        sb.advance(hours=20)
        feed_bytes = c.get(c.court_url("cand", "cgi-bin/rss_outside.pl")).body
        feed = parse_page(feed_bytes, court_id="cand")
        assert feed["kind"] == "rss"
        items = ET.fromstring(feed_bytes).findall("./channel/item")
        assert items and len(feed["dockets"]) == len(items)
        ids = {c_["pacer_case_id"] for c_ in synthetic(sb, "cand")}
        assert {d["pacer_case_id"] for d in feed["dockets"]} <= ids
        for docket in feed["dockets"]:
            case = sb.catalog.get("cand", docket["pacer_case_id"])
            assert docket["docket_number"] == case.case_number
            entry = docket["docket_entries"][0]
            if entry["document_number"]:  # the feed's numbers are the docket's numbers
                match = [e for e in case.timeline(sb.clock.timestamp()) if str(e.number) == entry["document_number"]]
                assert match and case.doc_id(match[0]) == entry["pacer_doc_id"]


def test_real_pages_parse_the_same_after_serving(client):
    from harvester.parsers import parse_page

    for court, case_id, name in (("akd", "11428", "district/akd.html"), ("nyed", "364605", "district/nyed.html"),
                                 ("deb", "119343", "bankruptcy/deb_14.html")):
        original = parse_page((DATA / "pages" / name).read_bytes(), court_id=court)
        served = parse_page(client.docket(court, {"all_case_ids": case_id, "date_from": "",
                                                  "list_of_parties_and_counsel": "on"}).body, court_id=court)
        assert served["docket_entries"] == original["docket_entries"]
        assert served["parties"] == original["parties"]
        numbers = sorted(int(e["document_number"]) for e in original["docket_entries"] if e["document_number"])
        lo, hi = numbers[len(numbers) // 3], numbers[2 * len(numbers) // 3]
        cut = parse_page(client.docket(court, {"all_case_ids": case_id, "date_from": "",
                                               "documents_numbered_from_": str(lo),
                                               "documents_numbered_to_": str(hi)}).body, court_id=court)
        expected = [e for e in original["docket_entries"] if e["document_number"] and lo <= int(e["document_number"]) <= hi]
        assert cut["docket_entries"] == expected and cut["parties"] == []
