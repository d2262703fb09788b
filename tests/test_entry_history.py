"""Never lose or degrade what is known: placeholders, edited entries, the `changes` view, reparse repairs."""

from __future__ import annotations

import copy

import pytest
from db_support import reference

from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.reparse import reparse

NIGHT1, NIGHT2, NIGHT3 = "2026-03-04T01:00:00+00:00", "2026-03-05T01:00:00+00:00", "2026-03-06T01:00:00+00:00"


@pytest.fixture()
def db(tmp_path):
    database = open_db(tmp_path / "pacer.db")
    yield database
    database.close()


def _incremental_without_parties(full: dict, entries: list[dict]) -> dict:
    """What CM/ECF serves for a bankruptcy report asked without parties: no debtor, so no case name."""
    record = {k: v for k, v in copy.deepcopy(full).items() if k not in ("parties", "docket_entries")}
    record["case_name"] = "Unknown Case Title"
    record["assigned_to_str"] = ""
    record["docket_entries"] = entries
    return record


def _case(db, column: str = "case_name"):
    return db.execute(f"SELECT {column} FROM cases").fetchone()[0]


def test_a_report_without_its_party_block_keeps_the_stored_name(db):
    full = reference("bankruptcy", "nysb_4")
    store_docket(db, "nysb", "1", full, fetched_at=NIGHT1)
    new_entry = {**full["docket_entries"][-1], "document_number": "99999", "description": "New motion"}
    store_docket(db, "nysb", "1", _incremental_without_parties(full, [new_entry]), fetched_at=NIGHT2, incremental=True)
    assert _case(db) == full["case_name"] != "Unknown Case Title"
    assert _case(db, "assigned_to_str") == full["assigned_to_str"]  # a partial report's blank is no news
    assert db.execute("SELECT count(*) FROM parties").fetchone()[0] == len(full["parties"])


def test_a_placeholder_never_replaces_a_name_even_in_a_full_report(db):
    full = reference("bankruptcy", "nysb_4")
    store_docket(db, "nysb", "1", full, fetched_at=NIGHT1)
    store_docket(db, "nysb", "1", {**full, "case_name": "Unknown Case Title", "parties": []}, fetched_at=NIGHT2)
    assert _case(db) == full["case_name"]


def test_reparse_repairs_names_a_partial_report_overwrote(db):
    full = reference("bankruptcy", "nysb_4")
    later = _incremental_without_parties(full, full["docket_entries"][-1:])
    pages = {b"full report": full, b"incremental report": later}
    store_docket(db, "nysb", "1", full, raw=b"full report", fetched_at=NIGHT1)
    store_docket(db, "nysb", "1", later, raw=b"incremental report", fetched_at=NIGHT2, incremental=True)
    # The damage an older harvester did: the placeholder replaced the name.
    db.conn.execute("UPDATE cases SET case_name = 'Unknown Case Title'")
    db.conn.commit()
    result = reparse(db, lambda body, _court: copy.deepcopy(pages[body]))
    assert result.cases == 1 and result.failed == 0
    assert _case(db) == full["case_name"]


def _two_entries() -> dict:
    full = reference("district", "cand_3")
    full["docket_entries"] = [
        {"date_filed": "2026-03-02", "date_entered": "2026-03-02", "document_number": "1", "pacer_doc_id": "035012345678",
         "pacer_seq_no": "1", "description": "COMPLAINT against Acme."},
        {"date_filed": "2026-03-03", "date_entered": "2026-03-03", "document_number": "2", "pacer_doc_id": "035012345679",
         "pacer_seq_no": "4", "description": "MOTION to Dismiss."},
    ]  # fmt: skip
    return full


def test_an_edited_entry_keeps_its_earlier_text_and_when_it_was_seen(db):
    first = _two_entries()
    store_docket(db, "cand", "7", first, fetched_at=NIGHT1)
    edited = copy.deepcopy(first)
    edited["docket_entries"][1]["description"] = "STRICKEN: MOTION to Dismiss."
    store_docket(db, "cand", "7", edited, fetched_at=NIGHT2)
    store_docket(db, "cand", "7", edited, fetched_at=NIGHT3)  # unchanged: no new version
    rows = db.execute("SELECT description, seen_at, replaced_at FROM entry_versions").fetchall()
    assert rows == [("MOTION to Dismiss.", NIGHT1, NIGHT2)]
    current = db.execute("SELECT description, changed_at FROM docket_entries WHERE document_number = '2'").fetchone()
    assert current == ("STRICKEN: MOTION to Dismiss.", NIGHT2)


def test_a_renumbered_entry_is_one_entry_with_its_old_number_kept(db):
    first = _two_entries()
    store_docket(db, "cand", "7", first, fetched_at=NIGHT1)
    renumbered = copy.deepcopy(first)
    renumbered["docket_entries"][1]["document_number"] = "3"  # same de_seq_num: the clerk renumbered it
    store_docket(db, "cand", "7", renumbered, fetched_at=NIGHT2)
    numbers = [n for (n,) in db.execute("SELECT document_number FROM docket_entries ORDER BY position")]
    assert numbers == ["1", "3"]
    assert db.execute("SELECT document_number, replaced_at FROM entry_versions").fetchall() == [("2", NIGHT2)]
    assert _case(db, "entry_count") == 2


def test_the_changes_view_lists_each_nights_news(db):
    first = _two_entries()
    first["assigned_to_str"], first["date_terminated"] = "Judge A", None
    for party in first["parties"]:
        party["date_terminated"] = None
    store_docket(db, "cand", "7", first, fetched_at=NIGHT1)
    later = copy.deepcopy(first)
    later["assigned_to_str"], later["date_terminated"] = "Judge B", "2026-03-04"
    later["docket_entries"][1]["description"] = "SEALED"
    later["docket_entries"].append({"date_filed": "2026-03-04", "date_entered": "2026-03-04", "document_number": "3",
                                    "pacer_seq_no": "9", "description": "ORDER granting motion."})  # fmt: skip
    party = copy.deepcopy(later["parties"][0])
    party["name"], party["date_terminated"] = "New Intervenor", None
    later["parties"].append(party)
    terminated = later["parties"][0]
    terminated["date_terminated"] = "2026-03-04"
    store_docket(db, "cand", "7", later, fetched_at=NIGHT2)
    changes = db.execute("SELECT night, change, detail FROM changes WHERE night = '2026-03-04' ORDER BY change").fetchall()
    kinds = sorted(change for _, change, _ in changes)
    assert kinds == ["edited_entry", "judge_reassigned", "new_entry", "new_party", "terminated_case", "terminated_party"]
    assert ("2026-03-04", "judge_reassigned", "Judge A -> Judge B") in changes
    first_night = {c for (c,) in db.execute("SELECT change FROM changes WHERE night = '2026-03-03'")}
    assert first_night == {"new_case"}  # a new case's own entries and parties are not news of their own


def _harvested_twice(db, first: dict, edited: dict) -> dict:
    """Store ``first`` on night one and ``edited`` on night two; the archive's pages, for reparse."""
    pages = {b"night one": first, b"night two": edited}
    store_docket(db, "cand", "7", first, raw=b"night one", fetched_at=NIGHT1)
    store_docket(db, "cand", "7", edited, raw=b"night two", fetched_at=NIGHT2)
    return pages


def test_reparse_rebuilds_entry_versions_from_the_archived_pages(db):
    first = _two_entries()
    edited = copy.deepcopy(first)
    edited["docket_entries"][1]["description"] = "STRICKEN: MOTION to Dismiss."
    pages = _harvested_twice(db, first, edited)
    before = db.execute("SELECT entry_key, description, seen_at, replaced_at FROM entry_versions").fetchall()
    for _ in range(2):  # idempotent
        reparse(db, lambda body, _court: copy.deepcopy(pages[body]))
        after = db.execute("SELECT entry_key, description, seen_at, replaced_at FROM entry_versions").fetchall()
        assert after == before and len(after) == 1


def _with_minute_entries(*texts: str) -> dict:
    full = _two_entries()
    full["docket_entries"] += [
        {"date_filed": "2026-03-04", "date_entered": "2026-03-04", "document_number": None, "description": text}
        for text in texts
    ]
    return full


def test_an_edited_minute_entry_is_one_entry_with_its_earlier_text_kept(db):
    # A minute entry has no number or link: its key holds its text, so an edit used to
    # leave the old text beside the new one, two entries where the court shows one.
    first = _with_minute_entries("Minute Entry: hearing held.", "Set Hearings: status conference.")
    store_docket(db, "cand", "7", first, fetched_at=NIGHT1)
    edited = copy.deepcopy(first)
    edited["docket_entries"][2]["description"] = "STRICKEN. Minute Entry: hearing held. Modified on 3/5/2026 (clk)."
    store_docket(db, "cand", "7", edited, fetched_at=NIGHT2)
    texts = [t for (t,) in db.execute("SELECT description FROM docket_entries ORDER BY position")]
    assert texts == [e["description"] for e in edited["docket_entries"]]
    versions = db.execute("SELECT description, seen_at, replaced_at FROM entry_versions").fetchall()
    assert versions == [("Minute Entry: hearing held.", NIGHT1, NIGHT2)]
    assert _case(db, "entry_count") == 4


def test_a_report_that_leaves_out_a_minute_entrys_dates_edits_nothing(db):
    first = _with_minute_entries("Minute Entry: hearing held.")
    store_docket(db, "cand", "7", first, fetched_at=NIGHT1)
    later = copy.deepcopy(first)
    later["docket_entries"] = [  # an incremental report of another day's minute entry
        {"date_filed": "2026-03-05", "date_entered": "2026-03-05", "document_number": None, "description": "Clerk's note."}
    ]
    store_docket(db, "cand", "7", later, fetched_at=NIGHT2, incremental=True)
    texts = [t for (t,) in db.execute("SELECT description FROM docket_entries ORDER BY position")]
    assert texts[2:] == ["Minute Entry: hearing held.", "Clerk's note."]
    assert db.execute("SELECT count(*) FROM entry_versions").fetchone()[0] == 0


def test_reparse_rebuilds_an_edited_minute_entry_as_one_entry(db):
    first = _with_minute_entries("Minute Entry: hearing held.")
    edited = copy.deepcopy(first)
    edited["docket_entries"][2]["description"] = "SEALED DOCUMENT. Modified on 3/5/2026 (clk)."
    pages = _harvested_twice(db, first, edited)
    before = db.execute("SELECT entry_key, description, seen_at, replaced_at FROM entry_versions").fetchall()
    result = reparse(db, lambda body, _court: copy.deepcopy(pages[body]))
    assert result.failed == 0
    assert db.execute("SELECT entry_key, description, seen_at, replaced_at FROM entry_versions").fetchall() == before
    texts = [t for (t,) in db.execute("SELECT description FROM docket_entries ORDER BY position")]
    assert texts == [e["description"] for e in edited["docket_entries"]]
