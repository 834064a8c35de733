"""Intervals and reliability flags that hold for rare shares and small domains (issue 13).

1. Korn-Graubard as NCHS/CDC define it (the default): the degrees-of-freedom-adjusted effective n is
   capped at the domain's respondents, the df factor applies at p = 0 and 1 too, df <= 0 gives [0, 1];
   the uncapped interval (R's svyciprop(method = "beta")) stays available as korn_graubard_uncapped.
   The R comparison of both is in test_r_oracle.py.
2. Zero variance: bootstrap round-off counts as zero; 0 < p < 1 without variance gets a defined interval
   and a note (and a degenerate one, [p, p], only where the domain is a census); percentile and Wald
   intervals at 0 or 1 fall back to Korn-Graubard, named in ci_note.
3. The effective degrees of freedom (Satterthwaite) and the NCHS df rule that uses them.
5. The Taylor variance from centred scores: a total of values near 1e8 keeps its precision.

Expected values are closed forms computed here from scipy's distributions, or published numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from barometer.survey import NCHS, RescaledBootstrap, StratifiedDesign, estimate
from barometer.survey.estimation import Estimates
from barometer.survey.intervals import korn_graubard, korn_graubard_uncapped, share_interval, wilson

LEVEL = 0.95


def t975(df):
    return stats.t.ppf(0.975, df)


def clopper_pearson(x, m):
    """The Clopper-Pearson interval for x events of m (real-valued), written out with scipy."""
    low = 0.0 if x <= 0 else stats.beta.ppf(0.025, x, m - x + 1)
    high = 1.0 if x >= m else stats.beta.ppf(0.975, x + 1, m - x)
    return low, high


# -- 1. Korn-Graubard as NCHS and CDC define it ---------------------------------------------------
# The audit's example (issue 13): application of AI in logistics among adopters in NACE 41-43 in the
# 2021 table (bundled reconstruction): 3.85%, SE 0.959 points, n = 57, design df = 53. Its effective
# n p(1-p)/v = 403 is seven times the 57 respondents: strata without a logistics user add no variance.
LOGISTICS = dict(p=0.0385270889, se=0.00958642085, n=57, df=53)


def test_korn_graubard_caps_the_effective_n_at_the_respondents():
    p, v, n, df = LOGISTICS["p"], LOGISTICS["se"] ** 2, LOGISTICS["n"], LOGISTICS["df"]
    assert p * (1 - p) / v == pytest.approx(403.08, abs=0.01)
    low, high = korn_graubard(p, v, n, df)
    # capped: min(57, 403 (t_56 / t_53)^2) = 57, so Clopper-Pearson with 57 respondents
    expected = clopper_pearson(p * 57, 57)
    assert (float(low), float(high)) == pytest.approx(expected, rel=1e-10)
    assert 100 * float(low) == pytest.approx(0.54, abs=0.01) and 100 * float(high) == pytest.approx(12.61, abs=0.01)
    # uncapped, as R's svyciprop(method = "beta") and the 2021 table had it: [2.2, 6.2]
    low_u, high_u = korn_graubard_uncapped(p, v, n, df)
    assert 100 * float(low_u) == pytest.approx(2.195063207, abs=1e-6)
    assert 100 * float(high_u) == pytest.approx(6.227690652, abs=1e-6)


def test_the_cap_binds_only_when_the_adjusted_effective_n_exceeds_n():
    p, v, n, df = 0.3, 0.3 * 0.7 / 150, 400, 380  # effective n 150 < 400: no cap
    factor = (t975(n - 1) / t975(df)) ** 2
    low, high = korn_graubard(p, v, n, df)
    assert (float(low), float(high)) == pytest.approx(clopper_pearson(p * 150 * factor, 150 * factor), rel=1e-10)
    np.testing.assert_allclose(korn_graubard_uncapped(p, v, n, df), (low, high), rtol=1e-12)


def test_korn_graubard_applies_the_df_factor_at_0_and_1():
    n, df = 40, 10
    m = n * (t975(n - 1) / t975(df)) ** 2  # 36.0: fewer effective respondents than 40
    low, high = korn_graubard(np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([n, n]), np.array([df, df]))
    assert low[0] == 0.0 and high[0] == pytest.approx(1 - 0.025 ** (1 / m), rel=1e-12)
    assert high[1] == 1.0 and low[1] == pytest.approx(0.025 ** (1 / m), rel=1e-12)
    assert m < n - 3  # so the check above tells the factor apart from n itself


@pytest.mark.parametrize("df", [0, -1])
def test_korn_graubard_without_degrees_of_freedom_is_the_unit_interval(df):
    """CDC's svyciprop_adjusted: when df <= 0 the df factor is 0, so the effective n is 0 and the
    interval [0, 1]: the design carries no information on the precision."""
    p = np.array([0.3, 0.0, 1.0])
    low, high = korn_graubard(p, np.array([0.01, 0.0, 0.0]), np.array([3, 3, 3]), np.array([df] * 3))
    np.testing.assert_array_equal(low, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(high, [1.0, 1.0, 1.0])


def test_korn_graubard_and_wilson_bounds_lie_in_the_unit_interval_and_contain_p():
    p, var, n, df = (g.ravel() for g in np.meshgrid(
        [0.0, 1e-6, 0.01, 0.3, 0.5, 0.97, 1 - 1e-9, 1.0], [0.0, 1e-10, 1e-4, 0.01, 0.3, 5.0],
        [1, 2, 5, 30, 400], [0, 1, 3, 50, 1000], indexing="ij"))
    keep = ((var == 0) | ((p > 0) & (p < 1))) & (df <= n - 1)
    p, var, n, df = p[keep], var[keep], n[keep], df[keep]
    for name, (low, high) in {"korn_graubard": korn_graubard(p, var, n, df), "wilson": wilson(p, var, n, df),
                              "uncapped": korn_graubard_uncapped(p, var, n, np.maximum(df, 1))}.items():
        assert np.all(np.isfinite(low) & np.isfinite(high)), name
        assert np.all((0 <= low) & (low <= high) & (high <= 1)), name
        assert np.all((low <= p + 1e-12) & (p - 1e-12 <= high)), name
    # the capped interval is never narrower than the uncapped one
    low, high = korn_graubard(p, var, n, df)
    live = df > 0
    low_u, high_u = korn_graubard_uncapped(p[live], var[live], n[live], df[live])
    assert np.all(low[live] <= low_u + 1e-12) and np.all(high[live] >= high_u - 1e-12)


def test_the_reported_effective_n_is_the_one_the_rules_use():
    """n_eff (the NCHS '< 30' rule, and Wilson): p(1-p)/v capped at n; n_eff_kg: the df-adjusted one
    the Korn-Graubard interval (and so the width rules) use."""
    d = pd.DataFrame({"h": np.repeat(["a", "b"], [30, 27]), "y": 0.0})
    d.loc[[0, 1, 35], "y"] = 1.0  # events in both strata
    design = StratifiedDesign.from_sample(d["h"], {"a": 35, "b": 40})  # large sampling fractions
    est = estimate(design, d[["y"]].to_numpy(), np.ones((len(d), 1), bool), "share")
    table = est.table()
    p, v, n, df = est.estimate[0], est.var_taylor[0], est.n[0], est.df[0]
    raw = p * (1 - p) / v
    assert raw > n  # the fpc of stratum a makes the design more efficient than SRS
    assert table["n_eff"][0] == n
    factor = (t975(n - 1) / t975(df)) ** 2
    assert table["n_eff_kg"][0] == pytest.approx(min(n, raw * factor), rel=1e-12)
    expected = clopper_pearson(p * table["n_eff_kg"][0], table["n_eff_kg"][0])
    assert (table["ci_low"][0], table["ci_high"][0]) == pytest.approx(expected, rel=1e-10)


# -- 2. Zero variance ----------------------------------------------------------------------------
def _estimates(p, var_boot, n, df, kind="share", census=False) -> Estimates:
    """An Estimates object for one share with a given bootstrap variance (as as_estimates() builds)."""
    est = Estimates(estimands=pd.DataFrame({"variable": ["y"], "domain": ["d"], "kind": [kind]}),
                    estimate=np.array([p]), var_taylor=np.array([0.0]), n=np.array([n]), df=np.array([df]),
                    population_variance=np.array([p * (1 - p)]), weight_total=np.array([100.0]),
                    census=np.array([census]))
    est.stored_var_boot = np.array([var_boot])
    return est


def test_bootstrap_round_off_counts_as_zero_variance():
    """A share inside (0, 1) whose replicates differ only in the last bit (var ~ 3e-33): the variance is
    zero, not an effective n of 1e31 and a standard error of 5e-17."""
    table = _estimates(0.4, 3e-33, 50, 45).table()
    assert table["se"][0] == 0.0
    assert table["n_eff"][0] == 50
    assert "no sampling variance" in table["ci_note"][0]
    # ... and a real variance, however small relative to that, is kept
    table = _estimates(0.4, 1e-12, 50, 45).table()
    assert table["se"][0] == pytest.approx(1e-6) and table["ci_note"][0] == ""


def _homogeneous_strata(census: bool):
    """Stratum A: every firm says yes; stratum B: every firm says no. A domain of both strata has
    0 < p < 1 and, within strata, no variation: no sampling variance. Census strata (f = 1) or not."""
    d = pd.DataFrame({"h": np.repeat(["A", "B", "C"], [20, 30, 40])})
    d["y"] = np.where(d["h"] == "A", 1.0, np.where(d["h"] == "B", 0.0, (np.arange(len(d)) % 3 == 0) * 1.0))
    pop = {"A": 20, "B": 30, "C": 400} if census else {"A": 200, "B": 100, "C": 400}
    design = StratifiedDesign.from_sample(d["h"], pop)
    domain = d["h"].isin(["A", "B"]).to_numpy()
    return d, design, domain, pop


@pytest.mark.parametrize("method", ["korn_graubard", "logit", "wilson", "wald", "percentile", "korn_graubard_uncapped"])
def test_a_share_inside_0_1_without_sampling_variance_gets_an_interval_and_a_note(method):
    d, design, domain, pop = _homogeneous_strata(census=False)
    rd = design.with_replicates(RescaledBootstrap(200, seed=3))
    est = estimate(rd, d[["y"]].to_numpy(), domain[:, None], "share")
    p = pop["A"] / (pop["A"] + pop["B"])
    assert est.estimate[0] == pytest.approx(p)
    table = est.table(ci=method)
    assert table["se"][0] == 0.0
    # the variance estimator sees no variation, but the sampling error is not zero: Korn-Graubard
    # with the effective n set to the 50 respondents (df adjusted), never the point [p, p]
    n, df = 50, 50 - 2
    m = n * (t975(n - 1) / t975(df)) ** 2
    assert (table["ci_low"][0], table["ci_high"][0]) == pytest.approx(clopper_pearson(p * m, m), rel=1e-9)
    assert "no sampling variance" in table["ci_note"][0]
    assert table["flag"][0] == "review" and "no sampling variance" in table["flag_reason"][0]


def test_a_domain_of_census_strata_has_no_sampling_error():
    d, design, domain, pop = _homogeneous_strata(census=True)
    for rd in (design, design.with_replicates(RescaledBootstrap(200, seed=3))):
        table = estimate(rd, d[["y"]].to_numpy(), domain[:, None], "share").table()
        p = 20 / 50
        assert table["estimate"][0] == pytest.approx(p) and table["se"][0] == 0.0
        assert table["ci_low"][0] == pytest.approx(p) and table["ci_high"][0] == pytest.approx(p)
        assert "census" in table["ci_note"][0]
        assert table["flag"][0] == "ok"


@pytest.mark.parametrize("method", ["percentile", "wald", "logit"])
def test_intervals_that_degenerate_at_0_and_1_fall_back_to_korn_graubard_by_name(method):
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"h": np.repeat(["a", "b"], [30, 25]), "x": rng.random(55)})
    design = StratifiedDesign.from_sample(d["h"], {"a": 300, "b": 100}).with_replicates(RescaledBootstrap(200, seed=1))
    values = np.column_stack([np.zeros(55), np.ones(55), (d["x"] < 0.4).to_numpy(float)])
    table = estimate(design, values, np.ones((55, 3), bool), "share").table(ci=method)
    kg = estimate(design, values, np.ones((55, 3), bool), "share").table(ci="korn_graubard")
    for k in (0, 1):
        assert table["ci_low"][k] == kg["ci_low"][k] and table["ci_high"][k] == kg["ci_high"][k]
        assert table["ci_high"][k] - table["ci_low"][k] > 0.05
        assert "Korn-Graubard" in table["ci_note"][k] and method in table["ci_note"][k]
    assert table["ci_note"][2] == ""  # an ordinary share keeps its own interval


def test_share_interval_names_every_method_it_knows():
    low, high, note = share_interval("korn_graubard_uncapped", [0.2], [0.001], [100], [90])
    np.testing.assert_allclose(np.r_[low, high], np.r_[korn_graubard_uncapped(0.2, 0.001, 100, 90)], rtol=1e-12)


# -- 3. Effective degrees of freedom --------------------------------------------------------------
def satterthwaite(contributions, dfs):
    c, k = np.asarray(contributions, float), np.asarray(dfs, float)
    return c.sum() ** 2 / np.sum(c**2 / k)


def test_effective_degrees_of_freedom_by_satterthwaite_from_the_stratum_contributions():
    """A domain dominated by a stratum of 4 respondents (weight 500) beside two of 60 (weight 2):
    design df = 124 - 3 = 121, but its variance comes almost wholly from 3 degrees of freedom."""
    rng = np.random.default_rng(12)
    n_h = {"tiny": 4, "big1": 60, "big2": 60}
    N_h = {"tiny": 2000, "big1": 120, "big2": 120}
    d = pd.DataFrame({"h": np.repeat(list(n_h), list(n_h.values()))})
    d["y"] = (rng.random(len(d)) < 0.4).astype(float)
    d.loc[d["h"] == "tiny", "y"] = [1.0, 0.0, 0.0, 1.0]
    design = StratifiedDesign.from_sample(d["h"], N_h)
    est = estimate(design, d[["y"]].to_numpy(), np.ones((len(d), 1), bool), "share")
    assert est.df[0] == 121
    # the estimated contributions c_h = (1 - f_h) n_h / (n_h - 1) sum (u_i - mean_h u)^2 ...
    w = design.weights
    u = w * (d["y"].to_numpy() - est.estimate[0]) / w.sum()
    c_obs, c_common, dfs = [], [], []
    for h in n_h:
        rows = (d["h"] == h).to_numpy()
        f = n_h[h] / N_h[h]
        c_obs.append((1 - f) * n_h[h] / (n_h[h] - 1) * np.sum((u[rows] - u[rows].mean()) ** 2))
        # ... and those of a common unit variance: (1 - f_h) sum w_i^2 (strata without events count)
        c_common.append((1 - f) * np.sum(w[rows] ** 2))
        dfs.append(n_h[h] - 1)
    assert np.sum(c_obs) == pytest.approx(est.var_taylor[0], rel=1e-12)
    expected = min(satterthwaite(c_obs, dfs), satterthwaite(c_common, dfs), 121)
    assert est.df_effective[0] == pytest.approx(expected, rel=1e-10)
    assert est.df_effective[0] < 8
    table = est.table()
    assert table["df"][0] == 121 and table["df_effective"][0] == pytest.approx(expected, rel=1e-10)
    assert "effective degrees of freedom" in table["flag_reason"][0]


def test_effective_df_of_a_proportionate_sample_is_the_design_df():
    """Equal weights and equal within-stratum variances: Satterthwaite gives back n - H."""
    d = pd.DataFrame({"h": np.repeat(["a", "b", "c"], 40), "y": np.tile([1.0, 0.0, 0.0, 1.0], 30)})
    design = StratifiedDesign.from_sample(d["h"], {"a": 400, "b": 400, "c": 400})
    est = estimate(design, d[["y"]].to_numpy(), np.ones((120, 1), bool), "share")
    assert est.df_effective[0] == pytest.approx(117, rel=1e-9)


def test_effective_df_of_a_rare_share_counts_the_instability_of_its_variance():
    """A share of 5% in three equal strata of 40 (2 events each). A stratum's sample variance of a 0/1
    variable has relative variance 2/(m-1) + kappa/m, kappa = (1 - 6pq)/(pq) = 15.05 its excess kurtosis,
    so each stratum term carries k = 2 / (2/39 + 15.05/40) = 4.68 degrees of freedom, not 39: 14.0 in all
    where the design df say 117."""
    y = np.zeros(120)
    y[[0, 1, 40, 41, 80, 81]] = 1.0
    d = pd.DataFrame({"h": np.repeat(["a", "b", "c"], 40), "y": y})
    design = StratifiedDesign.from_sample(d["h"], {"a": 4000, "b": 4000, "c": 4000})
    est = estimate(design, d[["y"]].to_numpy(), np.ones((120, 1), bool), "share")
    p = 0.05
    kappa = (1 - 6 * p * (1 - p)) / (p * (1 - p))
    k = 2 / (2 / 39 + kappa / 40)
    assert est.df[0] == 117
    assert est.df_effective[0] == pytest.approx(3 * k, rel=1e-9)
    assert "degrees of freedom" not in est.table()["flag_reason"][0]  # 14 >= 8: no review on that count


def test_effective_df_of_a_domain_counts_its_share_of_each_stratum():
    """A domain holding half the units of three strata and a single unit of a fourth. Each stratum's
    term is a sample variance over its n_g units, the domain's scores on a fraction pi_g of them and
    zeros on the rest: excess kurtosis 3/pi_g - 3 for normal values, so k_g = 2 / (2/(n_g-1) + (3/pi_g - 3)/n_g).
    The lone unit's stratum gets k = 0.67, not 0 (which would make the whole domain's df 0)."""
    rng = np.random.default_rng(21)
    d = pd.DataFrame({"h": np.repeat(["a", "b", "c", "e"], 40), "x": rng.normal(50, 10, 160)})
    dom = np.tile([True, False], 80)
    dom[d["h"].to_numpy() == "e"] = False
    dom[120] = True  # one unit of stratum e
    design = StratifiedDesign.from_sample(d["h"], {"a": 400, "b": 400, "c": 400, "e": 400})
    est = estimate(design, d[["x"]].to_numpy(), dom[:, None], "mean")
    w = design.weights
    x = d["x"].to_numpy()
    u = np.where(dom, w * (x - est.estimate[0]) / w[dom].sum(), 0.0)
    c, k, common = [], [], []
    for h in "abce":
        rows = (d["h"] == h).to_numpy()
        m, n = dom[rows].sum(), rows.sum()
        c.append(0.9 * n / (n - 1) * np.sum((u[rows] - u[rows].mean()) ** 2))
        common.append(0.9 * np.sum(w[rows & dom] ** 2))
        k.append(2 / (2 / (n - 1) + (3 / (m / n) - 3) / n))
    assert k[3] == pytest.approx(0.672, abs=1e-3)
    expected = min(satterthwaite(c, k), satterthwaite(common, k), est.df[0])
    assert est.df[0] == 61 - 4
    assert est.df_effective[0] == pytest.approx(expected, rel=1e-9)
    assert est.df_effective[0] > 8


def test_nchs_reviews_a_share_with_few_effective_degrees_of_freedom():
    flag, reason = NCHS().flag(["share", "share"], [0.4, 0.4], [0.0004, 0.0004], [800, 800], [760, 760],
                               df_effective=[5.2, 40.0])
    assert flag.tolist() == ["review", "ok"]
    assert reason[0] == "effective degrees of freedom < 8"


# -- 5. Numerics ---------------------------------------------------------------------------------
def test_taylor_variance_of_a_total_of_large_values_is_computed_from_centred_scores():
    """y = 1e8 + U(0, 1): the total's variance is that of U(0, 1), sum_h N_h^2 (1 - f_h) s_h^2 / n_h.
    Sums of squares of scores of 1e8 x weight lose it all to cancellation (R's survey centres)."""
    rng = np.random.default_rng(20240611)
    n_h = {"h1": 60, "h2": 45, "h3": 70, "h4": 30}
    N_h = {"h1": 6000, "h2": 1500, "h3": 875, "h4": 150}
    labels = np.repeat(list(n_h), list(n_h.values()))
    y = 1e8 + rng.random(len(labels))
    design = StratifiedDesign.from_sample(labels, N_h)
    est = estimate(design, y[:, None], np.ones((len(y), 1), bool), "total")
    expected = sum(N_h[h] ** 2 * (1 - n_h[h] / N_h[h]) * np.var(y[labels == h], ddof=1) / n_h[h] for h in n_h)
    assert np.sqrt(est.var_taylor[0]) == pytest.approx(np.sqrt(expected), rel=1e-7)
    assert 200 < np.sqrt(expected) < 300
