"""Harvesting ACMS courts (ca2, ca9, cavc) end to end against the sandbox, and the routing rules.

One PACER login a night, one ACMS sign-on per court, dockets and document lists
through the gate, ACMS's billing in the ledger, no double billing on the next
nights, dual-system courts, expired sessions and a changed layout.
"""

from __future__ import annotations

import sqlite3
import zlib

import pytest
from harvest_support import FAST_RATE, HarvestDir, logins, start_sandbox

from harvester.acms import ACMS, CMECF, AcmsCourts, take_token
from harvester.config import from_dict
from harvester.errors import ConfigError

ACMS_COURTS = ("ca2", "ca9", "cavc")


def acms_dir(root, sandbox, cases=None, **sections) -> HarvestDir:
    cfg = sandbox.config
    merged = {"endpoints": {"acms_url": cfg["acms_url"], "acms_api_url": cfg["acms_api_url"]},
              "acms": {"documents": True}, **sections}  # fmt: skip
    return HarvestDir.create(root, sandbox, cases=sandbox.cases(acms=True) if cases is None else cases, sections=merged)


def acms_cost(sandbox) -> float:
    return round(sum(r["cost"] for r in sandbox.request_log.records() if r["endpoint"] == "acms-docket"), 2)


def ledger_cost(conn: sqlite3.Connection, like: str) -> float:
    return round(conn.execute("SELECT coalesce(sum(cost), 0) FROM requests WHERE url LIKE ?", [like]).fetchone()[0], 2)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    running = start_sandbox(tmp_path_factory.mktemp("sandbox"), courts=("ca9",), cases=3)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def first(tmp_path_factory, sandbox):
    # Every case is re-checked after refresh_days (7): none waits longer for being quiet.
    work = acms_dir(tmp_path_factory.mktemp("run"), sandbox, watch={"refresh_max_days": 7})
    result = work.run()
    assert result.returncode == 0, result.stderr[-3000:]
    return work


def test_whole_harvest_has_ca2_ca9_cavc_with_one_pacer_login(sandbox, first):
    served = {(c["court"], c["docket_number"]) for c in sandbox.cases(acms=True) if c.get("system") == "acms"}
    with first.connect() as conn:
        stored = set(conn.execute("SELECT court_id, docket_number FROM acms_cases WHERE system = 'acms'"))
        guids = dict(conn.execute("SELECT docket_number, json_extract(extra, '$.acms_case_id') FROM cases"))
        entries = conn.execute("SELECT count(*) FROM docket_entries JOIN cases ON cases.id = case_id"
                               " WHERE court_id = 'cavc'").fetchone()[0]  # fmt: skip
        lists = conn.execute("SELECT count(*) FROM acms_document_lists").fetchone()[0]
        assert ledger_cost(conn, "%/acms/%IndexContent%") == acms_cost(sandbox) > 0
    assert stored == served and {court for court, _ in stored} == set(ACMS_COURTS)
    assert guids["23-2413"] == "0199c58d-9e5c-ee11-a81c-001dd80ad0b3"  # the real case keeps ACMS's GUID
    assert entries == sum(
        len(sandbox.acms.cases["cavc", n].entries_at(sandbox.clock.timestamp())) for n in ("26-7001", "26-7045")
    )
    assert lists > 0
    assert len(logins(sandbox)) == 1
    assert sandbox.acms.sign_ons == {"ca2": 1, "ca9": 1, "cavc": 1}


def test_no_bearer_token_or_assertion_reaches_the_database(first):
    with first.connect() as conn:
        bodies = [
            zlib.decompress(row[0])
            for row in conn.execute("SELECT body FROM raw_pages WHERE kind LIKE 'acms%' OR url LIKE '%acms%'")
        ]
    assert bodies and not any(b"authToken" in body or b"SAMLResponse" in body for body in bodies)


def test_dual_system_court_old_case_goes_to_transportroom(sandbox, first):
    with first.connect() as conn:
        routes = dict(conn.execute("SELECT docket_number, system FROM acms_cases WHERE court_id = 'ca9'"))
        fetched = [
            u for (u,) in conn.execute("SELECT url FROM requests WHERE url LIKE '%CaseSummary%' AND outcome = 'ok'")
        ]
    old = [c["docket_number"] for c in sandbox.cases("ca9", acms=True) if c.get("system") != "acms"]
    assert old and all(routes.get(n) == CMECF for n in old if n.startswith(("23-", "24-", "25-", "26-")))
    assert all(any(f"caseNum={n}" in u for u in fetched) for n in old)


def test_routing_rules_by_docket_number():
    rules = AcmsCourts(["ca9@2023-10-01", "cavc@2026-10-01", "ca2"])
    assert rules.system_for("cavc", "25-1234") == CMECF  # opened before ACMS: stays in CM/ECF
    assert rules.system_for("cavc", "26-7001") == ACMS  # the switch year is asked of ACMS first
    assert rules.system_for("ca2", "19-1") == ACMS and rules.system_for("ca5", "25-1") == CMECF
    with pytest.raises(ConfigError, match="acms.courts"):
        from_dict({"acms": {"courts": ["cand@2020-01-01"]}})


def test_take_token_removes_it_whatever_the_layout():
    body, token = take_token(b'{"case": {}, "authToken": "abcdef123456"}')
    assert token == "abcdef123456" and b"abcdef" not in body


def test_next_nights_fetch_only_what_is_new_and_bill_once(sandbox, first):
    with first.connect() as conn:
        lists_before = conn.execute("SELECT count(*) FROM acms_document_lists").fetchone()[0]
    sandbox.advance(hours=24 * 8)  # past refresh_days: every ACMS case is due again, each grew by 8 entries
    result = first.run()
    assert result.returncode == 0, result.stderr[-3000:]
    with first.connect() as conn:
        lists_after = conn.execute("SELECT count(*) FROM acms_document_lists").fetchone()[0]
        doc_requests = conn.execute("SELECT count(*) FROM requests WHERE url LIKE '%DocketEntryDocuments%'").fetchone()[
            0
        ]
        assert ledger_cost(conn, "%/acms/%IndexContent%") == acms_cost(sandbox)
        per_run = conn.execute("SELECT run_id, url, count(*) FROM requests WHERE url LIKE '%IndexContent%'"
                               " AND outcome = 'ok' GROUP BY 1, 2 HAVING count(*) > 1").fetchall()  # fmt: skip
    synthetic = [c for c in sandbox.acms.cases.values() if c.opened_ts is not None]
    assert lists_after - lists_before == 8 * len(synthetic)
    assert doc_requests == lists_after, "a document list is never asked for twice"
    assert per_run == []


def test_expired_session_signs_on_again_without_a_new_pacer_login(tmp_path, sandbox):
    sandbox.acms.expire_every["ca2"] = 2
    before = dict(sandbox.acms.sign_ons)
    logins_before = len(logins(sandbox))
    try:
        work = acms_dir(
            tmp_path, sandbox, cases=[c for c in sandbox.cases("ca2", acms=True) if c.get("system") == "acms"]
        )
        result = work.run()
    finally:
        sandbox.acms.expire_every.clear()
    assert result.returncode == 0, result.stderr[-3000:]
    with work.connect() as conn:
        stored = conn.execute("SELECT count(*) FROM acms_cases WHERE court_id = 'ca2' AND system = 'acms'").fetchone()[
            0
        ]
        retried = conn.execute(
            "SELECT count(*) FROM requests WHERE outcome = 'retried' AND reason LIKE '%ACMS session%'"
        ).fetchone()[0]
    assert stored == 3 and retried >= 1
    assert sandbox.acms.sign_ons["ca2"] - before.get("ca2", 0) >= 2
    assert len(logins(sandbox)) == logins_before + 1  # this run's one login, none for the expired ACMS session


def test_when_pacer_itself_dropped_the_token_one_new_pacer_login_serves(tmp_path, sandbox):
    sandbox.acms.expire_every["ca9"], sandbox.acms.expire_pacer_too = 2, True
    logins_before = len(logins(sandbox))
    try:
        cases = [c for c in sandbox.cases("ca9", acms=True) if c.get("system") == "acms"]
        # One request at a time: the tokens end after the 2nd docket, before the 3rd is asked for.
        work = acms_dir(tmp_path, sandbox, cases=cases, rate={**FAST_RATE, "per_court_concurrency": 1})
        result = work.run()
    finally:
        sandbox.acms.expire_every.clear()
        sandbox.acms.expire_pacer_too = False
    assert result.returncode == 0, result.stderr[-3000:]
    with work.connect() as conn:
        stored = conn.execute("SELECT count(*) FROM acms_cases WHERE court_id = 'ca9' AND system = 'acms'").fetchone()[
            0
        ]
    assert stored == len(cases) == 4
    assert len(logins(sandbox)) - logins_before == 2  # the run's login, and one more because PACER ended the token


def test_changed_layout_fails_loudly_naming_the_court_and_keeps_the_answer(tmp_path, sandbox):
    sandbox.acms.change_layout("cavc")
    try:
        work = acms_dir(tmp_path, sandbox, cases=[c for c in sandbox.cases("cavc", acms=True)])
        result = work.run()
    finally:
        sandbox.acms.change_layout("cavc", False)
    assert result.returncode != 0
    log = work.log_path.read_text()
    assert "ACMS layout or protocol changed at cavc" in log
    with work.connect() as conn:
        kept = [
            zlib.decompress(b) for (b,) in conn.execute("SELECT body FROM raw_pages WHERE kind = 'acms_unrecognised'")
        ]
        outcome = conn.execute(
            "SELECT outcome, reason FROM requests WHERE court_id = 'cavc' AND outcome != 'ok'"
        ).fetchall()
    assert kept and all(b'"case"' in body and b"authToken" not in body for body in kept)
    assert outcome and outcome[0][0] == "layout_changed" and "cavc" in outcome[0][1]


def test_demo_run_shows_ca9_acms_cases_next_to_transportroom_ones(tmp_path):
    """`make run` (no credentials: the embedded sandbox, whose seeds key ca9 cases by case id)."""
    import os
    import subprocess
    import sys

    from harvest_support import REPO

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "harvester.toml").write_text(
        '[sandbox]\ncourts = ["ca9"]\ncases = 3\nper_court_per_second = 40.0\nglobal_per_second = 120.0\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run([sys.executable, "-m", "harvester.cli", "run"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # A sandbox run writes the sandbox's own database ([sandbox] database), never the real one.
    assert not (tmp_path / "data" / "pacer.db").exists()
    with sqlite3.connect(tmp_path / "data" / "sandbox.db") as conn:
        routes = dict(conn.execute("SELECT docket_number, system FROM acms_cases WHERE court_id = 'ca9'"))
        fetched = {
            n for (n,) in conn.execute("SELECT docket_number FROM cases WHERE court_id = 'ca9' AND entry_count > 0")
        }
    in_acms = {n for n, system in routes.items() if system == ACMS}
    transportroom = fetched - in_acms
    assert in_acms and transportroom
    assert {n for n, system in routes.items() if system == CMECF} <= fetched, (
        "cases ACMS did not know reach TransportRoom"
    )


def test_status_shows_the_system_of_each_watched_court_of_appeals(tmp_path):
    from harvester.run.status import format_status, status

    config = from_dict({"watch": {"courts": ["ca9", "ca5", "cand"]}, "database": {"path": str(tmp_path / "none.db")},
                        "harvest": {"state_dir": str(tmp_path)}})  # fmt: skip
    report = status(config)
    assert report["appellate_systems"] == {
        "ca5": "CM/ECF (TransportRoom)",
        "ca9": "ACMS for cases opened from 2023-10-01, older ones CM/ECF",
    }
    assert "Court of appeals ca9: ACMS for cases opened from 2023-10-01" in format_status(report)


def test_the_pacer_token_is_shown_only_to_court_hosts_and_saml_forms_are_read():
    from harvester.acms import saml_form
    from harvester.run.acms_session import _may_see_token

    acms_base = "https://ca9-showdoc.azurewebsites.us/"
    assert _may_see_token("https://idp.ca9.uscourts.gov/idp/profile/SAML2/Redirect/SSO", acms_base)
    assert not _may_see_token("https://evil.example/sso", acms_base)
    assert not _may_see_token("http://idp.ca9.uscourts.gov/sso", acms_base)
    page = (b'<form method="post" action="https&#x3a;&#x2f;&#x2f;ca9-showdoc.azurewebsites.us&#x2f;Saml2&#x2f;Acs">'
            b'<input type="hidden" name="RelayState" value="r"/><input type="hidden" name="SAMLResponse" value="PHNhbWw+"/></form>')  # fmt: skip
    assert saml_form(page, "https://idp.ca9.uscourts.gov/sso") == (
        "https://ca9-showdoc.azurewebsites.us/Saml2/Acs", {"RelayState": "r", "SAMLResponse": "PHNhbWw+"})  # fmt: skip
    assert saml_form(b"<html><form action='/x'><input type='text' name='user'></form></html>", acms_base) is None


def test_the_gate_lets_through_the_acms_hosts_of_the_run_and_no_other():
    from harvester.gate.destinations import Destinations

    pacer = Destinations.from_endpoints({})  # PACER's own endpoints: PACER's own ACMS hosts
    assert pacer.refusal("https://ca9-showdoc.azurewebsites.us/Home/IndexContent?caseIdentifier=23-3206") is None
    assert pacer.refusal("https://cavc-showdocservices.azurewebsites.us/api/DocketEntryDocumentsByDocketId/x") is None
    assert pacer.refusal("https://evil.azurewebsites.us/steal")
    assert pacer.refusal("https://ca9-showdoc.azurewebsites.us.evil.example/")
    # A test server without acms_url has no ACMS: the real ACMS hosts are refused.
    local = Destinations.from_endpoints({"court_url": "https://courts.example.test/{court}/"})
    assert local.refusal("https://ca9-showdoc.azurewebsites.us/Home")
    named = Destinations.from_endpoints({"court_url": "https://courts.example.test/{court}/",
                                         "acms_url": "https://acms.example.test/{court}/"})  # fmt: skip
    assert named.refusal("https://acms.example.test/ca2/Home") is None
