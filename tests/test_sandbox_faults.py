"""Fault injection: each kind, per-court scopes, counts, probability, the admin endpoint."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
import time

import pytest
from sandbox_support import START, Client, multipart, report_fields

from harvester.sandbox import Sandbox
from harvester.sandbox.faults import FaultInjector


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(cases=16, start=START, state_dir=tmp_path_factory.mktemp("faults")) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    sandbox.clear_faults()
    c = Client(sandbox.config, timeout=10)
    c.login()
    yield c
    c.close()
    sandbox.clear_faults()


def case(sandbox, court="cand") -> dict:
    return next(c for c in sandbox.cases(court) if c["synthetic"])


def last_record(sandbox, **match) -> dict:
    return sandbox.request_log.records(**match)[-1]


def test_latency_delays_the_answer(sandbox, client):
    sandbox.add_fault("cand", "latency", seconds=0.4, count=1)
    began = time.monotonic()
    page = client.docket("cand", report_fields(case(sandbox)))
    assert time.monotonic() - began >= 0.4
    assert b"Transaction Receipt" in page.body
    assert last_record(sandbox, endpoint="DktRpt")["faults"] == ["latency"]


def test_5xx_burst_with_retry_after_then_recovery(sandbox, client):
    sandbox.add_fault("cand", "error", status=503, count=2, retry_after=7)
    first, second = (client.docket("cand", report_fields(case(sandbox))) for _ in range(2))
    assert (first.status, second.status) == (503, 503)
    assert first.headers["retry-after"] == "7"
    assert b"Transaction Receipt" in client.docket("cand", report_fields(case(sandbox))).body
    record = sandbox.request_log.records(endpoint="DktRpt")[-2]
    assert record["status"] == 503 and record["cost"] == 0.0


def test_error_without_retry_after_has_no_header(sandbox, client):
    sandbox.add_fault("cand", "error", status=500, count=1)
    reply = client.docket("cand", report_fields(case(sandbox)))
    assert reply.status == 500 and "retry-after" not in reply.headers


def test_connection_reset(sandbox, client):
    sandbox.add_fault("cand", "reset", count=2)
    with pytest.raises((ConnectionError, ssl.SSLError)):  # http.client: RemoteDisconnected
        client.docket("cand", report_fields(case(sandbox)))
    # Python's ssl reports a reset as an unexpected EOF; the socket shows the RST.
    raw = socket.create_connection((sandbox.host, sandbox.port))
    tls = client.context.wrap_socket(raw, server_hostname=sandbox.host)
    body, ctype = multipart(report_fields(case(sandbox)))
    tls.sendall(f"POST /ecf/cand/cgi-bin/DktRpt.pl HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    deadline, error = time.monotonic() + 5, 0
    while not error and time.monotonic() < deadline:  # reading SO_ERROR clears it: keep the first
        time.sleep(0.05)
        error = tls.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert error == errno.ECONNRESET
    tls.close()
    assert client.docket("cand", report_fields(case(sandbox))).status == 200  # next request is fine
    assert last_record(sandbox, endpoint="DktRpt", status=None)["faults"] == ["reset"]


def test_hang_times_the_client_out(sandbox, client):
    sandbox.add_fault("cand", "hang", seconds=5, count=1)
    client.timeout = 0.5
    client.close()
    with pytest.raises((socket.timeout, TimeoutError)):
        client.docket("cand", report_fields(case(sandbox)))
    record = last_record(sandbox, endpoint="DktRpt")
    assert record["faults"] == ["hang"] and record["status"] is None


def test_truncated_transfer(sandbox, client):
    sandbox.add_fault("cand", "truncate", style="connection", fraction=0.3, count=1)
    with pytest.raises(http.client.IncompleteRead):
        client.docket("cand", report_fields(case(sandbox)))
    record = last_record(sandbox, endpoint="DktRpt")
    assert record["faults"] == ["truncate"] and record["billable_pages"] >= 1


def test_truncated_content_has_no_receipt(sandbox, client):
    full = client.docket("cand", report_fields(case(sandbox)))
    sandbox.add_fault("cand", "truncate", style="content", fraction=0.5, count=1)
    cut = client.docket("cand", report_fields(case(sandbox)))
    assert cut.status == 200 and b"Transaction Receipt" not in cut.body
    assert len(cut.body) == len(full.body) // 2 or abs(len(cut.body) - len(full.body) // 2) < 64


def test_login_page_while_the_token_is_valid(sandbox, client):
    sandbox.add_fault("cand", "login_page", count=1)
    page = client.docket("cand", report_fields(case(sandbox)))
    assert b"CM/ECF Filer or PACER Login" in page.body
    assert b"Transaction Receipt" in client.docket("cand", report_fields(case(sandbox))).body  # same token works


def test_403_block_until_cleared(sandbox, client):
    sandbox.add_fault("cand", "block")
    for _ in range(3):
        assert client.docket("cand", report_fields(case(sandbox))).status == 403
    sandbox.clear_faults("cand")
    assert client.docket("cand", report_fields(case(sandbox))).status == 200


def test_garbage_body(sandbox, client):
    sandbox.add_fault("cand", "garbage", count=1)
    junk = client.docket("cand", report_fields(case(sandbox)))
    assert junk.status == 200 and len(junk.body) == 4096 and b"Transaction Receipt" not in junk.body
    assert b"Transaction Receipt" in client.docket("cand", report_fields(case(sandbox))).body


def test_scopes_are_per_court_star_and_login(sandbox, client):
    sandbox.add_fault("cand", "error", status=502)
    assert client.docket("nysd", report_fields(case(sandbox, "nysd"))).status == 200
    assert client.docket("cand", report_fields(case(sandbox))).status == 502
    sandbox.clear_faults()
    sandbox.add_fault("*", "error", status=504, endpoints=["rss_outside"])
    assert client.get(client.court_url("nysb", "cgi-bin/rss_outside.pl")).status == 504
    assert client.docket("nysd", report_fields(case(sandbox, "nysd"))).status == 200
    sandbox.add_fault("login", "error", status=503, count=1)
    assert client.post_json(sandbox.config["login_url"], {"loginId": "sandbox", "password": "x"}).status == 503
    sandbox.set_faults("lookup", [{"kind": "block", "count": 1}])
    assert client.get(sandbox.config["court_lookup_url"]).status == 403
    assert client.get(sandbox.config["court_lookup_url"]).status == 200


def test_probability_is_seeded_and_reproducible():
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed=seed)
        faults.add("cand", "error", probability=0.5)
        return [faults.plan("cand", "DktRpt").terminal is not None for _ in range(40)]

    assert pattern(1) == pattern(1)
    assert 5 < sum(pattern(1)) < 35
    assert pattern(1) != pattern(2)


def test_admin_endpoint_sets_lists_and_clears_faults(sandbox, client):
    reply = client.admin("faults", {"court": "cand", "faults": [{"kind": "error", "status": 503, "count": 1}]})
    assert reply.json()["faults"]["cand"][0]["kind"] == "error"
    assert client.docket("cand", report_fields(case(sandbox))).status == 503
    listed = client.admin("faults").json()["faults"]["cand"][0]
    assert listed["fired"] == 1
    bad = client.admin("faults", {"court": "cand", "faults": [{"kind": "explode"}]})
    assert bad.status == 400 and "unknown fault kind" in bad.json()["error"]
    client.admin("faults", {"clear": True})
    assert client.admin("faults").json()["faults"] == {}
