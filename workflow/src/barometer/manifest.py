"""The run manifest: every output with its producing rule, size, checksum and the checksums of its inputs.

Written by the workflow's onsuccess hook after every successful run (results/manifest.csv) from the
provenance records the jobs wrote when they made their outputs (barometer/provenance.py): the input
checksums are those each output was made from, not those of the files when the manifest is written.
``barometer verify`` (``make verify``) checks results/ against them and reports
- outputs that are missing, or whose content changed since they were made;
- stale outputs: their recorded inputs no longer match the current files;
- outputs made from other microdata than their neighbours (the same edition's clean outputs);
- files under results/ that no record and no manifest row knows (logs and the provenance records
  aside), and staging folders an interrupted render left behind;
- after a failed or interrupted run, the outputs it did not make.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from .io import sha256_file, write_csv
from .provenance import FOLDER, RUN_RECORD, read_run, record_path, records

REPORT_PACKAGES = ("barometer", "snakemake", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
                   "pandera", "frictionless", "jupytext", "nbclient", "nbconvert", "pypandoc_binary", "typst")
COLUMNS = ["path", "rule", "rows", "bytes", "sha256", "inputs", "inputs_sha256", "microdata_sha256", "config_sha256",
           "software", "git_commit"]
STAGING = ".*.render-*"  # barometer/render.py's staging folders
SHOWN = 3  # changed inputs named per stale output


def inputs_digest(hashes: dict[str, str]) -> str:
    """One checksum of an output's inputs: sha256 of their sorted ``path:sha256`` lines."""
    lines = [f"{name}:{hashes[name]}" for name in sorted(hashes)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _lineage(record: dict) -> str:
    return ";".join(f"{edition}={sha}" for edition, shas in sorted(record.get("microdata", {}).items()) for sha in shas)


def build_manifest(results: Path, root: Path, config_sha256: str, software: dict[str, str], git_commit: str) -> pd.DataFrame:
    """One row per provenance record (output) under ``results``."""
    software_text = ";".join(f"{k}={v}" for k, v in sorted(software.items()))
    rows = []
    for record in records(results):
        rows.append({
            "path": record["path"], "rule": record["rule"], "rows": record["rows"], "bytes": record["bytes"],
            "sha256": record["sha256"], "inputs": ";".join(sorted(record["inputs"])),
            "inputs_sha256": inputs_digest(record["inputs"]), "microdata_sha256": _lineage(record),
            "config_sha256": config_sha256, "software": software_text, "git_commit": git_commit,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def write_manifest(path: Path, results: Path, root: Path, config_sha256: str, software: dict[str, str], git_commit: str) -> pd.DataFrame:
    table = build_manifest(results, root, config_sha256, software, git_commit)
    tmp = path.with_suffix(".csv.tmp")
    write_csv(table, tmp)
    os.replace(tmp, path)  # never a half-written manifest
    return table


def _short(sha: str) -> str:
    return sha[:12] + "..."


# Snakemake's own provenance report of the run (`make provenance`): a view of the outputs, made by no rule
SNAKEMAKE_REPORT = Path("report/provenance.html")


def verify_manifest(path: Path) -> list[str]:
    """Problems with results/ against its manifest and provenance records (empty list: all match).
    Paths are relative to the working directory, as the workflow writes them."""
    path = Path(path)
    results = path.parent
    table = pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else None
    recorded = {r["path"]: r for r in records(results)}
    if table is None and not recorded:
        return [f"{path}: no manifest (run the workflow first: make)"]
    problems: list[str] = []
    reported: set[str] = set()
    hashes: dict[str, str] = {}

    def current(name: str) -> str:
        if name not in hashes:
            hashes[name] = sha256_file(name) if Path(name).is_file() else "missing"
        return hashes[name]

    def problem(name: str, text: str) -> None:
        problems.append(f"{name}: {text}")
        reported.add(name)

    run = read_run(results)
    if run and run.get("status") in ("running", "failed", "partial"):
        what = {"failed": "the last run failed", "running": "the last run did not finish (interrupted, or still running)",
                "partial": "an earlier run failed and later runs did not make all it was to make"}[run["status"]]
        problems.append(f"{what}; until a complete run, results/ holds a partial state")
        started = (results / FOLDER / RUN_RECORD).stat().st_mtime
        for name in run.get("outputs", []):
            where = record_path(name, results)
            # a failed run lists the outputs it did not make; an interrupted one, those it planned
            remade = run["status"] == "running" and where is not None and where.exists() and where.stat().st_mtime >= started
            if remade:
                continue
            if not Path(name).exists():
                problem(name, "missing: the last run did not make it" if run["status"] != "partial"
                        else "missing: an earlier run failed before making it")
            else:
                problem(name, "stale: the last run was to remake it and did not")

    manifest_paths = set()
    for row in (table.itertuples() if table is not None else []):
        manifest_paths.add(row.path)
        if row.path in reported:
            continue
        if not Path(row.path).exists():
            problem(row.path, f"missing (listed in {path})")
        elif current(row.path) != row.sha256:
            record = recorded.get(row.path)
            if record and record["sha256"] == current(row.path):
                problem(row.path, f"remade by rule {record['rule']} after {path} was written, by a run that did not finish")
            else:
                problem(row.path, "content changed (sha256 differs from the manifest)")

    for name, record in recorded.items():
        if name in reported:
            continue
        if not Path(name).exists():
            problem(name, f"missing (made by rule {record['rule']}, deleted since)")
            continue
        if current(name) != record["sha256"]:
            problem(name, f"content changed since rule {record['rule']} made it (sha256 differs)")
            continue
        changed = [x for x, sha in sorted(record["inputs"].items()) if current(x) != sha]
        if changed:
            shown = ", ".join(x + (" (missing)" if current(x) == "missing" else "") for x in changed[:SHOWN])
            more = f" and {len(changed) - SHOWN} more" if len(changed) > SHOWN else ""
            problem(name, f"stale: made from inputs that have changed since: {shown}{more}")
            continue
        if table is not None and name not in manifest_paths:
            problem(name, f"not in {path}: made by a run that did not finish")

    # microdata lineage: per edition, every output should descend from the raw export its edition's
    # clean outputs were made from (or, without those, from the export most outputs were made from)
    editions = sorted({e for r in recorded.values() for e in r.get("microdata", {})})
    for edition in editions:
        roots = [r for r in recorded.values() if edition in r.get("reads_microdata", [])]
        if roots:
            reference = roots[0]["microdata"][edition][0]
            against = roots[0]["path"]
        else:
            counts = Counter(sha for r in recorded.values() for sha in r.get("microdata", {}).get(edition, []))
            reference, against = counts.most_common(1)[0][0], "most outputs"
        for name, record in recorded.items():
            shas = record.get("microdata", {}).get(edition)
            if not shas or shas == [reference] or name in reported:
                continue
            other = ", ".join(_short(s) for s in shas if s != reference)
            problem(name, f"made from other {edition} microdata than {against}: sha256 {other}, not {_short(reference)}")

    known = manifest_paths | set(recorded) | {str(path), str(path) + ".tmp"}
    # a staging folder counts even when empty (a render killed before it wrote anything)
    staging = {folder for folder in results.rglob(STAGING) if folder.is_dir()
               and not any(parent.match(STAGING) for parent in folder.relative_to(results).parents)}
    for file in sorted(p for p in results.rglob("*") if p.is_file()):
        relative = file.relative_to(results)
        name = os.path.relpath(file)  # as the records name outputs: relative to the checkout
        leftover = next((parent for parent in relative.parents if parent.match(STAGING)), None)
        if leftover is not None:
            staging.add(results / leftover)
            continue
        if (relative.parts[0] == FOLDER or "logs" in relative.parts[:-1] or file.suffix == ".log"
                or relative in (Path(".gitkeep"), SNAKEMAKE_REPORT) or name in known):
            continue
        problem(name, "not an output the manifest or a provenance record knows")
    for folder in sorted(staging):
        problem(str(folder) + "/", "staging folder of an interrupted render (removed by the next run)")
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
