"""Benchmark (b): scaling of the bootstrap estimator with the sample size n and the replicates B.

Synthetic stratified samples (bench/_synthetic.py: 36 strata, sampling fractions from ~1% to ~80%,
50 indicators, 60% shares and 40% means, ~5% missing) for n in {1e3, 1e4, 1e5, 1e6} and
B in {100, 1000}. Each configuration runs in its own child process: the child generates the data,
then builds the design and runs the estimator and Estimates.table. Two estimators (--estimator):
  estimate     estimate(design.with_replicates(spec), values, True, kinds): the generic API (the CLI's),
               which keeps all B x K replicate estimates;
  partitioned  estimate_partitioned(design.with_replicates(spec), values, kinds, {}): the workflow's,
               which accumulates the variances block by block (no partitions here: overall only).
Reported: the estimation time (design + estimator + table), the whole child's wall time,
its peak RSS (which includes the n x 50 data matrix itself: 400 MB at n = 1e6).

block_size (the random stream's block, default 250 as configured) no longer bounds memory: the engine
never forms an n x block_size factor matrix (bootstrap.iter_block_deviations). bench_targets.py holds
the current targets (n = 1e6, B = 1000: < 12 s, < 3 GB).

    .venv/bin/python bench/bench_scaling.py [--n 1e3,1e4,1e5,1e6] [--B 100,1000] [--block-size 250]
                                            [--estimator estimate,partitioned] [--block-sweep] [--profile]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _harness import GB, MB, emit, machine_line, run_child, table

INDICATORS = 50
TARGET = {"n": 1_000_000, "B": 1000, "seconds": 12.0, "gb": 3.0}


def auto_block_size(n: int, block_size: int) -> int:
    return block_size


def child(n: int, replicates: int, block_size: int, estimator: str, profile: bool, precision: str = "double") -> None:
    import resource

    import numpy as np
    from _synthetic import synthetic_sample

    from barometer.survey import RescaledBootstrap, StratifiedDesign, estimate, estimate_partitioned

    t0 = time.perf_counter()
    sample = synthetic_sample(n, INDICATORS, seed=n)
    t_data = time.perf_counter()
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def work():
        design = StratifiedDesign.from_sample(sample.unit_labels, sample.population)
        t_design = time.perf_counter()
        design = design.with_replicates(RescaledBootstrap(replicates=replicates, seed=12345, block_size=block_size,
                                                          precision=precision))
        if estimator == "estimate":
            est = estimate(design, sample.values, True, sample.kinds)
        else:
            est = estimate_partitioned(design, sample.values, sample.kinds, {}).as_estimates()
        t_est = time.perf_counter()
        est.table()
        return t_design, t_est

    t_start = time.perf_counter()
    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        t_design, t_est = prof.runcall(work)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(10)
        print(buf.getvalue(), file=sys.stderr)
    else:
        t_design, t_est = work()
    t_end = time.perf_counter()
    # the engine's work, for bench_targets.py's limit line
    from barometer.survey.estimation import unique_columns

    vs = StratifiedDesign.from_sample(sample.unit_labels, sample.population).variance_strata
    drawing = (vs["n"] >= 2) & (vs["policy"] != "certainty")
    emit({"data_s": t_data - t0, "design_s": t_design - t_start, "estimate_s": t_est - t_design,
          "table_s": t_end - t_est, "estimation_s": t_end - t_start, "data_rss": rss_data,
          "draws": replicates * float((vs["n"][drawing] - 1).sum()), "product_units": float(vs["n"][drawing & (vs["f"] < 1)].sum()),
          "distinct_denominators": int(unique_columns((~np.isnan(sample.values)).astype(float))[0].shape[1])})


def run(n: int, replicates: int, block_size: int, estimator: str, profile: bool = False):
    args = [__file__, "--child", str(n), str(replicates), str(block_size), "--estimator", estimator]
    args += ["--profile"] if profile else []
    return run_child(args).check()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", default="1e3,1e4,1e5,1e6", help="comma-separated sample sizes")
    parser.add_argument("--B", default="100,1000", help="comma-separated replicate counts")
    parser.add_argument("--block-size", type=int, default=250, help="replicates per random-number block")
    parser.add_argument("--estimator", default="estimate,partitioned", help="estimate and/or partitioned")
    parser.add_argument("--block-sweep", action="store_true", help="also time n = 1e6, B = 1000 at several block sizes")
    parser.add_argument("--profile", action="store_true", help="cProfile the largest configuration (top functions to stderr)")
    parser.add_argument("--precision", default="double", choices=["double", "single"], help="replicate products")
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, estimator=args.estimator, profile=args.profile, precision=args.precision)
        return 0

    sizes = [int(float(x)) for x in args.n.split(",")]
    reps = [int(float(x)) for x in args.B.split(",")]
    estimators = [e.strip() for e in args.estimator.split(",")]
    print("== Benchmark (b): scaling with n and B (synthetic, 36 strata, 50 indicators, ~5% missing) ==")
    print(f"machine: {machine_line()}")
    rows, results = [], {}
    for n in sizes:
        for B in reps:
            bs = auto_block_size(n, args.block_size)
            for estimator in estimators:
                r = run(n, B, bs, estimator)
                results[(estimator, n, B)] = (r, bs)
                rows.append([estimator, f"{n:.0e}", B, bs, f"{r.result['estimation_s']:.2f}", f"{r.result['design_s']:.2f}",
                             f"{r.result['estimate_s']:.2f}", f"{r.result['table_s']:.2f}", f"{r.result['data_s']:.2f}",
                             f"{r.wall_s:.2f}", f"{r.max_rss_bytes / GB:.3f}", f"{r.result['data_rss'] / GB:.3f}"])
                print(f"  {estimator} n={n:.0e} B={B}: {r.result['estimation_s']:.2f} s, {r.max_rss_bytes / GB:.3f} GB",
                      flush=True)
    print(f"\nblock_size = {args.block_size}. Seconds; GB = peak RSS of the whole child "
          "('data GB': right after generating the data). estimation = design + estimator + table.")
    print(table(rows, ["estimator", "n", "B", "block", "estimation s", "design s", "estimator s", "table s",
                       "data gen s", "child wall s", "peak GB", "data GB"], align="llrrrrrrrrrr"))

    limit_s, limit_gb = TARGET["seconds"], TARGET["gb"]
    for estimator in estimators:
        if (estimator, TARGET["n"], TARGET["B"]) not in results:
            continue
        r, bs = results[(estimator, TARGET["n"], TARGET["B"])]
        secs, gb = r.result["estimation_s"], r.max_rss_bytes / GB
        time_verdict = "met" if secs < limit_s else f"MISSED by {secs - limit_s:.1f} s"
        memory_verdict = "met" if gb < limit_gb else f"MISSED by {gb - limit_gb:.2f} GB"
        print(f"target n=1e6, B=1000, {estimator} (block_size {bs}): estimation {secs:.1f} s vs {limit_s:g} s -> "
              f"{time_verdict}; whole child {r.wall_s:.1f} s; peak {gb:.2f} GB vs {limit_gb:g} GB -> {memory_verdict}")

    if args.block_sweep:
        rows, n_max = [], TARGET["n"]
        for estimator in estimators:
            for bs in (8, 32, 125):
                r = run(n_max, TARGET["B"], bs, estimator)
                rows.append([estimator, bs, f"{bs * 8 * n_max / MB:.0f}", f"{r.result['estimate_s']:.2f}",
                             f"{r.result['estimation_s']:.2f}", f"{r.max_rss_bytes / GB:.3f}"])
                print(f"  {estimator} block_size {bs}: {r.result['estimation_s']:.2f} s", flush=True)
        print("\nblock-size sweep at n = 1e6, B = 1000:")
        print(table(rows, ["estimator", "block_size", "factor matrix MB", "estimator s", "estimation s", "peak GB"],
                    align="lrrrrr"))

    if args.profile:
        n, B = max(sizes), max(reps)
        for estimator in estimators:
            r = run(n, B, auto_block_size(n, args.block_size), estimator, profile=True)
            print(f"\ncProfile of {estimator}, n={n:.0e}, B={B} (estimation {r.result['estimation_s']:.1f} s), "
                  "top functions by own time:")
            print("\n".join(line for line in r.stderr.splitlines() if line.strip())[-3000:])
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
