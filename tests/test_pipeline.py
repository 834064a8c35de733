"""The workflow from raw export to estimates: reproduction of the 2021 report, estimates with every
column, differences and the report's claims, the cross-survey comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import copy_repository, run_workflow

TARGETS = ["results/2021/estimates/reproduction.csv", "results/2021/estimates/estimates.csv",
           "results/cross_survey/comparison.csv", "results/cross_survey/gap_decomposition.csv"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = copy_repository(tmp_path_factory.mktemp("pipeline"))
    run_workflow(workdir, *TARGETS)
    return workdir


def read(run, name, **kwargs) -> pd.DataFrame:
    return pd.read_csv(run / name, **kwargs)


def test_weights_and_diagnostics(run):
    weights = read(run, "results/2021/weights/weights.csv")
    assert len(weights) == 1717
    assert np.allclose(weights["weight"], weights["N_h"] / weights["n_h"])
    assert weights.groupby("stratum")["weight"].sum().round(6).to_dict() == \
        weights.groupby("stratum")["N_h"].first().astype(float).to_dict()
    diagnostics = read(run, "results/2021/weights/diagnostics.csv").set_index("stratum")
    summary = read(run, "results/2021/weights/summary.csv").iloc[0]
    assert summary["N_frame"] == diagnostics["N_frame"].sum() == 34452
    w = weights["weight"].to_numpy()
    assert summary["kish_effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert diagnostics.at["55-56_small", "n_usable"] == 33  # Table 2 after the erratum


def test_reproduction_meets_every_target(run):
    summary = read(run, "results/2021/estimates/reproduction_summary.csv").set_index("group")
    assert summary["met"].all(), summary
    table = read(run, "results/2021/estimates/reproduction.csv")
    text = table[(table["kind"] == "text") & (table["comparator"] == "=") & (table["indicator"] != "response.usable")]
    assert len(text) >= 140
    assert text["diff_pp"].abs().max() <= 0.1
    for location in ("Table 3", "Table 4", "Table 5"):
        cells = table[(table["kind"] == "table_cell") & (table["table_or_figure"] == location)]["diff_pp"].abs()
        assert cells.median() <= 0.1 and cells.max() <= 1.5, location
    quoted = table.set_index("value_id")
    assert quoted.at["fig1.summary.adoption.any.all", "published"] == 23.2
    assert abs(quoted.at["fig1.summary.adoption.any.all", "reproduced"] - 23.2) <= 0.1
    # the text's 45.3% cost reduction in accommodation rests on a handful of firms
    cost = quoted.at["fig9.s3_6.impact_cost_reduction_pct.mean.sector=55-56", "n"]
    assert cost <= 10


def test_estimates_carry_every_column_and_honest_uncertainty(run):
    e = read(run, "results/2021/estimates/estimates.csv")
    for column in ("indicator", "domain", "estimate", "se", "se_taylor", "ci_low", "ci_high", "n", "n_eff", "df", "cv", "flag"):
        assert column in e
    overall = e[(e["indicator"] == "adoption.any") & (e["domain"] == "all")].iloc[0]
    # respondents minus variance strata: 36 strata, the single-response one collapsed with its neighbour
    assert overall["n"] == 1717 and overall["df"] == 1717 - 35
    assert overall["ci_low"] < overall["estimate"] < overall["ci_high"]
    # bootstrap and closed-form Taylor SEs agree within Monte-Carlo error (B = 10,000: ~0.7%) for linear shares
    shares = e[(e["kind"] == "share") & (e["domain"] == "all") & (e["se_taylor"] > 0.2)]
    ratio = shares["se"] / shares["se_taylor"]
    assert ratio.between(0.9, 1.1).all(), ratio.describe()
    # shares at exactly 0 keep a defined Korn-Graubard interval
    zeros = e[(e["kind"] == "share") & (e["estimate"] == 0) & (e["n"] > 0)]
    assert (zeros["ci_low"] == 0).all() and (zeros["ci_high"] > 0).all()
    assert set(e["flag"]) <= {"ok", "review", "suppress"}
    small = e[e["n"] < 5]
    assert (small["flag"] == "suppress").all()
    # issue 13: Korn-Graubard as NCHS/CDC compute it (effective n capped at the respondents) and the
    # effective degrees of freedom for the df rule (B = 10,000, seeded: exact counts)
    assert e["flag"].value_counts().to_dict() == {"ok": 1098, "suppress": 579, "review": 220}
    shares = e[e["kind"] == "share"]
    assert (shares["n_eff"] <= shares["n"]).all() and (shares["n_eff_kg"] <= shares["n"] + 1e-9).all()
    assert (e["df_effective"] <= e["df"] + 1e-9).all()
    logistics = e[(e["indicator"] == "application_logistics.yes") & (e["domain"] == "sector=41-43")].iloc[0]
    assert logistics["estimate"] == pytest.approx(3.85, abs=0.005) and logistics["n"] == 57
    assert (logistics["ci_low"], logistics["ci_high"]) == pytest.approx((0.54, 12.61), abs=0.01)  # uncapped: [2.2, 6.2]
    assert logistics["flag"] == "suppress"
    # the 14 cells the audit named, 'ok' under the uncapped interval, are suppressed
    audit = [("application_hr.yes", "sector=10-33"), ("application_logistics.yes", "sector=41-43"),
             ("tech_image_recognition.plan", "sector=49-53"), ("tech_machine_learning.use", "sector=49-53"),
             ("application_purchasing.yes", "sector=49-53"), ("employment_low_skilled.increase", "sector=49-53"),
             ("employment_high_skilled.decrease", "sector=49-53"), ("tech_autonomous_machines.use", "sector=55-56"),
             ("application_purchasing.yes", "sector=68-75"), ("tech_autonomous_machines.use", "sector=77-82"),
             ("tech_rpa.plan", "size=large"), ("employment_high_skilled.decrease", "size=large"),
             ("adoption.none_with_plans", "size=large"), ("budget_change.decrease", "size=medium")]
    flags = e.set_index(["indicator", "domain"])["flag"]
    assert [flags[c] for c in audit] == ["suppress"] * 14


def test_differences_and_the_reports_claims(run):
    d = read(run, "results/2021/estimates/differences.csv")
    assert {"difference", "se", "ci_low_unadjusted", "ci_high_unadjusted", "ci_low_adjusted", "ci_high_adjusted",
            "p_value", "p_adjusted", "adjust_method", "adjust_family", "flag_domain", "flag_rest", "flag"} <= set(d.columns)
    assert (d["p_adjusted"] >= d["p_value"] - 1e-12).all()  # Holm never lowers a p-value
    assert (((d["ci_low_adjusted"] > 0) | (d["ci_high_adjusted"] < 0)) == (d["p_adjusted"] < 0.05)).all()
    assert d["flag"].value_counts().to_dict() == {"ok": 809, "not assessable": 594, "review": 178}
    claims = read(run, "results/2021/estimates/claims.csv")
    # the report's 82 'above / below average' statements against the bundled data (B = 10,000, seeded)
    assert claims["verdict"].value_counts().to_dict() == {
        "direction only, not significant": 41, "not assessable": 32, "supported": 9}
    supported = claims[(claims["verdict"] == "supported") & (claims["direction"] != "none")]
    assert len(supported) == 8 and (supported["p_adjusted"] < 0.05).all()
    assert ((supported["difference"] > 0) == (supported["direction"] == "higher")).all()
    assert (supported["flag"] != "not assessable").all()
    # two of the claims the uncapped rules supported rest on a 0% estimate with zero variance
    zero = claims.set_index("claim_id").loc[["s3_4.application_strategic_management.yes.sector=41-43",
                                             "s3_4.application_purchasing.yes.sector=41-43"]]
    assert (zero["verdict"] == "not assessable").all()
    # 'no notable difference' by size class: supported by equivalence (TOST within 5 points)
    size_any = claims.set_index("claim_id").loc["s3_7.policy_action_plan_aware.yes.size=any"]
    assert size_any["verdict"] == "supported" and size_any["tost_p"] < 0.05 and size_any["equivalence_margin"] == 5


def test_cross_survey_comparison(run):
    c = read(run, "results/cross_survey/comparison.csv")
    assert {"concept", "source", "source_grade", "population", "year", "value", "ci_low", "ci_high", "n", "design", "instrument", "scope",
            "same_region", "same_year", "differs", "comparability", "note"} <= set(c.columns)
    eurostat = c[c["value_id"] == "eurostat.e_ai_tany.be.2021"].iloc[0]
    assert eurostat["value"] == 10.32 and np.isnan(eurostat["ci_low"])  # N not published: no interval
    assert "not published" in eurostat["note"]
    cropland = c[c["value_id"] == "barometer2025.cropland.ai_any.vl.2025"].iloc[0]
    # Wilson under SRS with N = 2,915: 58.8% +- 1.79
    assert cropland["ci_low"] == pytest.approx(57.00, abs=0.01) and cropland["ci_high"] == pytest.approx(60.57, abs=0.01)
    for panel in ("kyndryl_readiness", "topdesk_inside_itsm"):
        rows = c[c["survey"] == panel]
        assert rows["ci_low"].isna().all() and (rows["design"] == "opt_in_panel").all()
        assert (rows["comparability"] == "context").all()
    gap = read(run, "results/cross_survey/gap_decomposition.csv")
    total, domain, remaining = gap["value"].iloc[:3]
    assert total == pytest.approx(domain + remaining)
