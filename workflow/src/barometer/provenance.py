"""Provenance per output, recorded when the output is made.

After a job's stage function returns, the stage runner (``barometer/stages/__init__.py::run``) writes
one record per output into ``results/.provenance/<path under results>.json``: the producing rule,
the output's sha256, bytes and rows, the sha256 of every input *as the job read it*, and the
microdata the output descends from (per edition: the sha256 of the raw export that the clean job of
that edition read, passed down from input to output). The records hold no time, host or absolute
checkout path, so two clean runs write the same bytes.

Hashing inputs when the manifest is written (after the run) would certify mixed results: rerun only
the first stages on new data and every later output would "match" inputs it was never made from.
Recording them with the job is what lets ``barometer verify`` (barometer/manifest.py) find outputs
whose inputs have changed since, and outputs made from other microdata than their neighbours.

The workflow's hooks (workflow/Snakefile) add a run record, ``results/.provenance/run.json``: the
outputs a run plans (on start), whether it succeeded, and which outputs a failed run did not make.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .io import sha256_file

FOLDER = ".provenance"
RUN_RECORD = "run.json"


def count_rows(path: Path) -> int | str:
    """Data rows of a CSV file (lines after the header); '' for other files."""
    if path.suffix != ".csv":
        return ""
    with path.open(encoding="utf-8") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def record_path(output: str | Path, results: Path = Path("results")) -> Path | None:
    """Where the record of ``output`` lives; None for a file outside results/."""
    try:
        relative = Path(output).relative_to(results)
    except ValueError:
        return None
    if not relative.parts or relative.parts[0] == FOLDER:
        return None
    return results / FOLDER / f"{relative}.json"


def _write_json(data, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # never a half-written record


def read_record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_job(rule: str, outputs: Iterable[str], inputs: Iterable[str], logs: Iterable[str] = (),
               microdata: Mapping[str, str] | None = None, results: Path = Path("results")) -> list[Path]:
    """Write the records of a finished job's outputs. ``microdata``: {edition: path} of raw exports the
    job read itself (the clean job); the lineage of the other inputs comes from their own records."""
    inputs = sorted(set(map(str, inputs)))
    hashes = {name: sha256_file(name) if Path(name).is_file() else "missing" for name in inputs}
    lineage: dict[str, set[str]] = {}
    for edition, path in (microdata or {}).items():
        lineage.setdefault(str(edition), set()).add(hashes.get(str(path)) or sha256_file(path))
    for name in inputs:
        where = record_path(name, results)
        parent = read_record(where) if where is not None and where.exists() else None
        for edition, shas in ((parent or {}).get("microdata") or {}).items():
            lineage.setdefault(edition, set()).update(shas)
    written = []
    for output in map(str, outputs):
        where = record_path(output, results)
        path = Path(output)
        if where is None or not path.is_file():
            continue
        _write_json({
            "path": output, "rule": rule, "sha256": sha256_file(path), "bytes": path.stat().st_size,
            "rows": count_rows(path), "inputs": hashes, "logs": sorted(map(str, logs)),
            "microdata": {edition: sorted(shas) for edition, shas in sorted(lineage.items())},
            "reads_microdata": sorted(str(e) for e in (microdata or {})),
        }, where)
        written.append(where)
    return written


def forget(outputs: Iterable[str], results: Path = Path("results")) -> None:
    """Remove the records of outputs a job is about to remake: a job that then fails leaves no record
    claiming its (deleted) outputs."""
    for output in outputs:
        where = record_path(output, results)
        if where is not None:
            where.unlink(missing_ok=True)


def records(results: Path = Path("results")) -> list[dict]:
    """Every output record under ``results``, sorted by output path."""
    folder = results / FOLDER
    out = []
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        if path == folder / RUN_RECORD:
            continue
        record = read_record(path)
        if record and "path" in record:
            out.append(record)
    return sorted(out, key=lambda r: r["path"])


def write_run(results: Path, status: str, outputs: Iterable[str] = ()) -> None:
    """The run record: ``status`` (running, succeeded, failed, partial) and the outputs concerned (planned;
    not made by the failed run; still missing after an earlier failure)."""
    _write_json({"status": status, "outputs": sorted(set(map(str, outputs)))}, results / FOLDER / RUN_RECORD)


def unmade(results: Path) -> list[str]:
    """Outputs an earlier failed or interrupted run was to make and that are still missing."""
    previous = read_run(results) or {}
    if previous.get("status") not in ("failed", "running", "partial"):
        return []
    return [o for o in previous.get("outputs", []) if not Path(o).exists()]


def start_run(results: Path, planned: Iterable[str]) -> None:
    """On start: the outputs this run is to make, and those earlier runs did not make (so that a run of
    other targets does not make them forgotten)."""
    write_run(results, "running", [*map(str, planned), *unmade(results)])


def finish_run(results: Path) -> None:
    """After a successful run: 'succeeded', unless outputs an earlier failed or interrupted run did not
    make are still missing (a later run of other targets does not make them): then 'partial', with those."""
    missing = unmade(results)
    write_run(results, "partial" if missing else "succeeded", missing)


def read_run(results: Path) -> dict | None:
    path = results / FOLDER / RUN_RECORD
    return read_record(path) if path.exists() else None
