"""Judges as people: names split, titles and spelling folded, linked to cases with their role."""

from __future__ import annotations

import pytest

from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.judges import judge_key, split_judges


@pytest.mark.parametrize("raw, names", [
    ("William Alsup", ["William Alsup"]),
    ("Judge William Alsup", ["William Alsup"]),
    ("Chief Judge Ann Claire Williams", ["Ann Claire Williams"]),
    ("Senior Judge Robert W. Sweet", ["Robert W. Sweet"]),
    ("Magistrate Judge Donna M. Ryu", ["Donna M. Ryu"]),
    ("Chief Bankruptcy Judge Robert D. Drain", ["Robert D. Drain"]),
    ("Hon. Kimba M. Wood", ["Kimba M. Wood"]),
    ("Donna M. Ryu and Joseph C. Spero", ["Donna M. Ryu", "Joseph C. Spero"]),
    ("Magistrate Judge Donna M. Ryu; Magistrate Judge Joseph C. Spero", ["Donna M. Ryu", "Joseph C. Spero"]),
    ("Donna M. Ryu, Joseph C. Spero", ["Donna M. Ryu", "Joseph C. Spero"]),
    ("Clifton R. Jessup Jr.", ["Clifton R. Jessup Jr"]),
    ("", []),
    ("Unassigned", []),
])  # fmt: skip
def test_split_judges(raw, names):
    assert [j.name for j in split_judges(raw)] == names


def test_spellings_of_one_judge_fold_to_one_key():
    spellings = ["William H. Alsup", "WILLIAM ALSUP", "Judge William Alsup", "william  alsup."]
    assert {judge_key(split_judges(s)[0].name) for s in spellings} == {"william alsup"}
    assert judge_key("Clifton R. Jessup Jr.") == "clifton jessup jr"
    assert judge_key("Dennis D. O'Brien") == "dennis obrien"
    assert judge_key("Robert D. Drain") != judge_key("Robert E. Gerber")


def _docket(assigned, referred=None, name="A v. B"):
    record = {"docket_number": "3:20-cv-00001", "case_name": name, "assigned_to_str": assigned, "docket_entries": []}
    if referred is not None:
        record["referred_to_str"] = referred
    return record


def test_cases_link_to_judges_with_roles(tmp_path):
    db = open_db(tmp_path / "h.db")
    store_docket(db, "cand", "1", _docket("William Alsup", "Donna M. Ryu and Joseph C. Spero"))
    store_docket(db, "cand", "2", _docket("Judge William H. Alsup"))
    rows = db.execute(
        "SELECT c.pacer_case_id, j.name_key, cj.role, cj.raw FROM case_judges cj JOIN judges j ON j.id = cj.judge_id"
        " JOIN cases c ON c.id = cj.case_id ORDER BY c.pacer_case_id, cj.position"
    ).fetchall()
    assert rows == [
        ("1", "william alsup", "assigned", "William Alsup"),
        ("1", "donna ryu", "referred", "Donna M. Ryu and Joseph C. Spero"),
        ("1", "joseph spero", "referred", "Donna M. Ryu and Joseph C. Spero"),
        ("2", "william alsup", "assigned", "Judge William H. Alsup"),
    ]
    assert db.execute("SELECT name FROM judges WHERE name_key = 'william alsup'").fetchone()[0] == "William H. Alsup"


def test_reassignment_replaces_the_link(tmp_path):
    db = open_db(tmp_path / "h.db")
    store_docket(db, "cand", "1", _docket("William Alsup"))
    store_docket(db, "cand", "1", _docket("Yvonne Gonzalez Rogers"))
    keys = [r[0] for r in db.execute(
        "SELECT j.name_key FROM case_judges cj JOIN judges j ON j.id = cj.judge_id WHERE cj.role = 'assigned'")]
    assert keys == ["yvonne gonzalez rogers"]


def test_migration_fills_judges_for_stored_cases(tmp_path):
    from harvester.store import migrations

    db = open_db(tmp_path / "h.db", migrate=False)
    migrations.migrate(db, target=4)
    db.conn.execute("INSERT INTO courts (court_id) VALUES ('cand')")
    db.conn.execute("INSERT INTO cases (court_id, pacer_case_id, kind, assigned_to_str) VALUES ('cand', '9', 'district', 'Chief Judge Richard Seeborg')")
    db.conn.commit()
    migrations.migrate(db)
    assert db.execute("SELECT j.name FROM case_judges cj JOIN judges j ON j.id = cj.judge_id").fetchall() == [("Richard Seeborg",)]


def _canned(name):
    import yaml

    from harvester.store.dictionary import METADATA_PATH

    return yaml.safe_load(METADATA_PATH.read_text())["databases"]["harvest"]["queries"][name]["sql"]


def test_time_to_termination_by_judge(tmp_path):
    db = open_db(tmp_path / "h.db")
    spans = {"1": ("2020-01-01", "2020-01-11"), "2": ("2020-01-01", "2020-01-31"), "3": ("2020-01-01", "2020-04-10"),
             "4": ("2020-01-01", None)}
    for case_id, (filed, terminated) in spans.items():
        record = {**_docket("Judge William Alsup"), "date_filed": filed, "date_terminated": terminated,
                  "nature_of_suit": "442 Civil Rights: Jobs"}
        store_docket(db, "cand", case_id, record)
    rows = db.execute(_canned("time_to_termination"), {"court": ""}).fetchall()
    assert rows == [("William Alsup", "442 Civil Rights: Jobs", 3, 30.0, 46.7)]


def test_cases_by_judge_finds_any_spelling(tmp_path):
    db = open_db(tmp_path / "h.db")
    store_docket(db, "cand", "1", _docket("William H. Alsup", name="First"))
    store_docket(db, "cand", "2", _docket("Judge WILLIAM ALSUP", name="Second"))
    store_docket(db, "cand", "3", _docket("Yvonne Gonzalez Rogers", name="Third"))
    names = sorted(r[4] for r in db.execute(_canned("cases_by_judge"), {"judge": "william alsup"}))
    assert names == ["First", "Second"]
