"""Benchmark (a): the full 2021 estimate table with the configured bootstrap (B = 10,000).

Two workloads, each in a fresh child process, repeated:
  stage    barometer.stages.estimate.bootstrap_estimates itself, as Snakemake runs it (whatever the package
           currently does there: estimates of every indicator in every domain, complements and
           differences, intervals, reliability flags, CSV outputs), writing to a temporary directory.
           The time of each step is taken by wrapping the functions the stage calls.
  generic  the same table through the generic API (what the CLI uses, and what the stage did
           before estimate_partitioned): analysis_frame, build_estimands with the complements,
           design_for, estimate() on the design with replicates, every replicate kept, Estimates.table.
Wall time is that of the whole child (interpreter start and imports included); peak RSS is the
child's. Targets: < 5 s wall and < 1 GB peak on 2 cores.

    .venv/bin/python bench/bench_estimates_2021.py [--runs 5] [--generic-runs 3] [--blas-threads N]

--blas-threads N runs the children with OPENBLAS_NUM_THREADS=N (default: OpenBLAS's choice, one
thread per core). On a machine shared with other work, OpenBLAS's spinning worker threads compete
for the cores and timings can double; one thread is then faster.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

T0 = time.perf_counter()

from _harness import GB, REPO_ROOT, children_max_rss_bytes, emit, machine_line, median, run_child, spread, table  # noqa: E402

RESPONDENTS = REPO_ROOT / "results/2021/clean/respondents.csv"
WEIGHTS = REPO_ROOT / "results/2021/weights/weights.csv"
EDITION = "2021"
TARGET_WALL_S = 5.0
TARGET_RSS_GB = 1.0
# functions the stage may call, timed in every module that holds them (the stage module imports some
# by name, others inside the function from their own module)
STAGE_STEPS = ("read_analysis", "design_for", "estimate_partitioned", "estimate_table", "max_weight_share_by_domain",
               "differences_table", "check_claims", "write_csv")
STAGE_MODULES = ("barometer.stages.estimate", "barometer.estimands", "barometer.survey.estimation", "barometer.differences",
                 "barometer.claims", "barometer.io")


def _stage_params(config: dict):
    from types import SimpleNamespace

    # the params of rule bootstrap_estimates (workflow/rules/estimate.smk)
    return SimpleNamespace(seed=config["seed"], domains=config["estimation"]["domains"], bootstrap=config["bootstrap"],
                           ci=config["ci"], reliability=config["reliability"], publication=config["publication"],
                           differences=config["differences"])


def _stage_inputs(config: dict):
    from types import SimpleNamespace

    block = config["editions"][EDITION]
    results = RESPONDENTS.parents[2] / EDITION
    return SimpleNamespace(respondents=str(RESPONDENTS), weights=str(WEIGHTS), codebook=block["codebook"],
                           strata=block["strata"], claims=block.get("claims"), package=config["published_sources"],
                           accounting=str(results / "clean" / "accounting.csv"),
                           bounds=str(results / "identification" / "bounds.csv"),
                           difference_bounds=str(results / "identification" / "difference_bounds.csv"))


def _timed(module, name: str, spent: dict) -> None:
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def child_stage() -> None:
    import resource
    import tempfile
    from pathlib import Path
    from types import SimpleNamespace

    import importlib

    from barometer.config import load_config
    from barometer.stages import estimate as stage

    t_import = time.perf_counter()
    spent: dict[str, float] = {}
    for name in STAGE_STEPS:
        for module in map(importlib.import_module, STAGE_MODULES):
            if callable(getattr(module, name, None)):
                _timed(module, name, spent)
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        out = SimpleNamespace(**{k: str(Path(tmp) / f"{k}.csv") for k in ("estimates", "differences", "claims", "variance_strata")})
        start = time.perf_counter()
        stage.bootstrap_estimates(_stage_inputs(config), out, _stage_params(config), SimpleNamespace(edition=EDITION))
        done = time.perf_counter()
        rows = sum(1 for _ in open(out.estimates)) - 1
        diffs = sum(1 for _ in open(out.differences)) - 1
    phases = {"imports": t_import - T0, "load_config": start - t_import}
    phases.update({name: spent[name] for name in STAGE_STEPS if name in spent})
    phases["other (in stage)"] = (done - start) - sum(spent.values())
    b = config["bootstrap"]
    emit({"phases": phases, "compute_s": done - t_import, "rows": rows, "differences": diffs,
          "B": b["replicates"], "block_size": b["block_size"],
          "self_max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


def child_generic() -> None:
    import numpy as np

    from barometer.config import BootstrapSettings, IntervalSettings, load_config, reliability_standard
    from barometer.estimands import build_estimands, design_for, level_order, read_analysis
    from barometer.survey import estimate

    t_import = time.perf_counter()
    config = load_config()
    params = _stage_params(config)
    inputs = _stage_inputs(config)
    codebook, strata, frame = read_analysis(inputs.respondents, inputs.weights, inputs.codebook, inputs.strata)
    t_load = time.perf_counter()
    es = build_estimands(frame, codebook, params.domains, level_order(strata), complements=params.differences["dimensions"])
    t_estimands = time.perf_counter()
    bootstrap = BootstrapSettings.from_config(params.bootstrap)
    spec = bootstrap.method(params.seed, (int(EDITION),))
    design = design_for(frame, bootstrap).with_replicates(spec)
    t_design = time.perf_counter()
    est = estimate(design, es.values, es.domains, es.table["kind"].to_numpy(), es.table)
    t_estimate = time.perf_counter()
    ci = IntervalSettings.from_config(params.ci)
    result = est.table(ci=ci.method, mean_ci=ci.mean_method, level=ci.level,
                       standard=reliability_standard(params.reliability, params.publication))
    t_table = time.perf_counter()
    emit({
        "phases": {"imports": t_import - T0, "load": t_load - t_import, "build_estimands": t_estimands - t_load,
                   "design_for": t_design - t_estimands, "estimate (B replicates kept)": t_estimate - t_design,
                   "estimate_table": t_table - t_estimate},
        "compute_s": t_table - t_import,
        "n": int(design.n), "K": int(es.values.shape[1]), "rows": len(result),
        "B": spec.replicates, "block_size": spec.block_size, "strata": len(design.strata),
        "replicates_mb": est.replicates.nbytes / 2**20,
        "shares": int(np.sum(es.table["kind"] == "share")),
    })


def report(name: str, runs: list) -> tuple[float, float, float]:
    """Print the phase table and peak RSS; return (median wall, median compute, max peak GB)."""
    rows = []
    for phase in runs[0].result["phases"]:
        rows.append([phase, *(f"{v:.3f}" for v in spread([r.result["phases"].get(phase, 0.0) for r in runs]))])
    rows.append(["compute (after imports)", *(f"{v:.3f}" for v in spread([r.result["compute_s"] for r in runs]))])
    rows.append(["whole child process (wall)", *(f"{v:.3f}" for v in spread([r.wall_s for r in runs]))])
    print(f"\n[{name}] seconds over {len(runs)} runs, each a fresh process:")
    print(table(rows, ["phase", "min", "median", "max"]))
    rss = [r.max_rss_bytes / GB for r in runs]
    print(f"[{name}] peak RSS of the child (GB): min {min(rss):.3f}, median {median(rss):.3f}, max {max(rss):.3f}")
    return median([r.wall_s for r in runs]), median([r.result["compute_s"] for r in runs]), max(rss)


def verdicts(name: str, wall: float, compute: float, peak: float) -> None:
    wall_v = "met" if wall < TARGET_WALL_S else f"MISSED by {wall - TARGET_WALL_S:.2f} s ({wall / TARGET_WALL_S:.1f}x)"
    compute_v = "met" if compute < TARGET_WALL_S else f"MISSED by {compute - TARGET_WALL_S:.2f} s"
    peak_v = "met" if peak < TARGET_RSS_GB else f"MISSED by {peak - TARGET_RSS_GB:.3f} GB"
    print(f"[{name}] target < {TARGET_WALL_S:g} s: whole process median {wall:.2f} s -> {wall_v}; "
          f"after imports {compute:.2f} s -> {compute_v}")
    print(f"[{name}] target < {TARGET_RSS_GB:g} GB: peak {peak:.3f} GB -> {peak_v}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the pipeline stage")
    parser.add_argument("--generic-runs", type=int, default=3, help="repetitions of the generic-API table (0: skip)")
    parser.add_argument("--blas-threads", type=int, help="OPENBLAS_NUM_THREADS for the children")
    parser.add_argument("--child", choices=["stage", "generic"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        (child_stage if args.child == "stage" else child_generic)()
        return 0

    print("== Benchmark (a): full 2021 estimate table, bootstrap as configured ==")
    print(f"machine: {machine_line()}")
    missing = [p for p in (RESPONDENTS, WEIGHTS) if not p.exists()]
    if missing:
        print("missing inputs: " + ", ".join(str(p.relative_to(REPO_ROOT)) for p in missing))
        print("create them first with `make` (the whole workflow) or")
        print("  .venv/bin/snakemake --cores 2 results/2021/weights/weights.csv")
        return 1
    env = {"OPENBLAS_NUM_THREADS": str(args.blas_threads)} if args.blas_threads else {}
    threads = env.get("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS"))
    print(f"BLAS threads in the children: {threads or 'OpenBLAS default (one per core)'}")

    stage = [run_child([__file__, "--child", "stage"], env=env).check() for _ in range(args.runs)]
    info = stage[0].result
    print(f"\nstage: barometer.stages.estimate.bootstrap_estimates -> {info['rows']} estimate rows, {info['differences']} "
          f"differences; B = {info['B']}, block_size = {info['block_size']}")
    verdicts("stage", *report("stage", stage))

    if args.generic_runs:
        generic = [run_child([__file__, "--child", "generic"], env=env).check() for _ in range(args.generic_runs)]
        info = generic[0].result
        print(f"\ngeneric: n = {info['n']} respondents in {info['strata']} strata, K = {info['K']} estimands "
              f"({info['shares']} shares, complements included), B = {info['B']}, block_size = {info['block_size']}; "
              f"replicate matrix B x K = {info['replicates_mb']:.0f} MB")
        verdicts("generic", *report("generic", generic))
    print(f"\nRUSAGE_CHILDREN running max over all children: {children_max_rss_bytes() / GB:.3f} GB; "
          f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
