"""Month mode of the sandbox: a seeded month of court activity and its ground truth.

Determinism per seed, the month's contents (new cases, entries, clerk edits, feed
kinds, events), served reports equal to the truth after the project's parser, report
filters and PACER billing, the ideal client's pages, the agreement score, and a
short run of the real nightly harvest scored by it. No assertion depends on what one
seed's month happens to contain: cases with a property are looked up, and the small
months used here are dense enough (edit and new-case rates raised) to have them.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sandbox_support import Client, receipt_size, report_fields

from harvester.parsers import parse_page
from harvester.parsers.receipt import billable_pages, parse_receipt
from harvester.sandbox import MonthScenario, Sandbox
from harvester.sandbox.agreement import compare
from harvester.sandbox.clock import CHICAGO
from harvester.sandbox.courts import court_id_of
from harvester.sandbox.month import FEED_KINDS, OFFICE_CLOSE, OFFICE_OPEN, entry_category, feed_carries, shown_entry

REPO = Path(__file__).resolve().parents[1]
SMALL_COURTS = ("cand", "nysd", "nysb", "txsb", "ca9", "ca7")
SMALL = dict(nights=6, cases=36, courts=SMALL_COURTS, edit_probability=0.4, new_case_fraction=0.25, hang_seconds=1.0)
SEEDS = (4, 9)


def small(seed: int, **extra) -> MonthScenario:
    return MonthScenario(seed, **{**SMALL, **extra})


def as_database(record: dict) -> dict:
    """A parsed docket in the shape :func:`agreement.load_database` gives."""
    meta = {k: v for k, v in record.items() if not isinstance(v, (list, dict))}
    return {"metadata": meta, "parties": record.get("parties") or [], "entries": record.get("docket_entries") or []}


def case_by_key(scenario: MonthScenario, key: str):
    return next(c for c in scenario.cases if "/".join(scenario.case_key(c)) == key)


def fetch_docket(client: Client, case, **form) -> bytes:
    """A docket report of a month case through the sandbox, district/bankruptcy or appellate."""
    if case.kind == "appellate":
        params = "servlet=CaseSummary.jsp&caseNum=" + case.case_number + "&incDktEntries=Y"
        params += "&incPtyAty=Y" if form.get("list_of_parties_and_counsel", "on") == "on" else ""
        url = client.court_url(case.court.court_id, f"{case.court.servlet_path}?{params}")
        return client.get(url).body
    fields = report_fields({"pacer_case_id": case.pacer_case_id, "case_number": case.case_number}, **form)
    return client.docket(case.court.court_id, fields).body


# --------------------------------------------------------------------------- the plan
@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_month(seed):
    a, b = small(seed), small(seed)
    assert a.describe() == b.describe()
    at = a.night_start(a.settings.nights - 1)
    assert a.truth_at(at) == b.truth_at(at)
    assert a.ideal_pages() == b.ideal_pages()
    other = small(seed + 1)
    assert other.truth_at(at) != a.truth_at(at)


def test_default_month_has_the_size_and_variety_asked_for():
    scenario = MonthScenario(SEEDS[0])
    plan = scenario.describe()
    assert scenario.settings.nights >= 30 and len(scenario.cases) >= 500 and len(scenario.courts) >= 20
    assert set(plan["cases_by_kind"]) == {"district", "bankruptcy", "appellate"}
    assert {f["kind"] for f in plan["feeds"].values()} == set(FEED_KINDS)
    flaky = [c for c, f in plan["feeds"].items() if f["flaky_nights"]]
    assert flaky and all(plan["feeds"][c]["kind"] == "all" for c in flaky)
    assert plan["new_cases"] > 0
    end = scenario.truth_at(scenario.night_start(scenario.settings.nights - 1))
    edits = Counter(e["edit"] for case in end.values() for e in case["entries"] if e["edit"])
    assert set(edits) == {"text", "struck", "sealed"}
    start = scenario.truth_at(scenario.night_start(0))
    # Busy cases: several new entries on one day, sharing their date.
    shared = 0
    for key, case in end.items():
        before = {(e["document_number"], e["date_entered"]) for e in start.get(key, {"entries": []})["entries"]}
        new_dates = Counter(
            e["date_entered"] for e in case["entries"] if (e["document_number"], e["date_entered"]) not in before
        )
        shared += any(n >= 2 for n in new_dates.values())
    assert shared >= 5
    events = plan["events"]
    nights = scenario.settings.nights
    assert 0 <= events["token_expiry"]["night"] < nights and 0 <= events["court_5xx"]["night"] < nights
    assert events["court_5xx"]["court"] in scenario.courts


@pytest.mark.parametrize("seed", SEEDS)
def test_court_activity_happens_by_day_so_a_night_sees_one_docket(seed):
    scenario = small(seed)
    for case in scenario.cases:
        moments = list(case.activity) + [ts for edits in case.edits.values() for ts, _ in edits]
        moments += [case.filed_ts] if case.born else []
        for ts in moments:
            local = datetime.fromtimestamp(ts, CHICAGO)
            seconds = local.hour * 3600 + local.minute * 60 + local.second
            assert local.weekday() < 5 and OFFICE_OPEN <= seconds <= OFFICE_CLOSE, (case.pacer_case_id, local)
    night = scenario.settings.nights - 2
    start = scenario.night_start(night)
    assert scenario.truth_at(start) == scenario.truth_at(start + timedelta(hours=10))


@pytest.mark.parametrize("seed", SEEDS)
def test_edits_change_what_the_truth_shows_from_their_time_on(seed):
    scenario = small(seed)
    case = next(c for c in scenario.cases if c.edits)
    k, [(when, kind), *_] = next(iter(sorted(case.edits.items())))
    index = next(i for i, e in enumerate(case.timeline(when)) if e.k == k)
    before = scenario.case_truth(case, when - 1)["entries"][index]
    after = scenario.case_truth(case, when)["entries"][index]
    assert before["edit"] is None and after["edit"] == kind
    assert before["description"] != after["description"]
    assert (before["document_number"], before["date_entered"]) == (after["document_number"], after["date_entered"])


def test_a_reassignment_changes_the_header_not_the_judge_named_in_earlier_entries():
    # (a month big enough to hold reassignments in cases whose entries name their judge)
    scenario = MonthScenario(SEEDS[0], nights=10, cases=240, courts=SMALL_COURTS, hang_seconds=1.0)
    cases = [c for c in scenario.cases if c.reassigned and c.kind == "district"]
    assert cases, "no reassignment in the month"
    named = 0
    for case in cases:
        when, new_judge = case.reassigned
        after = when + 3600
        view = case.at(after)
        assert view.judge == new_judge and case.at(when - 1).judge == case.first_judge != new_judge
        served = [shown_entry(view, e) for e in case.timeline(after)]
        assert served == scenario.case_truth(case, after)["entries"]
        earlier = [e for e in case.timeline(when - 1)]
        assert [shown_entry(view, e) for e in earlier] == [shown_entry(case.at(when - 1), e) for e in earlier]
        named += sum(case.first_judge in s["description"] for s in served[: len(earlier)])
        assert not any(new_judge in s["description"] for s in served[: len(earlier)])
    assert named, "no earlier entry names the first judge"


@pytest.mark.parametrize("seed", SEEDS)
def test_an_amended_complaint_lists_its_new_defendant_from_its_entry_on(seed):
    scenario = small(seed, party_added_probability=1.0)
    cases = [c for c in scenario.cases if c.added_parties]
    assert cases and all(c.kind == "district" and c.case_type != "cr" for c in cases)
    for case in cases:
        [(when, party)] = case.added_parties
        before, after = ([p["name"] for p in scenario.case_truth(case, ts)["parties"]] for ts in (when - 1, when))
        assert party.name not in before and after == [*before, party.name]
        [entry] = [e for e in scenario.case_truth(case, when)["entries"] if "AMENDED COMPLAINT" in e["description"]]
        assert party.name in entry["description"]
    # The rest of the month is the one without amended complaints.
    plain = small(seed, party_added_probability=0.0)
    assert [c.activity for c in plain.cases] == [c.activity for c in scenario.cases]
    assert plain.events == scenario.events and plain.feeds == scenario.feeds


@pytest.mark.parametrize("seed", SEEDS)
def test_feed_state_follows_the_feed_kind_night_by_night(seed):
    scenario = small(seed, nights=10)
    outage = scenario.events["court_5xx"]
    for court, feed in scenario.feeds.items():
        states = [scenario.feed_state(court, n) for n in range(10)]
        if feed["kind"] == "none":
            assert set(states) == {"none"}
        elif feed["kind"] == "failing":
            assert set(states) == {feed["failure"]}
        else:
            for night, state in enumerate(states):
                failing = night in feed["flaky_nights"] or (court == outage["court"] and night == outage["night"])
                assert (state != "ok") == failing, (court, night, state)


def test_late_start_night_closes_its_window_mid_harvest():
    for seed in SEEDS:
        scenario = small(seed)
        late = scenario.events["late_start"]
        start = scenario.night_start(late["night"])
        close = start.replace(hour=6, minute=0, second=0, microsecond=0)
        assert close > start and (close - start).total_seconds() == late["seconds_before_close"]
        assert scenario.night_of(start.timestamp()) == late["night"]
        assert scenario.night_of(scenario.night_start(late["night"] + 1).timestamp()) == late["night"] + 1


# --------------------------------------------------------------------------- served = truth
@pytest.fixture(scope="module")
def month(tmp_path_factory):
    scenario = small(SEEDS[0])
    with Sandbox(month=scenario, state_dir=tmp_path_factory.mktemp("month")) as sandbox:
        sandbox.to_night(3)
        client = Client(sandbox.config)
        client.login()
        yield scenario, sandbox, client
        client.close()


def _steady_cases(scenario: MonthScenario, sandbox: Sandbox):
    """Visible cases of courts that answer normally tonight."""
    night = scenario.night_of(sandbox.clock.timestamp())
    outage = scenario.events["court_5xx"]
    now = sandbox.clock.timestamp()
    return [
        c
        for c in scenario.cases
        if c.filed_ts <= now and not (c.court.court_id == outage["court"] and night == outage["night"])
    ]


def test_every_served_docket_equals_the_truth_after_parsing(month):
    scenario, sandbox, client = month
    truth = scenario.truth_at(sandbox.clock.timestamp())
    cases = _steady_cases(scenario, sandbox)
    parsed = {}
    for case in cases:
        key = "/".join(scenario.case_key(case))
        parsed[key] = as_database(parse_page(fetch_docket(client, case), case.court.court_id))
    result = compare(parsed, truth, list(parsed))
    assert result.cases == len(cases) and result.stale == [], result.stale[:5]
    assert (result.metadata_pct, result.parties_pct, result.entries_pct) == (100.0, 100.0, 100.0)
    assert any(e["edit"] for key in parsed for e in truth[key]["entries"]), "no edit visible tonight"


@pytest.mark.parametrize("seed", SEEDS)
def test_sealed_entries_lose_their_document_link(tmp_path, seed):
    scenario = small(seed, edit_probability=1.0)  # every new entry is edited: some are sealed
    last = scenario.settings.nights - 1
    with Sandbox(month=scenario, state_dir=tmp_path / "sb") as sandbox:
        sandbox.to_night(last)
        client = Client(sandbox.config)
        client.login()
        now = sandbox.clock.timestamp()
        pairs = [(c, e) for c in _steady_cases(scenario, sandbox) for e in c.timeline(now)
                 if getattr(e, "edit", None) and e.edit[1] == "sealed" and e.number is not None]  # fmt: skip
        assert pairs
        for case, entry in pairs[:3]:
            record = parse_page(fetch_docket(client, case), case.court.court_id)
            row = next(r for r in record["docket_entries"] if r["document_number"] == str(entry.number))
            assert row["pacer_doc_id"] in (None, "") and row["description"].startswith("SEALED DOCUMENT")
        client.close()


def test_report_filters_and_billing(month):
    scenario, sandbox, client = month
    now = sandbox.clock.timestamp()
    cases = [c for c in _steady_cases(scenario, sandbox) if c.kind != "appellate" and len(c.timeline(now)) >= 6]
    assert cases
    for case in cases[:6]:
        truth = scenario.case_truth(case, now)
        entries = truth["entries"]
        middle = entries[len(entries) // 2]
        since = datetime.fromisoformat(middle["date_entered"]).strftime("%m/%d/%Y")
        body = fetch_docket(client, case, date_range_type="Entered", date_from=since, list_of_parties_and_counsel="")
        record = parse_page(body, case.court.court_id)
        assert not record.get("parties"), "parties were not asked for"
        want = [e for e in entries if e["date_entered"] >= middle["date_entered"]]
        assert [(e["document_number"], e["description"]) for e in record["docket_entries"]] == [
            (e["document_number"], e["description"]) for e in want
        ]
        numbered = [e for e in entries if e["document_number"]]
        first = numbered[len(numbered) // 2]["document_number"]
        body = fetch_docket(client, case, date_from="", documents_numbered_from_=first)
        got = [e["document_number"] for e in parse_page(body, case.court.court_id)["docket_entries"]]
        assert got == [e["document_number"] for e in numbered if int(e["document_number"]) >= int(first)]
        receipt = parse_receipt(body)
        assert receipt["billable_pages"] == billable_pages(len(body) - receipt_size(body))
        assert 1 <= receipt["billable_pages"] <= 30
    logged = [r for r in sandbox.request_log.records(endpoint="DktRpt") if r["billable_pages"]]
    assert logged and all(r["cost"] == round(r["billable_pages"] * 0.10, 2) for r in logged)


def test_cases_filed_later_in_the_month_are_not_found_yet(month):
    scenario, sandbox, client = month
    now = sandbox.clock.timestamp()
    later = [c for c in scenario.cases if c.born and c.filed_ts > now and c.kind != "appellate"]
    earlier = [c for c in scenario.cases if c.born and c.filed_ts <= now]
    assert later and earlier
    body = fetch_docket(client, later[0])
    assert b"Case not found." in body
    listed = {(c["court"], c["pacer_case_id"]) for c in sandbox.cases()}
    assert (later[0].court.court_id, later[0].pacer_case_id) not in listed
    assert all((c.court.court_id, c.pacer_case_id) in listed for c in earlier)


def test_feeds_of_each_kind(month):
    scenario, sandbox, client = month
    lookup = client.get(sandbox.config["court_lookup_url"]).json()["data"]
    with_feed = {court_id_of(r) for r in lookup if r.get("rss_url")}
    now = sandbox.clock.timestamp()
    night = scenario.night_of(now)
    for court_id, feed in scenario.feeds.items():
        court = scenario.courts[court_id]
        assert (court_id in with_feed) == (feed["kind"] != "none")
        path = f"{court.servlet_path}?servlet=RSSGenerator" if court.kind == "appellate" else "cgi-bin/rss_outside.pl"
        state = scenario.feed_state(court_id, night)
        try:
            reply = Client(sandbox.config, timeout=10).get(client.court_url(court_id, path))
        except (http.client.HTTPException, ConnectionError, TimeoutError):
            assert state == "timeout", court_id
            continue
        if state == "none":
            assert reply.status == 404
        elif state == "5xx":
            assert 500 <= reply.status <= 599
        elif state == "unparseable":
            assert reply.status == 200 and b"<rss" not in reply.body
        else:
            assert state == "ok" and reply.status == 200, (court_id, state, reply.status)
            assert f"Docket entries of type: {feed['types']}".encode() in reply.body
            items = reply.body.count(b"<item>")
            expected = [
                e for c in scenario.by_court(court_id) if c.filed_ts <= now for e in c.timeline(now)
                if e.ts > now - 86400 and feed_carries(feed["types"], entry_category(c.kind, c.case_type, c.entry_text(e)[0]))
            ]  # fmt: skip
            assert items == len(expected)


def test_truth_endpoint_and_dump_command_match_the_api(month):
    scenario, sandbox, client = month
    key = "/".join(scenario.case_key(scenario.cases[0]))
    served = client.admin(f"truth?cases={key}").json()
    assert served["cases"] == {key: scenario.truth_at(sandbox.clock.timestamp())[key]}
    assert client.admin("month").json()["events"] == json.loads(json.dumps(scenario.events))
    night = 2
    args = ["--seed", str(SEEDS[0]), "--nights", str(SMALL["nights"]), "--cases", str(SMALL["cases"]),
            "--courts", ",".join(SMALL_COURTS), "--night", str(night), "--keys", key]  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "harvester.sandbox.monthdump", *args], capture_output=True, text=True,
                         cwd=REPO, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    # The CLI builds its month with the default edit and new-case rates: compare with the same month.
    same = MonthScenario(SEEDS[0], nights=SMALL["nights"], cases=SMALL["cases"], courts=SMALL_COURTS)
    assert json.loads(out.stdout)["cases"] == json.loads(json.dumps({key: same.truth_at(same.night_start(night))[key]}))
    bad = subprocess.run([sys.executable, "-m", "harvester.sandbox.monthdump", "--at", "not-a-time"], capture_output=True,
                         text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "ISO 8601" in bad.stderr


def test_ideal_client_pays_a_full_docket_then_only_changes(month):
    scenario, sandbox, client = month
    night = scenario.night_of(sandbox.clock.timestamp())
    case = next(c for c in _steady_cases(scenario, sandbox) if c.kind != "appellate")
    key = "/".join(scenario.case_key(case))
    ideal = scenario.ideal_pages({key: night})
    body = fetch_docket(client, case)
    assert ideal["per_night"][night] == parse_receipt(body)["billable_pages"]
    assert sum(ideal["per_night"][:night]) == 0
    for later in range(night + 1, scenario.settings.nights):
        before = scenario.case_truth(case, scenario.night_start(later - 1).timestamp())["entries"]
        after = scenario.case_truth(case, scenario.night_start(later).timestamp())["entries"]
        assert (ideal["per_night"][later] > 0) == (before != after), later


# --------------------------------------------------------------------------- events
def _fresh(tmp_path, seed: int) -> tuple[MonthScenario, Sandbox]:
    scenario = small(seed)
    return scenario, Sandbox(month=scenario, state_dir=tmp_path / f"sb{seed}")


@pytest.mark.parametrize("seed", SEEDS)
def test_tokens_expire_mid_night(tmp_path, seed):
    scenario, sandbox = _fresh(tmp_path, seed)
    expiry = scenario.events["token_expiry"]
    with sandbox:
        sandbox.to_night(expiry["night"])
        client = Client(sandbox.config)
        client.login()
        outage = scenario.events["court_5xx"]
        now = sandbox.clock.timestamp()
        case = next(c for c in scenario.cases if c.kind != "appellate" and c.filed_ts <= now and
                    not (c.court.court_id == outage["court"] and outage["night"] == expiry["night"]))  # fmt: skip
        for _ in range(expiry["after_docket_reports"]):
            assert b"Transaction Receipt" in fetch_docket(client, case)
        assert b"Transaction Receipt" not in fetch_docket(client, case)  # the login page: the token expired
        client.login()
        assert b"Transaction Receipt" in fetch_docket(client, case)
        client.close()


@pytest.mark.parametrize("seed", SEEDS)
def test_one_court_answers_5xx_for_one_night(tmp_path, seed):
    scenario, sandbox = _fresh(tmp_path, seed)
    outage = scenario.events["court_5xx"]
    with sandbox:
        sandbox.to_night(outage["night"])
        client = Client(sandbox.config)
        client.login()
        now = sandbox.clock.timestamp()
        case = next(c for c in scenario.by_court(outage["court"]) if c.filed_ts <= now)
        form = report_fields({"pacer_case_id": case.pacer_case_id, "case_number": case.case_number})
        if case.kind == "appellate":
            reply = client.get(
                client.court_url(
                    case.court.court_id, f"{case.court.servlet_path}?servlet=CaseSummary.jsp&caseNum={case.case_number}"
                )
            )
        else:
            reply = client.docket(case.court.court_id, form)
        assert 500 <= reply.status <= 599
        if outage["night"] + 1 < scenario.settings.nights:
            sandbox.to_night(outage["night"] + 1)
            client.login()
            assert b"Transaction Receipt" in fetch_docket(client, case)
        client.close()


# --------------------------------------------------------------------------- agreement
def _truth_case(entries, parties=(("A Corp", "Plaintiff"),), name="A v. B"):
    return {
        "feed": "all",
        "metadata": {"docket_number": "1:26-cv-00001", "case_name": name},
        "parties": [{"name": n, "type": t} for n, t in parties],
        "entries": [
            {"document_number": n, "date_filed": d, "date_entered": d, "description": text} for n, d, text in entries
        ],
    }


def test_agreement_counts_fields_parties_and_entries():
    truth = {
        "cand/1": _truth_case([("1", "2026-01-05", "COMPLAINT"), ("2", "2026-01-06", "ORDER (corrected)")]),
        "cand/2": _truth_case([("1", "2026-01-05", "PETITION")]),
    }
    db = {
        "cand/1": {
            "metadata": {"docket_number": "1:26-cv-00001", "case_name": "A  v.  B"},  # white space does not matter
            "parties": [{"name": "A Corp", "type": "Plaintiff"}, {"name": "Ghost", "type": "Defendant"}],
            "entries": [
                {
                    "document_number": "1",
                    "date_filed": "2026-01-05",
                    "date_entered": "2026-01-05",
                    "description": "COMPLAINT",
                },
                {
                    "document_number": "2",
                    "date_filed": "2026-01-06",
                    "date_entered": "2026-01-06",
                    "description": "ORDER",
                },
                {
                    "document_number": "3",
                    "date_filed": "2026-01-07",
                    "date_entered": "2026-01-07",
                    "description": "GONE",
                },
            ],
        }
    }
    result = compare(db, truth)
    assert result.cases == 2 and sorted(result.stale) == ["cand/1", "cand/2"]
    assert (result.metadata_ok, result.metadata_total) == (2, 4)  # the missing case loses its fields
    assert (result.parties_ok, result.parties_total) == (1, 3)  # one extra party in the database
    # The edited entry is present but wrong; the entry the court does not show is extra.
    assert (result.entries_ok, result.entries_total, result.entries_present) == (1, 4, 2)
    assert compare(db, truth, ["cand/2"]).cases == 1
    perfect = compare(
        {k: {"metadata": v["metadata"], "parties": v["parties"], "entries": v["entries"]} for k, v in truth.items()},
        truth,
    )
    assert perfect.stale == [] and perfect.entries_pct == perfect.parties_pct == perfect.metadata_pct == 100.0


# --------------------------------------------------------------------------- the real harvest, a few nights
def test_a_few_nights_of_the_real_harvest_are_scored(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_month import GENEROUS_BUDGET, run_month

    scenario = MonthScenario(SEEDS[1], nights=3, cases=30, courts=("cand", "nysb", "ca9", "nysd"), hang_seconds=1.0)
    quick = {"backoff_seconds": 0.2, "max_retries": 1, "timeout_seconds": 10.0}
    result = run_month(scenario, tmp_path / "run", GENEROUS_BUDGET, rate=quick, timeout=600, log=lambda line: None)
    final = result["final"]
    assert final["cases"] == len(scenario.initial_watch())
    assert 0 <= final["current"] <= final["cases"]
    for name in ("metadata_pct", "parties_pct", "entries_pct"):
        assert 0.0 <= final[name] <= 100.0
    assert final["entries_ok"] <= final["entries_present"] <= final["entries_total"]
    assert len(result["nights"]) == 3 and len(result["logins_per_night"]) == 3
    assert result["billed_pages"] > 0 and result["ideal_pages"] > 0  # the first night buys dockets
    assert final["entries_pct"] > 0.0 and final["metadata_pct"] > 0.0
    assert sum(result["case_nights"].values()) == sum(n["watched"] for n in result["nights"])
    assert sum(result["stale_case_nights"].values()) == sum(n["stale"] for n in result["nights"])
    # Every final miss has a cause, and none is one the harvester could have avoided.
    misses = result["misses"]
    assert sum(misses["causes"].values()) == final["entries_total"] - final["entries_ok"] - misses["extra"]
    assert misses["defects"] == 0 and misses["extra"] == 0, misses["examples"]
