"""ACMS (2nd/9th Circuit, Veterans Claims) JSON: dockets and entry document lists.

Golden files in ``tests/fixtures/dockets/acms`` and
``tests/fixtures/appellate_attachment_pages/acms`` (``NAME.acms_json`` beside its
reference ``NAME.json``); changed layouts must give a ParseError naming the
key; dispatch goes by content, not by file name; the last tests score the
whole shared corpus and skip when /work/shared is absent.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from golden_support import CORPUS, FIXTURES, corpus_score, differences, norm, reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import ParseError
from harvester.parsers import acms_attachments, acms_docket, detect_kind, parse_page
from harvester.parsers.dispatch import KINDS
from harvester.store.connection import open_db
from harvester.store.dockets import store_docket

DOCKETS = sorted((FIXTURES / "dockets" / "acms").glob("*.acms_json"))
DOCUMENT_LISTS = sorted((FIXTURES / "appellate_attachment_pages" / "acms").glob("*.acms_json"))
EXECUTABLE = Path(sys.executable).with_name("harvester")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _bytes(obj: object) -> bytes:
    return json.dumps(obj).encode("utf-8")


def _attachment_rows(record: dict) -> Counter:
    """Attachments as the shared fidelity tool compares them."""
    keys = ("attachment_number", "description", "pacer_doc_id", "page_count")
    return Counter(tuple(norm(a.get(k)) for k in keys) for a in record.get("attachments") or [])


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("path", DOCKETS, ids=lambda p: p.stem)
def test_golden_acms_docket(path: Path) -> None:
    record = acms_docket.parse(path.read_bytes())
    assert differences(record, reference(path)) == []


@pytest.mark.parametrize("path", DOCUMENT_LISTS, ids=lambda p: p.stem)
def test_golden_acms_document_list(path: Path) -> None:
    record = acms_attachments.parse(path.read_bytes())
    want = reference(path)
    assert differences(record, want) == []
    assert _attachment_rows(record) == _attachment_rows(want)
    assert len(want["attachments"]) > 0


def test_fixture_set_covers_both_circuits_and_layouts() -> None:
    dockets = {p.stem for p in DOCKETS}
    lists = {p.stem for p in DOCUMENT_LISTS}
    # ca2 agency case with a terminated party; ca9 immigration with several
    # petitioners; ca9 prisoner case with unrepresented appellees; the newer
    # caseDetails layout (court without identifier).
    assert {"ca2_23-7246", "ca9_22-22", "ca9_23-2435", "ca9_23-3206"} <= dockets
    # Older numbering ("1"), newer numbering ("4.1") with an ambiguous file name.
    assert {"ca2_23-7222_003", "ca9_22-22_029", "ca9-25-6348-004"} <= lists


# ---------------------------------------------------------------- docket details


def _docket(stem: str) -> dict:
    return acms_docket.parse((FIXTURES / "dockets" / "acms" / f"{stem}.acms_json").read_bytes())


def test_case_guid_and_entry_numbers_are_kept() -> None:
    raw = _load(FIXTURES / "dockets" / "acms" / "ca2_23-7246.acms_json")
    record = _docket("ca2_23-7246")
    assert record["pacer_case_id"] == raw["caseDetails"]["caseId"]
    rows = raw["docketInfo"]["docketEntries"]
    # ACMS lists entries in its own order (13 before 9 here); the numbers stay with them.
    assert [e["document_number"] for e in record["docket_entries"]] == [str(r["entryNumber"]) for r in rows]
    assert [e["pacer_doc_id"] for e in record["docket_entries"]] == [r["docketEntryId"] for r in rows]
    assert [e["page_count"] for e in record["docket_entries"]] == [r["pageCount"] for r in rows]


def test_entry_dates_text_and_html() -> None:
    first = _docket("ca2_23-7246")["docket_entries"][0]
    assert first["date_filed"] == "2023-10-03T00:00:00"
    assert first["date_entered"] == "2023-10-03T17:45:00"  # "[Entered: 10/03/2023 05:45 PM]"
    assert first["description_html"].startswith("<p>") and not first["description"].startswith("<")
    ninth = _docket("ca9_22-22")["docket_entries"]
    assert ninth[0]["date_entered"] == "2022-01-05T11:40:00"  # ca9 writes seconds: "11:40:00 AM"
    schedule = ninth[1]["description"]
    assert "\n\nFailure of the petitioner" in schedule  # paragraphs stay apart
    assert "<strong>" not in schedule and "BRIEFING SCHEDULE NOTICE" in schedule


def test_case_metadata() -> None:
    record = _docket("ca2_23-7246")
    assert record["docket_number"] == "23-7246"
    assert record["date_filed"] == "2023-10-03"
    assert record["case_type_information"] == "Agency, Non-Immigration Petition for Review"
    assert record["appeal_from"] == "Department of Justice"
    assert record["originating_court_information"] == {"name": "Department of Justice", "identifier": "DOJ"}
    prisoner = _docket("ca9_23-2435")
    assert prisoner["case_type_information"] == "Prisoner, Private, Civil Rights"  # sub-subtype too


def test_immigration_cases_keep_the_alien_number_apart() -> None:
    origin = _docket("ca9_22-22")["originating_court_information"]
    assert origin["name"] == "San Francisco Northern California"  # districtCourtName, not the BIA
    assert origin["RESTRICTED_ALIEN_NUMBER"].startswith("A")
    assert "docket_number" not in origin
    newer = _docket("ca9_23-3206")["originating_court_information"]
    assert "identifier" not in newer  # the newer layout has abbreviatedName only


def test_newer_layouts_name_the_originating_case() -> None:
    # The document list of 23-7222 carries the newer caseDetails; give it a docket.
    raw = _load(FIXTURES / "appellate_attachment_pages" / "acms" / "ca2_23-7222_003.acms_json")
    docket = {"caseDetails": raw["caseDetails"], "docketInfo": {"docketEntries": [raw["docketEntry"]]}}
    origin = acms_docket.parse(_bytes(docket))["originating_court_information"]
    assert origin["docket_number"] == "1:19-cr-870-1"
    assert origin["court_id"] == "nysd"  # from the district docket's CM/ECF link
    assert origin["assigned_to"] == "Jesse M. Furman"
    assert (origin["date_filed"], origin["date_judgment"], origin["date_filed_noa"]) == (
        "2019-12-04", "2023-09-19", "2023-09-28",
    )
    raw["caseDetails"]["originatingCasesInformation"][0]["originCaseNumber"] = "A205-935-854"
    origin = acms_docket.parse(_bytes(docket))["originating_court_information"]  # same caseDetails object
    assert "docket_number" not in origin  # an alien number is no docket number


def test_parties_terminations_notes_and_attorneys() -> None:
    parties = _docket("ca2_23-7246")["parties"]
    assert [p["type"] for p in parties] == ["Petitioner", "Respondent", "Respondent"]
    assert parties[2]["date_terminated"] == "2023-10-06"
    assert "date_terminated" not in parties[0]
    walden = parties[0]["attorneys"][0]
    assert walden == {
        "name": "James A. Walden, -",
        "contact": "Direct: 212-335-2031\nWalden Macht Haran & Williams LLP\n250 Vesey Street\n"
        "27th Floor\nNew York, NY 10281",
        "roles": ["Retained"],
    }
    assert len(parties[1]["attorneys"]) == 2  # the empty <div><br></div> is no attorney
    petitioner = _docket("ca9_22-22")["parties"][0]
    assert petitioner["type"] == "Petitioner"  # trailing comma gone
    assert [line.strip() for line in petitioner["unparsed"]] == ["A216-267-791,"]
    unrepresented = [p for p in _docket("ca9_23-2435")["parties"] if not p["attorneys"]]
    assert unrepresented and all(p["type"] == "Appellee" for p in unrepresented)


def test_a_termination_is_never_taken_for_the_role() -> None:
    raw = _docket_json()
    raw["caseDetails"]["partyAttorneyList"] = (
        "<table><tr><td> JANE ROE<br><strong>Terminated:</strong> 10/06/2023</td><td></td></tr>"
        "<tr><td> JOHN DOE</td><td><div>Ann Lawyer<br>[Retained]</div></td></tr></table>"
    )
    roe, doe = acms_docket.parse(_bytes(raw))["parties"]
    assert (roe["name"], roe["type"], roe["date_terminated"]) == ("JANE ROE", "", "2023-10-06")
    assert (doe["name"], doe["type"], doe["attorneys"][0]["roles"]) == ("JOHN DOE", "", ["Retained"])


def test_acms_records_store_like_appellate_dockets(tmp_path: Path) -> None:
    record = _docket("ca9_22-22")
    db = open_db(tmp_path / "pacer.db")
    try:
        result = store_docket(db, "ca9", record["pacer_case_id"], record, fetched_at="2026-01-05T02:00:00Z")
        assert result.created and result.entries_added == len(record["docket_entries"])
        row = db.execute("SELECT docket_number, case_name FROM cases").fetchone()
        assert tuple(row) == ("22-22", record["case_name"])
        numbers = [r[0] for r in db.execute("SELECT document_number FROM docket_entries ORDER BY position")]
        assert numbers == [e["document_number"] for e in record["docket_entries"]]
        assert db.execute("SELECT count(*) FROM parties").fetchone()[0] == len(record["parties"])
    finally:
        db.close()


# ---------------------------------------------------------------- document list details


def _document_list(stem: str) -> tuple[dict, dict]:
    path = FIXTURES / "appellate_attachment_pages" / "acms" / f"{stem}.acms_json"
    return _load(path), acms_attachments.parse(path.read_bytes())


def test_document_list_names_its_entry() -> None:
    raw, record = _document_list("ca2_23-7222_003")
    assert record["pacer_case_id"] == raw["caseDetails"]["caseId"]
    assert record["pacer_doc_id"] == raw["docketEntry"]["docketEntryId"]
    assert record["entry_number"] == raw["docketEntry"]["entryNumber"]
    assert record["date_end"] == "2023-10-02"
    first = record["attachments"][0]
    assert (first["attachment_number"], first["description"]) == (1, "Case OPENED")
    assert first["acms_document_guid"] == raw["docketEntryDocuments"][0]["docketDocumentDetailsId"]
    assert (first["file_size"], first["cost"], first["permission"]) == (133, 0.2, "Public")
    assert all(a["pacer_doc_id"] == record["pacer_doc_id"] for a in record["attachments"])


def test_newer_numbering_and_ambiguous_file_names() -> None:
    raw, record = _document_list("ca9-25-6348-004")
    assert [d["documentNumber"] for d in raw["docketEntryDocuments"]] == ["4.1", "4.2"]
    assert [a["attachment_number"] for a in record["attachments"]] == [1, 2]
    # "Order - Order to Show Cause (OSC)" holds a " - " itself: which part is the
    # description cannot be told, so the file name is kept whole.
    assert record["attachments"][0]["description"] == raw["docketEntryDocuments"][0]["name"]
    assert "\n" in record["description"] and "ORDER FILED." in record["description"]


def test_description_is_the_last_part_of_the_file_name_without_extension() -> None:
    raw, _ = _document_list("ca9_22-22_029")
    raw["docketEntryDocuments"][0]["name"] = "22-22 029-01 - Memorandum Disposition - Memo re U.S. v. Doe.pdf"
    record = acms_attachments.parse(_bytes(raw))
    assert record["attachments"][0]["description"] == "Memo re U.S. v. Doe"


def test_entry_text_is_folded_to_compatibility_characters() -> None:
    raw, record = _document_list("ca9_22-22_029")
    assert "&nbsp;" in raw["docketEntry"]["docketEntryText"]
    assert "\xa0" not in record["description"]
    assert record["description"].startswith("MEMORANDUM DISPOSITION (Milan D. SMITH")


def test_billed_pages_and_document_pages_are_both_kept() -> None:
    raw, _ = _document_list("ca2_23-7222_003")
    raw["docketEntryDocuments"][1].update(pageCount=169, billablePages=30)
    second = acms_attachments.parse(_bytes(raw))["attachments"][1]
    assert (second["page_count"], second["document_page_count"]) == (30, 169)


# ---------------------------------------------------------------- changed layouts


def _docket_json() -> dict:
    return _load(FIXTURES / "dockets" / "acms" / "ca2_23-7246.acms_json")


def _list_json() -> dict:
    return _load(FIXTURES / "appellate_attachment_pages" / "acms" / "ca2_23-7222_003.acms_json")


def _without(obj: dict, *path: str | int) -> dict:
    obj = copy.deepcopy(obj)
    target = obj
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return obj


def _with(obj: dict, value: object, *path: str | int) -> dict:
    obj = copy.deepcopy(obj)
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("caseDetails",), "caseDetails"),
        (("docketInfo",), "docketInfo"),
        (("caseDetails", "caseId"), "caseDetails.caseId"),
        (("caseDetails", "caseNumber"), "caseDetails.caseNumber"),
        (("docketInfo", "docketEntries"), "docketInfo.docketEntries"),
        (("docketInfo", "docketEntries", 3, "entryNumber"), "docketInfo.docketEntries[3].entryNumber"),
        (("docketInfo", "docketEntries", 0, "docketEntryId"), "docketInfo.docketEntries[0].docketEntryId"),
        (("docketInfo", "docketEntries", 2, "endDate"), "docketInfo.docketEntries[2].endDate"),
    ],
)
def test_missing_docket_key_names_what_changed(path: tuple, named: str) -> None:
    with pytest.raises(ParseError, match=re.escape(named) + " is missing"):
        acms_docket.parse(_bytes(_without(_docket_json(), *path)))


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("docketEntry",), "docketEntry"),
        (("docketEntryDocuments",), "docketEntryDocuments"),
        (("caseDetails", "caseId"), "caseDetails.caseId"),
        (("docketEntryDocuments", 1, "documentNumber"), r"docketEntryDocuments\[1\].documentNumber"),
        (("docketEntryDocuments", 0, "docketDocumentDetailsId"), r"docketEntryDocuments\[0\].docketDocumentDetailsId"),
    ],
)
def test_missing_document_list_key_names_what_changed(path: tuple, named: str) -> None:
    with pytest.raises(ParseError, match=rf"{named} is missing"):
        acms_attachments.parse(_bytes(_without(_list_json(), *path)))


def test_wrong_types_and_values_are_named() -> None:
    with pytest.raises(ParseError, match=r"docketInfo.docketEntries is an object, expected a list"):
        acms_docket.parse(_bytes(_with(_docket_json(), {}, "docketInfo", "docketEntries")))
    with pytest.raises(ParseError, match=r"docketEntries\[0\].entryNumber is true/false"):
        acms_docket.parse(_bytes(_with(_docket_json(), True, "docketInfo", "docketEntries", 0, "entryNumber")))
    with pytest.raises(ParseError, match=r"caseDetails.caseOpened is not an ISO date"):
        acms_docket.parse(_bytes(_with(_docket_json(), "10/03/2023", "caseDetails", "caseOpened")))
    with pytest.raises(ParseError, match=r"documentNumber is not a document number"):
        acms_attachments.parse(_bytes(_with(_list_json(), "one", "docketEntryDocuments", 0, "documentNumber")))
    with pytest.raises(ParseError, match=r"docketEntryDocuments\[1\] is a list, not an object"):
        acms_attachments.parse(_bytes(_with(_list_json(), [], "docketEntryDocuments", 1)))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"caseDetails": {', "invalid JSON"),
        (b"[1, 2]", "expected a JSON object at the top, found a list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_unreadable_json_is_a_parse_error(data: bytes, reason: str) -> None:
    for parser in (acms_docket.parse, acms_attachments.parse):
        with pytest.raises(ParseError, match=reason):
            parser(data)


def test_optional_parts_may_be_absent() -> None:
    bare = _docket_json()
    for key in ("partyAttorneyList", "court", "feeStatus", "caseSubType", "districtCourtName", "aNumber"):
        bare["caseDetails"].pop(key)
    bare["docketInfo"]["docketEntries"][0]["docketEntryText"] = "<p>No stamp here.</p>"
    record = acms_docket.parse(_bytes(bare))
    assert record["parties"] == [] and record["appeal_from"] == "" and record["fee_status"] == ""
    assert record["originating_court_information"] == {}
    assert record["case_type_information"] == "Agency"
    assert record["docket_entries"][0]["date_entered"] is None


# ---------------------------------------------------------------- dispatch by content


@pytest.mark.parametrize("name", ["docket.json", "docket.acms_json", "docket"])
def test_dispatch_reads_content_not_the_file_name(tmp_path: Path, name: str) -> None:
    data = DOCKETS[0].read_bytes()
    target = tmp_path / name
    target.write_bytes(data)
    assert detect_kind(target.read_bytes()) == "acms_docket"
    record = parse_page(target.read_bytes(), court_id="ca2")
    assert record["kind"] == "acms_docket" and record["court_id"] == "ca2"
    assert parse_page(DOCUMENT_LISTS[0].read_bytes())["kind"] == "acms_attachments"


def test_key_order_and_spacing_do_not_matter() -> None:
    raw = _list_json()
    reordered = {k: raw[k] for k in ("docketEntryDocuments", "docketEntry", "caseDetails")}
    data = json.dumps(reordered, indent=4).encode()
    assert detect_kind(b"\xef\xbb\xbf  " + data) == "acms_attachments"
    assert parse_page(data)["attachments"][0]["attachment_number"] == 1


def test_other_json_gets_a_clear_reason() -> None:
    for data in (b'{"caseDetails": {"caseId": "x"}}', b'{"hello": "world"}', b"[]"):
        assert detect_kind(data) == "unknown"
        with pytest.raises(ParseError, match="JSON, but not an ACMS docket") as info:
            parse_page(data)
        assert info.value.kind == "unknown"


def test_html_pages_are_still_detected_as_before() -> None:
    page = FIXTURES / "dockets" / "appellate" / "ca11_1.html"
    assert detect_kind(page.read_bytes()) == "appellate_docket"
    # ACMS key names inside an HTML page do not make it JSON.
    html = b'<html><body><pre>{"caseDetails": 1, "docketInfo": 2}</pre></body></html>'
    assert detect_kind(html) not in ("acms_docket", "acms_attachments")


def test_a_damaged_acms_docket_reports_its_kind() -> None:
    data = _bytes(_without(_docket_json(), "caseDetails", "caseNumber"))
    with pytest.raises(ParseError, match="caseDetails.caseNumber is missing") as info:
        parse_page(data)
    assert info.value.kind == "acms_docket"


def test_the_command_parses_acms_files_of_any_name(tmp_path: Path) -> None:
    plain = tmp_path / "no_extension"
    plain.write_bytes(DOCKETS[0].read_bytes())
    other = tmp_path / "other.json"
    other.write_bytes(b'{"some": "json"}')
    command = [str(EXECUTABLE)] if EXECUTABLE.exists() else [sys.executable, "-m", "harvester.cli"]
    proc = subprocess.run(
        [*command, "parse", str(plain), str(DOCUMENT_LISTS[0]), str(other)], capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["kind"] for line in lines] == ["acms_docket", "acms_attachments", "unknown"]
    assert lines[0]["pacer_case_id"] and lines[1]["attachments"]
    assert "JSON, but not an ACMS docket" in lines[2]["error"]


# ---------------------------------------------------------------- damaged JSON (property test)


def _slots(value: object, path: tuple = ()) -> list[tuple]:
    """Every (path to a value) inside a JSON document."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _slots(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _slots(item, (*path, i))
    return found


SOURCES = [_load(p) for p in (DOCKETS[0], DOCKETS[-1], *DOCUMENT_LISTS)]
ODD_VALUES = [None, 0, -3, 1.5, True, "", "x", "2023-13-45", [], {}, [{}], {"a": 1}, "<table><tr><td>"]


@st.composite
def damaged_json(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(doc)
        if not slots:
            break
        path = draw(st.sampled_from(slots))
        target = doc
        for step in path[:-1]:
            target = target[step]
        if draw(st.booleans()) and isinstance(target, dict):
            del target[path[-1]]
        else:
            # A copy: the shared [] and {} would otherwise be damaged in turn, grow into
            # themselves across examples, and end as a cycle no JSON document can hold.
            target[path[-1]] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    return json.dumps(doc).encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(damaged_json())
def test_damaged_acms_json_gives_a_record_or_a_reason(data: bytes) -> None:
    try:
        record = parse_page(data)
    except ParseError as exc:
        assert str(exc) and getattr(exc, "kind", None) in KINDS
        return
    assert record["kind"] in KINDS


# ---------------------------------------------------------------- whole corpus


@pytest.mark.parametrize(
    ("folder", "parser"),
    [("dockets/acms", acms_docket.parse), ("appellate_attachment_pages/acms", acms_attachments.parse)],
)
def test_whole_corpus_fidelity(folder: str, parser) -> None:
    directory = CORPUS / folder
    if not directory.exists():
        pytest.skip(f"shared corpus absent: no {folder} beside the repository")
    outputs = {p.stem: parser(p.read_bytes()) for p in directory.glob("*.acms_json")}
    assert outputs, f"no .acms_json inputs in {directory}"
    overall, units = corpus_score(directory, outputs)
    assert overall >= 0.995, units
