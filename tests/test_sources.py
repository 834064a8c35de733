"""Published sources: described, validated on read, every inconsistency checked and resolved by errata."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from barometer.codebook import Codebook
from barometer.config import read_yaml
from barometer.errors import ConfigError, InputError, SourceCheckError
from barometer.published import read_resource, read_values, validate_package
from barometer.source_checks import CheckContext, load_errata, validate_with_errata
from barometer.strata import Strata, load_frame
from conftest import ROOT, run_workflow

EDITION = ROOT / "config" / "editions" / "2021"
PUBLISHED = ROOT / "data" / "raw" / "published"


def context(values: pd.DataFrame) -> CheckContext:
    strata = Strata.load(EDITION / "strata.yaml")
    return CheckContext(values, load_frame(EDITION / "frame.csv", strata), Codebook.load(EDITION / "codebook.yaml"),
                        read_yaml(EDITION / "source_checks.yaml")["relations"], "ai_barometer_2021")


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    return read_values(PUBLISHED / "ai_barometer_2021.csv")


def test_the_data_package_validates_and_keeps_provenance():
    validate_package(PUBLISHED / "datapackage.json")
    values = read_resource(PUBLISHED / "datapackage.json", "ai_barometer_2021")
    sources = read_resource(PUBLISHED / "datapackage.json", "sources")
    assert len(values) >= 500
    assert set(values["source_id"]) <= set(sources["source_id"])
    assert values[["wording_nl", "label_en", "location", "unit"]].notna().all().all()
    # Table 1 as printed: 36 cells x 2 counts plus 28 printed totals; Table 2: 36 cells and 14 totals
    assert (values["location"] == "Table 1").sum() == 100
    assert (values["location"] == "Table 2").sum() == 50
    assert values.set_index("value_id").at["fig1.summary.adoption.any.all", "value"] == 23.2
    cross = read_resource(PUBLISHED / "datapackage.json", "cross_survey")
    assert cross.set_index("value_id").at["eurostat.e_ai_tany.be.2021", "value"] == 10.32
    assert set(sources["grade"]) == {"official_release", "report", "press", "blog"}


def test_shipped_sources_pass_with_exactly_the_four_known_errata(values):
    table, corrected = validate_with_errata(context(values), load_errata(EDITION / "errata.yaml"), EDITION / "errata.yaml")
    resolved = set(table.loc[table["status"] == "resolved", "check_id"])
    assert resolved == {"total:frame.sampled:sector=45-47", "total:frame.sampled:all:columns",
                        "total:response.usable:size=small", "total:response.usable:size=medium"}
    assert not (table["status"] == "fail").any()
    assert len(table) >= 180
    fixed = corrected.set_index("value_id")
    assert fixed.at["table1.s2_2.frame.sampled.sector=45-47", "value"] == 4184
    assert fixed.at["table1.s2_2.frame.sampled.sector=45-47", "value_as_printed"] == 14184
    assert fixed.at["table2.s2_3.response.usable.sector=55-56;size=small", "value"] == 33
    assert fixed.at["table2.s2_3.response.usable.sector=55-56;size=medium", "value"] == 8


def test_margin_check_pins_the_population_weighted_average(values):
    table, _ = validate_with_errata(context(values), load_errata(EDITION / "errata.yaml"), EDITION / "errata.yaml")
    row = table.set_index("check_id").loc["margin:tech_text_mining.use:sector"]
    # sum_s N_s p_s / N over the nine sector cells of Table 3 = 9.76, against the printed 9.8
    assert float(row["found"]) == pytest.approx(9.761158, abs=1e-5)
    assert row["status"] == "pass"


def corrupt(values: pd.DataFrame, value_id: str, new: float) -> pd.DataFrame:
    out = values.copy()
    out.loc[out["value_id"] == value_id, "value"] = new
    return out


def test_a_corrupted_table1_cell_is_caught_naming_the_checks(values):
    bad = corrupt(values, "table1.s2_2.frame.population.sector=10-33;size=micro", 1428)
    with pytest.raises(SourceCheckError) as err:
        validate_with_errata(context(bad), load_errata(EDITION / "errata.yaml"), EDITION / "errata.yaml")
    message = str(err.value)
    assert "total:frame.population:sector=10-33" in message
    assert "total:frame.population:size=micro" in message
    assert "frame:frame.population:sector=10-33;size=micro" in message  # the configured frame disagrees too


def test_a_corrupted_table2_cell_is_caught_naming_the_checks(values):
    bad = corrupt(values, "table2.s2_3.response.usable.sector=41-43;size=micro", 75)
    with pytest.raises(SourceCheckError) as err:
        validate_with_errata(context(bad), load_errata(EDITION / "errata.yaml"), EDITION / "errata.yaml")
    assert "total:response.usable:sector=41-43" in str(err.value)
    assert "total:response.usable:all:cells" in str(err.value)


def test_an_erratum_must_name_a_failing_check_and_the_printed_value(values, tmp_path):
    errata = yaml.safe_load((EDITION / "errata.yaml").read_text())
    errata["errata"][0]["resolves"].append("repeat:adoption.any:all")  # passes as printed
    path = tmp_path / "errata.yaml"
    path.write_text(yaml.safe_dump(errata))
    with pytest.raises(ConfigError, match="passes as printed"):
        validate_with_errata(context(values), load_errata(path), path)
    errata = yaml.safe_load((EDITION / "errata.yaml").read_text())
    errata["errata"][0]["corrections"][0]["published"] = 999
    path.write_text(yaml.safe_dump(errata))
    with pytest.raises(ConfigError, match="printed as 14184, not 999"):
        validate_with_errata(context(values), load_errata(path), path)


def test_the_workflow_stops_on_a_corrupted_table_and_leaves_no_output(repo_copy):
    table = repo_copy / "data/raw/published/ai_barometer_2021.csv"
    text = table.read_text(encoding="utf-8")
    row = ("table2.s2_3.response.usable.sector=41-43;size=micro,ai_barometer_2021,Table 2,2.3,,"
           '"printed page not recoverable from the text available; cited by section 2.3, Table 2",'
           "table_cell,response.usable,sector=41-43;size=micro,count,=,57,")
    assert row in text
    table.write_text(text.replace(row, row.replace(",=,57,", ",=,75,")), encoding="utf-8")
    result = run_workflow(repo_copy, "results/2021/audit/source_checks.csv", check=False)
    assert result.returncode != 0
    assert "total:response.usable:sector=41-43" in result.stderr
    assert not (repo_copy / "results/2021/audit/source_checks.csv").exists()


def test_a_malformed_published_table_is_rejected_naming_row_and_field(tmp_path):
    shutil.copytree(PUBLISHED, tmp_path / "published")
    path = tmp_path / "published" / "ai_barometer_2021.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",=,", ",≈,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_values(path)
    assert "row 6" in str(err.value) and "comparator" in str(err.value)


def test_cross_survey_disagreements_are_recorded_not_hidden(repo_copy):
    run_workflow(repo_copy, "results/cross_survey/source_checks.csv")
    table = pd.read_csv(repo_copy / "results/cross_survey/source_checks.csv")
    resolved = table[table["status"] == "resolved"]
    assert len(resolved) == 11
    fully_embedded = resolved[resolved["check_id"].str.contains("fully_embedded")]
    assert set(fully_embedded["expected"].astype(float)) == {27.0}  # key-results page
    assert set(fully_embedded["found"].astype(float)) == {26.0}  # chapter 3
    assert resolved["resolution"].str.startswith("erratum ").all()


LOCAL_FILE = r"shared/|seeds?/|\.txt\b|\.md\b|file:|^/|\.\./"


def test_every_source_is_cited_by_public_reference():
    sources = read_resource(PUBLISHED / "datapackage.json", "sources")
    assert list(sources.columns) == ["source_id", "title", "publisher", "date", "year", "language", "grade", "url",
                                     "url_note", "accessed", "citation", "description"]
    assert sources["url"].str.match(r"^https://[^/]+\.[a-z]+/").all()
    assert sources[["title", "publisher", "date", "citation", "url_note"]].notna().all().all()
    assert (pd.to_datetime(sources["accessed"]) >= "2026-01-01").all()
    # a bare home page is allowed only where the note says the document's own address was not found
    bare = sources["url"].str.match(r"^https://[^/]+/?$")
    assert set(sources.loc[bare, "source_id"]) == {"topdesk_inside_itsm_2026"}
    assert sources.loc[bare, "url_note"].str.contains("not found").all()
    for name in ("sources", "ai_barometer_2021", "ai_barometer_2021_claims", "cross_survey"):
        table = read_resource(PUBLISHED / "datapackage.json", name)
        text = table.astype(str).apply(lambda column: column.str.contains(LOCAL_FILE, regex=True))
        assert not text.any().any(), f"{name} names a local file: {table[text.any(axis=1)].iloc[0].tolist()}"


def test_rows_of_paginated_documents_give_the_page_or_say_why_not():
    for name in ("ai_barometer_2021", "ai_barometer_2021_claims"):
        table = read_resource(PUBLISHED / "datapackage.json", name)
        assert (table["page"].notna() ^ table["page_note"].notna()).all()
        # the text available prints page 32 under the last paragraph of section 3.7 only
        assert set(table.loc[table["page"].notna(), "section"]) == {"3.7"}
        assert set(table["page"].dropna()) == {32}
    cross = read_resource(PUBLISHED / "datapackage.json", "cross_survey")
    paginated = cross["source_id"].isin(["ai_barometer_2021", "topdesk_inside_itsm_2026"])
    assert (cross.loc[paginated, "page"].notna() ^ cross.loc[paginated, "page_note"].notna()).all()
    assert cross.loc[~paginated, ["page", "page_note"]].isna().all().all()
    eurostat = cross[cross["source_id"] == "eurostat_isoc_eb_ai_dbnomics"]
    keys = eurostat["location"].str.extract(r"series (\S+),")[0]
    assert (eurostat["url"] == "https://db.nomics.world/Eurostat/isoc_eb_ai/" + keys).all()


@pytest.mark.parametrize("path", [EDITION / "errata.yaml", ROOT / "config" / "cross_survey_errata.yaml"])
def test_errata_evidence_cites_the_public_document(path):
    sources = read_resource(PUBLISHED / "datapackage.json", "sources")
    names = ("AI-Barometer 2021", "TOPdesk, Inside ITSM 2026", "Eurostat, Statistics Explained")
    assert set(sources["source_id"]) >= {"ai_barometer_2021", "topdesk_inside_itsm_2026", "eurostat_statistics_explained_ai"}
    for entry in yaml.safe_load(path.read_text())["errata"]:
        assert not pd.Series([entry["evidence"]]).str.contains(LOCAL_FILE, regex=True).iloc[0], entry["id"]
        assert any(name in entry["evidence"] for name in names), entry["id"]
