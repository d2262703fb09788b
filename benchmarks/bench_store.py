"""Store throughput and full-text search latency of the harvest database.

Stores a synthetic harvest of 2,000 cases / 200,000 docket entries (records in
the reference parse shape, one ``store_docket`` transaction per case, FTS
triggers on) into a fresh database file, prints entries stored per second, then
runs 20 FTS queries over case names and entry text and prints their median
latency (target: under 50 ms).

usage: bench_store.py [--cases N] [--entries-per-case M] [--keep PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harvester.store.connection import open_db  # noqa: E402
from harvester.store.dockets import store_docket  # noqa: E402

SURNAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
            "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin"]
COMPANIES = ["Acme Corp.", "Globex Inc.", "Initech LLC", "Umbrella Holdings", "Stark Industries", "Wayne Enterprises",
             "Hooli Inc.", "Vandelay Industries", "Soylent Corp.", "Tyrell Corporation"]
EVENTS = ["MOTION to Dismiss for Lack of Jurisdiction filed by {p}.", "ORDER granting {p}'s motion for extension of time.",
          "NOTICE of Appearance by attorney on behalf of {p}.", "ANSWER to Complaint with Jury Demand by {p}.",
          "MEMORANDUM in Opposition re motion for summary judgment filed by {p}.",
          "Minute Entry for proceedings held before Judge Alsup: Case Management Conference held.",
          "STIPULATION and proposed order regarding discovery schedule by {p}.",
          "TRANSCRIPT of Proceedings held on hearing re preliminary injunction.",
          "CERTIFICATE OF SERVICE by {p} re subpoena duces tecum.", "CLERK'S NOTICE rescheduling trial date."]  # fmt: skip
CASE_QUERIES = ["smith", "acme", "globex OR initech", "wayne", "johnson", "vandelay", "tyrell", "garcia", "hooli",
                "stark industries"]  # fmt: skip
ENTRY_QUERIES = ["dismiss jurisdiction", "summary judgment", "subpoena", "\"preliminary injunction\"",
                 "stipulation discovery", "transcript", "jury demand", "extension", "appearance attorney",
                 "rescheduling trial"]  # fmt: skip
CASE_SQL = ("SELECT c.court_id, c.docket_number, c.case_name FROM cases_fts JOIN cases c ON c.id = cases_fts.rowid"
            " WHERE cases_fts MATCH :q ORDER BY rank LIMIT 50")  # fmt: skip
ENTRY_SQL = ("SELECT e.case_id, e.date_filed, e.description FROM docket_entries_fts"
             " JOIN docket_entries e ON e.id = docket_entries_fts.rowid"
             " WHERE docket_entries_fts MATCH :q ORDER BY rank LIMIT 50")  # fmt: skip


def _party(rng: random.Random, n: int, name: str, kind: str) -> dict:
    lawyer = f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFG')}. Esq"
    firm = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)} LLP"
    return {
        "name": name, "type": kind, "extra_info": "", "date_terminated": None,
        "attorneys": [{"name": lawyer, "roles": ["LEAD ATTORNEY"], "contact": f"{firm}\n1 Main St\nEmail: x{n}@firm.com"}],
    }  # fmt: skip


def synthetic_docket(rng: random.Random, n: int, entries: int) -> dict:
    """One district docket in the reference shape, with ``entries`` numbered and minute entries."""
    plaintiff, defendant = rng.choice(SURNAMES), rng.choice(COMPANIES)
    filed = date(2015, 1, 1) + timedelta(days=rng.randrange(3000))
    rows, number, day = [], 0, filed
    for i in range(entries):
        day += timedelta(days=rng.randrange(3))
        minute = rng.random() < 0.15
        number += 0 if minute else 1
        rows.append({
            "date_filed": day.isoformat(), "date_entered": day.isoformat(),
            "document_number": None if minute else str(number),
            "pacer_doc_id": None if minute else f"0350{n:05d}{i:05d}",
            "pacer_seq_no": None if minute else str(i * 3 + 1),
            "description": rng.choice(EVENTS).format(p=rng.choice([plaintiff, defendant])) + f" (Entered: {day:%m/%d/%Y})",
        })  # fmt: skip
    return {
        "case_name": f"{plaintiff} v. {defendant}", "docket_number": f"3:{filed.year % 100}-cv-{n:05d}",
        "date_filed": filed.isoformat(), "assigned_to_str": "William Alsup", "nature_of_suit": "Contract: Other",
        "cause": "28:1332 Diversity-Breach of Contract", "jurisdiction": "Diversity", "jury_demand": "Plaintiff",
        "demand": "", "referred_to_str": "", "mdl_status": "", "date_terminated": None,
        "parties": [_party(rng, n, plaintiff, "Plaintiff"), _party(rng, n, defendant, "Defendant")],
        "docket_entries": rows,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--entries-per-case", type=int, default=100)
    ap.add_argument("--keep", help="write the database here instead of a temporary directory")
    args = ap.parse_args()
    rng = random.Random(20260101)
    dockets = [synthetic_docket(rng, n, args.entries_per_case) for n in range(args.cases)]
    total = sum(len(d["docket_entries"]) for d in dockets)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        db = open_db(path)
        start = time.perf_counter()
        for n, docket in enumerate(dockets):
            store_docket(db, "cand", str(100000 + n), docket)
        elapsed = time.perf_counter() - start
        print(f"stored {args.cases} cases / {total} entries in {elapsed:.1f} s: {total / elapsed:,.0f} entries/s "
              f"({args.cases / elapsed:,.0f} dockets/s, one transaction each)")  # fmt: skip

        start = time.perf_counter()
        for n, docket in enumerate(dockets[:200]):
            store_docket(db, "cand", str(100000 + n), docket)
        again = time.perf_counter() - start
        print(f"re-storing 200 unchanged dockets: {200 / again:,.0f} dockets/s (nothing added)")

        latencies = []
        for sql, query in [(CASE_SQL, q) for q in CASE_QUERIES] + [(ENTRY_SQL, q) for q in ENTRY_QUERIES]:
            t0 = time.perf_counter()
            rows = db.execute(sql, {"q": query}).fetchall()
            latencies.append((time.perf_counter() - t0) * 1000)
            assert rows, f"no hit for {query!r}"
        print(f"20 FTS queries (10 case names, 10 entry texts, top 50 by rank): median {statistics.median(latencies):.1f} ms, "
              f"max {max(latencies):.1f} ms (target < 50 ms)")  # fmt: skip
        size = path.stat().st_size / 1e6
        print(f"database size {size:.0f} MB")
        db.close()


if __name__ == "__main__":
    main()
