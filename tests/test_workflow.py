"""The whole workflow as a user runs it: raw data to report, reruns, interruption, determinism,
privacy, the manifest, the real-data path and the replicate-weight export."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, copy_repository, run_workflow

pytestmark = pytest.mark.slow


def planned_rules(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from a dry run's job table."""
    counts = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^([a-z_]+)\s+(\d+)$", line.strip())
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def test_the_default_target_goes_from_raw_data_to_the_report(full_run):
    report = full_run / "results/report"
    html = (report / "barometer.html").read_text(encoding="utf-8")
    estimates = pd.read_csv(full_run / "results/2021/estimates/estimates.csv")
    adoption = estimates[(estimates["indicator"] == "adoption.any") & (estimates["domain"] == "all")].iloc[0]
    assert f"{adoption['estimate']:.1f}% (95% CI {adoption['ci_low']:.1f}–{adoption['ci_high']:.1f})" in html
    assert "These results come from the bundled reconstruction" in html
    # the cross-survey prose quotes the pipeline's numbers, not numbers typed into the report
    gap = pd.read_csv(full_run / "results/cross_survey/gap_decomposition.csv")
    comparison = pd.read_csv(full_run / "results/cross_survey/comparison.csv").set_index("value_id")
    barometer = comparison.at["eurostat.e_ai_tany.be.2021", "value"] + gap["value"].iloc[0]
    assert barometer == pytest.approx(adoption["estimate"], abs=1e-9)
    assert f"the Barometer estimates {barometer:.1f}% of Flemish firms with 5+" in html
    published = pd.read_csv(full_run / "results/2021/audit/published_values.csv").drop_duplicates("indicator").set_index("indicator")
    rate = published.at["fieldwork.responses", "value"] / published.at["fieldwork.reached", "value"]
    assert f"a {rate:.0%} response rate" in html
    # the reproduction table shows reproduced values and differences to the hundredth, as formatted
    repro = pd.read_csv(full_run / "results/2021/estimates/reproduction.csv")
    quotes = repro[(repro["kind"] == "text") & (repro["comparator"] == "=") & (repro["indicator"] != "response.usable")]
    worst = quotes.loc[quotes["diff_pp"].abs().idxmax()]
    reproduced, difference = f"{worst['reproduced']:.2f}", re.escape(f"{worst['diff_pp']:+.2f}".replace("-", "\u2212"))
    assert re.search(rf">{reproduced}</td>\s*<td[^>]*>{difference}</td>", html), (reproduced, difference)
    for section in ("Key findings", "Data and methods", "Reproduction of the published numbers",
                    "The Barometer and other surveys", "Appendix: audit trail"):
        assert section in html
    assert "Traceback" not in html and "#|" not in html and "import " not in html
    assert yaml.safe_load((report / "barometer.render.json").read_text())["renderer"] in ("quarto", "jupyter-fallback")
    pages = subprocess.run(["pdfinfo", str(report / "barometer.pdf")], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 20
    text = subprocess.run(["pdftotext", str(report / "barometer.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "Reproduction of the published numbers" in text and "Korn-Graubard" in text.replace("korn-graubard", "Korn-Graubard")


def test_a_second_run_does_nothing(full_run):
    result = run_workflow(full_run, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_changing_the_ci_method_reruns_exactly_what_depends_on_it(full_run):
    override = full_run / "ci.yaml"
    override.write_text(yaml.safe_dump({"ci": {"method": "wilson"}}))
    plan = planned_rules(run_workflow(full_run, "-n", "--configfile", str(override)))
    assert {"bootstrap_estimates", "compare_surveys", "report"} <= set(plan)
    assert not {"validate_sources", "clean", "weight", "point_estimates", "reproduce", "validate_cross_survey_sources"} & set(plan)


def test_changing_the_export_size_reruns_no_estimation(full_run):
    """Only the export and the report (which prints the configuration's hash) depend on it (and the
    data dictionary, which describes the report's files)."""
    override = full_run / "export.yaml"
    override.write_text(yaml.safe_dump({"bootstrap": {"export_replicates": 500}}))
    assert set(planned_rules(run_workflow(full_run, "-n", "--configfile", str(override)))) == {"report", "data_dictionary", "default"}
    plan = planned_rules(run_workflow(full_run, "-n", "results/2021/weights/replicate_weights.csv", "--configfile", str(override)))
    assert plan == {"replicate_weights": 1}


def test_editing_one_figure_reruns_only_that_figure_and_the_report(full_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(full_run, copy, symlinks=True)
    module = copy / "workflow/src/barometer/figures/fig04_barriers.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    plan = planned_rules(run_workflow(copy, "-n"))
    # one figure job (it draws every language), one report per language, the data dictionary
    assert plan == {"figure": 1, "report": 2, "data_dictionary": 1, "default": 1} \
        or plan == {"figure": 1, "report": 2, "data_dictionary": 1}, plan


def test_two_clean_runs_give_byte_identical_outputs(full_run, tmp_path_factory):
    second = copy_repository(tmp_path_factory.mktemp("second_run"))
    run_workflow(second)
    compared = set()
    for path in sorted((full_run / "results").rglob("*")):
        relative = path.relative_to(full_run)
        if not path.is_file() or "logs" in relative.parts or path.suffix == ".log":
            continue
        other = second / relative
        assert other.exists(), relative
        assert path.read_bytes() == other.read_bytes(), f"{relative} differs between two clean runs"
        compared.add(str(relative))
    assert {"results/report/barometer.html", "results/report/barometer.pdf", "results/report/barometer_nl.html",
            "results/report/barometer_nl.pdf", "results/manifest.csv", "results/2021/estimates/estimates.csv",
            "results/2021/figures/en/fig04_barriers.png", "results/2021/figures/nl/fig04_barriers.png",
            "results/2021/figures/en/table3_sectors.svg", "results/cross_survey/figures/nl/xs_forest.png"} <= compared
    assert len(compared) >= 75


def raw_identifiers(path) -> set[str]:
    """Every identifier of a raw export: response ids, e-mail addresses, company names and numbers, the
    numbers also as bare digits (0613669015) and without the leading zero (613669015)."""
    raw = pd.read_csv(path, dtype=str)
    identifiers = set()
    for column in ("ResponseId", "contact_email", "bedrijfsnaam", "Q1_ondernemingsnummer"):
        identifiers |= set(raw[column].dropna())
    digits = {re.sub(r"\D", "", n) for n in raw["Q1_ondernemingsnummer"].dropna()}
    return identifiers | digits | {d.lstrip("0") for d in digits}


def visible_text(html: str) -> str:
    """What a reader of the HTML sees: tags and embedded images removed, entities decoded."""
    import html as html_module

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html))


def test_no_direct_identifier_reaches_results_or_the_report(full_run):
    """Every file under results/ (logs, provenance records and the manifest included), the HTML of
    each report language as a reader sees it and the PDFs' text: none holds any identifier of the raw
    export."""
    identifiers = raw_identifiers(full_run / "data/raw/microdata/ai_barometer_2021_responses.csv")
    files = sorted(p for p in (full_run / "results").rglob("*") if p.is_file())
    documents = ("barometer", "barometer_nl")  # report.languages: English and Dutch
    assert {"results/2021/logs/clean.log", "results/manifest.csv", "results/.provenance/2021/clean/respondents.csv.json",
            *(f"results/report/{d}.{ext}" for d in documents for ext in ("html", "pdf"))} <= {str(p.relative_to(full_run)) for p in files}
    texts = [p.read_bytes().decode("utf-8", errors="ignore") for p in files]
    report = full_run / "results/report"
    for document in documents:
        texts.append(visible_text((report / f"{document}.html").read_text(encoding="utf-8")))
        texts.append(subprocess.run(["pdftotext", str(report / f"{document}.pdf"), "-"], capture_output=True, text=True,
                                    check=True).stdout)
    corpus = "\n".join(texts)
    leaked = [value for value in identifiers if value in corpus]
    assert not leaked, f"{len(leaked)} identifiers leaked, e.g. {leaked[:3]}"
    assert len(identifiers) > 10000


def test_cells_with_too_few_respondents_are_suppressed(full_run):
    e = pd.read_csv(full_run / "results/2021/estimates/estimates.csv")
    few = e[(e["n"] > 0) & (e["n"] < 5)]
    assert len(few) > 0 and (few["flag"] == "suppress").all()
    assert few["flag_reason"].str.contains("fewer than 5 respondents").all()


def verify(repo) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo / "workflow/src")}
    return subprocess.run([sys.executable, "-m", "barometer.cli", "verify", "results/manifest.csv"], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_the_manifest_lists_every_output_and_verifies(full_run):
    manifest = pd.read_csv(full_run / "results/manifest.csv")
    assert {"path", "rule", "rows", "sha256", "inputs_sha256", "microdata_sha256", "config_sha256", "software",
            "git_commit"} <= set(manifest.columns)
    assert "results/2021/estimates/estimates.csv" in set(manifest["path"])
    row = manifest.set_index("path").loc["results/2021/clean/respondents.csv"]
    assert row["rule"] == "clean" and row["rows"] == 1717
    bundled = hashlib.sha256((full_run / "data/raw/microdata/ai_barometer_2021_responses.csv").read_bytes()).hexdigest()
    # every output made from the responses descends from the bundled export (the report, the comparison
    # and the longitudinal view too); the checks of the published sources and the bounds they alone
    # support from none
    lineage = manifest.set_index("path")["microdata_sha256"].fillna("")
    published_only = lineage.index.str.contains("/audit/|/identification/|cross_survey/source_checks")
    assert (lineage[published_only] == "").all() and published_only.sum() == 6
    assert (lineage[~published_only] == f"2021={bundled}").all()
    # the recorded inputs are those the job read: the report's include the estimates' checksum
    record = json.loads((full_run / "results/.provenance/report/barometer.html.json").read_text())
    estimates = full_run / "results/2021/estimates/estimates.csv"
    assert record["inputs"]["results/2021/estimates/estimates.csv"] == hashlib.sha256(estimates.read_bytes()).hexdigest()
    # the manifest lists outputs only: no log, no staging folder, no provenance record
    assert not manifest["path"].str.contains(r"logs/|\.log$|\.render-|\.provenance").any()
    # 26 data outputs, 108 figure files (18 figures x 2 languages x png, svg, caption), 8 report files
    # (html, pdf, render.json, context.json per language) and the data dictionary (datapackage.json)
    assert len(manifest) == 143
    ok = verify(full_run)
    assert ok.returncode == 0 and "all files match" in ok.stdout, ok.stdout
    tampered = full_run / "results/2021/weights/diagnostics.csv"
    original = tampered.read_bytes()
    try:
        tampered.write_bytes(original + b"x\n")
        bad = verify(full_run)
        assert bad.returncode == 1 and "results/2021/weights/diagnostics.csv: content changed" in bad.stdout
    finally:
        tampered.write_bytes(original)


def _other_export(repo, tmp_path, drop_stratum: str | None = None):
    """The bundled export less one response (another file, as real microdata would be), or less a whole
    frame stratum (weighting then fails); with a configuration file pointing at it."""
    raw = pd.read_csv(repo / "data/raw/microdata/ai_barometer_2021_responses.csv", dtype=str, keep_default_na=False)
    if drop_stratum:
        firms = set(raw.loc[raw["frame_stratum"] == drop_stratum, "Q1_ondernemingsnummer"])
        raw = raw[~raw["Q1_ondernemingsnummer"].isin(firms)]
    else:
        raw = raw.iloc[:-1]
    export = tmp_path / "new_export.csv"
    raw.to_csv(export, index=False)
    settings = tmp_path / "new-data.yaml"
    settings.write_text(yaml.safe_dump({"editions": {2021: {"microdata": str(export)}}}))
    return settings


def test_verify_finds_outputs_left_from_other_microdata_after_a_partial_rerun(full_run, tmp_path):
    """Rerun only the clean stage on new data: the manifest is rewritten, but verify must not say
    "all files match": every later output is stale and made from other microdata than the clean ones."""
    copy = tmp_path / "partial"
    shutil.copytree(full_run, copy, symlinks=True)
    settings = _other_export(copy, tmp_path)
    run_workflow(copy, "results/2021/clean/respondents.csv", "--configfile", str(settings), env={"BAROMETER_SALT": "a long secret salt"})
    result = verify(copy)
    assert result.returncode == 1 and "all files match" not in result.stdout
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    for output in ("results/2021/weights/weights.csv", "results/2021/estimates/estimates.csv", "results/report/barometer.html"):
        assert output in lines, result.stdout
    assert lines["results/2021/weights/weights.csv"].startswith("stale: made from inputs that have changed since: results/2021/clean/respondents.csv")
    assert "made from other 2021 microdata than results/2021/clean/" in result.stdout
    assert "results/2021/clean/respondents.csv" not in lines  # remade, from the new export


def test_verify_says_what_a_failed_run_did_not_make(full_run, tmp_path):
    copy = tmp_path / "failed"
    shutil.copytree(full_run, copy, symlinks=True)
    settings = _other_export(copy, tmp_path, drop_stratum="35-39_large")
    failed = run_workflow(copy, "--configfile", str(settings), env={"BAROMETER_SALT": "a long secret salt"}, check=False)
    assert failed.returncode != 0 and "no usable response" in failed.stderr
    result = verify(copy)
    assert result.returncode == 1
    assert "the last run failed" in result.stdout
    assert "results/2021/weights/weights.csv: missing: the last run did not make it" in result.stdout
    assert "results/2021/estimates/estimates.csv: stale: the last run was to remake it and did not" in result.stdout
    assert "results/report/barometer.html: stale" in result.stdout
    # a later run of other targets succeeds: what the failed run did not make is still reported missing
    run_workflow(copy, "results/2021/audit/source_checks.csv", "--forcerun", "validate_sources")
    later = verify(copy)
    assert later.returncode == 1
    assert "results/2021/weights/weights.csv: missing: an earlier run failed before making it" in later.stdout


def test_verify_reports_files_the_manifest_does_not_know_and_render_leftovers(full_run, tmp_path):
    copy = tmp_path / "unknown"
    shutil.copytree(full_run, copy, symlinks=True)
    (copy / "results/2021/estimates/my_notes.csv").write_text("a,b\n1,2\n")
    staging = copy / "results/report/.barometer.render-k1ll3d"
    staging.mkdir()
    (staging / "barometer.html").write_text("<html>half</html>")
    result = verify(copy)
    assert result.returncode == 1
    assert "results/2021/estimates/my_notes.csv: not an output the manifest or a provenance record knows" in result.stdout
    assert "results/report/.barometer.render-k1ll3d/: staging folder of an interrupted render" in result.stdout
    # the next run removes the staging folder, even one that does not render the report
    run_workflow(copy, "results/2021/clean/respondents.csv", "--forcerun", "clean")
    assert not staging.exists()
    assert ".render-" not in (copy / "results/manifest.csv").read_text()


def test_a_render_killed_with_sigkill_leaves_no_staging_folder_after_the_next_run(full_run, tmp_path):
    """kill -9 while the reports render (a hard crash: nothing can clean up): the staging folder stays,
    verify names it and the reports the run did not make; after `snakemake --unlock` the next run
    removes it, and the reports are those of a clean run."""
    copy = tmp_path / "render-killed"
    shutil.copytree(full_run, copy, symlinks=True)
    report = copy / "results/report"
    env = {**os.environ, "PYTHONPATH": str(copy / "workflow/src")}
    env.pop("BAROMETER_SALT", None)
    process = subprocess.Popen([*SNAKEMAKE, "--cores", "2", "--forcerun", "report"], cwd=copy, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not list(report.glob(".barometer*.render-*")) and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before a render could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    leftovers = sorted(report.glob(".barometer*.render-*"))
    assert leftovers
    result = verify(copy)
    assert result.returncode == 1 and "the last run did not finish" in result.stdout
    for folder in leftovers:
        assert f"results/report/{folder.name}/: staging folder of an interrupted render" in result.stdout
    subprocess.run([*SNAKEMAKE, "--unlock"], cwd=copy, env=env, capture_output=True, check=True, timeout=300)
    run_workflow(copy, "--rerun-incomplete")  # what `make` runs
    assert not [p for p in (copy / "results").rglob("*") if ".render-" in p.name]
    assert verify(copy).returncode == 0
    for name in ("barometer.html", "barometer_nl.html", "barometer.render.json", "barometer_nl.render.json"):
        assert (report / name).read_bytes() == (full_run / "results/report" / name).read_bytes(), name


def test_killing_the_workflow_during_the_bootstrap_and_rerunning_gives_the_same_results(full_run, tmp_path):
    copy = copy_repository(tmp_path / "interrupted")
    run_workflow(copy, "results/2021/weights/weights.csv")
    env = {**os.environ, "PYTHONPATH": str(copy / "workflow/src")}
    env.pop("BAROMETER_SALT", None)
    process = subprocess.Popen([*SNAKEMAKE, "--cores", "2", "results/2021/estimates/estimates.csv"], cwd=copy, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = copy / "results/2021/logs/bootstrap_estimates.log"
    deadline = time.time() + 120
    while not log.exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # inside the replicate loop
    assert process.poll() is None, "the bootstrap finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGTERM)  # what `kill` and a scheduler send; Snakemake stops its jobs
    process.wait(timeout=120)
    assert not (copy / "results/2021/estimates/estimates.csv").exists()
    run_workflow(copy, "results/2021/estimates/estimates.csv", "--rerun-incomplete")
    for name in ("estimates.csv", "differences.csv"):
        assert (copy / "results/2021/estimates" / name).read_bytes() == (full_run / "results/2021/estimates" / name).read_bytes()


def test_the_real_data_path_runs_from_a_configfile_and_needs_a_secret_salt(tmp_path):
    copy = copy_repository(tmp_path / "real")
    raw = pd.read_csv(copy / "data/raw/microdata/ai_barometer_2021_responses.csv", dtype=str, keep_default_na=False)
    # a smaller export with other identifiers: every other usable response of the larger strata
    position = raw.groupby("frame_stratum").cumcount()
    size = raw.groupby("frame_stratum")["frame_stratum"].transform("size")
    keep = raw[(size <= 20) | (position % 2 == 0)]
    keep = keep.assign(bedrijfsnaam=[f"Echte Firma {i} NV" for i in range(len(keep))])
    export = tmp_path / "real_export.csv"
    keep.to_csv(export, index=False)
    settings = tmp_path / "my-data.yaml"
    settings.write_text(yaml.safe_dump({"editions": {2021: {"microdata": str(export)}}}))
    refused = run_workflow(copy, "results/2021/clean/respondents.csv", "--configfile", str(settings), check=False)
    assert refused.returncode != 0 and "BAROMETER_SALT" in refused.stderr
    run_workflow(copy, "--configfile", str(settings), env={"BAROMETER_SALT": "a long secret salt"})
    accounting = pd.read_csv(copy / "results/2021/clean/accounting.csv").set_index("count")
    assert accounting.at["raw responses", "records"] == len(keep)
    origin = pd.read_csv(copy / "results/2021/clean/origin.csv").iloc[0]
    assert origin["microdata"] == "supplied microdata" and not origin["bundled_reconstruction"]
    html = (copy / "results/report/barometer.html").read_text(encoding="utf-8")
    assert "bundled reconstruction" not in html
    # issue 12 item 3: the data's own numbers, no bounds, and the report shows none of the reconstruction's caveats
    for name in ("estimates", "claims"):
        table = pd.read_csv(copy / f"results/2021/estimates/{name}.csv")
        assert set(table["identified_by"]) == {"microdata"} and table["bound_low"].isna().all(), name
    # (the audit appendix's "every internal consistency the published tables allow" is not a bound)
    assert "reconstruction; the published tables allow" not in html
    assert not re.search(r"published tables allow:? \d", html), re.findall(r".{40}published tables allow:? \d.{20}", html)[:3]
    assert "Published tables" not in html and "reconstruction's" not in html
    for caption in (copy / "results").glob("*/figures/en/*.caption.json"):
        assert "hollow" not in caption.read_text(encoding="utf-8").lower(), caption
    # what stays behind: identifiers, exact employee counts and NACE codes (README, "Running on the real microdata")
    identifiers = raw_identifiers(export)
    corpus = "\n".join(p.read_bytes().decode("utf-8", errors="ignore") for p in (copy / "results").rglob("*") if p.is_file())
    for document in ("barometer", "barometer_nl"):
        corpus += visible_text((copy / f"results/report/{document}.html").read_text(encoding="utf-8"))
        corpus += subprocess.run(["pdftotext", str(copy / f"results/report/{document}.pdf"), "-"], capture_output=True,
                                 text=True, check=True).stdout
    assert "Echte Firma" not in corpus and not [v for v in identifiers if v in corpus]
    respondents = pd.read_csv(copy / "results/2021/clean/respondents.csv")
    exclusions = pd.read_csv(copy / "results/2021/clean/exclusions.csv")
    assert not {"Q2_werknemers", "Q3_nace"} & (set(respondents.columns) | set(exclusions.columns))
    assert not exclusions["evidence"].str.contains(r"\d{2}\.\d|employees \(").any()
    assert verify(copy).returncode == 0
    # no tracked file was edited to get there
    for name in ("config/config.yaml", "config/editions/2021/codebook.yaml"):
        assert (copy / name).read_bytes() == (ROOT / name).read_bytes()


def test_replicate_weights_export_reproduces_the_bootstrap_standard_errors(tmp_path):
    copy = copy_repository(tmp_path / "weights")
    settings = tmp_path / "b500.yaml"
    settings.write_text(yaml.safe_dump({"bootstrap": {"replicates": 500, "export_replicates": 500}}))
    run_workflow(copy, "results/2021/weights/replicate_weights.parquet", "results/2021/estimates/estimates.csv",
                 "--configfile", str(settings))
    weights = pd.read_parquet(copy / "results/2021/weights/replicate_weights.parquet")
    meta = yaml.safe_load((copy / "results/2021/weights/replicate_weights.parquet.json").read_text())
    assert meta["replicates"] == meta["of_replicates"] == 500 and meta["scale"] == pytest.approx(1 / 500) and meta["mse"] is False
    respondents = pd.read_csv(copy / "results/2021/clean/respondents.csv", dtype={"sector": str})
    techs = [c for c in respondents if c.startswith("tech_")]
    y = (respondents.set_index("respondent")[techs] == 1).any(axis=1).astype(float).reindex(weights["respondent"]).to_numpy()
    reps = weights.filter(like="rep_").to_numpy()
    theta = reps.T @ y / reps.sum(axis=0)
    se = np.sqrt(meta["scale"] * ((theta - theta.mean()) ** 2).sum()) * 100
    e = pd.read_csv(copy / "results/2021/estimates/estimates.csv")
    published_se = e[(e["indicator"] == "adoption.any") & (e["domain"] == "all")]["se"].iloc[0]
    assert se == pytest.approx(published_se, rel=1e-8)


def test_snakemake_report_collects_the_marked_outputs_with_captions(full_run, tmp_path):
    target = tmp_path / "provenance.html"
    run_workflow(full_run, "--report", str(target))
    html = target.read_text(encoding="utf-8", errors="ignore")
    assert target.stat().st_size > 1_000_000
    for caption in ("Consistency checks of the published figures", "Every published number of the report next to",
                    "rescaled bootstrap with finite population correction"):
        assert caption in html


def test_the_readmes_recovery_commands_work_as_written_after_a_hard_crash(tmp_path):
    """README, "After an interruption": after `kill -9` (the lock stays), `make unlock` once, as
    written, then `make` (which passes --rerun-incomplete) finishes with the same results."""
    from test_readme_commands import fenced_blocks, run_as_written, with_environment

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**After an interruption.**"):]
    assert fenced_blocks(section, "sh")[0].split() == ["make", "unlock", "make"]
    assert "--rerun-incomplete" in (ROOT / "Makefile").read_text() and "resumes with `make`" in section
    copy = with_environment(copy_repository(tmp_path / "crashed"))
    env = {**os.environ, "PYTHONPATH": str(copy / "workflow/src")}
    env.pop("BAROMETER_SALT", None)
    target = "results/2021/estimates/point_estimates.csv"
    process = subprocess.Popen([*SNAKEMAKE, "--cores", "2", target], cwd=copy, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    log = copy / "results/2021/logs/clean.log"
    deadline = time.time() + 120
    while not log.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, "the run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # a hard crash: Snakemake cannot remove its lock
    process.wait(timeout=60)
    locked = run_workflow(copy, target, check=False)
    assert locked.returncode != 0 and "Directory cannot be locked" in locked.stdout + locked.stderr
    unlocked = run_as_written("make unlock", copy, timeout=300)
    assert unlocked.returncode == 0, unlocked.stdout[-2000:] + unlocked.stderr[-3000:]
    run_workflow(copy, target, "--rerun-incomplete")  # what `make` runs
    reference = copy_repository(tmp_path / "reference")
    run_workflow(reference, target)
    for name in ("clean/respondents.csv", "weights/weights.csv", "estimates/point_estimates.csv"):
        assert (copy / "results/2021" / name).read_bytes() == (reference / "results/2021" / name).read_bytes()
