"""Run the engine's target comparisons and the coverage simulation in sequence (`make bench`).

    .venv/bin/python bench/run_all.py            # bench_targets.py (R, 2021 table, 1e6 x 50, samplics) + coverage.py
    .venv/bin/python bench/run_all.py --quick    # smaller settings without R, a smoke run of a few minutes

bench_targets.py prints the four comparisons as ratios or against their targets, each with the
machine's arithmetic limit measured in the same run. The detailed scripts (bench_estimates_2021.py,
bench_scaling.py, bench_vs_samplics.py) run on their own. Each script runs as its own process (so
one's memory does not weigh on the next); the exit status is non-zero when any of them fails.
Timings are only comparable on an otherwise idle machine: every script prints the load average.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

FULL = [
    ["bench_targets.py"],
    ["coverage.py"],
    ["bench_identification.py"],
]
QUICK = [
    ["bench_targets.py", "--only", "a,b,d", "--runs", "2", "--skip-r"],
    ["coverage.py", "--reps", "300", "--replicates", "200"],
    ["bench_identification.py", "--runs", "1"],
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller settings (smoke run)")
    args = parser.parse_args()
    failed = []
    for script, *options in QUICK if args.quick else FULL:
        print(f"\n{'=' * 100}\n$ python bench/{script} {' '.join(options)}\n", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(BENCH / script), *options], cwd=BENCH.parent)
        print(f"\n[{script}: exit {code}, {time.perf_counter() - start:.0f} s]", flush=True)
        if code != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
