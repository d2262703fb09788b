"""A simulated week of nightly harvests across both DST changes: requests outside the window.

    .venv/bin/python benchmarks/bench_window_week.py [--step-hours 4]

The sandbox's clock starts on Thursday 2026-10-29 17:00 Central (the week of the
November fall-back) and, separately, on Saturday 2027-03-13 17:00 (the March
spring-forward weekend). `harvester run` is started every few simulated hours, as a
cron line would; between runs the sandbox clock jumps forward and its cases grow. The
figure is read from the sandbox's own request log: every request's sandbox time is
checked against the 18:00-06:00 Central window. Target: 0 outside.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_gate_harvest import simulate  # noqa: E402  (the harness the gate's tests use)

PERIODS = [("2026-10-29T17:00:00-05:00", 7), ("2027-03-13T17:00:00-06:00", 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-hours", type=float, default=4.0)
    args = parser.parse_args()
    total_out = 0
    for start, days in PERIODS:
        codes, inside, outside = simulate(start, days, args.step_hours, Path(tempfile.mkdtemp(prefix="week-")))
        total_out += outside
        runs = ", ".join(f"exit {code}: {n}" for code, n in sorted(codes.items()))
        print(f"{start} + {days} days: runs {sum(codes.values())} ({runs}); requests inside the window {inside}, outside {outside}")
    print(f"requests outside the window: {total_out} (target 0)")
    if total_out:
        sys.exit(1)


if __name__ == "__main__":
    main()
