"""The data dictionary: docs/data_dictionary.yaml -> results/datapackage.json describes every output of
a run, column by column, and frictionless validates the real files against it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from frictionless import Package

from barometer.codebook import Codebook
from barometer.dictionary import Catalogue, check_header, codebook_fields, data_package, read_header
from barometer.errors import BarometerError, InputError

from conftest import ROOT

CATALOGUE = ROOT / "docs/data_dictionary.yaml"
CODEBOOK = ROOT / "config/editions/2021/codebook.yaml"
# what the descriptor leaves out: the jobs' logs, the run manifest (a provenance record) and itself
NOT_DESCRIBED = ("manifest.csv", "datapackage.json", ".gitkeep")


def outputs(run) -> list[str]:
    results = run / "results"
    return sorted(str(p.relative_to(run)) for p in results.rglob("*")
                  if p.is_file() and "logs" not in p.relative_to(results).parts and p.name not in NOT_DESCRIBED
                  and not p.relative_to(results).parts[0].startswith("."))


def test_every_catalogued_column_has_a_type_a_known_unit_and_a_meaning():
    catalogue = Catalogue(CATALOGUE)
    tables = [e for e in catalogue.entries if "columns" in e]
    assert len(tables) >= 26
    for entry in tables:
        names = [c["name"] for c in entry["columns"]]
        assert len(names) == len(set(names)), entry["path"]
        for column in entry["columns"]:
            assert column["type"] in {"string", "integer", "number", "boolean", "date", "year"}, (entry["path"], column)
            assert column["unit"] in catalogue.units and len(column["description"]) > 10, (entry["path"], column)
    for entry in catalogue.entries:
        if "columns" not in entry:  # a non-tabular file: what it is, its format and media type
            assert entry["format"] and entry["mediatype"] and len(entry["description"]) > 10, entry["path"]


def test_the_item_columns_come_from_the_codebook():
    fields = codebook_fields(Catalogue(CATALOGUE), Codebook.load(CODEBOOK))
    assert len(fields) == 60
    first = fields[0]
    assert first["name"] == "tech_text_mining" and first["type"] == "integer" and first["unit"] == "answer code"
    assert "1 = In use, 2 = Plans to use within a year, 3 = Neither" in first["description"]
    numeric = [f for f in fields if f["type"] == "number"]
    assert numeric and all(f["unit"] == "percent" for f in numeric)
    assert "a number from 0 to 100" in numeric[0]["description"]


def test_a_table_whose_columns_drifted_from_the_dictionary_stops_the_run(tmp_path):
    catalogue = Catalogue(CATALOGUE)
    entry, _ = catalogue.entry_for("results/2021/clean/accounting.csv")
    table = tmp_path / "results/2021/clean/accounting.csv"
    table.parent.mkdir(parents=True)
    table.write_text("count,records,detail\nraw responses,2741,\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 2 is 'records' but docs/data_dictionary.yaml describes 'detail'"):
        check_header(table, entry["columns"])
    table.write_text("count,detail,records,extra\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"columns \['extra'\] are not described"):
        check_header(table, entry["columns"])
    table.write_text("count,detail,records\n", encoding="utf-8")
    check_header(table, entry["columns"])
    # the cross-survey figures are not an edition's (the edition wildcard is a year)
    assert catalogue.entry_for("results/cross_survey/figures/en/xs_forest.png")[0]["rule"] == "cross_survey_figure"
    assert catalogue.entry_for("results/2021/figures/nl/fig01_adoption.svg")[0]["rule"] == "figure"
    # an output no entry describes
    with pytest.raises(BarometerError, match="no entry of docs/data_dictionary.yaml describes"):
        data_package(catalogue, ["results/2021/clean/new_table.csv"], tmp_path, {})


# ------------------------------------------------------------------ on the files of a complete run
@pytest.mark.slow
def test_the_descriptor_describes_every_output_and_nothing_else(full_run):
    package = json.loads((full_run / "results/datapackage.json").read_text(encoding="utf-8"))
    described = sorted("results/" + r["path"] for r in package["resources"])
    assert described == outputs(full_run)
    # every catalogue entry but the optional ones (written by other commands) matches a file of the run
    catalogue = Catalogue(CATALOGUE)
    for entry in catalogue.entries:
        if not entry.get("optional"):
            assert any(entry["_regex"].fullmatch(p) for p in described), entry["path"]


@pytest.mark.slow
def test_descriptor_and_files_agree_column_by_column(full_run):
    package = json.loads((full_run / "results/datapackage.json").read_text(encoding="utf-8"))
    tables = [r for r in package["resources"] if r.get("type") == "table"]
    assert len(tables) >= 26
    for r in tables:
        names = [f["name"] for f in r["schema"]["fields"]]
        assert read_header(full_run / "results" / r["path"]) == names, r["path"]
        assert all(f["unit"] in package["units"] and f["description"] for f in r["schema"]["fields"]), r["path"]
    respondents = next(r for r in tables if r["path"] == "2021/clean/respondents.csv")
    assert len(respondents["schema"]["fields"]) == 7 + 60
    # the types: frictionless reads every value of every table with its field's type
    report = Package(str(full_run / "results/datapackage.json")).validate()
    problems = [(t.name, [e.message for e in t.errors[:3]]) for t in report.tasks if not t.valid]
    assert report.valid, problems or [e.message for e in report.errors]


@pytest.mark.slow
def test_every_table_row_means_one_thing(full_run):
    """accounting.csv holds counts only (the data's origin has its own file); diagnostics.csv one row
    per stratum (the whole sample's figures are in weights/summary.csv)."""
    accounting = pd.read_csv(full_run / "results/2021/clean/accounting.csv")
    assert "data" not in set(accounting["count"]) and accounting["records"].dtype == np.int64
    counts = accounting.set_index("count")["records"]
    assert counts["raw responses"] == counts["usable responses"] + counts["excluded (all)"] == 2741
    origin = pd.read_csv(full_run / "results/2021/clean/origin.csv")
    assert origin.to_dict("records") == [{"microdata": "bundled reconstruction", "bundled_reconstruction": True}]
    diagnostics = pd.read_csv(full_run / "results/2021/weights/diagnostics.csv")
    assert "total" not in set(diagnostics["stratum"]) and len(diagnostics) == 36
    summary = pd.read_csv(full_run / "results/2021/weights/summary.csv").iloc[0]
    w = pd.read_csv(full_run / "results/2021/weights/weights.csv")["weight"].to_numpy()
    assert summary["N_frame"] == diagnostics["N_frame"].sum() == 34452 and summary["n_usable"] == 1717
    assert summary["kish_effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert summary["design_effect_weighting"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)
    # the gap's parts are differences in points, the non-respondents' row an adoption rate in percent
    gap = pd.read_csv(full_run / "results/cross_survey/gap_decomposition.csv")
    assert gap["unit"].tolist() == ["percentage points"] * 3 + ["percent"]
    assert gap["value"].iloc[0] == pytest.approx(gap["value"].iloc[1] + gap["value"].iloc[2])
    # comparison.csv: the source's grade and the comparability are two columns, each with one vocabulary
    comparison = pd.read_csv(full_run / "results/cross_survey/comparison.csv")
    assert set(comparison["source_grade"]) <= {"official_release", "report", "press", "blog"}
    assert set(comparison["comparability"]) <= {"same_measure", "reference", "context"}
