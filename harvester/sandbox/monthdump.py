"""Print a month's plan and truth as JSON: ``python -m harvester.sandbox.monthdump --help``."""

from __future__ import annotations

import argparse
import json
import sys

from .month import MONTH_COURTS, MonthScenario, MonthSettings, dump_truth


def main(argv: list[str] | None = None) -> int:
    """``python -m harvester.sandbox.monthdump``: print a month's plan and truth as JSON (for tests and scripts)."""
    parser = argparse.ArgumentParser(prog="python -m harvester.sandbox.monthdump", description=main.__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nights", type=int, default=MonthSettings.nights)
    parser.add_argument("--cases", type=int, default=MonthSettings.cases)
    parser.add_argument("--courts", default=",".join(MONTH_COURTS), help="comma-separated court ids")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--night", type=int, default=0, help="truth at the start of this night (default 0)")
    when.add_argument("--at", default=None, help="truth at this instant (ISO 8601; naive = Central time)")
    parser.add_argument("--keys", default=None, help='only these cases, comma-separated "court/key"')
    parser.add_argument("--plan", action="store_true", help="the plan only (feeds, events, nights), no truth")
    parser.add_argument("--ideal", action="store_true", help="add the ideal client's pages (initial watch list)")
    args = parser.parse_args(argv)
    try:
        courts = tuple(c.strip() for c in args.courts.split(",") if c.strip())
        scenario = MonthScenario(args.seed, nights=args.nights, cases=args.cases, courts=courts)
        if not 0 <= args.night < args.nights:
            raise ValueError(f"--night must be in 0..{args.nights - 1}")
        at = args.at if args.at is not None else scenario.night_start(args.night)
        out = (
            {"plan": scenario.describe()}
            if args.plan
            else dump_truth(scenario, at, args.keys.split(",") if args.keys else None)
        )
    except ValueError as exc:  # ClockError is a ValueError too
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.ideal:
        out["ideal_pages"] = scenario.ideal_pages()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
