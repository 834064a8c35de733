"""Benchmark (a): the full 2021 estimate table with the configured bootstrap (B = 10,000).

Two measured workloads, each in a fresh child process, repeated:
  table  what barometer.pipeline.bootstrap_estimates computes up to the estimate table: read the
         cleaned respondents and weights, analysis_frame, build_estimands (with the complements
         used for differences), design_for, estimate(..., bootstrap=spec), estimate_table.
  stage  the whole Snakemake stage, barometer.pipeline.bootstrap_estimates itself (adds the
         differences, the claims and writing the CSV files), outputs to a temporary directory.
Wall time is that of the whole child (interpreter start and imports included); the child also
reports the time of each phase. Targets for `table`: < 5 s wall, < 1 GB peak RSS, on 2 cores.

    .venv/bin/python bench/bench_estimates_2021.py [--runs 5] [--stage-runs 3]
"""

from __future__ import annotations

import argparse
import sys
import time

T0 = time.perf_counter()

from _harness import GB, REPO_ROOT, children_max_rss_bytes, emit, machine_line, median, run_child, spread, table  # noqa: E402

RESPONDENTS = REPO_ROOT / "results/2021/clean/respondents.csv"
WEIGHTS = REPO_ROOT / "results/2021/weights/weights.csv"
EDITION = "2021"
TARGET_WALL_S = 5.0
TARGET_RSS_GB = 1.0


def _stage_params(config: dict):
    from types import SimpleNamespace

    # the params of rule bootstrap_estimates (workflow/rules/estimate.smk)
    return SimpleNamespace(seed=config["seed"], domains=config["estimation"]["domains"], bootstrap=config["bootstrap"],
                           ci=config["ci"], reliability=config["reliability"], publication=config["publication"],
                           differences=config["differences"])


def _stage_inputs(config: dict):
    from types import SimpleNamespace

    block = config["editions"][EDITION]
    return SimpleNamespace(respondents=str(RESPONDENTS), weights=str(WEIGHTS), codebook=block["codebook"],
                           strata=block["strata"], claims=block.get("claims"), package=config["published_sources"])


def child_table() -> None:
    import resource

    import numpy as np

    from barometer import pipeline
    from barometer.analysis import build_estimands, design_for
    from barometer.config import load_config
    from barometer.estimators import estimate, estimate_table
    from barometer.reliability import ReliabilityRule

    t_import = time.perf_counter()
    config = load_config()
    params = _stage_params(config)
    codebook, strata, frame = pipeline._analysis(_stage_inputs(config), config)
    t_load = time.perf_counter()
    es = build_estimands(frame, codebook, params.domains, pipeline.level_order(strata),
                         complements=params.differences["dimensions"])
    t_estimands = time.perf_counter()
    design = design_for(frame, params.bootstrap)
    spec = pipeline.bootstrap_spec(params, EDITION)
    t_design = time.perf_counter()
    est = estimate(design, es.values, es.domains, es.table["kind"].to_numpy(), es.table, bootstrap=spec)
    t_estimate = time.perf_counter()
    rule = ReliabilityRule.from_config(params.reliability, params.publication)
    result = estimate_table(est, ci_method=params.ci["method"], mean_method=params.ci["mean_method"],
                            level=params.ci["level"], rule=rule)
    t_table = time.perf_counter()
    emit({
        "phases": {"imports": t_import - T0, "load": t_load - t_import, "estimands": t_estimands - t_load,
                   "design": t_design - t_estimands, "estimate (bootstrap)": t_estimate - t_design,
                   "estimate_table": t_table - t_estimate},
        "compute_s": t_table - t_import,
        "n": int(design.n), "K": int(es.values.shape[1]), "rows": len(result),
        "B": spec.replicates, "block_size": spec.block_size, "strata": len(design.strata),
        "shares": int(np.sum(es.table["kind"] == "share")),
        "replicates_mb": est.replicates.nbytes / 2**20,
        "self_max_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    })


def child_stage() -> None:
    import tempfile
    from pathlib import Path
    from types import SimpleNamespace

    from barometer import pipeline
    from barometer.config import load_config

    t_import = time.perf_counter()
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        out = SimpleNamespace(**{k: str(Path(tmp) / f"{k}.csv") for k in ("estimates", "differences", "claims", "variance_strata")})
        pipeline.bootstrap_estimates(_stage_inputs(config), out, _stage_params(config), SimpleNamespace(edition=EDITION), config)
    t_done = time.perf_counter()
    emit({"phases": {"imports": t_import - T0, "bootstrap_estimates stage": t_done - t_import}, "compute_s": t_done - t_import})


def measure(workload: str, runs: int) -> list:
    results = []
    for _ in range(runs):
        results.append(run_child([__file__, "--child", workload]).check())
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions of the table workload")
    parser.add_argument("--stage-runs", type=int, default=3, help="repetitions of the whole stage (0: skip)")
    parser.add_argument("--child", choices=["table", "stage"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "table":
        child_table()
        return 0
    if args.child == "stage":
        child_stage()
        return 0

    print("== Benchmark (a): full 2021 estimate table, bootstrap as configured ==")
    print(f"machine: {machine_line()}")
    missing = [p for p in (RESPONDENTS, WEIGHTS) if not p.exists()]
    if missing:
        print("missing inputs: " + ", ".join(str(p.relative_to(REPO_ROOT)) for p in missing))
        print("create them first with `make` (the whole workflow) or")
        print("  .venv/bin/snakemake --cores 2 results/2021/weights/weights.csv")
        return 1

    runs = measure("table", args.runs)
    info = runs[0].result
    print(f"workload: n = {info['n']} respondents in {info['strata']} strata, K = {info['K']} estimands "
          f"({info['shares']} shares; {info['rows']} table rows incl. complements), B = {info['B']}, "
          f"block_size = {info['block_size']}; replicate matrix B x K = {info['replicates_mb']:.0f} MB")
    rows = []
    for name in info["phases"]:
        rows.append([name, *(f"{v:.3f}" for v in spread([r.result["phases"][name] for r in runs]))])
    rows.append(["compute (load .. estimate_table)", *(f"{v:.3f}" for v in spread([r.result["compute_s"] for r in runs]))])
    rows.append(["whole child process (wall)", *(f"{v:.3f}" for v in spread([r.wall_s for r in runs]))])
    print(f"\nTime in seconds over {len(runs)} runs (each a fresh process):")
    print(table(rows, ["phase", "min", "median", "max"]))
    rss = [r.max_rss_bytes / GB for r in runs]
    print(f"\nPeak RSS of the child process (GB): min {min(rss):.3f}, median {median(rss):.3f}, "
          f"max {max(rss):.3f}  (RUSAGE_CHILDREN running max {children_max_rss_bytes() / GB:.3f})")

    wall = median([r.wall_s for r in runs])
    compute = median([r.result["compute_s"] for r in runs])
    peak = max(rss)
    print(f"\ntarget wall < {TARGET_WALL_S:g} s: whole process median {wall:.2f} s -> "
          f"{'met' if wall < TARGET_WALL_S else f'MISSED by {wall - TARGET_WALL_S:.2f} s ({wall / TARGET_WALL_S:.1f}x)'}; "
          f"compute only {compute:.2f} s -> {'met' if compute < TARGET_WALL_S else 'MISSED'}")
    print(f"target peak < {TARGET_RSS_GB:g} GB: max {peak:.3f} GB -> "
          f"{'met' if peak < TARGET_RSS_GB else f'MISSED by {peak - TARGET_RSS_GB:.3f} GB'}")

    if args.stage_runs:
        stage = measure("stage", args.stage_runs)
        rows = [["bootstrap_estimates stage (in child)", *(f"{v:.3f}" for v in spread([r.result["compute_s"] for r in stage]))],
                ["whole child process (wall)", *(f"{v:.3f}" for v in spread([r.wall_s for r in stage]))]]
        print(f"\nWhole pipeline stage (adds differences, claims, CSV output), {len(stage)} runs, seconds:")
        print(table(rows, ["workload", "min", "median", "max"]))
        srss = [r.max_rss_bytes / GB for r in stage]
        print(f"Peak RSS of the stage (GB): min {min(srss):.3f}, max {max(srss):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
