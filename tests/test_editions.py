"""A new edition is configuration and data only: the fixture edition 2099 (one technology added, one
initiative dropped, one barrier reworded, three size classes instead of four, its own raw export)
runs through the whole workflow, report included, beside 2021; the longitudinal view matches them."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_adding_an_edition_needs_no_code_change(two_editions):
    # the edition is added by a --configfile holding nothing but its editions block
    settings = yaml.safe_load((ROOT / "tests/fixtures/edition_2099/config.yaml").read_text())
    assert set(settings) == {"editions"} and set(settings["editions"]) == {2099}
    for edition in ("2021", "2099"):
        e = pd.read_csv(two_editions / f"results/{edition}/estimates/estimates.csv")
        assert (e["indicator"] == "adoption.any").any()
    e2099 = pd.read_csv(two_editions / "results/2099/estimates/estimates.csv")
    assert "tech_generative_ai.use" in set(e2099["indicator"])
    assert "initiative_coaching.participated" not in set(e2099["indicator"])
    assert set(e2099.loc[e2099["dimension"] == "size", "level"]) == {"sme", "medium", "large"}
    weights = pd.read_csv(two_editions / "results/2099/weights/diagnostics.csv")
    assert len(weights) == 27 and "total" not in set(weights["stratum"])
    assert (two_editions / "results/2099/figures/en/fig02_technologies.png").stat().st_size > 10_000
    # no published numbers for 2099: nothing to reproduce, nothing to check
    assert not (two_editions / "results/2099/estimates/reproduction.csv").exists()


def test_the_longitudinal_view_matches_shared_indicators_and_marks_changes(two_editions):
    changes = pd.read_csv(two_editions / "results/longitudinal/changes.csv")
    overall = changes[changes["domain"] == "all"].set_index("indicator")
    assert "tech_generative_ai.use" not in overall.index  # only in 2099
    assert "initiative_coaching.participated" not in overall.index  # only in 2021
    assert bool(overall.at["barrier_ethics.yes", "wording_changed"])  # reworded
    assert bool(overall.at["adoption.any", "wording_changed"])  # the list of technologies changed
    assert not bool(overall.at["tech_rpa.use", "wording_changed"])
    row = overall.loc["tech_rpa.use"]
    e21 = pd.read_csv(two_editions / "results/2021/estimates/estimates.csv")
    e99 = pd.read_csv(two_editions / "results/2099/estimates/estimates.csv")
    pick = lambda e: e[(e["indicator"] == "tech_rpa.use") & (e["domain"] == "all")].iloc[0]  # noqa: E731
    assert row["change"] == pytest.approx(pick(e99)["estimate"] - pick(e21)["estimate"])
    assert row["se"] == pytest.approx((pick(e99)["se"] ** 2 + pick(e21)["se"] ** 2) ** 0.5)
    series = pd.read_csv(two_editions / "results/longitudinal/editions.csv")
    assert set(series.loc[series["kind"] == "estimated from microdata", "year"]) == {2021, 2099}
    assert set(series.loc[series["kind"] == "published only", "grade"]) == {"blog"}


def test_the_report_shows_the_change_between_editions(two_editions):
    html = (two_editions / "results/report/barometer.html").read_text(encoding="utf-8")
    assert "The Barometer over its editions" in html
    assert "2021 → 2099" in html
    assert "Only one edition is configured" not in html


def test_the_readme_guide_names_every_step_the_fixture_takes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme[readme.index("## Adding an edition"):]
    for step in ("codebook.yaml", "strata.yaml", "frame.csv", "errata.yaml", "--configfile", "BAROMETER_SALT"):
        assert step in guide
