"""Shared fixtures: copies of the repository to run the real workflow in, and a helper to run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def repository_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a fresh clone (plus local work) contains."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line and (ROOT / line).is_file()]


def copy_repository(target: Path) -> Path:
    for name in repository_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    return target


def run_workflow(workdir: Path, *args: str, env: dict | None = None, check: bool = True, timeout: int = 1800,
                 cores: str | None = "2") -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` the way the Makefile does; the package is imported from the copy.
    ``cores=None`` passes no --cores (a profile's, or none at all)."""
    environment = {k: v for k, v in os.environ.items() if k != "BAROMETER_SALT"}
    environment.update({"PYTHONPATH": str(workdir / "workflow" / "src"), **(env or {})})
    result = subprocess.run([*SNAKEMAKE, *(["--cores", cores] if cores else []), *args], cwd=workdir, env=environment,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-6000:]}")
    return result


IMPORT_TRACE = "import_trace.jsonl"  # beside the copy: which package modules each job imported


@pytest.fixture(scope="session")
def full_run(tmp_path_factory) -> Path:
    """One complete run of the default target (raw data to report) in a fresh copy of the repository.
    Each job records the package modules it imported in ``<copy>/../import_trace.jsonl``."""
    workdir = copy_repository(tmp_path_factory.mktemp("full_run") / "repo")
    run_workflow(workdir, env={"BAROMETER_IMPORT_TRACE": str(workdir.parent / IMPORT_TRACE)})
    return workdir


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    return copy_repository(tmp_path / "repo")


@pytest.fixture(scope="session")
def two_editions(tmp_path_factory) -> Path:
    """A complete run with the fixture edition 2099 added by configuration only (tests/fixtures/edition_2099)."""
    workdir = copy_repository(tmp_path_factory.mktemp("editions"))
    run_workflow(workdir, "--configfile", "tests/fixtures/edition_2099/config.yaml",
                 env={"BAROMETER_SALT": "salt for the fixture edition"})
    return workdir
