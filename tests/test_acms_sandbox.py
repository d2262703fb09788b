"""The sandbox's ACMS emulation: sign-on handshake, per-court sessions, dockets, documents, faults."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sandbox_support import START, Client

from harvester.acms import saml_form
from harvester.parsers import parse_page
from harvester.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(state_dir=tmp_path_factory.mktemp("acms-sandbox"), courts=("ca9",), cases=2, real_pages=False,
                 start=START) as running:  # fmt: skip
        yield running


def sign_on(client: Client, court: str) -> str:
    """The three-step handshake; returns the ACMS session cookie header."""
    base = client.config["acms_url"].format(court=court)
    first = client.request("GET", base, headers={"Cookie": ""})
    assert first.status == 302
    idp = first.headers["location"]
    form = client.get(idp)  # carries the NextGenCSO cookie
    action, fields = saml_form(form.body, base)
    done = client.request(
        "POST", action, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded", "Cookie": ""}
    )
    assert done.status == 302
    return done.headers["set-cookie"].split(";", 1)[0]


def test_sign_on_exchanges_the_pacer_token_for_a_court_session(sandbox):
    client = Client(sandbox.config)
    client.login()
    cookie = sign_on(client, "ca9")
    docket = client.get(sandbox.config["acms_url"].format(court="ca9") + "Home/IndexContent?caseIdentifier=23-2413",
                        headers={"Cookie": cookie})  # fmt: skip
    assert docket.status == 200
    doc = docket.json()
    assert doc["authToken"] and doc["caseDetails"]["caseNumber"] == "23-2413"
    record = parse_page(json.dumps({k: v for k, v in doc.items() if k != "authToken"}).encode(), court_id="ca9")
    assert record["kind"] == "acms_docket" and record["pacer_case_id"] == doc["caseDetails"]["caseId"]
    other = client.get(sandbox.config["acms_url"].format(court="ca2") + "Home/IndexContent?caseIdentifier=23-7246",
                       headers={"Cookie": cookie})  # fmt: skip
    assert other.status == 302, "a ca9 session must not open ca2"
    billed = [r for r in sandbox.request_log.records() if r["endpoint"] == "acms-docket" and r["status"] == 200]
    assert (
        billed
        and billed[-1]["billable_pages"] >= 1
        and billed[-1]["cost"] == pytest.approx(billed[-1]["billable_pages"] * 0.1)
    )


def test_no_session_without_a_valid_pacer_token(sandbox):
    client = Client(sandbox.config)
    base = sandbox.config["acms_url"].format(court="ca2")
    idp = client.request("GET", base).headers["location"]
    page = client.get(idp, headers={"Cookie": "NextGenCSO=forged"})
    assert saml_form(page.body, base) is None


def test_documents_need_the_bearer_token_and_synthetic_cases_grow(sandbox):
    client = Client(sandbox.config)
    client.login()
    cookie = sign_on(client, "cavc")
    url = sandbox.config["acms_url"].format(court="cavc") + "Home/IndexContent?caseIdentifier=26-7001"
    before = client.get(url, headers={"Cookie": cookie}).json()
    entry = before["docketInfo"]["docketEntries"][0]["docketEntryId"]
    api = sandbox.config["acms_api_url"].format(court="cavc") + f"DocketEntryDocumentsByDocketId/{entry}"
    assert client.request("POST", api, b"{}", {"Cookie": ""}).status == 401
    docs = client.request("POST", api, b"{}", {"Authorization": f"Bearer {before['authToken']}", "Cookie": ""})
    assert docs.status == 200 and docs.json()[0]["pageCount"] >= 1
    sandbox.advance(hours=48)
    assert client.get(url, headers={"Cookie": cookie}).status == 302, "the session ended meanwhile"
    client.login()
    after = client.get(url, headers={"Cookie": sign_on(client, "cavc")}).json()
    assert len(after["docketInfo"]["docketEntries"]) == len(before["docketInfo"]["docketEntries"]) + 2


def test_faults_expired_session_and_changed_layout(sandbox):
    client = Client(sandbox.config)
    client.login()
    cookie = sign_on(client, "ca2")
    url = sandbox.config["acms_url"].format(court="ca2") + "Home/IndexContent?caseIdentifier=23-7246"
    assert sandbox.acms.expire_sessions("ca2") >= 1
    assert client.get(url, headers={"Cookie": cookie}).status == 302
    cookie = sign_on(client, "ca2")
    sandbox.acms.change_layout("ca2")
    try:
        changed = client.get(url, headers={"Cookie": cookie}).json()
    finally:
        sandbox.acms.change_layout("ca2", False)
    assert "caseDetails" not in changed and "case" in changed
    assert {c["court"] for c in sandbox.cases(acms=True) if c.get("system") == "acms"} == {"ca2", "ca9", "cavc"}
