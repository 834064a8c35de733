"""The replicate engine against its targets, in one run: four comparisons as ratios, each with the
machine's arithmetic limit for the same work.

(a) R survey: 100,000 units x 20 binary variables x 36 strata, B = 1,000. The whole
    `barometer estimate` command-line process (start-up, reading the CSV, design, replicates,
    intervals, writing) against R's estimation alone: svydesign + as.svrepdesign(type =
    "mrbbootstrap", replicates = 1000) + svymean of the 20 variables (bench/survey_mrb.R; reading
    the file and loading the package not counted). Target: R / barometer >= 60. R comes from
    Debian's r-cran-survey; when Rscript or the package is missing the benchmark installs it with
    apt-get (as root, or with sudo) and otherwise skips (a) with a note.
(b) the full 2021 table at B = 10,000: the workflow's stage (barometer.stages.estimate.bootstrap_estimates,
    bench/bench_estimates_2021.py's child), whole process. Targets: < 2 s wall, < 0.5 GB peak.
(c) 10^6 units x 50 indicators x B = 1,000 (bench/bench_scaling.py's child, both estimators):
    design + estimator + Estimates.table. Targets: < 12 s, < 3 GB peak (whole child, data included).
(d) samplics 0.6.1 at B = 1,000 on n = 1,717 x 20 indicators (bench/bench_vs_samplics.py, in
    process, medians). Target: samplics / barometer >= 40.

The limit of each: the multinomial draws at the generator's measured rate plus the products'
floating-point operations at the measured GEMM rate (float64, the engine's default, and float32),
both measured at the start of this run on all cores:
  draws = B * sum over drawing strata of (n_h - 1)          (census strata draw too: the stream)
  FLOPs = 2 * B * units in the products * columns * groupings (partitions, or 1)
and "reached" = limit / measured time of the replicate engine (the estimator call), also given
for the whole process. Times are wall seconds, medians over the runs; CPU seconds are printed too
because the machine may be shared (the load average is printed at the start and the end).

    .venv/bin/python bench/bench_targets.py [--runs 5] [--only a,b,c,d] [--skip-r] [--profile]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _harness import BENCH_DIR, GB, REPO_ROOT, emit, machine_line, run_child, run_command, table

N_A, K_A, B_A = 100_000, 20, 1000
TARGETS = {"a": 60.0, "b": (2.0, 0.5), "c": (12.0, 3.0), "d": 40.0}
# the engine's default configuration: one worker thread per core, each with single-threaded BLAS
# (what `barometer estimate` and the workflow's stages set; bootstrap.default_threads)
SINGLE_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


# -- the machine's rates -------------------------------------------------------------------------
def rng_rate(threads: int, seconds: float = 0.6) -> float:
    """Bounded integer draws per second (the engine's call: integers(0, n_h, size) as int64, n_h =
    3,000), summed over ``threads`` threads, each with its own generator."""
    size = (250, 2999)
    counts = [0] * threads

    def work(k: int) -> None:
        rng = np.random.default_rng(k)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            rng.integers(0, 3000, size=size)
            counts[k] += size[0] * size[1]

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def gemm_rate(dtype, n: int = 2000, repeats: int = 5) -> float:
    """FLOP/s of an n x n x n matrix product (BLAS threads as configured: all cores by default); best of repeats."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def _timed(f) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def machine_rates() -> dict:
    cores = len(os.sched_getaffinity(0))
    rates = {"rng_1": rng_rate(1), "rng_all": rng_rate(cores), "gemm_f32": gemm_rate(np.float32),
             "gemm_f64": gemm_rate(np.float64), "cores": cores}
    print(f"machine rates (all {cores} cores): draws {rates['rng_all'] / 1e6:.0f} M/s ({rates['rng_1'] / 1e6:.0f} M/s on one), "
          f"GEMM {rates['gemm_f32'] / 1e9:.0f} GFLOP/s float32, {rates['gemm_f64'] / 1e9:.0f} GFLOP/s float64")
    return rates


def work_of(design, columns: int, groupings: int, B: int) -> tuple[float, float]:
    """(draws, FLOPs) of B replicates of ``columns`` product columns over ``groupings`` groupings."""
    vs = design.variance_strata
    drawing = (vs["n"] >= 2) & (vs["policy"] != "certainty")
    draws = B * float((vs["n"][drawing] - 1).sum())
    units = float(vs["n"][drawing & (vs["f"] < 1)].sum())
    return draws, 2.0 * B * units * columns * groupings


def limit_line(name: str, rates: dict, draws: float, flops: float, engine_s: float, whole_s: float,
               precision: str = "double") -> str:
    rng_s = draws / rates["rng_all"]
    f32, f64 = flops / rates["gemm_f32"], flops / rates["gemm_f64"]
    limit = rng_s + (f32 if precision == "single" else f64)
    return (f"limit ({name}): {draws:.3g} draws / {rates['rng_all'] / 1e6:.0f} M/s = {rng_s:.3f} s + {flops:.3g} FLOP "
            f"= {f32:.3f} s float32 / {f64:.3f} s float64 -> {limit:.3f} s ({precision} products); "
            f"engine {engine_s:.3f} s reaches {limit / engine_s:.0%} of it, the whole process {whole_s:.3f} s {limit / whole_s:.0%}")


# -- (a) R survey ---------------------------------------------------------------------------------
def write_sample_a(directory: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(BENCH_DIR))
    import pandas as pd
    from _synthetic import synthetic_sample

    sample = synthetic_sample(N_A, K_A, share_fraction=1.0, missing=0.0, seed=19)
    data = pd.DataFrame(sample.values.astype(int), columns=[f"y{k}" for k in range(K_A)])
    data.insert(0, "stratum", sample.unit_labels)
    data.to_csv(directory / "data.csv", index=False)
    pd.DataFrame({"stratum": sample.labels, "N": sample.N_h}).to_csv(directory / "pop.csv", index=False)
    return directory / "data.csv", directory / "pop.csv"


def cli_args(data: Path, pop: Path, out: Path) -> list[str]:
    return ["estimate", str(data), "--strata", "stratum", "--population", str(pop),
            "--vars", ",".join(f"y{k}" for k in range(K_A)), "--replicates", str(B_A), "--seed", "1", "-o", str(out)]


def cli_command(data: Path, pop: Path, out: Path) -> list[str]:
    script = Path(sys.executable).parent / "barometer"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "barometer.cli"]
    return [*head, *cli_args(data, pop, out)]


def r_available() -> tuple[bool, str]:
    def ok() -> bool:
        return shutil.which("Rscript") is not None and subprocess.run(
            ["Rscript", "-e", "suppressMessages(library(survey))"], capture_output=True).returncode == 0

    if ok():
        return True, ""
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None or shutil.which("apt-get") is None:
        return False, "Rscript with the survey package is missing and apt-get cannot be run here"
    print("installing r-cran-survey with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, capture_output=True)
    done = subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "r-cran-survey"],
                          env=env, capture_output=True, text=True)
    if ok():
        return True, ""
    return False, f"apt-get install r-cran-survey failed: {done.stderr.strip()[-300:]}"


def child_a(data: str, pop: str, profile: bool) -> None:
    """In-process phases of the same work as the command line (for the limit and the profile)."""
    start = time.perf_counter()
    import barometer.survey as estimators  # run_estimate imports estimate from here when called
    from barometer import cli

    args = cli.build_parser().parse_args(cli_args(Path(data), Path(pop), Path(os.devnull)))

    spent = {}
    original = estimators.estimate

    def timed_estimate(*a, **k):
        t = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            spent["estimate"] = time.perf_counter() - t

    estimators.estimate = timed_estimate
    t0 = time.perf_counter()
    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.runcall(cli.run_estimate, args)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        print(buf.getvalue(), file=sys.stderr)
    else:
        cli.run_estimate(args)
    emit({"run_estimate": time.perf_counter() - t0, "estimate": spent["estimate"], "imports": t0 - start})


def bench_a(rates: dict, runs: int, skip_r: bool, profile: bool) -> dict:
    print(f"\n== (a) barometer estimate (whole process) vs R survey mrbbootstrap + svymean: n = {N_A:,}, {K_A} binary "
          f"variables, 36 strata, B = {B_A:,} ==", flush=True)
    from barometer.survey import StratifiedDesign

    with tempfile.TemporaryDirectory() as tmp:
        data, pop = write_sample_a(Path(tmp))
        out = Path(tmp) / "barometer.csv"
        cli = [run_command(cli_command(data, pop, out)).check() for _ in range(runs)]
        wall = statistics.median(r.wall_s for r in cli)
        cpu = statistics.median(r.cpu_s for r in cli)
        # as the command line runs (it sets single-threaded BLAS before numpy loads: one worker per core)
        phases = run_child([__file__, "--child-a", str(data), str(pop)] + (["--profile"] if profile else []),
                           env=SINGLE_BLAS).check()
        if profile:
            print("cProfile of run_estimate (command line (a)), top functions by own time:")
            print("\n".join(line for line in phases.stderr.splitlines() if line.strip())[-3500:])
        import pandas as pd

        ours = pd.read_csv(out)
        frame = pd.read_csv(data, usecols=["stratum"])
        population = pd.read_csv(pop)
        design = StratifiedDesign.from_sample(frame["stratum"], dict(zip(population["stratum"], population["N"])))
        r_seconds, note = None, ""
        if skip_r:
            note = "R skipped (--skip-r)"
        else:
            available, note = r_available()
            if available:
                r_out = Path(tmp) / "r.csv"
                r = run_command(["Rscript", "--vanilla", str(BENCH_DIR / "survey_mrb.R"), str(data), str(pop), str(B_A),
                                 "1", str(r_out)]).check()
                match = re.search(r"ESTIMATION_SECONDS ([0-9.]+)", r.stdout)
                r_seconds = float(match.group(1))
                theirs = pd.read_csv(r_out)
                se_ratio = (ours.set_index("variable")["se"] / theirs.set_index("variable")["se"]).to_numpy()
                note = (f"R: estimation {r_seconds:.1f} s wall (whole Rscript process {r.wall_s:.1f} s, {r.cpu_s:.1f} s CPU, "
                        f"peak {r.max_rss_bytes / GB:.2f} GB); SE barometer / R over the 20 variables: median "
                        f"{np.median(se_ratio):.3f}, range {se_ratio.min():.3f}-{se_ratio.max():.3f} (different random "
                        f"streams: Monte-Carlo error ~{100 / np.sqrt(2 * B_A):.0f}%)")
    print(f"barometer estimate, {runs} processes: wall median {wall:.2f} s (min {min(r.wall_s for r in cli):.2f}, "
          f"max {max(r.wall_s for r in cli):.2f}), CPU median {cpu:.2f} s, peak {max(r.max_rss_bytes for r in cli) / GB:.2f} GB; "
          f"in process: imports {phases.result['imports']:.2f} s, run_estimate {phases.result['run_estimate']:.2f} s "
          f"(estimate() {phases.result['estimate']:.2f} s)")
    print(note)
    ratio = r_seconds / wall if r_seconds else None
    draws, flops = work_of(design, K_A + 1, 1, B_A)
    print(limit_line("a", rates, draws, flops, phases.result["estimate"], wall))
    return {"name": "(a) R survey, 1e5 x 20, B = 1,000", "ratio": ratio, "target": f">= {TARGETS['a']:g}x",
            "met": None if ratio is None else ratio >= TARGETS["a"], "ours": wall, "theirs": r_seconds,
            "limit": limit_of(rates, draws, flops), "engine": phases.result["estimate"]}


def limit_of(rates: dict, draws: float, flops: float, precision: str = "double") -> float:
    return draws / rates["rng_all"] + flops / rates["gemm_f32" if precision == "single" else "gemm_f64"]


# -- (b) 2021 table -------------------------------------------------------------------------------
def bench_b(rates: dict, runs: int) -> dict | None:
    print("\n== (b) the full 2021 table, B = 10,000 (pipeline stage bootstrap_estimates, whole process) ==", flush=True)
    from bench_estimates_2021 import RESPONDENTS, WEIGHTS

    if not (RESPONDENTS.exists() and WEIGHTS.exists()):
        print("skipped: run `make` (or snakemake --cores 2 results/2021/weights/weights.csv) first")
        return None
    script = str(BENCH_DIR / "bench_estimates_2021.py")
    # as workflow/scripts/run_stage.py runs it on this machine (snakemake --cores <all>)
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "BAROMETER_THREADS": str(rates["cores"])}
    children = [run_child([script, "--child", "stage"], env=env).check() for _ in range(runs)]
    wall = statistics.median(r.wall_s for r in children)
    cpu = statistics.median(r.cpu_s for r in children)
    peak = max(r.max_rss_bytes for r in children) / GB
    engine = statistics.median(r.result["phases"]["estimate_partitioned"] for r in children)
    imports = statistics.median(r.result["phases"]["imports"] for r in children)
    print(f"{runs} processes: wall median {wall:.2f} s (min {min(r.wall_s for r in children):.2f}), CPU {cpu:.2f} s, "
          f"peak {peak:.3f} GB; imports {imports:.2f} s, estimate_partitioned {engine:.2f} s")
    info = run_child([__file__, "--child-b"]).check().result
    draws, flops = info["draws"], info["flops"]
    print(limit_line("b", rates, draws, flops, engine, wall))
    limit_s, limit_gb = TARGETS["b"]
    return {"name": "(b) 2021 table, B = 10,000", "ratio": None, "target": f"< {limit_s:g} s, < {limit_gb:g} GB",
            "met": wall < limit_s and peak < limit_gb, "ours": wall, "peak": peak,
            "limit": limit_of(rates, draws, flops), "engine": engine}


def child_b() -> None:
    """The 2021 design and the engine's work (draws, FLOPs) for the limit line."""
    sys.path.insert(0, str(BENCH_DIR))
    from bench_estimates_2021 import _stage_inputs, _stage_params

    from barometer.config import BootstrapSettings, load_config
    from barometer.estimands import design_for, read_analysis
    from barometer.survey.estimation import unique_columns

    config = load_config()
    params = _stage_params(config)
    inputs = _stage_inputs(config)
    codebook, _, frame = read_analysis(inputs.respondents, inputs.weights, inputs.codebook, inputs.strata)
    values = codebook.indicator_values(frame).to_numpy(float)
    design = design_for(frame, BootstrapSettings.from_config(params.bootstrap))
    columns = values.shape[1] + unique_columns((~np.isnan(values)).astype(float))[0].shape[1]
    # one grouping per partition ('all' is the sum of the first partition's levels)
    draws, flops = work_of(design, columns, max(1, len(params.domains)), config["bootstrap"]["replicates"])
    emit({"draws": draws, "flops": flops})


# -- (c) 1e6 x 50 ---------------------------------------------------------------------------------
def bench_c(rates: dict) -> list[dict]:
    print("\n== (c) n = 10^6, 50 indicators (30 shares, 20 means, 5% missing), 36 strata, B = 1,000 ==", flush=True)
    rows = []
    for estimator, precision in (("estimate", "double"), ("partitioned", "double"), ("estimate", "single")):
        r = run_child([str(BENCH_DIR / "bench_scaling.py"), "--child", "1000000", "1000", "250",
                       "--estimator", estimator, "--precision", precision], env=SINGLE_BLAS).check()
        rows.append((estimator, precision, r))
        print(f"{estimator}() {precision}: estimation {r.result['estimation_s']:.2f} s (estimator {r.result['estimate_s']:.2f} s), "
              f"whole child {r.wall_s:.2f} s ({r.cpu_s:.1f} s CPU, data generation {r.result['data_s']:.1f} s), "
              f"peak {r.max_rss_bytes / GB:.2f} GB", flush=True)
    out = []
    limit_s, limit_gb = TARGETS["c"]
    for estimator, precision, r in rows:
        # both estimators multiply the numerators and the distinct denominators (the child counts them)
        draws, flops = r.result["draws"], 2.0 * 1000 * r.result["product_units"] * (50 + r.result["distinct_denominators"])
        print(limit_line(f"c, {estimator}() {precision}", rates, draws, flops, r.result["estimate_s"],
                         r.result["estimation_s"], precision))
        seconds, peak = r.result["estimation_s"], r.max_rss_bytes / GB
        out.append({"name": f"(c) 1e6 x 50, B = 1,000, {estimator}() {precision}", "ratio": None,
                    "target": f"< {limit_s:g} s, < {limit_gb:g} GB", "met": seconds < limit_s and peak < limit_gb,
                    "ours": seconds, "peak": peak, "limit": limit_of(rates, draws, flops, precision),
                    "engine": r.result["estimate_s"]})
    return out


# -- (d) samplics ---------------------------------------------------------------------------------
def bench_d(rates: dict, runs: int) -> dict | None:
    print("\n== (d) samplics 0.6.1 vs barometer, n = 1,717, 20 indicators, B = 1,000 (in one process, medians) ==",
          flush=True)
    try:
        import samplics  # noqa: F401
    except ImportError as err:
        print(f"skipped: samplics is not installed ({err}); pip install samplics==0.6.1 (the 'bench' extra)")
        return None
    r = run_child([__file__, "--child-d", str(runs)], env=SINGLE_BLAS).check().result
    ratio = r["theirs"] / r["ours"]
    print(f"samplics {r['theirs']:.3f} s (replicate weights + 20 estimates), barometer {r['ours']:.4f} s (design "
          f"{r['design']:.4f} + estimate {r['engine']:.4f} + table {r['table']:.4f}) -> {ratio:.1f}x")
    print(limit_line("d", rates, r["draws"], r["flops"], r["engine"], r["ours"]))
    return {"name": "(d) samplics, 1,717 x 20, B = 1,000", "ratio": ratio, "target": f">= {TARGETS['d']:g}x",
            "met": ratio >= TARGETS["d"], "ours": r["ours"], "theirs": r["theirs"],
            "limit": limit_of(rates, r["draws"], r["flops"]), "engine": r["engine"]}


def child_d(runs: int) -> None:
    sys.path.insert(0, str(BENCH_DIR))
    import bench_vs_samplics as vs

    from barometer.survey import StratifiedDesign
    from barometer.survey.estimation import unique_columns

    sample = vs.sorted_by_label(vs.synthetic_sample(vs.N_UNITS, vs.INDICATORS, seed=2021))
    s_runs, b_runs = vs.timing(sample, 1000, runs)
    design = StratifiedDesign.from_sample(sample.unit_labels, sample.population)
    unique = unique_columns((~np.isnan(sample.values)).astype(float))[0].shape[1]
    draws, flops = work_of(design, vs.INDICATORS + unique, 1, 1000)
    med = {k: statistics.median(r[k] for r in b_runs) for k in ("total", "design", "estimate", "table")}
    emit({"theirs": statistics.median(r["total"] for r in s_runs), "ours": med["total"], "design": med["design"],
          "engine": med["estimate"], "table": med["table"], "draws": draws, "flops": flops})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes (a, b) or in-process repetitions (d)")
    parser.add_argument("--only", default="a,b,c,d", help="comparisons to run")
    parser.add_argument("--skip-r", action="store_true", help="(a) without R (no ratio)")
    parser.add_argument("--profile", action="store_true", help="cProfile of (a)'s estimation in process")
    parser.add_argument("--child-a", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-b", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-d", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_a:
        child_a(*args.child_a, profile=args.profile)
        return 0
    if args.child_b:
        child_b()
        return 0
    if args.child_d:
        child_d(args.child_d)
        return 0
    sys.path.insert(0, str(BENCH_DIR))
    started = time.perf_counter()
    print("== The replicate engine against its targets ==")
    print(f"machine: {machine_line()}")
    rates = machine_rates()
    only = set(args.only.split(","))
    results = []
    if "a" in only:
        results.append(bench_a(rates, min(args.runs, 3), args.skip_r, args.profile))
    if "b" in only:
        results.append(bench_b(rates, args.runs))
    if "c" in only:
        results += bench_c(rates)
    if "d" in only:
        results.append(bench_d(rates, args.runs))
    results = [r for r in results if r]
    rows = []
    for r in results:
        ratio = f"{r['ratio']:.1f}x" if r.get("ratio") else "-"
        measured = f"{r['ours']:.3f} s" + (f", {r['peak']:.3f} GB" if "peak" in r else "")
        verdict = {True: "met", False: "MISSED", None: "no comparison"}[r["met"]]
        rows.append([r["name"], measured, ratio, r["target"], verdict, f"{r['limit']:.3f} s",
                     f"{r['limit'] / r['engine']:.0%}", f"{r['limit'] / r['ours']:.0%}"])
    print(f"\n== Summary (load average now {os.getloadavg()[0]:.2f}; {time.perf_counter() - started:.0f} s) ==")
    print(table(rows, ["comparison", "barometer", "ratio", "target", "verdict", "limit", "of limit: engine", "whole"],
                align="lrrllrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
