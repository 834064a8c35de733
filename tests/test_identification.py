"""What the published record alone supports (identification.py): bounds by linear programming over
every data set consistent with the published values, and their classification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from barometer import identification as ident_module
from barometer.codebook import Codebook
from barometer.config import read_yaml
from barometer.identification import identify, merge_bounds, merge_claims, microdata_columns
from barometer.published import read_values
from barometer.source_checks import CheckContext, load_errata, validate_with_errata
from barometer.strata import Strata, load_frame
from conftest import ROOT

EDITION = ROOT / "config" / "editions" / "2021"
PUBLISHED = ROOT / "data" / "raw" / "published"


def published_after_errata() -> pd.DataFrame:
    """What validate_sources writes to results/2021/audit/published_values.csv."""
    strata = Strata.load(EDITION / "strata.yaml")
    ctx = CheckContext(read_values(PUBLISHED / "ai_barometer_2021.csv"), load_frame(EDITION / "frame.csv", strata),
                       Codebook.load(EDITION / "codebook.yaml"), read_yaml(EDITION / "source_checks.yaml")["relations"],
                       "ai_barometer_2021")
    _, corrected = validate_with_errata(ctx, load_errata(EDITION / "errata.yaml"), EDITION / "errata.yaml")
    return corrected


def identify_2021(published: pd.DataFrame):
    strata = Strata.load(EDITION / "strata.yaml")
    return identify(published, load_frame(EDITION / "frame.csv", strata), strata, Codebook.load(EDITION / "codebook.yaml"),
                    read_yaml(ROOT / "config" / "crosswalk.yaml"))


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return published_after_errata()


@pytest.fixture(scope="module")
def ident_2021(published):
    return identify_2021(published)


# ---------------------------------------------------------------------------------------------
# (2) a small published table with a hand-computed answer
# ---------------------------------------------------------------------------------------------
def small_edition(tmp_path):
    """One sector, two size classes: N = 300 small and 100 large firms, n = 30 and 10 usable
    answers; two technologies. Published: text mining 10.0% (small) and 40.0% (large), speech
    recognition 20.0% and 50.0%, adoption 35.0% overall, each +-0.05."""
    raw = yaml.safe_load((EDITION / "codebook.yaml").read_text(encoding="utf-8"))
    technologies = raw["blocks"]["technologies"]
    technologies["items"] = technologies["items"][:2]
    raw["blocks"] = {"technologies": technologies}
    raw["indicators"] = [spec for spec in raw["indicators"] if spec["id"] == "adoption.any"]
    raw.pop("indicator_relations", None)
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    strata = {"sectors": [{"id": "10-33", "nace": ["10-33"], "label_nl": "Industrie", "label_en": "Manufacturing"}],
              "sizes": [{"id": "small", "min_employees": 10, "max_employees": 249, "label_nl": "klein", "label_en": "small"},
                        {"id": "large", "min_employees": 250, "label_nl": "groot", "label_en": "large"}]}
    (tmp_path / "strata.yaml").write_text(yaml.safe_dump(strata), encoding="utf-8")
    (tmp_path / "frame.csv").write_text("sector,size,population,sampled\n10-33,small,300,100\n10-33,large,100,50\n", encoding="utf-8")
    rows = [("response.usable", "sector=10-33;size=small", "count", 30, 0), ("response.usable", "sector=10-33;size=large", "count", 10, 0),
            ("tech_text_mining.use", "size=small", "share", 10.0, 1), ("tech_text_mining.use", "size=large", "share", 40.0, 1),
            ("tech_speech_recognition.use", "size=small", "share", 20.0, 1), ("tech_speech_recognition.use", "size=large", "share", 50.0, 1),
            ("adoption.any", "all", "share", 35.0, 1)]
    published = pd.DataFrame([{"value_id": f"v{i}", "indicator": ind, "domain": dom, "statistic": stat, "comparator": "=",
                               "value": float(value), "range_low": np.nan, "range_high": np.nan, "decimals": dec,
                               "base_n": np.nan, "location": "fixture"} for i, (ind, dom, stat, value, dec) in enumerate(rows)])
    strata_obj = Strata.load(tmp_path / "strata.yaml")
    return published, load_frame(tmp_path / "frame.csv", strata_obj), strata_obj, Codebook.load(tmp_path / "codebook.yaml")


def test_small_table_bounds_equal_the_hand_computed_answer(tmp_path):
    # Adoption per class lies between the larger technology share and their sum (two technologies:
    # the Frechet limits are exact) and 3 a_small + a_large = 4 x 35.0 (+-0.2):
    #   a_large in [49.95, 140.2 - 3 x 19.95 = 80.35]
    #   a_small in [19.95, (140.2 - 49.95) / 3 = 30.0833...]
    #   a_large - a_small in [49.95 - 30.0833 = 19.8667, 80.35 - 19.95 = 60.4]
    #   text mining among large adopters in [39.95 / 80.35, 40.05 / 49.95] = [49.720%, 80.180%]
    result = identify(*small_edition(tmp_path))
    rows = result.estimates(pd.DataFrame({"indicator": ["adoption.any", "adoption.any", "tech_text_mining.use", "tech_text_mining.use"],
                                          "domain": ["size=large", "size=small", "size=small", "adopter_status=adopter"]}))
    assert rows.loc[0, ["bound_low", "bound_high"]].tolist() == pytest.approx([49.95, 80.35], abs=2e-4)
    assert rows.loc[1, ["bound_low", "bound_high"]].tolist() == pytest.approx([19.95, 30.1 - 0.05 / 3], abs=2e-4)
    assert rows.loc[0, "identified_by"] == "bounded" and rows.loc[0, "bound_method"] == "sharp"
    assert rows.loc[2, "identified_by"] == "published"
    size = result.spec.strata["size"].to_numpy()
    diff = result.engine.linear_difference("adoption.any", size == "large", size == "small")
    assert 100 * diff.low == pytest.approx(49.95 - (140.2 - 49.95) / 3, abs=3e-4)  # padded 2 x 1e-4
    assert 100 * diff.high == pytest.approx(60.4, abs=3e-4)
    among = result.engine.ratio_bound("tech_text_mining.use", size == "large", "A")  # Charnes-Cooper: a ratio target
    assert (100 * among.low, 100 * among.high) == pytest.approx((100 * 39.95 / 80.35, 100 * 40.05 / 49.95), abs=2e-4)


def test_the_warm_started_solver_and_linprog_agree(tmp_path):
    """The warm-started HiGHS object (highspy) and scipy's linprog give the same optimum."""
    result = identify(*small_edition(tmp_path))
    assert result.engine.core.lp.highs is not None
    size = result.spec.strata["size"].to_numpy()
    warm = result.engine.ratio_bound("tech_text_mining.use", size == "large", "A")
    result.engine.core.lp.highs = None
    cold = result.engine.ratio_bound("tech_text_mining.use", size == "large", "A")
    assert (cold.low, cold.high) == pytest.approx((warm.low, warm.high), abs=1e-8)


def test_inconsistent_published_values_stop_with_a_message(tmp_path):
    published, frame, strata, codebook = small_edition(tmp_path)
    published.loc[published["indicator"] == "adoption.any", "value"] = 5.0  # below a technology's share
    with pytest.raises(ident_module.InputError, match="admit no data set"):
        identify(published, frame, strata, codebook)


# ---------------------------------------------------------------------------------------------
# (3) published cells, (4) named rows of 2021
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("indicator, domain, value", [
    ("tech_rpa.use", "size=large", 37.1),  # Table 4: a share of all firms (linear)
    ("barrier_lack_expertise.yes", "adopter_status=adopter", 63.8),  # Figure 4: a ratio among adopters
    ("application_hr.yes", "sector=55-56", 42.6),  # Table 5: among adopters of a sector
])
def test_a_published_cell_gets_zero_width_bounds_at_its_value(ident_2021, indicator, domain, value):
    # the programme itself (not the 'published' shortcut) pins the cell within its rounding
    mask, status = ident_module._domain_of(ident_2021.spec, domain)
    bound = ident_2021.engine.ratio_bound(indicator, mask, status)
    assert 100 * bound.low == pytest.approx(value - 0.05, abs=2e-4)
    assert 100 * bound.high == pytest.approx(value + 0.05, abs=2e-4)
    row = ident_2021.bound_row(indicator, domain)
    assert row["identified_by"] == "published"
    assert (row["bound_low"], row["bound_high"]) == pytest.approx((value - 0.05, value + 0.05))


def test_named_rows_are_classified_as_expected(ident_2021):
    table = ident_2021.estimates(pd.DataFrame({"indicator": ["adoption.any"] * 4,
                                               "domain": ["all", "size=large", "size=medium", "sector=58-63"]}))
    rows = table.set_index("domain")
    assert rows.at["all", "identified_by"] == "published"
    assert (rows.at["all", "bound_low"], rows.at["all", "bound_high"]) == pytest.approx((23.15, 23.25))
    # 250+ firms: at least the largest technology share of Table 4 (37.1 +- 0.05), above the
    # all-firm rate, and nothing published keeps it below 100%
    large = rows.loc["size=large"]
    assert large["identified_by"] == "bounded" and large["bound_method"] == "sharp"
    assert large["bound_low"] == pytest.approx(37.05, abs=2e-4) and large["bound_low"] > rows.at["all", "bound_high"]
    assert large["bound_high"] == pytest.approx(100.0)
    assert rows.at["size=medium", "identified_by"] == "bounded"
    # 10+ employees (the Eurostat scope): Table 4 with the overall rate alone gives 16.0-33.5%; the
    # count distribution of Figure 1 raises the lower limit to 17.7%
    harmonised = ident_2021.harmonised_rows().set_index(["indicator", "domain", "minus"])
    ten = harmonised.loc[("adoption.any", "eurostat_scope_10plus", "")]
    assert ten["identified_by"] == "bounded"
    assert (ten["bound_low"], ten["bound_high"]) == pytest.approx((17.675, 33.489), abs=1e-3)
    assert 16.0 <= ten["bound_low"] and ten["bound_high"] <= 33.5
    # technology use among 10+ firms follows from the published all-firm and micro shares
    assert harmonised.loc[("tech_rpa.use", "eurostat_scope_10plus", ""), "identified_by"] == "derived"


def test_ratio_estimates_among_adopters_are_derived_from_published_numbers(ident_2021):
    # four or more technologies among adopters: 2.1% / 23.2% of all firms, within the rounding of both
    row = ident_2021.bound_row("adoption.n_tech_4plus", "adopter_status=adopter")
    assert row["identified_by"] == "derived"
    assert row["bound_low"] == pytest.approx(100 * 2.05 / 23.25, abs=1e-3)
    assert row["bound_high"] == pytest.approx(100 * 2.15 / 23.15, abs=1e-3)


def test_claims_get_the_verdict_of_the_published_tables():
    bounds = pd.DataFrame({"indicator": ["x", "x", "x", "y", "y"], "dimension": ["size"] * 5,
                           "level": ["large", "micro", "small", "large", "micro"],
                           "domain": ["size=large", "size=micro", "size=small", "size=large", "size=micro"],
                           "identified_by": ["bounded"] * 5, "bound_low": [2.0, -9.0, -1.0, -3.0, -2.0],
                           "bound_high": [8.0, -1.0, 4.0, 3.0, 2.0], "bound_method": ["sharp"] * 5, "bound_note": [""] * 5})
    claims = pd.DataFrame({"claim_id": list("abcde"), "section": ["s"] * 5, "indicator": ["x", "x", "x", "x", "y"],
                           "domain": ["size=large", "size=large", "size=small", "size=any", "size=any"],
                           "direction": ["higher", "lower", "higher", "none", "none"], "verdict": ["supported"] * 5})
    merged = merge_claims(claims.assign(verdict_reason="why"), bounds)
    out = merged.set_index("claim_id")["verdict_published"]
    assert out.to_dict() == {"a": "supported by the published tables", "b": "contradicted by the published tables",
                             "c": "not determined by the published tables", "d": "contradicted by the published tables",
                             "e": "not determined by the published tables"}
    # supplied microdata: the same columns in the same order (one data dictionary for both)
    plain = microdata_columns(claims.assign(verdict_reason="why"))
    assert list(plain.columns) == list(merged.columns) and set(plain["identified_by"]) == {"microdata"}


def test_supplied_microdata_say_microdata_and_have_no_bounds():
    table = pd.DataFrame({"indicator": ["a"], "domain": ["all"], "estimate": [1.0], "bound_low": [0.0]})
    out = microdata_columns(table)
    assert out["identified_by"].tolist() == ["microdata"]
    assert out[["bound_low", "bound_high"]].isna().all().all()
    with pytest.raises(ident_module.BarometerError, match="no identification"):
        merge_bounds(table.assign(domain="size=large"), pd.DataFrame({"indicator": ["a"], "domain": ["all"],
                                                                       **{c: [""] for c in ident_module.COLUMNS}}),
                     ["indicator", "domain"], "estimates")


# ---------------------------------------------------------------------------------------------
# (1) every row of the 2021 outputs: the bounds contain the reconstruction's own estimate
# ---------------------------------------------------------------------------------------------
FORMAT_TOLERANCE = 1e-6  # the CSVs hold 10 significant digits


def missed_published_values(run) -> pd.DataFrame:
    """Published '=' values the reconstruction misses by more than their rounding (from the run's
    reproduction table)."""
    reproduction = pd.read_csv(run / "results/2021/estimates/reproduction.csv")
    values = pd.read_csv(run / "results/2021/audit/published_values.csv").drop_duplicates("value_id").set_index("value_id")
    r = reproduction[reproduction["comparator"] == "="].copy()
    r["half"] = 0.5 * 10.0 ** (-r["value_id"].map(values["decimals"]).fillna(0))
    return r[(r["diff_pp"].abs() - r["half"] > 1e-9) & r["indicator"].isin(Codebook.load(EDITION / "codebook.yaml").indicators["indicator"])]


@pytest.mark.slow
def test_bounds_contain_the_reconstructions_own_estimates(full_run):
    run = full_run
    estimates = pd.read_csv(run / "results/2021/estimates/estimates.csv")
    differences = pd.read_csv(run / "results/2021/estimates/differences.csv", dtype={"level": str})
    assert set(estimates["identified_by"]) <= set(ident_module.CLASSES)
    # The bundled reconstruction misses some published values of the applications block (Table 5,
    # Figure 6) by up to 1 point, and one of Figure 4 by 0.00001: its rows are checked against bounds
    # from the published values widened just enough to admit the reconstruction's; every other row
    # against the bounds of the workflow's run.
    missed = missed_published_values(run)
    codebook = Codebook.load(EDITION / "codebook.yaml")
    blocks = codebook.indicators.set_index("indicator")["block"]
    assert set(missed["indicator"].map(blocks)) == {"applications", "barriers"}
    widened = published_after_errata()
    for r in missed.itertuples():
        rows = (widened["indicator"] == r.indicator) & (widened["domain"] == r.domain) & (widened["comparator"] == "=")
        half = 0.5 * 10.0 ** (-widened.loc[rows, "decimals"].fillna(0).astype(float))
        widened.loc[rows, "range_low"] = np.minimum(widened.loc[rows, "value"] - half, r.reproduced)
        widened.loc[rows, "range_high"] = np.maximum(widened.loc[rows, "value"] + half, r.reproduced)
        widened.loc[rows, "comparator"] = "~"
    recomputed = identify_2021(widened)
    # rows whose programme holds a widened value: the item alone if it is solved alone, else its group
    spec, engine = recomputed.spec, recomputed.engine
    affected = set()
    for indicator in set(missed["indicator"]):
        item, group = spec.indicators[indicator]["item"], spec.group_of[blocks[indicator]]
        affected |= {i for i, m in spec.indicators.items() if (m["item"] == item if item in engine.separable
                                                                 else spec.group_of[m["block"]] == group)}
    for table, value, keys in ((estimates, "estimate", None), (differences, "difference", None)):
        redo = table["indicator"].isin(affected)
        fresh = (recomputed.estimates(table[redo]) if value == "estimate" else recomputed.differences(table[redo]))
        checked = pd.concat([table[~redo], fresh])
        defined = checked[value].notna() & checked["bound_low"].notna()
        outside = checked[defined & ((checked[value] < checked["bound_low"] - FORMAT_TOLERANCE)
                                     | (checked[value] > checked["bound_high"] + FORMAT_TOLERANCE))]
        assert outside.empty, outside[["indicator", "domain", value, "bound_low", "bound_high"]].head(10).to_string()
        assert defined.sum() >= 0.99 * table[value].notna().sum()
    comparison = pd.read_csv(run / "results/cross_survey/comparison.csv")
    assert ((comparison["value"] >= comparison["bound_low"] - FORMAT_TOLERANCE)
            & (comparison["value"] <= comparison["bound_high"] + FORMAT_TOLERANCE)).all()
    gap = pd.read_csv(run / "results/cross_survey/gap_decomposition.csv")
    assert ((gap["value"] >= gap["bound_low"] - FORMAT_TOLERANCE) & (gap["value"] <= gap["bound_high"] + FORMAT_TOLERANCE)).all()
    claims = pd.read_csv(run / "results/2021/estimates/claims.csv")
    assert set(claims["verdict_published"]) <= set(ident_module.PUBLISHED_VERDICTS)
    one = claims[claims["difference"].notna() & ~claims["indicator"].isin(affected)]
    assert ((one["difference"] >= one["bound_low"] - FORMAT_TOLERANCE) & (one["difference"] <= one["bound_high"] + FORMAT_TOLERANCE)).all()
    large = claims.set_index("claim_id").loc["summary.adoption.any.size=large"]
    assert large["verdict_published"] == "supported by the published tables"
