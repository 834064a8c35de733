"""Benchmark: the identification of the 2021 edition (rule `identify`), from the repository's inputs.

Each run is a fresh child process doing what the stage does: read the published values and apply
the errata (as validate_sources does), load codebook, strata and frame, build the programmes, then
bound every estimate, every difference and every harmonised domain of the cross-survey comparison
(identification.tables). Wall time is the whole child (interpreter start and imports included);
phases are timed inside it, and the child's CPU time is printed too (on a shared machine the wall
time grows with the load average; the CPU time does not). The work is single-threaded. Target:
< 60 s wall on 2 cores.

    .venv/bin/python bench/bench_identification.py [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import time

from _harness import GB, REPO_ROOT, emit, machine_line, median, run_child, spread, table

TARGET_WALL_S = 60.0


def child() -> None:
    start = time.perf_counter()
    cpu = time.process_time()
    sys.path.insert(0, str(REPO_ROOT / "workflow" / "src"))
    from barometer.codebook import Codebook
    from barometer.config import read_yaml
    from barometer.identification import identify
    from barometer.published import read_values
    from barometer.source_checks import CheckContext, load_errata, validate_with_errata
    from barometer.strata import Strata, load_frame

    config = read_yaml(REPO_ROOT / "config" / "config.yaml")
    edition = config["editions"][2021] if 2021 in config["editions"] else config["editions"]["2021"]
    imported = time.perf_counter()
    strata = Strata.load(REPO_ROOT / edition["strata"])
    frame = load_frame(REPO_ROOT / edition["frame"], strata)
    codebook = Codebook.load(REPO_ROOT / edition["codebook"])
    ctx = CheckContext(read_values(REPO_ROOT / edition["published"]), frame, codebook,
                       read_yaml(REPO_ROOT / edition["source_checks"])["relations"], "ai_barometer_2021")
    _, published = validate_with_errata(ctx, load_errata(REPO_ROOT / edition["errata"]), REPO_ROOT / edition["errata"])
    inputs = time.perf_counter()
    result = identify(published, frame, strata, codebook, read_yaml(REPO_ROOT / config["cross_survey"]["crosswalk"]))
    programmes = time.perf_counter()
    tables = result.tables(config["estimation"]["domains"], config["differences"]["dimensions"])
    done = time.perf_counter()
    emit({"imports_s": imported - start, "inputs_s": inputs - imported, "core_s": programmes - inputs,
          "tables_s": done - programmes, "cpu_s": time.process_time() - cpu, "rows": {k: len(v) for k, v in tables.items()},
          "classes": {k: v["identified_by"].value_counts().to_dict() for k, v in tables.items()}})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    print(machine_line())
    runs = [run_child([__file__, "--child"]).check() for _ in range(args.runs)]
    walls = [r.wall_s for r in runs]
    rows = [[f"run {i + 1}", f"{r.wall_s:.1f}", f"{r.result['imports_s']:.1f}", f"{r.result['inputs_s']:.1f}",
             f"{r.result['core_s']:.1f}", f"{r.result['tables_s']:.1f}", f"{r.result['cpu_s']:.1f}",
             f"{r.max_rss_bytes / GB:.2f}"] for i, r in enumerate(runs)]
    print(table(rows, ["", "wall s", "imports s", "inputs s", "core + projection s", "all bounds s", "CPU s (child)", "peak RSS GB"]))
    low, mid, high = spread(walls)
    print(f"wall time min/median/max: {low:.1f} / {mid:.1f} / {high:.1f} s; target < {TARGET_WALL_S:.0f} s: "
          f"{'met' if median(walls) < TARGET_WALL_S else 'NOT met'}")
    print("rows:", runs[0].result["rows"])
    for name, classes in runs[0].result["classes"].items():
        print(f"{name}: {classes}")
    return 0 if median(walls) < TARGET_WALL_S else 1


if __name__ == "__main__":
    sys.exit(main())
