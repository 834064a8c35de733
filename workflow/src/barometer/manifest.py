"""The run manifest: every output with its producing rule, size, checksum and the checksums of its inputs.

Written by the workflow's onsuccess hook after every successful run (results/manifest.csv);
``barometer verify`` (``make verify``) recomputes every checksum and row count and reports any
difference, so a reviewer can tell that the files in results/ are the ones the run produced.
The producing rule and inputs of each output come from Snakemake's own job records.
"""

from __future__ import annotations

import hashlib
import json
import os
from base64 import urlsafe_b64encode
from pathlib import Path

import pandas as pd

from .io import sha256_file, write_csv

REPORT_PACKAGES = ("barometer", "snakemake", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
                   "pandera", "frictionless", "jupytext", "nbclient", "nbconvert", "pypandoc_binary", "typst")
COLUMNS = ["path", "rule", "rows", "bytes", "sha256", "inputs", "inputs_sha256", "config_sha256", "software", "git_commit"]
SKIP_PARTS = {"logs"}


def snakemake_record(path: str, metadata_dir: Path = Path(".snakemake/metadata")) -> dict | None:
    """Snakemake's job record of an output (its file persistence layout: the path urlsafe-base64
    encoded, split into name-length chunks)."""
    key = urlsafe_b64encode(path.encode()).decode()
    limit = 254
    parts = [key[i : i + limit] for i in range(0, len(key), limit)]
    parts = ["@" + p for p in parts[:-1]] + [parts[-1]]
    record = metadata_dir.joinpath(*parts)
    if not record.exists():
        return None
    return json.loads(record.read_text(encoding="utf-8"))


def count_rows(path: Path) -> int | str:
    if path.suffix != ".csv":
        return ""
    with path.open(encoding="utf-8") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def inputs_digest(inputs: list[str]) -> str:
    lines = []
    for name in sorted(inputs):
        p = Path(name)
        lines.append(f"{name}:{sha256_file(p) if p.is_file() else 'missing'}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def relative(path: str, root: Path) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(root.resolve())) if p.is_absolute() else path
    except ValueError:
        return path


def build_manifest(results: Path, root: Path, config_sha256: str, software: dict[str, str], git_commit: str) -> pd.DataFrame:
    rows = []
    software_text = ";".join(f"{k}={v}" for k, v in sorted(software.items()))
    for path in sorted(p for p in results.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        if SKIP_PARTS & set(path.relative_to(results).parts) or path.name == "manifest.csv":
            continue
        record = snakemake_record(rel, root / ".snakemake" / "metadata")
        if record is None:
            continue  # not a workflow output (e.g. .gitkeep)
        inputs = sorted(relative(x, root) for x in record.get("input", []))
        rows.append({
            "path": rel, "rule": record.get("rule", ""), "rows": count_rows(path), "bytes": path.stat().st_size,
            "sha256": sha256_file(path), "inputs": ";".join(inputs), "inputs_sha256": inputs_digest(inputs),
            "config_sha256": config_sha256, "software": software_text, "git_commit": git_commit,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def write_manifest(path: Path, results: Path, root: Path, config_sha256: str, software: dict[str, str], git_commit: str) -> pd.DataFrame:
    table = build_manifest(results, root, config_sha256, software, git_commit)
    tmp = path.with_suffix(".csv.tmp")
    write_csv(table, tmp)
    os.replace(tmp, path)  # never a half-written manifest
    return table


def verify_manifest(path: Path) -> list[str]:
    """Differences between the manifest and the files on disk (empty list: all match)."""
    if not path.exists():
        return [f"{path}: no manifest (run the workflow first: make)"]
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = []
    for row in table.itertuples():
        p = Path(row.path)
        if not p.exists():
            problems.append(f"{row.path}: missing")
            continue
        if sha256_file(p) != row.sha256:
            problems.append(f"{row.path}: content changed (sha256 differs)")
        if row.rows != "" and str(count_rows(p)) != row.rows:
            problems.append(f"{row.path}: {count_rows(p)} rows, manifest says {row.rows}")
        inputs = [x for x in row.inputs.split(";") if x]
        if inputs_digest(inputs) != row.inputs_sha256:
            changed = [x for x in inputs if not Path(x).exists()]
            problems.append(f"{row.path}: its inputs changed since it was produced{' (missing: ' + ', '.join(changed) + ')' if changed else ''}")
    return problems


def git_commit(root: Path) -> str:
    """The checkout's commit, '+modified' when tracked files differ from it."""
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True).stdout.strip()
        return commit + ("+modified" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def git_describe(root: Path) -> str:
    """``git describe --tags --always --dirty``: the nearest tag, commits since and the commit (the
    commit alone without tags), '-dirty' when tracked files differ from it; '' outside a checkout
    with commits."""
    import subprocess

    try:
        return subprocess.run(["git", "describe", "--tags", "--always", "--dirty"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def source_date(root: Path) -> str:
    """The date a render is stamped with (YYYY-MM-DD, UTC), never the wall clock, so that two runs
    give identical bytes: ``$SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention), else
    the committer date of the checkout's commit; '' when neither exists."""
    import subprocess
    from datetime import datetime, timezone

    from .errors import BarometerError

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise BarometerError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, not '{epoch}'")
    else:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True,
                                   check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%d") if epoch else ""


def package_versions() -> dict[str, str]:
    """Python's and the key packages' versions."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in REPORT_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
