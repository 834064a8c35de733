"""Shared helpers for the benchmarks: run measured work in a child process, summarise, print tables.

Peak memory is that of the whole child process (interpreter, imports, data, work), taken from the
rusage the kernel returns when the child is reaped (``os.wait4``). That is the figure
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` shows after the child exits, except that RUSAGE_CHILDREN
is a running maximum over every child reaped so far and so cannot tell repeated runs apart.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT_PREFIX = "BENCH-RESULT "
GB = 1024**3
MB = 1024**2


@dataclass
class ChildRun:
    wall_s: float  # the whole child: interpreter start, imports, work
    max_rss_bytes: int  # the child's peak resident set size
    result: dict  # what the child reported on its BENCH-RESULT line (phase timings etc.)
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float = 0.0  # user + system seconds of the child (and the children it waited for)

    def check(self) -> ChildRun:
        if self.returncode != 0:
            raise RuntimeError(f"benchmark child failed (exit {self.returncode}):\n{self.stderr[-4000:]}")
        return self


def emit(result: dict) -> None:
    """Child side: report a JSON result on one tagged stdout line."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(args: list[str], env: dict | None = None) -> ChildRun:
    """Run ``python <args>`` from the repository root; wall time and the child's own peak RSS."""
    return run_command([sys.executable, *args], env)


def run_command(command: list[str], env: dict | None = None) -> ChildRun:
    """Run any command from the repository root; wall time (start to reaping) and its peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by hand: tell Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    result = {}
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
    # ru_maxrss is in kilobytes on Linux
    return ChildRun(wall, usage.ru_maxrss * 1024, result, proc.returncode, stdout, stderr,
                    usage.ru_utime + usage.ru_stime)


def children_max_rss_bytes() -> int:
    """Largest peak RSS of any child reaped so far (cross-check for the per-run figures)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(rows: list[list], header: list[str], align: str | None = None) -> str:
    """Plain-text table (also valid Markdown) with right-aligned numbers."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    align = align or "l" + "r" * (len(header) - 1)

    def fmt(row):
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align)) + "|"
    return "\n".join([fmt(cells[0]), rule, *(fmt(r) for r in cells[1:])])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    import numpy

    blas = ""
    try:
        config = numpy.show_config(mode="dicts")
        blas_info = config["Build Dependencies"]["blas"]
        blas = f", BLAS {blas_info.get('name')} {blas_info.get('version')}"
    except Exception:  # noqa: BLE001 - informational only
        pass
    return (f"{len(os.sched_getaffinity(0))} cores ({cpu_model()}), Python {platform.python_version()}, numpy {numpy.__version__}"
            f"{blas} (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}), {_dt.date.today().isoformat()}; "
            f"load average {os.getloadavg()[0]:.2f} at start")
