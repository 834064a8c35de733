"""Provenance per output and `barometer verify`, on a small results tree made with the real functions
(the whole-workflow cases are in test_workflow.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from barometer.manifest import verify_manifest, write_manifest
from barometer.provenance import finish_run, record_job, record_path, start_run, write_run


def sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write(path: str, text: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """raw.csv -> clean -> weights -> estimates, each recorded as the stage runner records it."""
    monkeypatch.chdir(tmp_path)
    write("raw.csv", "id,x\n1,2\n")
    write("code.py", "# stage code\n")
    write("results/2021/clean/respondents.csv", "r\n1\n")
    record_job("clean", ["results/2021/clean/respondents.csv"], ["raw.csv", "code.py"], ["results/2021/logs/clean.log"],
               microdata={"2021": "raw.csv"})
    write("results/2021/logs/clean.log", "[clean] done\n")
    write("results/2021/weights/weights.csv", "w\n3\n")
    record_job("weight", ["results/2021/weights/weights.csv"], ["results/2021/clean/respondents.csv", "code.py"])
    write("results/2021/estimates/estimates.csv", "e\n4\n")
    record_job("estimate", ["results/2021/estimates/estimates.csv"],
               ["results/2021/clean/respondents.csv", "results/2021/weights/weights.csv"])
    write_manifest(Path("results/manifest.csv"), Path("results"), tmp_path, "c0nf1g", {"python": "3"}, "abc")
    return tmp_path


def test_a_record_holds_the_inputs_as_the_job_read_them_and_the_microdata_lineage(tree):
    record = json.loads(record_path("results/2021/estimates/estimates.csv").read_text())
    assert record["rule"] == "estimate" and record["sha256"] == sha("results/2021/estimates/estimates.csv")
    assert record["inputs"] == {"results/2021/clean/respondents.csv": sha("results/2021/clean/respondents.csv"),
                                "results/2021/weights/weights.csv": sha("results/2021/weights/weights.csv")}
    assert record["microdata"] == {"2021": [sha("raw.csv")]} and record["rows"] == 1
    assert verify_manifest(Path("results/manifest.csv")) == []


def test_stale_outputs_and_outputs_from_other_microdata_are_reported(tree):
    write("raw.csv", "id,x\n1,5\n")  # new data; only the clean stage is rerun
    write("results/2021/clean/respondents.csv", "r\n9\n")
    record_job("clean", ["results/2021/clean/respondents.csv"], ["raw.csv", "code.py"], microdata={"2021": "raw.csv"})
    problems = verify_manifest(Path("results/manifest.csv"))
    assert "results/2021/weights/weights.csv: stale: made from inputs that have changed since: results/2021/clean/respondents.csv" in problems
    assert any(p.startswith("results/2021/estimates/estimates.csv: stale:") for p in problems)
    assert "results/2021/clean/respondents.csv: remade by rule clean after results/manifest.csv was written, by a run that did not finish" in problems
    # once the manifest is rewritten, the later outputs are still stale and from other microdata
    write_manifest(Path("results/manifest.csv"), Path("results"), Path.cwd(), "c0nf1g", {"python": "3"}, "abc")
    write("results/2021/estimates/estimates.csv", "e\n4\n")
    record_job("estimate", ["results/2021/estimates/estimates.csv"], ["results/2021/weights/weights.csv"])  # not the clean data
    problems = verify_manifest(Path("results/manifest.csv"))
    assert any("results/2021/estimates/estimates.csv: made from other 2021 microdata than results/2021/clean/respondents.csv"
               in p for p in problems), problems


def test_unknown_files_and_render_leftovers_are_reported_logs_are_not(tree):
    write("results/2021/estimates/notes.csv", "x\n")
    write("results/report/.barometer.render-abc/barometer.html", "<html>")
    Path("results/report/.barometer_nl.render-xyz").mkdir()  # killed before it wrote anything
    problems = verify_manifest(Path("results/manifest.csv"))
    assert problems == ["results/2021/estimates/notes.csv: not an output the manifest or a provenance record knows",
                        "results/report/.barometer.render-abc/: staging folder of an interrupted render (removed by the next run)",
                        "results/report/.barometer_nl.render-xyz/: staging folder of an interrupted render (removed by the next run)"]


def test_content_changed_and_missing_outputs_are_reported(tree):
    write("results/2021/weights/weights.csv", "w\n7\n")
    Path("results/2021/estimates/estimates.csv").unlink()
    problems = verify_manifest(Path("results/manifest.csv"))
    assert "results/2021/weights/weights.csv: content changed (sha256 differs from the manifest)" in problems
    assert "results/2021/estimates/estimates.csv: missing (listed in results/manifest.csv)" in problems


def test_a_failed_run_leaves_its_unmade_outputs_reported_until_they_are_made(tree):
    Path("results/2021/weights/weights.csv").unlink()  # the failed job's output, removed by Snakemake
    write_run(Path("results"), "failed", ["results/2021/weights/weights.csv", "results/2021/estimates/estimates.csv"])
    problems = verify_manifest(Path("results/manifest.csv"))
    assert problems[0] == "the last run failed; until a complete run, results/ holds a partial state"
    assert "results/2021/weights/weights.csv: missing: the last run did not make it" in problems
    assert "results/2021/estimates/estimates.csv: stale: the last run was to remake it and did not" in problems
    start_run(Path("results"), ["results/2021/audit/source_checks.csv"])  # a later run of other targets
    write("results/2021/audit/source_checks.csv", "c\n1\n")
    record_job("validate_sources", ["results/2021/audit/source_checks.csv"], ["code.py"])
    finish_run(Path("results"))
    assert "results/2021/weights/weights.csv: missing: an earlier run failed before making it" in verify_manifest(Path("results/manifest.csv"))
    write("results/2021/weights/weights.csv", "w\n3\n")
    finish_run(Path("results"))
    assert json.loads(Path("results/.provenance/run.json").read_text()) == {"outputs": [], "status": "succeeded"}


def test_without_manifest_or_records_verify_says_to_run_the_workflow(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert verify_manifest(Path("results/manifest.csv")) == ["results/manifest.csv: no manifest (run the workflow first: make)"]


def test_the_next_run_removes_staging_folders_of_a_killed_render(tmp_path):
    from barometer.render import remove_staging

    leftover = tmp_path / "report" / ".barometer.render-x1y2"
    (leftover / "pdf-work").mkdir(parents=True)
    (leftover / "barometer.html").write_text("<html>")
    (tmp_path / "report" / "barometer.html").write_text("<html>kept</html>")
    assert remove_staging(tmp_path) == [leftover]
    assert not leftover.exists() and (tmp_path / "report" / "barometer.html").exists()


def test_a_render_removes_its_own_leftovers_not_another_languages_staging(tmp_path):
    """The English and the Dutch report render at the same time into results/report/: the Dutch render
    removes a leftover `.barometer_nl.render-*` of its own, never the English render's working folder."""
    from barometer.render import render_report

    qmd = tmp_path / "barometer.qmd"
    qmd.write_text('---\ntitle: "Mini"\njupyter: python3\n---\n\n```{python}\nprint(6 * 7)\n```\n')
    out = tmp_path / "report"
    english = out / ".barometer.render-busy"  # the English render, still working
    english.mkdir(parents=True)
    (english / "barometer.html").write_text("<html>half</html>")
    dead = out / ".barometer_nl.render-k1ll3d"  # a Dutch render killed earlier
    dead.mkdir()
    render_report(qmd, out, formats=("html",), renderer="fallback", stem="barometer_nl")
    assert english.is_dir() and (english / "barometer.html").exists()
    assert not dead.exists()
    assert sorted(p.name for p in out.iterdir()) == [".barometer.render-busy", "barometer_nl.html", "barometer_nl.render.json"]
