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
