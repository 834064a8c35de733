"""Differences and the report's claims under issue 13's rules.

- A difference inherits reliability from both its sides: a suppressed side, or one without sampling
  variance, makes it "not assessable", and a claim resting on it is never "supported".
- The multiplicity family is configurable (indicator x dimension, claim family, all claims) and named.
- The interval beside an adjusted p-value is the matching adjusted interval; the unadjusted one is
  labelled so.
- "No notable difference" claims are tested for equivalence (TOST) or end as "no evidence either way".
Expected values are computed here with statsmodels and scipy, independently of the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from barometer.claims import check_claims
from barometer.config import DifferenceSettings
from barometer.differences import differences_table
from barometer.survey import RescaledBootstrap, StratifiedDesign, estimate_partitioned

# sector: (n, N) per size class (two size classes each)
SECTORS = {"A": ((60, 600), (60, 300)), "B": ((50, 500), (50, 200)), "C": ((2, 40), (2, 40)), "D": ((40, 400), (40, 400))}


def make_sample(seed: int = 3) -> pd.DataFrame:
    """x: 60% in A, exactly 0 in B (no variance), 50% in C (4 respondents: suppressed), 30% in D;
    z: 30% everywhere; w: 40% everywhere, and a second share v like x but drawn anew."""
    rng = np.random.default_rng(seed)
    frames = []
    for sector, sizes in SECTORS.items():
        for size, (n, _) in zip(("small", "large"), sizes):
            p_x = {"A": 0.6, "B": 0.0, "C": 0.5, "D": 0.3}[sector]
            frames.append(pd.DataFrame({"sector": sector, "size": size, "stratum": f"{sector}_{size}",
                                        "x": (rng.random(n) < p_x).astype(float), "z": (rng.random(n) < 0.3).astype(float),
                                        "w": (rng.random(n) < 0.4).astype(float),
                                        "v": (rng.random(n) < p_x + 0.05).astype(float)}))
    d = pd.concat(frames, ignore_index=True)
    d.loc[d["sector"] == "C", "x"] = [1.0, 0.0, 1.0, 0.0]
    return d


POPULATION = {f"{s}_{z}": N for s, sizes in SECTORS.items() for z, (_, N) in zip(("small", "large"), sizes)}
INDICATORS = ["x", "z", "w", "v"]


@pytest.fixture(scope="module")
def differences():
    d = make_sample()
    design = StratifiedDesign.from_sample(d["stratum"], POPULATION).with_replicates(RescaledBootstrap(2000, seed=5))
    pe = estimate_partitioned(design, d[INDICATORS].to_numpy(), ["share"] * 4, {"sector": d["sector"].to_numpy()},
                              INDICATORS)
    meta = pd.DataFrame({"indicator": INDICATORS, "block": "b", "kind": "share"}).set_index("indicator")
    return differences_table(pe, meta, settings(), 0.95)


def settings(**kwargs) -> DifferenceSettings:
    return DifferenceSettings(**{"dimensions": ("sector",), "adjust": "holm", "alpha": 0.05, **kwargs})


def claims(*rows) -> pd.DataFrame:
    """Claims as read from the claims file: (claim_id, sentence, indicator, domain, direction)."""
    return pd.DataFrame([{"claim_id": c, "section": "3.1", "wording_nl": w, "indicator": i, "domain": d, "direction": x}
                         for c, w, i, d, x in rows])


def row(frame: pd.DataFrame, indicator: str, domain: str) -> pd.Series:
    return frame[(frame["indicator"] == indicator) & (frame["domain"] == domain)].iloc[0]


# -- reliability of a difference ---------------------------------------------------------------
def test_a_difference_inherits_reliability_from_both_sides(differences):
    b, c, a = row(differences, "x", "sector=B"), row(differences, "x", "sector=C"), row(differences, "x", "sector=A")
    assert b["estimate_domain"] == 0.0 and b["flag"] == "not assessable"
    assert "domain has no sampling variance" in b["flag_reason"]
    assert c["n_domain"] == 4 and c["flag_domain"] == "suppress" and c["flag"] == "not assessable"
    assert "domain suppressed (" in c["flag_reason"] and "fewer than 5 respondents" in c["flag_reason"]
    assert a["flag_domain"] == "ok" and a["flag_rest"] == "ok" and a["flag"] == "ok" and a["flag_reason"] == ""
    # B's difference is large and 'significant' -- a test against a variance of zero on one side
    assert b["p_adjusted"] < 0.001


def test_a_claim_on_an_unassessable_difference_is_never_supported(differences):
    c = claims(("b_lower", "s1", "x", "sector=B", "lower"), ("c_higher", "s2", "x", "sector=C", "higher"),
               ("a_higher", "s3", "x", "sector=A", "higher"))
    out = check_claims(c, differences, settings()).set_index("claim_id")
    assert out.at["b_lower", "verdict"] == "not assessable"
    assert "no sampling variance" in out.at["b_lower", "verdict_reason"]
    assert out.at["c_higher", "verdict"] == "not assessable"
    assert out.at["a_higher", "verdict"] == "supported"
    assert out.at["b_lower", "flag"] == "not assessable" and out.at["a_higher", "flag"] == "ok"


# -- adjusted p-values and intervals ------------------------------------------------------------
def test_the_interval_beside_an_adjusted_p_value_matches_it(differences):
    d = differences
    excludes_zero = (d["ci_low_adjusted"] > 0) | (d["ci_high_adjusted"] < 0)
    assert (excludes_zero == (d["p_adjusted"] < 0.05)).all()
    assert "ci_low" not in d and {"ci_low_unadjusted", "ci_high_unadjusted"} <= set(d.columns)
    assert (d["adjust_family"] == "indicator x dimension").all()
    # Holm's first step is Bonferroni's: the smallest p of a family of m has the 1 - alpha/m interval
    family = d[d["indicator"] == "w"].sort_values("p_value")
    first = family.iloc[0]
    m = len(family)
    assert first["p_adjusted"] == pytest.approx(m * first["p_value"], rel=1e-12)  # below 1, not raised by monotonicity
    half = stats.t.ppf(1 - 0.05 / (2 * m), first["df"]) * first["se"]
    assert first["ci_level_adjusted"] == pytest.approx(1 - 0.05 / m, rel=1e-12)
    assert (first["ci_low_adjusted"], first["ci_high_adjusted"]) == pytest.approx(
        (first["difference"] - half, first["difference"] + half), rel=1e-9)
    half95 = stats.t.ppf(0.975, first["df"]) * first["se"]
    assert first["ci_low_unadjusted"] == pytest.approx(first["difference"] - half95, rel=1e-9)


FAMILY_CLAIMS = claims(
    ("x_a", "sentence 1", "x", "sector=A", "higher"), ("x_d", "sentence 1", "x", "sector=D", "lower"),
    ("v_a", "sentence 1", "v", "sector=A", "higher"),
    ("w_a", "sentence 2", "w", "sector=A", "higher"), ("z_d", "sentence 2", "z", "sector=D", "lower"),
)


@pytest.mark.parametrize("family", ["indicator_dimension", "claim_family", "all_claims"])
def test_the_multiplicity_family_is_configurable(differences, family):
    out = check_claims(FAMILY_CLAIMS, differences, settings(family=family)).set_index("claim_id")
    assert (out["adjust_family"] == family).all()
    p = {c: row(differences, i, d)["p_value"] for c, i, d in zip(FAMILY_CLAIMS["claim_id"], FAMILY_CLAIMS["indicator"],
                                                                   FAMILY_CLAIMS["domain"])}
    if family == "indicator_dimension":
        expected = {c: row(differences, i, d)["p_adjusted"] for c, i, d in
                    zip(FAMILY_CLAIMS["claim_id"], FAMILY_CLAIMS["indicator"], FAMILY_CLAIMS["domain"])}
        # Holm over the indicator's four sectors, claimed or not
        x = differences[differences["indicator"] == "x"].set_index("domain")
        assert expected["x_a"] == pytest.approx(multipletests(x["p_value"], method="holm")[1][list(x.index).index("sector=A")])
    else:
        groups = [["x_a", "x_d", "v_a"], ["w_a", "z_d"]] if family == "claim_family" else [list(p)]
        expected = {}
        for g in groups:
            expected.update(zip(g, multipletests([p[c] for c in g], method="holm")[1]))
    for c in p:
        assert out.at[c, "p_adjusted"] == pytest.approx(expected[c], rel=1e-12), c
        assert ((out.at[c, "ci_low_adjusted"] > 0) or (out.at[c, "ci_high_adjusted"] < 0)) == (expected[c] < 0.05), c


def test_the_family_in_use_is_named_for_the_report():
    assert "claim family" in settings(family="claim_family").family_name
    assert "indicator × dimension" in settings().family_name


# -- claims of no difference --------------------------------------------------------------------
def test_no_difference_claims_need_equivalence_not_just_non_significance(differences):
    c = claims(("z_any", "s", "z", "sector=any", "none"), ("x_any", "s", "x", "sector=any", "none"),
               ("w_any", "s", "w", "sector=any", "none"))
    z = differences[differences["indicator"] == "z"]
    w = differences[differences["indicator"] == "w"]
    # z and w: no sector differs significantly from the rest (every assessable level); the TOST p of a
    # level is the larger one-sided p of |difference| < margin (percentage points), computed here
    assert not ((z["p_adjusted"] < 0.05) & (z["flag"] != "not assessable")).any()

    def tost_p(frame, margin):
        lower = stats.t.sf((frame["difference"] + margin) / frame["se"], frame["df"])
        upper = stats.t.sf((margin - frame["difference"]) / frame["se"], frame["df"])
        return np.maximum(lower, upper).max()

    wide = check_claims(c, differences, settings(equivalence_margin=60.0)).set_index("claim_id")
    narrow = check_claims(c, differences, settings(equivalence_margin=1.0)).set_index("claim_id")
    # x: sector B is 0% against a rest near 40%: a significant difference contradicts "no difference"
    assert narrow.at["x_any", "verdict"] == wide.at["x_any", "verdict"] == "contradicted"
    # sector C (4 respondents, suppressed) keeps z and w from being shown equivalent, whatever the margin
    assert row(differences, "z", "sector=C")["flag"] == "not assessable"
    for verdicts in (wide, narrow):
        assert verdicts.at["z_any", "verdict"] == verdicts.at["w_any", "verdict"] == "not assessable"
    assert narrow.at["z_any", "tost_p"] == pytest.approx(tost_p(z, 1.0), rel=1e-9)
    # without the unassessable level, a wide margin supports the claim, a narrow one does not
    assessable = differences[differences["domain"] != "sector=C"]
    supported = check_claims(c, assessable, settings(equivalence_margin=60.0)).set_index("claim_id")
    assert supported.at["z_any", "verdict"] == "supported"
    assert supported.at["z_any", "tost_p"] == pytest.approx(tost_p(z[z["domain"] != "sector=C"], 60.0), rel=1e-9)
    assert supported.at["z_any", "tost_p"] < 0.05
    # with a 1-point margin nothing is shown: no evidence either way, never 'supported'
    assert check_claims(c, assessable, settings(equivalence_margin=1.0)).set_index("claim_id").at["z_any", "verdict"] \
        == "no evidence either way"
