"""Documents end to end: `harvester run` (real Scrapy over TLS) against the sandbox buys what the
[documents] rule selects, at the priced cost, never twice, and keeps free opinions.

The sandbox is the ground truth: it knows each document's pages, whether it is a
transcript, sealed, restricted or an opinion, and its request log says what it billed.
"""

from __future__ import annotations

import hashlib
import signal
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from harvest_support import HarvestDir, LogTail, start_sandbox, wait_for

from harvester.documents import DocumentRule
from harvester.gate.window import to_central
from harvester.parsers.casename import case_name
from harvester.sandbox.documents import DocumentService, SandboxDocument

COURTS = ("cand", "nysb")
RULE = {"document_types": ["TRANSCRIPT", "ORDER"], "description_patterns": ["^Exhibit B$"], "run_dollars": 1000.0,
        "opinion_days": 5000}  # fmt: skip


def documents_section(root: Path, **overrides) -> dict:
    return {"documents": {**RULE, "folder": str(root / "data" / "documents"), **overrides}}


def service(sandbox) -> DocumentService:
    by_court: dict[str, list] = {}
    for case in sandbox.synthetic.cases:
        by_court.setdefault(case.court.court_id, []).append(case)
    return DocumentService(by_court)


def sandbox_documents(sandbox, watched: set[tuple[str, str]]) -> list[SandboxDocument]:
    """Every document of the watched cases' dockets, as the sandbox serves them."""
    now = sandbox.clock.timestamp()
    out = []
    for case in sandbox.synthetic.cases:
        if (case.court.court_id, case.pacer_case_id) not in watched:
            continue
        for entry in case.timeline(now):
            if entry.number is None:
                continue
            count = (entry.h >> 56) % 4 if case.kind == "district" else 0
            out += [SandboxDocument(case, entry, i, count) for i in range(count + 1)]
    return out


def selected_by_rule(docs: list[SandboxDocument]) -> dict[str, SandboxDocument]:
    """What the rule must buy, from the sandbox's own texts: selected, and neither sealed nor restricted."""
    rule = DocumentRule.from_config(RULE)
    mains = {(d.case.court.court_id, d.case.pacer_case_id, d.entry.k): d for d in docs if d.attachment == 0}
    expected = {}
    for doc in docs:
        main = mains[(doc.case.court.court_id, doc.case.pacer_case_id, doc.entry.k)]
        entry_selected = rule.selects_entry(doc.case.entry_text(doc.entry)[1])
        wanted = entry_selected if doc.attachment == 0 else rule.selects_attachment(entry_selected, doc.description)
        # A sealed or restricted main document hides its attachment page, so its attachments stay unknown.
        hidden = doc.attachment and (main.sealed or main.restricted)
        if wanted and not doc.sealed and not doc.restricted and not hidden and not doc.opinion:
            expected[_plain_id(doc.doc_id)] = doc
    return expected


def _plain_id(doc_id: str) -> str:
    return doc_id[:3] + "0" + doc_id[4:]


@contextmanager
def small_sandbox(tmp_path: Path) -> Iterator:
    sandbox = start_sandbox(tmp_path / "sandbox", courts=COURTS, cases=8, clock_speed=0)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(sql, params).fetchall()]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("documents")
    sandbox = start_sandbox(root / "sandbox", courts=COURTS, cases=16, clock_speed=0)
    today = to_central(sandbox.clock.now()).date()
    since = today - timedelta(days=RULE["opinion_days"])
    opinions = service(sandbox).opinions("cand", since, today, sandbox.clock.timestamp())
    unwatched = next(d.case.pacer_case_id for d in opinions if not d.sealed)
    cases = [c for c in sandbox.cases() if (c["court"], c["pacer_case_id"]) != ("cand", unwatched)]
    work = HarvestDir.create(root / "run", sandbox, cases=cases, sections=documents_section(root / "run"))
    tail = LogTail(sandbox)
    result = work.run()
    assert result.returncode == 0, result.stderr[-3000:]
    first_log = list(tail.poll())
    yield {"sandbox": sandbox, "work": work, "log": first_log, "unwatched": unwatched, "opinions": opinions,
           "watched": {(c["court"], c["pacer_case_id"]) for c in cases}}  # fmt: skip
    sandbox.stop()


def test_buys_exactly_what_the_rule_selects_at_the_priced_cost(world):
    expected = selected_by_rule(sandbox_documents(world["sandbox"], world["watched"]))
    with world["work"].connect() as conn:
        bought = {r["pacer_doc_id"]: r for r in rows(conn, "SELECT * FROM documents WHERE source = 'bought'")}
    assert set(bought) == set(expected)
    billed = {r["pacer_doc_id"]: r for r in world["log"] if r["endpoint"] == "doc1-pdf"}
    for doc_id, doc in expected.items():
        row = bought[doc_id]
        assert row["state"] == "bought"
        assert round(row["cost"] * 100) == doc.cents == round(billed[doc_id]["cost"] * 100), doc_id
        assert row["price"] == row["cost"]
        assert row["page_count"] == doc.page_count


def test_capped_and_uncapped_transcript_prices(world):
    with world["work"].connect() as conn:
        bought = rows(conn, "SELECT * FROM documents WHERE source = 'bought' AND page_count > 30")
    capped = [r for r in bought if not r["transcript"]]
    transcripts = [r for r in bought if r["transcript"]]
    assert capped and transcripts
    assert all(r["cost"] == 3.0 and r["billable_pages"] == 30 for r in capped)
    assert all(round(r["cost"] * 100) == r["page_count"] * 10 > 300 for r in transcripts)


def test_receipts_sum_to_the_ledger(world):
    with world["work"].connect() as conn:
        ledger = conn.execute("SELECT round(sum(cost), 2) FROM requests").fetchone()[0]
        documents = conn.execute("SELECT round(sum(cost), 2) FROM documents WHERE state = 'bought'").fetchone()[0]
        pdf_requests = conn.execute("SELECT round(sum(cost), 2) FROM requests WHERE method = 'POST' AND url LIKE '%/doc1/%'").fetchone()[0]
        run_cost = conn.execute("SELECT cost FROM runs").fetchone()[0]
    sandbox_billed = round(sum(r.get("cost") or 0 for r in world["log"]), 2)
    sandbox_documents = round(sum(r.get("cost") or 0 for r in world["log"] if r["endpoint"] == "doc1-pdf"), 2)
    assert ledger == run_cost == sandbox_billed
    assert documents == pdf_requests == sandbox_documents > 0
    # Looking at a confirmation page or an attachment page is free, and booked as free.
    assert all(not r.get("cost") for r in world["log"] if r["endpoint"] in ("doc1", "WrtOpRpt"))


def test_stored_files_are_the_pdfs_content_addressed(world):
    folder = Path(world["work"].sections["documents"]["folder"])
    with world["work"].connect() as conn:
        stored = rows(conn, "SELECT * FROM documents WHERE state = 'bought'")
    assert stored
    for row in stored:
        body = (folder / row["local_path"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == row["sha256"] and row["local_path"].endswith(row["sha256"] + ".pdf")
        assert body.startswith(b"%PDF-") and row["size_bytes"] == len(body)
    assert not list(folder.glob("*/.*.part"))


def test_sealed_and_restricted_are_recognised_without_paying(world):
    with world["work"].connect() as conn:
        refused = rows(conn, "SELECT * FROM documents WHERE state IN ('sealed', 'restricted')")
    assert {r["state"] for r in refused} == {"sealed", "restricted"}
    assert all(r["sealed"] == (r["state"] == "sealed") for r in refused)
    billed = {r["pacer_doc_id"] for r in world["log"] if r["endpoint"] == "doc1-pdf"}
    assert not billed & {r["pacer_doc_id"] for r in refused}


def test_free_opinions_arrive_without_cost_and_create_their_cases(world):
    with world["work"].connect() as conn:
        opinions = rows(conn, "SELECT d.*, c.docket_number, c.case_name FROM documents d"
                              " LEFT JOIN cases c ON c.id = d.case_id WHERE d.source = 'free_opinion'")  # fmt: skip
        reports = rows(conn, "SELECT * FROM opinion_reports WHERE court_id = 'cand'")
    listed = {_plain_id(d.doc_id): d for d in world["opinions"] if not d.sealed}
    assert {r["pacer_doc_id"] for r in opinions} == set(listed)
    assert all(r["state"] == "bought" and r["cost"] == 0 and r["case_id"] for r in opinions)
    assert all(r.get("cost") == 0 for r in world["log"] if r["endpoint"] == "doc1-pdf" and r.get("opinion"))
    new_case = next(r for r in opinions if r["pacer_case_id"] == world["unwatched"] and r["court_id"] == "cand")
    truth = listed[new_case["pacer_doc_id"]].case
    # As the report says it, in the parser's normal form (number without judge initials, names expanded).
    assert (new_case["docket_number"], new_case["case_name"]) == (truth.case_number, case_name(truth.case_name))
    # The report's own total counts sealed opinions it does not list: recorded as a mismatch.
    sealed = sum(d.sealed for d in world["opinions"])
    assert reports[0]["reported_total"] == len(world["opinions"]) and reports[0]["rows_parsed"] == len(listed)
    assert reports[0]["mismatch"] == int(sealed > 0)


def test_nothing_is_bought_twice_by_the_next_run(world):
    tail = LogTail(world["sandbox"])
    result = world["work"].run()
    assert result.returncode == 0, result.stderr[-3000:]
    again = tail.poll()
    assert not [r for r in again if r["endpoint"] == "doc1-pdf"]
    with world["work"].connect() as conn:
        bought = {r["pacer_doc_id"] for r in rows(conn, "SELECT pacer_doc_id FROM documents WHERE state = 'bought'")}
    asked = {r["pacer_doc_id"] for r in again if r["endpoint"] == "doc1"}
    assert not asked & bought


def test_a_budget_cap_stops_buying_mid_run_and_the_next_run_buys_the_rest(tmp_path):
    with small_sandbox(tmp_path) as sandbox:
        free = HarvestDir.create(tmp_path / "dockets", sandbox, sections=documents_section(tmp_path / "dockets", run_dollars=0.0))
        dockets_only = free.run()
        assert dockets_only.returncode == 0, dockets_only.stderr[-3000:]
        with free.connect() as conn:
            docket_cost = conn.execute("SELECT sum(cost) FROM requests").fetchone()[0]
            assert not conn.execute("SELECT count(*) FROM documents WHERE source = 'bought'").fetchone()[0]
        cap = round(docket_cost + 4.0, 2)
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={**documents_section(tmp_path / "run"),
                                                                      "budget": {"run_dollars": cap}})  # fmt: skip
        tail = LogTail(sandbox)
        first = work.run()
        with work.connect() as conn:
            spent = conn.execute("SELECT sum(cost) FROM requests").fetchone()[0]
            states = Counter(r["state"] for r in rows(conn, "SELECT state FROM documents WHERE source IS NOT 'free_opinion'"))
            outcome = conn.execute("SELECT outcome FROM runs").fetchone()[0]
        assert outcome == "budget_exhausted", first.stderr[-2000:]
        assert spent <= cap and states["bought"] and states["known"] and not states["planned"] and not states["uncertain"]
        second = HarvestDir.create(tmp_path / "run", sandbox, sections={**documents_section(tmp_path / "run")}).run()
        assert second.returncode == 0, second.stderr[-3000:]
        posted = Counter(r["pacer_doc_id"] for r in tail.poll() if r["endpoint"] == "doc1-pdf")
        assert posted and max(posted.values()) == 1
        with work.connect() as conn:
            bought = {r["pacer_doc_id"] for r in rows(conn, "SELECT pacer_doc_id FROM documents WHERE source = 'bought'")}
            planned = conn.execute("SELECT count(*) FROM documents WHERE state IN ('planned', 'uncertain')").fetchone()[0]
        expected = selected_by_rule(sandbox_documents(sandbox, {(c["court"], c["pacer_case_id"]) for c in sandbox.cases()}))
        assert bought == set(expected) and not planned


def test_kill_minus_nine_while_buying_then_rerun_buys_nothing_twice(tmp_path):
    with small_sandbox(tmp_path) as sandbox:
        slow = {"rate": {"per_court_per_second": 6.0, "global_per_second": 12.0, "per_court_concurrency": 2}}
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={**documents_section(tmp_path / "run"), **slow})
        tail = LogTail(sandbox)
        proc = work.spawn()
        try:
            assert wait_for(lambda: tail.count("doc1-pdf") >= 5, timeout=120), "no document was bought"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        killed_billed = {r["pacer_doc_id"] for r in tail.poll() if r["endpoint"] == "doc1-pdf"}
        folder = Path(work.sections["documents"]["folder"])
        with work.connect() as conn:
            after_kill = rows(conn, "SELECT * FROM documents")
            booked = rows(conn, "SELECT url, cost FROM requests WHERE method = 'POST' AND url LIKE '%/doc1/%'")
        # No booked cost without its file, no file half-written.
        bought = [r for r in after_kill if r["state"] == "bought"]
        assert len(booked) == len(bought)
        assert all(hashlib.sha256((folder / r["local_path"]).read_bytes()).hexdigest() == r["sha256"] for r in bought)
        rerun = work.run()
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        posted = Counter(r["pacer_doc_id"] for r in tail.poll() if r["endpoint"] == "doc1-pdf")
        assert max(posted.values()) == 1, [d for d, n in posted.items() if n > 1]
        assert set(posted) - killed_billed, "the kill came after the last purchase: nothing was left to resume"
        with work.connect() as conn:
            final = {r["pacer_doc_id"]: r for r in rows(conn, "SELECT * FROM documents")}
            uncertain = {d for d, r in final.items() if r["state"] == "uncertain"}
        assert not [d for d, r in final.items() if r["state"] == "planned"]
        # What the killed run may have paid for without keeping it is never asked for again.
        assert uncertain <= killed_billed | {r["pacer_doc_id"] for r in after_kill if r["state"] == "planned"}
        assert not uncertain & set(posted) - killed_billed


def test_max_pages_per_case_and_the_documents_run_cap_limit_what_is_bought(tmp_path):
    with small_sandbox(tmp_path) as sandbox:
        limits = {"max_pages": 10, "per_case": 2, "run_dollars": 3.0}
        work = HarvestDir.create(tmp_path / "run", sandbox, sections=documents_section(tmp_path / "run", **limits))
        result = work.run()
        assert result.returncode == 0, result.stderr[-3000:]
        with work.connect() as conn:
            bought = rows(conn, "SELECT * FROM documents WHERE source = 'bought'")
            too_long = {r["pacer_doc_id"] for r in rows(conn, "SELECT pacer_doc_id FROM documents"
                                                             " WHERE state = 'known' AND page_count > 10")}  # fmt: skip
        assert bought and all(r["page_count"] <= 10 for r in bought)
        assert max(Counter((r["court_id"], r["pacer_case_id"]) for r in bought).values()) <= 2
        assert 0 < sum(round(r["cost"] * 100) for r in bought) <= 300  # in cents: 30 x $0.10 sums to 3.0000000000000004
        expected = selected_by_rule(sandbox_documents(sandbox, {(c["court"], c["pacer_case_id"]) for c in sandbox.cases()}))
        too_long &= set(expected)  # selected, but longer than max_pages
        # Those the run asked about before its documents' cap was spent (the order varies).
        assert too_long and too_long <= {d for d, doc in expected.items() if doc.page_count > 10}
        # A document known to be too long is not asked for again.
        tail = LogTail(sandbox)
        assert work.run().returncode == 0
        assert not too_long & {r["pacer_doc_id"] for r in tail.poll() if r["endpoint"] == "doc1"}
