"""The README opens with two commands; both are what they claim (the second is what CI runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, copy_repository

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_test_installs_the_debian_packages_and_runs_pytest():
    plan = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m pytest" in plan and "pip install" in plan and "-r requirements.lock" in plan
    install = next(line for line in plan.splitlines() if "apt-get install" in line)
    for package in ("r-cran-survey", "chromium", "poppler-utils"):
        assert package in install


@pytest.mark.slow
def test_make_runs_the_whole_workflow_in_a_clean_checkout(tmp_path):
    repo = copy_repository(tmp_path / "clone")
    venv = Path(sys.executable).parent.parent  # the environment `make` built, reused instead of reinstalling
    # -o: never remake the environment's stamp, which would re-point its editable install at this copy
    make = ["make", f"VENV={venv}", "-o", f"{venv}/.installed", "CORES=2"]
    result = subprocess.run(make, cwd=repo, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (repo / "results/report/barometer.html").stat().st_size > 1_000_000
    manifest = (repo / "results/manifest.csv").read_text(encoding="utf-8")
    assert "results/report/barometer.html" in manifest and "results/2021/estimates/estimates.csv" in manifest
    again = subprocess.run(make, cwd=repo, capture_output=True, text=True, timeout=600)
    assert "Nothing to be done" in again.stdout + again.stderr


def _readme_cli_command() -> list[str]:
    """The README's `barometer estimate` command, continuation lines joined, split as a shell would."""
    import shlex

    block = next(b for b in re.findall(r"```sh\n(.*?)```", README, re.S) if "barometer estimate" in b)
    return shlex.split(block.replace("\\\n", " "))


def test_the_example_files_are_what_their_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    survey, population = module.build()
    assert (ROOT / "examples" / "survey.csv").read_text() == survey.to_csv(index=False, lineterminator="\n")
    assert (ROOT / "examples" / "population.csv").read_text() == population.to_csv(index=False, lineterminator="\n")
    assert survey.groupby("stratum").size().min() >= 2 and set(survey["stratum"]) == set(population["stratum"])


def test_the_readme_cli_command_runs_as_written_on_the_example_files(tmp_path):
    import os
    import shutil

    import numpy as np
    import pandas as pd

    command = _readme_cli_command()
    assert command[:2] == [".venv/bin/barometer", "estimate"]
    paths = [arg for arg in command if arg.endswith(".csv")]
    assert paths == ["examples/survey.csv", "examples/population.csv", "out.csv"]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    script = Path(sys.executable).parent / "barometer"  # the environment's entry point, as .venv/bin/barometer
    executable = [str(script)] if script.exists() else [sys.executable, "-m", "barometer.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "workflow" / "src"), "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([*executable, *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = pd.read_csv(tmp_path / "out.csv").set_index(["variable", "domain"])
    assert len(out) == 3 * 5  # 3 variables x (all + 4 sectors)

    # closed forms from the example files: the stratified estimator sum_h N_h ybar_h / N and its Taylor
    # variance sum_h (N_h / N)^2 (1 - f_h) s_h^2 / n_h (every unit answers adopter and uses_rpa)
    survey = pd.read_csv(tmp_path / "examples" / "survey.csv")
    N = pd.read_csv(tmp_path / "examples" / "population.csv").set_index("stratum")["N"]
    for variable in ("adopter", "uses_rpa"):
        g = survey.groupby("stratum")[variable]
        n_h, mean_h, var_h = g.size(), g.mean(), g.var(ddof=1)
        share = (N * mean_h).sum() / N.sum()
        variance = ((N / N.sum()) ** 2 * (1 - n_h / N) * var_h / n_h).sum()
        assert out.at[(variable, "all"), "estimate"] == pytest.approx(share, rel=1e-9)
        assert out.at[(variable, "all"), "se_taylor"] == pytest.approx(np.sqrt(variance), rel=1e-9)
        assert out.at[(variable, "all"), "n"] == 100 and out.at[(variable, "all"), "df"] == 100 - 12
    # cost_reduction_pct is asked of adopters only: a ratio over the answers, sum w y / sum w
    answered = survey.dropna(subset=["cost_reduction_pct"])
    w = N[answered["stratum"]].to_numpy() / survey.groupby("stratum").size()[answered["stratum"]].to_numpy()
    mean = (w * answered["cost_reduction_pct"]).sum() / w.sum()
    assert out.at[("cost_reduction_pct", "all"), "estimate"] == pytest.approx(mean, rel=1e-9)
    assert out.at[("cost_reduction_pct", "all"), "n"] == len(answered)
    # the seeded bootstrap agrees with the closed form within its Monte-Carlo error (B = 2,000: ~1.6%)
    assert out.at[("adopter", "all"), "se"] == pytest.approx(out.at[("adopter", "all"), "se_taylor"], rel=0.06)
