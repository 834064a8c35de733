"""The workflow on a Slurm cluster: Snakemake's Slurm executor with profiles/slurm gives the bytes of a
local run, every job goes through Slurm, and the figure jobs go as one Slurm job.

The tests marked ``slurm`` need a running cluster: ``make test-slurm`` starts a real one-node Slurm
on this machine (.ci/slurm-cluster.sh), runs them and stops it; plain ``make test`` deselects them
(pyproject addopts). They are skipped only where this machine has no Slurm to submit to, and under
``make test-slurm`` (BAROMETER_REQUIRE_SLURM=1) even that fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, copy_repository, run_workflow

FIGURE_RULES = {"figure", "cross_survey_figure", "longitudinal_figure"}


def pins(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(encoding="utf-8"), flags=re.M))


def test_the_slurm_plugin_is_pinned_apart_from_the_default_install():
    default, slurm = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-slurm.lock")
    assert "snakemake-executor-plugin-slurm" not in default
    assert {"snakemake-executor-plugin-slurm", "snakemake-executor-plugin-slurm-jobstep"} <= set(slurm)
    # installed on top of requirements.lock, the slurm lock must not move any package the default pins
    moved = {name: (default[name], version) for name, version in slurm.items() if name in default and default[name] != version}
    assert not moved, moved
    assert set(slurm) - set(default) == {"snakemake-executor-plugin-slurm", "snakemake-executor-plugin-slurm-jobstep"}


def test_make_test_slurm_starts_the_cluster_runs_the_slurm_tests_and_always_stops_it():
    plan = subprocess.run(["make", "-n", "-B", "test-slurm"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-r requirements-slurm.lock" in plan
    run = next(line for line in plan.replace("\\\n", " ").splitlines() if "pytest" in line)
    assert run.startswith("trap '.ci/slurm-cluster.sh stop' EXIT;") and ".ci/slurm-cluster.sh start &&" in run
    assert "BAROMETER_REQUIRE_SLURM=1" in run and "-m slurm" in run
    assert "make test-slurm" in (ROOT / ".ci" / "run").read_text()
    slurm = subprocess.run(["make", "-n", "-o", ".venv/.installed-slurm", "slurm"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    assert "snakemake --workflow-profile profiles/slurm" in slurm


@pytest.mark.parametrize("command", [["--unlock"], ["--summary"]])
def test_the_workflow_parses_without_a_number_of_cores(repo_copy, command):
    # `threads: workflow.cores` made every command without --cores fail (and the Slurm executor with it)
    result = run_workflow(repo_copy, *command, cores=None)
    if command == ["--unlock"]:
        assert "Unlocked working directory" in result.stdout + result.stderr
    else:  # every output of the default target, none made yet in a fresh copy
        summary = result.stdout
        assert "results/2021/estimates/estimates.csv" in summary and "results/report/barometer_nl.pdf" in summary
        assert "missing" in summary


# ---- on a real cluster ----------------------------------------------------------------------------


def slurm_unavailable() -> str | None:
    """Why this machine cannot submit to Slurm, or None."""
    for command in ("sbatch", "srun", "squeue", "sinfo"):
        if shutil.which(command) is None:
            return f"`{command}` is not installed: no Slurm on this machine (make test-slurm installs slurm-wlm and starts a cluster)"
    try:
        answer = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "sinfo got no answer in 60 s: no Slurm controller reachable (make test-slurm starts one)"
    if answer.returncode != 0:
        return f"no Slurm controller reachable (sinfo: {answer.stderr.strip()}); make test-slurm starts one"
    states = set(answer.stdout.split())
    if not states & {"idle", "mixed", "allocated", "completing"}:
        return f"no Slurm node is up (sinfo: {', '.join(sorted(states)) or 'no nodes'})"
    return None


@dataclass
class SlurmRun:
    workdir: Path
    log: str
    seconds: float


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory) -> SlurmRun:
    """One `make slurm` (snakemake --workflow-profile profiles/slurm: the default target) in a fresh copy
    of the repository."""
    reason = slurm_unavailable()
    if reason:
        if os.environ.get("BAROMETER_REQUIRE_SLURM"):
            pytest.fail(reason)
        pytest.skip(reason)
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.fail("Snakemake's Slurm executor plugin is not installed: pip install -r requirements-slurm.lock (make test-slurm does)")
    workdir = copy_repository(tmp_path_factory.mktemp("slurm_run"))
    venv = Path(sys.executable).parent.parent  # the environment make built, with the plugin
    # -o: never remake the environment's stamps, which would re-point its editable install at this copy
    make = ["make", f"VENV={venv}", "-o", f"{venv}/.installed", "-o", f"{venv}/.installed-slurm", "slurm"]
    environment = {k: v for k, v in os.environ.items() if k != "BAROMETER_SALT"}
    start = time.monotonic()
    result = subprocess.run(make, cwd=workdir, env=environment, capture_output=True, text=True, timeout=1500)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f"make slurm failed ({result.returncode}):\n{result.stderr[-6000:]}"
    return SlurmRun(workdir, result.stdout + result.stderr, seconds)


def outputs(root: Path) -> dict[str, bytes]:
    """Every file under results/ except the logs (they hold times and paths of the run)."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted((root / "results").rglob("*"))
            if path.is_file() and "logs" not in path.relative_to(root / "results").parts and path.suffix != ".log"}


@pytest.mark.slow
@pytest.mark.slurm
def test_the_workflow_on_slurm_gives_the_bytes_of_the_local_run(slurm_run, full_run):
    on_slurm, local = outputs(slurm_run.workdir), outputs(full_run)
    assert sorted(on_slurm) == sorted(local)
    differing = [path for path in local if on_slurm[path] != local[path]]
    assert not differing, f"differ between the Slurm and the local run: {differing}"
    assert {"results/manifest.csv", "results/report/barometer.html", "results/report/barometer.pdf",
            "results/2021/estimates/estimates.csv", "results/cross_survey/comparison.csv",
            "results/2021/figures/en/fig04_barriers.png"} <= set(local)
    assert len(local) >= 75
    print(f"Slurm run: {slurm_run.seconds:.0f} s, {len(local)} outputs identical to the local run")


@dataclass
class Submission:
    rules: list[str]  # the rule of the job, or the rules of the jobs of a group job
    group: str | None
    slurm_id: str


def planned_jobs(log: str) -> Counter:
    """Snakemake's `Job stats:` table: jobs per rule."""
    table = log.split("Job stats:", 1)[1].split("total", 1)[0]
    return Counter({m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.M)})


def submissions(log: str) -> tuple[list[Submission], list[str]]:
    """The Slurm submissions that Snakemake reports, and the rules of the jobs it ran on this machine.

    `make` runs Snakemake with `--quiet host reason`, so each job is one line `Job ID: <its message>`
    (indented under `Group job NAME` for the jobs of a group job), the executor then prints `Job ID has
    been submitted with SLURM jobid N`, where ID is the job's id or the group job's, and every job ends
    with `Finished jobid: ID (Rule: NAME)`, which names its rule. A job that finished without being
    submitted, alone or in a group, ran on this machine."""
    rule_of = dict(re.findall(r"^Finished jobid: (\d+) \(Rule: (\w+)\)", log, flags=re.M))
    members: dict[str, list[str]] = {}  # group name -> job ids
    grouped, submitted, found = set(), set(), []
    group = None
    for line in log.splitlines():
        if m := re.search(r"Group job (\S+) \(jobs in lexicogr\. order\)", line):
            group = m.group(1)
            members[group] = []
        elif m := re.match(r"(\s*)Job (\d+): ", line):
            if group and m.group(1):
                members[group].append(m.group(2))
                grouped.add(m.group(2))
            elif not m.group(1):
                group = None
        elif m := re.match(r"Job (\S+) has been submitted with SLURM jobid (\d+)", line):
            job = m.group(1)
            if job in rule_of and job not in grouped:
                submitted.add(job)
                found.append(Submission([rule_of[job]], None, m.group(2)))
            else:  # a group job: it was the last group announced
                name = next(reversed(members))
                found.append(Submission([rule_of[j] for j in members[name]], name, m.group(2)))
    local = [rule for job, rule in rule_of.items() if job not in submitted and job not in grouped]
    return found, local


def slurm_records(job_ids: list[str]) -> dict[str, dict[str, str]]:
    """Slurm's own record of each job (squeue lists finished jobs for MinJobAge, an hour on the test cluster)."""
    fields = {"id": "%i", "state": "%T", "comment": "%k", "workdir": "%Z", "cpus": "%C", "memory": "%m", "time_limit": "%l"}
    answer = subprocess.run(["squeue", "--states=all", "--noheader", f"--jobs={','.join(job_ids)}",
                             "--format=" + "|".join(fields.values())], capture_output=True, text=True, check=True)
    records = [dict(zip(fields, line.split("|"))) for line in answer.stdout.splitlines() if line.strip()]
    return {record["id"]: record for record in records}


@pytest.mark.slow
@pytest.mark.slurm
def test_every_job_went_through_slurm_and_the_figures_as_one_job(slurm_run, full_run):
    found, local = submissions(slurm_run.log)
    assert local == ["default"], local  # only the default target rule (it has no outputs) ran on this machine
    # every planned job was submitted once, alone or in the group job
    ran = Counter(rule for submission in found for rule in submission.rules)
    assert ran == planned_jobs(slurm_run.log) - Counter(local), ran
    assert len({s.slurm_id for s in found}) == len(found)
    # and they are the rules behind the outputs of the local run (its manifest names them)
    local_rules = set(pd.read_csv(full_run / "results/manifest.csv", dtype=str)["rule"])
    assert set(ran) == local_rules, set(ran) ^ local_rules

    groups = [s for s in found if s.group]
    assert len(groups) == 1 and groups[0].group == "figures", [(s.group, s.rules) for s in groups]
    figures = groups[0].rules
    assert set(figures) == FIGURE_RULES and len(figures) == 18, figures
    assert not [s for s in found if not s.group and set(s.rules) & FIGURE_RULES], "a figure job went to Slurm on its own"

    records = slurm_records([s.slurm_id for s in found])
    missing = [s.slurm_id for s in found if s.slurm_id not in records]
    assert not missing, f"Slurm has no record of jobs {missing} (MinJobAge too short?)"
    for submission in found:
        record = records[submission.slurm_id]
        assert record["state"] == "COMPLETED", (submission, record)
        assert Path(record["workdir"]).resolve() == slurm_run.workdir.resolve(), record
        if submission.group:
            assert "figures" in record["comment"], record
        else:
            assert record["comment"].startswith(f"rule_{submission.rules[0]}"), record
    # the rules' resources reach sbatch: the report asks for 1600 MB and 5 minutes on one CPU
    report = records[next(s.slurm_id for s in found if s.rules == ["report"])]
    assert (report["memory"], report["time_limit"], report["cpus"]) == ("1600M", "5:00", "1"), report
