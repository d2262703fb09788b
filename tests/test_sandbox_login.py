"""The sandbox's PACER Authentication API: result codes, TOTP, lockout, expiry, logout."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET

import pyotp
import pytest
from sandbox_support import START, Client, report_fields

from harvester.sandbox import Sandbox
from harvester.sandbox.login import LoginResult


@pytest.fixture
def sandbox(tmp_path):
    with Sandbox(cases=8, start=START, state_dir=tmp_path, token_ttl=3600, max_failures=3,
                 lockout_seconds=600) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    c = Client(sandbox.config)
    yield c
    c.close()


def a_case(sandbox) -> dict:
    return next(c for c in sandbox.cases("cand") if c["synthetic"])


def test_good_login_returns_a_128_character_token(client):
    reply = client.login()
    assert reply["loginResult"] == LoginResult.OK == "0"
    assert reply["errorDescription"] == ""
    token = reply["nextGenCSO"]
    assert len(token) == 128 and set(token) <= set(string.ascii_letters + string.digits)
    assert client.login()["nextGenCSO"] != token  # fresh random token each login


@pytest.mark.parametrize("payload, code", [
    ({"loginId": "sandbox", "password": "wrong"}, LoginResult.BAD_CREDENTIALS),
    ({"loginId": "nobody", "password": "sandbox-password"}, LoginResult.BAD_CREDENTIALS),
    ({"loginId": "sandbox"}, LoginResult.MISSING_FIELDS),
])
def test_failed_logins_answer_http_200_with_a_code(client, sandbox, payload, code):
    reply = client.post_json(sandbox.config["login_url"], payload)
    assert reply.status == 200
    body = reply.json()
    assert body["loginResult"] == code != "0"
    assert body["errorDescription"] and "nextGenCSO" not in body


def test_pending_account_actions_log_in_with_a_description(client):
    reply = client.login("sandbox-pending")
    assert reply["loginResult"] == "0" and len(reply["nextGenCSO"]) == 128
    assert "pending" in reply["errorDescription"]


def test_two_factor_account_requires_a_valid_totp(client, sandbox):
    account = next(a for a in sandbox.config["accounts"] if a.get("totp_secret"))
    assert client.login(account["login_id"])["loginResult"] == LoginResult.OTP_REQUIRED
    assert client.login(account["login_id"], otpCode="000000")["loginResult"] == LoginResult.OTP_INVALID
    good = client.login(account["login_id"], otpCode=pyotp.TOTP(account["totp_secret"]).now())
    assert good["loginResult"] == "0" and len(good["nextGenCSO"]) == 128


def test_repeated_failures_lock_the_account_until_the_lockout_ends(client, sandbox):
    for _ in range(3):
        assert client.login(password="wrong")["loginResult"] == LoginResult.BAD_CREDENTIALS
    locked = client.login()
    assert locked["loginResult"] == LoginResult.LOCKED and "locked" in locked["errorDescription"]
    assert client.login("sandbox-pending")["loginResult"] == "0"  # other accounts unaffected
    sandbox.advance(hours=0.2)  # 12 sandbox minutes > 600 s lockout
    assert client.login()["loginResult"] == "0"


def test_success_resets_the_failure_count(client):
    for _ in range(2):
        client.login(password="wrong")
    assert client.login()["loginResult"] == "0"
    for _ in range(2):
        client.login(password="wrong")
    assert client.login()["loginResult"] == "0"


def test_token_expires_after_its_lifetime(client, sandbox):
    client.login()
    case = a_case(sandbox)
    assert b"Transaction Receipt" in client.docket("cand", report_fields(case)).body
    sandbox.advance(hours=1.01)
    expired = client.docket("cand", report_fields(case))
    assert b"CM/ECF Filer or PACER Login" in expired.body and b"Transaction Receipt" not in expired.body
    xml = client.get(client.court_url("cand", "cgi-bin/possible_case_numbers.pl?20-10000")).body
    assert "Not logged in" in ET.fromstring(xml).find("message").get("text")


def test_logout_ends_the_token(client, sandbox):
    client.login()
    token = client.token
    assert client.post_json(sandbox.config["logout_url"], {"nextGenCSO": token}).json()["loginResult"] == "0"
    page = client.docket("cand", report_fields(a_case(sandbox)))
    assert b"CM/ECF Filer or PACER Login" in page.body
    again = client.post_json(sandbox.config["logout_url"], {"nextGenCSO": token}).json()
    assert again["loginResult"] == LoginResult.TOKEN_UNKNOWN


def test_admin_can_expire_tokens_and_lock_accounts(client, sandbox):
    client.login()
    assert client.admin("faults", {"expire_tokens": True}).status == 200
    assert b"CM/ECF Filer or PACER Login" in client.docket("cand", report_fields(a_case(sandbox))).body
    client.admin("faults", {"lock_account": "sandbox"})
    assert client.login()["loginResult"] == LoginResult.LOCKED
    sandbox.unlock_account("sandbox")
    assert client.login()["loginResult"] == "0"


def test_appellate_courts_send_the_anonymous_to_pacer_login(client, sandbox):
    info = next(c for c in sandbox.cases("ca9") if c["synthetic"])
    url = client.court_url("ca9", f"n/beam/servlet/TransportRoom?servlet=CaseSummary.jsp&caseNum={info['case_number']}")
    page = client.get(url).body
    assert b"pacer.login.uscourts.gov/csologin/login.jsf" in page and b'type="password"' in page
    assert b"InvalidUserLogin.jsp" not in page  # that logout link marks logged-in appellate pages
    client.login()
    assert b"InvalidUserLogin.jsp" in client.get(url).body


def test_the_harvester_parsers_recognise_the_login_pages(client, sandbox):
    from harvester.parsers.login import is_login_page

    district = client.docket("cand", report_fields(a_case(sandbox))).body
    info = next(c for c in sandbox.cases("ca9") if c["synthetic"])
    appellate = client.get(client.court_url(
        "ca9", f"n/beam/servlet/TransportRoom?servlet=CaseSummary.jsp&caseNum={info['case_number']}")).body
    assert is_login_page(district) and is_login_page(appellate)
    client.login()
    assert not is_login_page(client.docket("cand", report_fields(a_case(sandbox))).body)
