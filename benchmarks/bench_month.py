"""A month of nightly harvests against the month sandbox, scored against its ground truth.

    .venv/bin/python benchmarks/bench_month.py [--seeds 1,2,3] [--nights 30] [--cases 500] [--courts 21]

For each seed a :class:`~harvester.sandbox.month.MonthScenario` is served over real
TLS, and the real nightly harvest (``harvester run``, a subprocess: real Scrapy, real
SQLite) runs once a night while the sandbox clock moves from night to night. It runs
twice per seed: with the shipped defaults (budget, window, refresh_days: nothing of
the [budget], [window] or [watch] sections is set) and with a generous budget. Only
[rate] is set, to the limits the project itself uses against a sandbox ([sandbox]
per_court_per_second and global_per_second) and backoff_seconds to 1: the shipped
0.33 requests a second and 5 s first retry would make a month of nights take hours of
real time (failing feeds are retried every night).

The watch list: every case that exists on night 0, and each new case from the night
after its filing (a researcher adding it to the config). Measured from the outside
only, i.e. the database (docs/database.md), the CLI and the sandbox (its request log
and truth):

- final agreement with the truth: metadata, parties, entries (%);
- per-morning staleness: case-nights behind the court after each night, by feed kind;
- billed pages (the sandbox's receipts; the harvester's own ledger beside them)
  against the ideal minimum (MonthScenario.ideal_pages);
- nights to finish the first harvest (every night-0 case fetched once);
- requests outside the 18:00-06:00 Central window, runs over budget, logins per night;
- why each final miss is missing (harvester/sandbox/misses.py): an edit no feed shows,
  news no good feed read listed while the case waits for its re-check, or a defect
  (fetched but not stored, listed but not fetched, waited past refresh_max_days), or
  the budget (a night since ended with it spent).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harvester.config import default  # noqa: E402
from harvester.errors import EXIT_BUDGET  # noqa: E402
from harvester.sandbox import Sandbox  # noqa: E402
from harvester.sandbox.agreement import compare, load_database  # noqa: E402
from harvester.sandbox.clock import CHICAGO  # noqa: E402
from harvester.sandbox.courts import LOOKUP_PATH, load_courts  # noqa: E402
from harvester.sandbox.misses import METADATA_DEFECT, METADATA_WAITING, explain  # noqa: E402
from harvester.sandbox.month import MONTH_COURTS, MonthScenario  # noqa: E402

# docs/configuration.md [sandbox] rates, and a 1 s first retry instead of 5 s: failing feeds retry every night.
SANDBOX_RATE = {"per_court_per_second": 10.0, "global_per_second": 50.0, "backoff_seconds": 1.0}
# The shipped [budget] defaults, read from the one schema (docs/configuration.md is generated from it).
SHIPPED_BUDGET = {key: default("budget", key) for key in ("run_dollars", "quarter_dollars")}
GENEROUS_BUDGET = {"run_dollars": 1000.0, "quarter_dollars": 100000.0}
PAID_ENDPOINTS = ("DktRpt", "CaseSummary")
WINDOW_START_HOUR, WINDOW_END_HOUR = 18, 6


def _toml(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(str(value))


def write_config(path: Path, sandbox: Sandbox, scenario: MonthScenario, watched: list[str], budget: dict | None,
                 rate: dict | None = None, watch: dict | None = None) -> None:  # fmt: skip
    """The harvester config: sandbox endpoints, the watch list, fast rates, and a budget or the defaults."""
    cfg = sandbox.config
    by_key = {"/".join(scenario.case_key(c)): c for c in scenario.cases}
    tables: dict[str, dict[str, list[str]]] = {}
    for key in watched:
        case = by_key[key]
        table = tables.setdefault(case.court.court_id, {})
        if case.kind == "appellate":
            table.setdefault("docket_numbers", []).append(case.case_number)
        else:
            table.setdefault("pacer_case_ids", []).append(case.pacer_case_id)
    work = path.parent
    sections = {
        "watch": {"courts": sorted(tables), **(watch or {})},
        "endpoints": {
            "login_url": cfg["login_url"], "logout_url": cfg["logout_url"], "court_lookup_url": cfg["court_lookup_url"],
            "court_url": cfg["court_url_template"], "ca_bundle": cfg["ca_bundle"], "clock_url": cfg["clock_url"],
        },
        "database": {"path": str(work / "pacer.db")},
        "log": {"file": str(work / "harvester.log")},
        "harvest": {"state_dir": str(work / "state")},
        "rate": {**SANDBOX_RATE, **(rate or {})},
    }  # fmt: skip
    if budget is not None:
        sections["budget"] = budget
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
        lines.append("")
    for court, table in sorted(tables.items()):
        lines.append(f"[watch.cases.{court}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _env(sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACER_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    creds = sandbox.config["credentials"]
    env.update(PACER_USERNAME=creds["login_id"], PACER_PASSWORD=creds["password"])
    return env


def _in_window(iso: str) -> bool:
    hour = datetime.fromisoformat(iso).astimezone(CHICAGO).hour
    return hour >= WINDOW_START_HOUR or hour < WINDOW_END_HOUR


def _ledger_pages(db_path: Path) -> int | None:
    """Billable pages the harvester recorded in its own ledger (``requests``), if it has one."""
    if not db_path.exists():
        return None
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT coalesce(sum(billable_pages), 0) FROM requests").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def run_month(scenario: MonthScenario, workdir: Path, budget: dict | None, *, timeout: float = 1800.0,
              rate: dict | None = None, watch_keys: dict | None = None, log=print) -> dict:  # fmt: skip
    """Run the nightly harvest every night of ``scenario``; return the figures (see the module docstring).

    ``budget`` None keeps the shipped [budget] defaults; ``rate`` adds [rate] keys (tests: quick retries);
    ``watch_keys`` adds [watch] keys (a trade-off study: refresh_days, refresh_max_days).
    """
    nights = scenario.settings.nights
    watch = scenario.initial_watch()
    cap = (budget or SHIPPED_BUDGET)["run_dollars"]
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "harvester.toml"
    stale_by_kind: Counter = Counter()
    case_nights_by_kind: Counter = Counter()
    per_night: list[dict] = []
    first_done: int | None = None
    initial = [k for k, n in watch.items() if n == 0]
    with Sandbox(month=scenario, state_dir=workdir / "sandbox") as sandbox:
        env = _env(sandbox)
        for night in range(nights):
            start = scenario.night_start(night)
            sandbox.to_night(night)
            watched = [k for k, n in watch.items() if n <= night]
            write_config(config, sandbox, scenario, watched, budget, rate, watch_keys)
            mark = len(sandbox.request_log.records())
            began = time.monotonic()
            try:
                result = subprocess.run([sys.executable, "-m", "harvester.cli", "run", "--config", str(config)],
                                        cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)  # fmt: skip
            except subprocess.TimeoutExpired:  # a hung harvest is the finding: say where, with its log's end
                tail = (workdir / "harvester.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                raise SystemExit(f"night {night}: harvester run still running after {timeout:.0f} s; "
                                 f"stopped. The end of {workdir / 'harvester.log'}:\n{tail}") from None
            if result.returncode in (1, 2, 5, 6, 9):  # the harvest could not run: say why, do not score it
                raise SystemExit(f"night {night}: harvester run exited {result.returncode}:\n{result.stderr[-3000:]}")
            records = [r for r in sandbox.request_log.records()[mark:] if r["endpoint"] != "sandbox-admin"]
            truth = scenario.truth_at(start)
            db = load_database(workdir / "pacer.db")
            agreement = compare(db, truth, watched)
            for key in watched:
                kind = truth[key]["feed"]
                case_nights_by_kind[kind] += 1
            for key in agreement.stale:
                stale_by_kind[truth[key]["feed"]] += 1
            first_fetched = sum(k in db for k in initial)
            if first_done is None and first_fetched == len(initial):
                first_done = night + 1
            spent = sum(r["cost"] for r in records)
            row = {
                "night": night, "exit": result.returncode, "seconds": round(time.monotonic() - began, 1),
                "requests": len(records), "logins": sum(r["endpoint"] == "cso-auth" for r in records),
                "pages": sum(r["billable_pages"] for r in records if r["endpoint"] in PAID_ENDPOINTS),
                "spent": round(spent, 2), "over_budget": spent > cap + 1e-9,
                "outside_window": sum(not _in_window(r["sandbox_time"]) for r in records),
                "watched": len(watched), "stale": len(agreement.stale),
            }  # fmt: skip
            per_night.append(row)
            log(f"    night {night:2d}: exit {row['exit']} {row['seconds']:6.1f}s requests {row['requests']:4d} "
                f"logins {row['logins']} pages {row['pages']:4d} ${row['spent']:.2f} stale {row['stale']}/{row['watched']}")  # fmt: skip
        records = [r for r in sandbox.request_log.records() if r["endpoint"] != "sandbox-admin"]
    end = scenario.night_start(nights - 1)
    database = load_database(workdir / "pacer.db")
    final = compare(database, scenario.truth_at(end), list(watch))
    max_wait = (watch_keys or {}).get("refresh_max_days", default("watch", "refresh_max_days"))
    budget_nights = [n["night"] for n in per_night if n["exit"] == EXIT_BUDGET]
    misses = explain(scenario, database, records, watch, end.timestamp(), max_wait, budget_nights)
    ideal = scenario.ideal_pages(watch, nights)["total"]
    billed = sum(r["billable_pages"] for r in records if r["endpoint"] in PAID_ENDPOINTS)
    return {
        "final": final.summary(),
        "misses": misses.summary(),
        "stale_case_nights": dict(stale_by_kind),
        "case_nights": dict(case_nights_by_kind),
        "billed_pages": billed,
        "ledger_pages": _ledger_pages(workdir / "pacer.db"),
        "ideal_pages": ideal,
        "billed_over_ideal": round(billed / ideal, 3) if ideal else None,
        "first_harvest_nights": first_done,
        "first_harvest_cases": [first_fetched, len(initial)],
        "outside_window": sum(n["outside_window"] for n in per_night),
        "runs_over_budget": sum(n["over_budget"] for n in per_night),
        "quarter_spent": round(sum(r["cost"] for r in records), 2),
        "quarter_over_budget": sum(r["cost"] for r in records) > (budget or SHIPPED_BUDGET)["quarter_dollars"] + 1e-9,
        "logins_per_night": [n["logins"] for n in per_night],
        "exits": dict(Counter(n["exit"] for n in per_night)),
        "nights": per_night,
    }


def _staleness(result: dict) -> str:
    parts = []
    for kind in ("all", "partial", "none", "failing"):
        total = result["case_nights"].get(kind, 0)
        if total:
            stale = result["stale_case_nights"].get(kind, 0)
            parts.append(f"{kind} {stale}/{total} ({100.0 * stale / total:.1f}%)")
    return ", ".join(parts)


def _misses(misses: dict) -> str:
    causes = ", ".join(f"{cause} {n}" for cause, n in sorted(misses["causes"].items(), key=lambda c: -c[1]))
    meta = misses["metadata"]
    return (f"{causes or 'none'}; metadata fields wrong {meta.get(METADATA_WAITING, 0)} {METADATA_WAITING}, "
            f"{meta.get(METADATA_DEFECT, 0)} {METADATA_DEFECT}; defects {misses['defects']}; "
            f"rows the court does not show {misses['extra']}")  # fmt: skip


def _first(result: dict) -> str:
    nights = result["first_harvest_nights"]
    return f"done after {nights} night(s)" if nights else "not done in the month"


def report(label: str, result: dict) -> list[str]:
    """The printed lines of one run."""
    f = result["final"]
    logins = result["logins_per_night"]
    return [
        f"  {label}: agreement metadata {f['metadata_pct']:.1f}%, parties {f['parties_pct']:.1f}%, entries "
        f"{f['entries_pct']:.1f}% ({f['current']}/{f['cases']} cases current)",
        f"    why entries are missing: {_misses(result['misses'])}",
        f"    stale case-nights by feed kind: {_staleness(result)}",
        f"    billed pages {result['billed_pages']} (ledger {result['ledger_pages']}) vs ideal {result['ideal_pages']}: "
        f"ratio {result['billed_over_ideal']}",
        f"    first harvest: {_first(result)}; "
        f"requests outside the window {result['outside_window']}; runs over budget {result['runs_over_budget']}; "
        f"quarter over budget: {result['quarter_over_budget']}; spent ${result['quarter_spent']:.2f}; night-0 cases "
        f"fetched at least once: {result['first_harvest_cases'][0]}/{result['first_harvest_cases'][1]}",
        f"    logins per night: min {min(logins)} max {max(logins)} (nights with 0: {logins.count(0)}, with >1: "
        f"{sum(n > 1 for n in logins)}); exit codes {result['exits']}",
    ]


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--courts", type=int, default=len(MONTH_COURTS), help=f"how many of {len(MONTH_COURTS)} courts")
    parser.add_argument("--hang-seconds", type=float, default=None, help="how long a 'timeout' feed hangs (default 15)")
    parser.add_argument("--budgets", default="defaults,generous", help="which runs: defaults, generous, or both as defaults,generous (the default)")
    parser.add_argument("--workdir", default=None, help="keep databases and logs here (default: a temporary directory)")
    parser.add_argument("--json", default=None, help="also write every figure to this JSON file")
    parser.add_argument("--refresh-days", type=int, default=None,
                        help="set [watch] refresh_days (default: the shipped value) to study staleness against cost")
    parser.add_argument("--refresh-max-days", type=int, default=None,
                        help="set [watch] refresh_max_days (default: the shipped value), the longest wait of a quiet case")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error("--seeds takes integers separated by commas")
    if not 1 <= args.courts <= len(MONTH_COURTS) or args.nights < 1 or args.cases < 1:
        parser.error(f"--courts must be 1..{len(MONTH_COURTS)}; --nights and --cases at least 1")
    budgets = {"defaults": None, "generous": GENEROUS_BUDGET}
    chosen = [b.strip() for b in args.budgets.split(",") if b.strip()]
    if not chosen or any(b not in budgets for b in chosen):
        parser.error("--budgets takes defaults, generous or both, separated by a comma")
    courts = _pick_courts(args.courts)
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-month-"))
    results: dict[str, dict[int, dict]] = {label: {} for label in chosen}
    for seed in seeds:
        extra = {"hang_seconds": args.hang_seconds} if args.hang_seconds is not None else {}
        scenario = MonthScenario(seed, nights=args.nights, cases=args.cases, courts=courts, **extra)
        plan = scenario.describe()
        print(f"seed {seed}: {args.cases} cases ({plan['new_cases']} new in the month) in {len(courts)} courts, "
              f"{args.nights} nights; feeds {dict(Counter(f['kind'] for f in plan['feeds'].values()))}; "
              f"events {plan['events']}", flush=True)  # fmt: skip
        for label in chosen:
            budget = budgets[label]
            print(f"  {label} budget:", flush=True)
            keys = {k: v for k, v in (("refresh_days", args.refresh_days), ("refresh_max_days", args.refresh_max_days))
                    if v is not None} or None  # fmt: skip
            result = run_month(scenario, root / f"seed{seed}-{label}", budget, watch_keys=keys,
                               log=lambda line: print(line, flush=True))  # fmt: skip
            results[label][seed] = result
            print("\n".join(report(label, result)), flush=True)
    print("medians over seeds " + ",".join(map(str, seeds)) + ":")
    for label, by_seed in results.items():
        rows = list(by_seed.values())
        print(f"  {label}: metadata {_median([r['final']['metadata_pct'] for r in rows])}%, parties "
              f"{_median([r['final']['parties_pct'] for r in rows])}%, entries {_median([r['final']['entries_pct'] for r in rows])}%, "
              f"billed/ideal {_median([r['billed_over_ideal'] for r in rows])}, first harvest nights "
              f"{_median([r['first_harvest_nights'] for r in rows])}, outside window {sum(r['outside_window'] for r in rows)}, "
              f"over budget {sum(r['runs_over_budget'] for r in rows)}, defects {sum(r['misses']['defects'] for r in rows)}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"work directory: {root}")
    return 0


def _pick_courts(n: int) -> tuple[str, ...]:
    """``n`` courts, mixing district, bankruptcy and appellate as long as there are enough."""
    kinds = load_courts(LOOKUP_PATH.read_bytes())
    by_kind: dict[str, list[str]] = {"district": [], "bankruptcy": [], "appellate": []}
    for court in MONTH_COURTS:
        by_kind[kinds[court].kind].append(court)
    picked: list[str] = []
    while len(picked) < n:
        for kind in ("district", "bankruptcy", "appellate"):
            rest = [c for c in by_kind[kind] if c not in picked]
            if rest and len(picked) < n:
                picked.append(rest[0])
    return tuple(picked)


if __name__ == "__main__":
    sys.exit(main())
