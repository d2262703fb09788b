"""The request log: fields, secrets masked, and the reader API tests and benchmarks use."""

from __future__ import annotations

import json
from datetime import datetime

import pyotp
import pytest
from sandbox_support import START, Client, report_fields

from harvester.parsers.receipt import parse_receipt
from harvester.sandbox import RequestLog, Sandbox
from harvester.sandbox.requestlog import max_in_window

FIELDS = {
    "time", "sandbox_time", "account", "court", "endpoint", "method", "path", "params", "content_type",
    "status", "bytes", "billable_pages", "cost", "entries", "case", "faults", "connection", "duration_ms",
}


@pytest.fixture
def sandbox(tmp_path):
    with Sandbox(cases=16, start=START, state_dir=tmp_path) as sb:
        yield sb


def test_records_carry_every_field_with_both_clocks(sandbox):
    c = Client(sandbox.config)
    c.login()
    info = next(x for x in sandbox.cases("cand") if x["synthetic"])
    c.docket("cand", report_fields(info))
    records = sandbox.request_log.records()
    assert [r["endpoint"] for r in records] == ["cso-auth", "DktRpt"]
    docket = records[-1]
    assert FIELDS <= set(docket)
    assert docket["account"] == "sandbox" and docket["court"] == "cand" and docket["method"] == "POST"
    assert docket["path"] == "/ecf/cand/cgi-bin/DktRpt.pl"
    assert docket["content_type"] == "multipart/form-data"
    assert docket["params"]["all_case_ids"] == info["pacer_case_id"] and docket["params"]["_query"] == "1-L_1_0-1"
    assert datetime.fromisoformat(docket["time"]).utcoffset().total_seconds() == 0
    assert datetime.fromisoformat(docket["sandbox_time"]).isoformat().startswith("2026-03-03T19:0")
    assert docket["connection"] == records[0]["connection"]  # one keep-alive connection


def test_no_password_totp_code_or_token_reaches_the_log(sandbox):
    c = Client(sandbox.config)
    account = next(a for a in sandbox.config["accounts"] if a.get("totp_secret"))
    code = pyotp.TOTP(account["totp_secret"]).now()
    c.login(account["login_id"], account["password"], otpCode=code, clientCode="matter-7")
    token = c.token
    info = next(x for x in sandbox.cases("cand") if x["synthetic"])
    c.docket("cand", report_fields(info, key="form-password-field"))
    c.post_json(sandbox.config["logout_url"], {"nextGenCSO": token})
    c.login("sandbox", "a-wrong-password")
    text = (sandbox.state_dir / "requests.jsonl").read_text()
    for secret in (account["password"], code, token, "a-wrong-password", "form-password-field"):
        assert secret not in text
    login = sandbox.request_log.records(endpoint="cso-auth")[0]
    assert login["params"] == {"loginId": "sandbox-2fa", "password": "***", "otpCode": "***", "clientCode": "matter-7"}
    assert login["account"] == "sandbox-2fa" and login["login_result"] == "0"
    assert sandbox.request_log.records(endpoint="cso-logout")[0]["params"] == {"nextGenCSO": "***"}


def test_reader_sums_cost_and_pages_like_the_receipts(sandbox):
    c = Client(sandbox.config)
    c.login()
    pages, cost = 0, 0.0
    for info in [x for x in sandbox.cases() if x["synthetic"] and x["kind"] == "district"][:6]:
        receipt = parse_receipt(c.docket(info["court"], report_fields(info)).body)
        pages += receipt["billable_pages"]
        cost += receipt["cost"]
    log = RequestLog(sandbox.state_dir)  # a directory is read as its requests.jsonl
    assert log.total_pages(endpoint="DktRpt") == pages
    assert log.total_cost(endpoint="DktRpt") == pytest.approx(cost)
    assert log.total_cost(endpoint="cso-auth") == 0.0
    first, last = log.sandbox_span(endpoint="DktRpt")
    assert first <= last and first.tzinfo is not None
    assert log.max_rate(window=60.0, endpoint="DktRpt") == pytest.approx(6 / 60.0)


def test_max_in_window_counts_the_densest_stretch():
    assert max_in_window([0.0, 0.1, 0.2, 5.0, 5.05], 1.0) == 3
    assert max_in_window([], 1.0) == 0


def test_log_lines_are_json(sandbox):
    Client(sandbox.config).get(sandbox.config["clock_url"])
    lines = (sandbox.state_dir / "requests.jsonl").read_text().splitlines()
    assert [json.loads(line)["endpoint"] for line in lines] == ["sandbox-admin"]
