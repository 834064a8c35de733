"""Properties of barometer's design-based estimator, in pure Python (the R oracle is test_r_oracle.py).

5. Rescaled bootstrap factors: mean 1, positive, 1 in certainty strata, a fixed total per stratum;
   bit-identical however the replicate blocks are split, ordered or chunked; seeds/streams differ.
   The random stream is the first release's; the replicate engine (deviations from counts, no factor
   matrix) equals the explicit replicate weights, gives identical bits for any worker threads and
   memory budget, and its float32 products move no SE by 1e-6.
6. For a linear statistic the bootstrap variance estimates the Taylor variance with fpc (B = 20000),
   and a census stratum (f_h = 1) adds nothing to either.
7. Closed forms: weighted means and totals, the stratified variance of a total, Korn-Graubard at
   p = 0 and 1, interval bounds in [0, 1], the effective n of an SRS, design errors naming the stratum.
8. The command line end to end, and its error messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from barometer.survey import RescaledBootstrap, StratifiedDesign, SurveyError, estimate, estimate_partitioned
from barometer.survey.intervals import effective_n, korn_graubard, wilson
from barometer.survey.replicates import block_factors, replicate_weights

# stratum: (n_h, N_h); s5 is a census (f = 1), s6 holds a single unit
STRATA = {"s1": (40, 4000), "s2": (25, 250), "s3": (30, 60), "s4": (20, 25), "s5": (12, 12), "s6": (1, 30)}


def make_sample(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for k, (h, (n_h, _)) in enumerate(STRATA.items()):
        frames.append(pd.DataFrame({
            "h": h,
            "y": (rng.random(n_h) < 0.2 + 0.1 * k).astype(float),
            "x": rng.gamma(2.0 + k, 10.0, size=n_h),
            "dom": rng.choice(["A", "B"], size=n_h),
        }))
    return pd.concat(frames, ignore_index=True)


POP = {h: N for h, (_, N) in STRATA.items()}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return make_sample()


@pytest.fixture(scope="module")
def design(sample) -> StratifiedDesign:
    return StratifiedDesign.from_sample(sample["h"], POP, singleton="certainty")


def units_of(sample: pd.DataFrame, h: str) -> np.ndarray:
    return np.flatnonzero((sample["h"] == h).to_numpy())


# -- 5. Replicate factors -------------------------------------------------------------------------
def test_replicate_factors_mean_one_positive_and_one_in_certainty_strata(sample, design):
    spec = RescaledBootstrap(replicates=3000, seed=42, block_size=700)  # last block partial (200)
    a = replicate_weights(design, spec) / design.weights[:, None]
    assert a.shape == (len(sample), 3000)
    for h, (n_h, N_h) in STRATA.items():
        rows = a[units_of(sample, h)]
        lam = np.sqrt(1 - n_h / N_h)
        if n_h == 1 or n_h == N_h:  # certainty: the singleton (policy) and the census stratum (lam = 0)
            assert np.all(rows == 1.0), h
            continue
        # E a_i = 1, sd a_i = lam (m* ~ Binomial(n_h - 1, 1/n_h)): every unit's mean within 5 MC SEs
        assert np.all(np.abs(rows.mean(axis=1) - 1) < 5 * lam / np.sqrt(spec.replicates)), h
        assert np.allclose(rows.std(axis=1), lam, rtol=0.1), h
        # positive: the smallest factor is 1 - lam (m* = 0, which happens in ~37% of replicates)
        assert rows.min() == pytest.approx(1 - lam, abs=1e-12) and rows.min() > 0, h
        # sum of m* is n_h - 1, so the factors of a stratum sum to n_h in every replicate
        np.testing.assert_allclose(rows.sum(axis=0), n_h, rtol=1e-12)
    # hence every replicate keeps the population size: sum_i w_i(b) = sum_h N_h
    np.testing.assert_allclose((a * design.weights[:, None]).sum(axis=0), sum(POP.values()), rtol=1e-12)


def test_replicates_identical_whatever_the_block_order_and_chunking(sample, design):
    spec = RescaledBootstrap(replicates=1100, seed=2024, block_size=250, stream=(3,))
    full = replicate_weights(design, spec)
    assert spec.n_blocks == 5 and spec.block_range(4) == (1000, 1100)
    # concatenated block_factors, in order ...
    in_order = np.hstack([block_factors(design, spec, j) for j in range(spec.n_blocks)]) * design.weights[:, None]
    assert np.array_equal(full, in_order)
    # ... and generated in a scrambled order (as parallel workers would), placed by block_range
    scrambled = np.empty_like(full)
    for j in (3, 0, 4, 2, 1):
        start, stop = spec.block_range(j)
        scrambled[:, start:stop] = design.weights[:, None] * block_factors(design, spec, j)
    assert np.array_equal(full, scrambled)
    # estimate(..., blocks=...) over any split of the block range concatenates to the full run
    values = np.column_stack([sample["y"], sample["x"], sample["x"]])
    domains = np.column_stack([np.ones(len(sample), bool), np.ones(len(sample), bool), sample["dom"] == "A"])
    kinds = ["share", "mean", "total"]
    whole = estimate(design.with_replicates(spec), values, domains, kinds)
    assert whole.replicates.shape == (1100, 3)
    for split in ([range(0, 2), range(2, 5)], [range(0, 1), range(1, 4), range(4, 5)]):
        parts = [estimate(design.with_replicates(spec), values, domains, kinds, blocks=r).replicates for r in split]
        assert np.array_equal(np.vstack(parts), whole.replicates)
    # deterministic across calls; different seeds, streams and blocks give different replicates
    assert np.array_equal(replicate_weights(design, spec), full)
    for other in (RescaledBootstrap(1100, 2025, 250, (3,)), RescaledBootstrap(1100, 2024, 250, (4,)), RescaledBootstrap(1100, 2024, 250)):
        assert not np.any(np.all(replicate_weights(design, other) == full, axis=0) & (full.std(axis=0) > 0))
    assert not np.array_equal(block_factors(design, spec, 0), block_factors(design, spec, 1))


def _reference_block_factors(design: StratifiedDesign, spec: RescaledBootstrap, block: int) -> np.ndarray:
    """The random stream as first released (the code of block_factors (then barometer.bootstrap) before the
    engine was rewritten, verbatim): the stream must stay this one."""
    start, stop = spec.block_range(block)
    b = stop - start
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(*spec.stream, block)))
    factors = np.ones((design.n, b))
    vs = design.variance_strata
    order = np.argsort(design.unit_variance_stratum, kind="stable")
    bounds = np.searchsorted(design.unit_variance_stratum[order], np.arange(len(vs) + 1))
    for h, (n_h, f_h, policy) in enumerate(zip(vs["n"], vs["f"], vs["policy"])):
        if n_h < 2 or policy == "certainty":
            continue
        units = order[bounds[h] : bounds[h + 1]]
        draws = rng.integers(0, n_h, size=(b, n_h - 1))
        draws += (np.arange(b) * n_h)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n_h).reshape(b, n_h).T
        lam = np.sqrt(1.0 - f_h)
        factors[units] = 1.0 - lam + lam * n_h / (n_h - 1) * counts
    return factors


def big_design(seed: int = 8):
    """Strata larger than a product piece (bootstrap.PIECE_UNITS), a census and a singleton stratum,
    domains cutting across strata, a variable with a large mean (float32 would lose it uncentred)."""
    rng = np.random.default_rng(seed)
    sizes = {"big": (5000, 60000), "mid": (700, 2000), "small": (40, 90), "census": (30, 30), "one": (1, 50)}
    labels = np.repeat(list(sizes), [n for n, _ in sizes.values()])
    n = len(labels)
    design = StratifiedDesign.from_sample(labels, {h: N for h, (_, N) in sizes.items()}, singleton="certainty")
    y = (rng.random(n) < np.where(labels == "big", 0.2, 0.45)).astype(float)
    turnover = 1e6 + rng.gamma(2.0, 500.0, n)  # mean 1e6, sd ~700
    x = rng.gamma(2.0, 10.0, n)
    x[rng.random(n) < 0.1] = np.nan
    region = rng.choice(["p", "q", "r"], n, p=[0.5, 0.3, 0.2])
    return design, np.column_stack([y, turnover, x]), region


def test_replicate_stream_unchanged_and_slices_of_draws_concatenate(sample, design):
    """block_factors reproduces the first release's stream bit for bit, whatever the memory budget
    (which only slices each stratum's draws: consecutive generator calls continue one stream)."""
    spec = RescaledBootstrap(replicates=600, seed=7, block_size=250, stream=(2021,))
    assert design.variance_strata["policy"].tolist().count("certainty") == 1  # the singleton
    for block in range(spec.n_blocks):
        reference = _reference_block_factors(design, spec, block)
        for budget in (1, 1000, 10**9):  # 1 byte: one replicate per generator call
            assert np.array_equal(block_factors(design, replace(spec, memory_budget=budget), block), reference)
    big, _, _ = big_design()
    spec = RescaledBootstrap(replicates=40, seed=3, block_size=25)
    assert np.array_equal(block_factors(big, replace(spec, memory_budget=200_000), 1), _reference_block_factors(big, spec, 1))


@pytest.mark.parametrize("precision", ["double", "single"])
def test_replicates_identical_for_any_threads_memory_budget_and_block_split(precision):
    design, values, region = big_design()
    kinds = ["share", "total", "mean"]
    domains = np.column_stack([np.ones(len(region), bool)] * 3 + [region == "q"] * 3)
    values6 = np.hstack([values, values])
    base = RescaledBootstrap(replicates=130, seed=5, block_size=50, stream=(1,), threads=1, precision=precision)
    whole = estimate(design.with_replicates(base), values6, domains, kinds * 2)
    part = estimate_partitioned(design.with_replicates(base), values, kinds, {"region": region}, keep_replicates=True)
    for threads, budget in ((2, base.memory_budget), (3, 1), (1, 10**10), (2, 50_000)):
        spec = replace(base, threads=threads, memory_budget=budget)
        assert spec == base  # how to compute is not part of what is computed
        assert np.array_equal(estimate(design.with_replicates(spec), values6, domains, kinds * 2).replicates, whole.replicates)
        other = estimate_partitioned(design.with_replicates(spec), values, kinds, {"region": region}, keep_replicates=True)
        assert np.array_equal(other.replicates, part.replicates)
        assert np.array_equal(other.var_boot, part.var_boot, equal_nan=True)
    for split in ([range(0, 1), range(1, 3)], [range(0, 2), range(2, 3)]):
        pieces = [estimate(design.with_replicates(replace(base, threads=2)), values6, domains, kinds * 2, blocks=r).replicates
                  for r in split]
        assert np.array_equal(np.vstack(pieces), whole.replicates)


def test_replicate_engine_equals_the_explicit_replicate_weights_and_float32_moves_ses_below_1e6():
    """Replicate estimates from the deviations engine against sum_i w_i a_i(b) y_i with the explicit
    factors (float64: to round-off); the float32 products change no SE by 1e-6 relative or more
    (measured: ~3e-7 at most here and on 1e5 x 20 x B = 1000, bench/README.md)."""
    design, values, region = big_design()
    kinds = ["share", "total", "mean"]
    domains = np.column_stack([np.ones(len(region), bool)] * 3 + [region == "q"] * 3)
    values6, kinds6 = np.hstack([values, values]), kinds * 2
    double = RescaledBootstrap(replicates=400, seed=11, block_size=100, precision="double")
    est = estimate(design.with_replicates(double), values6, domains, kinds6)
    W = replicate_weights(design, double)
    observed = domains & ~np.isnan(values6)
    num, den = W.T @ np.where(observed, values6, 0.0), W.T @ observed.astype(float)
    explicit = np.where(np.array(kinds6) == "total", num, num / den)
    np.testing.assert_allclose(est.replicates, explicit, rtol=1e-11)
    assert not np.allclose(est.var_boot, 0)
    single = estimate(design.with_replicates(replace(double, precision="single")), values6, domains, kinds6)
    relative = np.abs(np.sqrt(single.var_boot / est.var_boot) - 1)
    assert np.max(relative) < 1e-6 and np.max(relative) > 0
    part = {p: estimate_partitioned(design.with_replicates(replace(double, precision=p)), values, kinds, {"region": region})
            for p in ("single", "double")}
    for key in ("var_boot",):
        rel = np.abs(np.sqrt(part["single"].var_boot / part["double"].var_boot) - 1)
        assert np.nanmax(rel) < 1e-6
    rel = np.abs(np.sqrt(part["single"].difference["var_boot"][1:] / part["double"].difference["var_boot"][1:]) - 1)
    assert np.nanmax(rel) < 1e-6
    np.testing.assert_allclose(part["double"].var_boot[[0, 2]].ravel(), est.var_boot, rtol=1e-9)


def test_replicate_worker_threads_give_identical_bits_blas_threads_round_off(tmp_path):
    """In fresh processes: any number of worker threads gives the same bytes of replicates under one
    BLAS setting. OpenBLAS's own thread count picks other kernels for the same product, which moves
    the last bits (as it did before this engine; io.write_csv's 10 digits never show them): bounded
    here at 1e-12 relative."""
    script = (
        "import sys; sys.path.insert(0, %r); from test_estimators import big_design; "
        "from barometer.survey import RescaledBootstrap, estimate; import numpy as np; "
        "d, v, r = big_design(); spec = RescaledBootstrap(120, 9, 40, threads=int(sys.argv[1]), precision=sys.argv[2]); "
        "e = estimate(d.with_replicates(spec), np.hstack([v, v]), np.column_stack([np.ones(len(r), bool)] * 3 + [r == 'p'] * 3), "
        "['share', 'total', 'mean'] * 2); np.save(sys.argv[3], e.replicates)"
    ) % str(Path(__file__).parent)
    for precision in ("double", "single"):
        runs = {}
        for blas, threads in (("1", "1"), ("1", "3"), ("2", "1"), ("2", "2")):
            env = {**os.environ, "OPENBLAS_NUM_THREADS": blas, "PYTHONPATH": os.pathsep.join(sys.path)}
            target = tmp_path / f"{precision}-{blas}-{threads}.npy"
            out = subprocess.run([sys.executable, "-c", script, threads, precision, str(target)], capture_output=True,
                                 text=True, env=env, timeout=120)
            assert out.returncode == 0, out.stderr
            runs[blas, threads] = np.load(target)
        assert np.array_equal(runs["1", "1"], runs["1", "3"]) and np.array_equal(runs["2", "1"], runs["2", "2"])
        np.testing.assert_allclose(runs["2", "2"], runs["1", "1"], rtol=1e-12)


def test_an_export_of_the_first_replicates_is_the_estimations_first_replicates(sample, design):
    """replicate_weights(first=k) cuts whole blocks, so column b is the estimation's replicate b for
    any k. A method of k replicates draws its cut last block from another place of the stream: equal
    only where k is a multiple of the block size."""
    spec = RescaledBootstrap(replicates=1100, seed=2024, block_size=250, stream=(3,))
    full = replicate_weights(design, spec)
    for k in (1000, 300, 1, 1100):
        assert np.array_equal(replicate_weights(design, spec, first=k), full[:, :k]), k
    assert np.array_equal(replicate_weights(design, RescaledBootstrap(1000, 2024, 250, (3,))), full[:, :1000])
    assert not np.array_equal(replicate_weights(design, RescaledBootstrap(300, 2024, 250, (3,))), full[:, :300])
    for k in (0, 1101):
        with pytest.raises(SurveyError, match=f"the first {k} of 1100 replicates"):
            replicate_weights(design, spec, first=k)

# -- 6. Bootstrap variance of a linear statistic --------------------------------------------------
def test_bootstrap_variance_of_a_total_estimates_the_taylor_variance(sample, design):
    spec = RescaledBootstrap(replicates=20000, seed=99, block_size=2000, centre="mse")
    strata_masks = [(sample["h"] == h).to_numpy() for h in STRATA]
    domains = np.column_stack([np.ones(len(sample), bool), sample["dom"] == "A", *strata_masks])
    values = np.broadcast_to(sample["x"].to_numpy()[:, None], domains.shape)
    est = estimate(design.with_replicates(spec), values, domains, "total")
    names = ["all", "dom=A", *STRATA]
    # E(theta_b - theta)^2 = Taylor variance exactly; the MC SE of the average of squares is
    # sd((theta_b - theta)^2) / sqrt(B)
    squares = (est.replicates - est.estimate) ** 2
    mc_se = squares.std(axis=0) / np.sqrt(spec.replicates)
    live = est.var_taylor > 0
    assert [n for n, v in zip(names, live) if not v] == ["s5", "s6"]  # census and certainty
    assert np.all(np.abs(est.var_boot[live] - est.var_taylor[live]) < 4 * mc_se[live])
    assert np.all(mc_se[live] < 0.02 * est.var_taylor[live])  # the test can see a 8% bias
    # the census stratum (f_h = 1) and the certainty singleton: zero by both methods
    assert np.all(est.var_taylor[~live] == 0) and np.all(est.var_boot[~live] == 0)
    # the "mean" centring estimates the same thing (closely, since E theta_b = theta)
    mean_centred = estimate(design.with_replicates(RescaledBootstrap(20000, 99, 2000, centre="mean")), values, domains, "total")
    np.testing.assert_allclose(mean_centred.var_boot[live], est.var_boot[live], rtol=5e-3)


# -- 7. Closed-form checks ------------------------------------------------------------------------
TINY = pd.DataFrame({
    "h": ["a", "a", "b", "b", "b", "c", "c"],
    "y": [1, 0, 1, 1, 0, 0, 1],
    "x": [2.0, np.nan, 1.0, 3.0, 5.0, 4.0, 6.0],
    "dom": ["A", "A", "A", "B", "B", "B", "B"],
})
TINY_POP = {"a": 10, "b": 30, "c": 4}  # weights 5, 10, 2; f = 0.2, 0.1, 0.5


def test_estimates_equal_hand_computed_weighted_means_and_totals():
    design = StratifiedDesign.from_sample(TINY["h"], TINY_POP)
    assert design.weights.tolist() == [5, 5, 10, 10, 10, 2, 2]
    y, x = TINY["y"].to_numpy(float), TINY["x"].to_numpy(float)
    A, B, ALL = (TINY["dom"] == "A").to_numpy(), (TINY["dom"] == "B").to_numpy(), np.ones(7, bool)
    est = estimate(design, np.column_stack([y, x, y, x, y, y, x]), np.column_stack([ALL, ALL, ALL, ALL, A, B, B]),
                   ["share", "mean", "total", "total", "share", "share", "mean"])
    expected = [
        27 / 44,  # (5*1 + 10*2 + 2*1) / (10 + 30 + 4)
        120 / 39,  # (5*2 + 10*9 + 2*10) / (5 + 30 + 4): the unit without x drops out
        27.0,
        120.0,
        15 / 20,  # domain A: (5*1 + 5*0 + 10*1) / (5 + 5 + 10)
        12 / 24,  # domain B: (10*1 + 10*0 + 2*0 + 2*1) / (10 + 10 + 2 + 2)
        (10 * 3 + 10 * 5 + 2 * 4 + 2 * 6) / 24,
    ]
    np.testing.assert_allclose(est.estimate, expected, rtol=1e-14)
    assert est.n.tolist() == [7, 6, 7, 6, 3, 4, 4]
    assert est.df.tolist() == [4, 3, 4, 3, 1, 2, 2]  # units minus strata reached (A: 3 units in a, b)
    # textbook stratified variance of a total: sum_h N_h^2 (1 - f_h) s_h^2 / n_h
    #   = 100 * 0.8 * 0.5 / 2 + 900 * 0.9 * (1/3) / 3 + 16 * 0.5 * 0.5 / 2 = 20 + 90 + 2
    assert est.var_taylor[2] == pytest.approx(112.0, rel=1e-13)
    # the whole-sample share: the same divided by N^2 (its denominator, sum w = N, is fixed)
    assert est.var_taylor[0] == pytest.approx(112.0 / 44**2, rel=1e-13)


def kg_n(n, df):
    """The effective n of Korn-Graubard where the variance is zero: n (t_{n-1} / t_df)^2 (NCHS, CDC)."""
    from scipy import stats

    return n * (stats.t.ppf(0.975, n - 1) / stats.t.ppf(0.975, df)) ** 2


def test_korn_graubard_defined_at_zero_and_one():
    n, df = np.array([40, 40]), np.array([35, 35])
    low, high = korn_graubard(np.array([0.0, 1.0]), np.array([0.0, 0.0]), n, df)
    assert np.all(np.isfinite(low)) and np.all(np.isfinite(high))
    # Clopper-Pearson with n_eff = n (t_{n-1} / t_df)^2 when no event is seen
    m = kg_n(40, 35)
    assert low[0] == 0.0 and high[0] == pytest.approx(1 - 0.025 ** (1 / m), rel=1e-12) and high[0] > 0
    assert high[1] == 1.0 and low[1] == pytest.approx(0.025 ** (1 / m), rel=1e-12) and low[1] < 1
    # the same through the estimator: a domain where nobody (everybody) answered 1
    d = make_sample()
    design = StratifiedDesign.from_sample(d["h"], POP, singleton="certainty")
    y0, y1 = np.zeros(len(d)), np.ones(len(d))
    table = estimate(design, np.column_stack([y0, y1]), np.ones((len(d), 2), bool), "share").table()
    assert table["estimate"].tolist() == [0.0, 1.0] and table["se"].tolist() == [0.0, 0.0]
    m = kg_n(len(d), table["df"][0])
    assert table["ci_low"][0] == 0.0 and 0 < table["ci_high"][0] == pytest.approx(1 - 0.025 ** (1 / m))
    assert table["ci_high"][1] == 1.0 and 1 > table["ci_low"][1] == pytest.approx(0.025 ** (1 / m))
    assert table["n_eff"].tolist() == [len(d), len(d)]
    assert table["n_eff_kg"].tolist() == pytest.approx([m, m], rel=1e-12)


def test_korn_graubard_and_wilson_bounds_lie_in_the_unit_interval():
    p, var, n, df = (g.ravel() for g in np.meshgrid(
        [0.0, 1e-6, 0.01, 0.3, 0.5, 0.97, 1 - 1e-9, 1.0], [0.0, 1e-10, 1e-4, 0.01, 0.3, 5.0],
        [1, 2, 5, 30, 400], [1, 3, 50, 1000], indexing="ij"))
    # p = 0 or 1 comes with variance 0 (a positive variance there is the round-off case of the next test)
    keep = (var == 0) | ((p > 0) & (p < 1))
    p, var, n, df = p[keep], var[keep], n[keep], df[keep]
    for name, (low, high) in {"korn_graubard": korn_graubard(p, var, n, df), "wilson": wilson(p, var, n, df)}.items():
        assert np.all(np.isfinite(low) & np.isfinite(high)), name
        assert np.all((0 <= low) & (low <= high) & (high <= 1)), name
        assert np.all((low <= p + 1e-12) & (p - 1e-12 <= high)), name  # both contain the estimate


def test_shares_of_0_and_1_keep_n_eff_n_when_the_bootstrap_variance_is_round_off():
    """A share of exactly 0 or 1 has variance 0 (docs/methods.md), so n_eff = n and the Korn-Graubard
    interval is Clopper-Pearson's [0, 1 - 0.025^(1/m)] or [0.025^(1/m), 1] with m = n (t_{n-1}/t_df)^2
    (intervals.effective_n: "n where the variance is zero (p = 0 or 1)"). But the bootstrap replicates of a share that is 1
    for every unit are rep_num / rep_den from two different matrix products, so they can differ
    from 1 in the last bit: var_boot ~ 1e-32 > 0 while the estimate is exactly 1.0; effective_n then
    returns p (1 - p) / var = 0, Korn-Graubard degenerates to [0, 1], Wilson to NaN, and the NCHS
    rule suppresses the cell for "effective n < 30". Whether round-off appears depends on the
    sample (and BLAS), hence several samples; the first assertions need no luck.
    """
    p, n, round_off = np.array([1.0, 0.0]), np.array([400, 400]), np.array([1.1e-32, 3e-33])
    np.testing.assert_array_equal(effective_n(p, round_off, n), n)
    low, high = korn_graubard(p, round_off, n, n - 8)
    m = kg_n(400, 392)
    np.testing.assert_allclose([low[0], high[1]], [0.025 ** (1 / m), 1 - 0.025 ** (1 / m)], rtol=1e-12)
    assert high[0] == 1.0 and low[1] == 0.0
    low, high = wilson(p, round_off, n, n - 8)
    assert np.all(np.isfinite(low) & np.isfinite(high)), (low, high)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n_h = rng.integers(20, 80, 8)
        N_h = np.round(n_h / rng.uniform(0.01, 0.9, 8))
        labels = np.repeat([f"s{i}" for i in range(8)], n_h)
        design = StratifiedDesign.from_sample(labels, {f"s{i}": N for i, N in enumerate(N_h)})
        size = len(labels)
        dom = rng.random(size) < 0.5
        y = (rng.random(size) < 0.4).astype(float)  # an ordinary share beside them, as in a real table
        values = np.column_stack([np.ones(size), np.zeros(size), np.ones(size), np.zeros(size), y, y])
        domains = np.column_stack([np.ones(size, bool), np.ones(size, bool), dom, dom, np.ones(size, bool), dom])
        est = estimate(design.with_replicates(RescaledBootstrap(500, seed=1)), values, domains, "share")
        table = est.table().iloc[:4]
        n_obs = est.n[:4].astype(float)
        assert table["estimate"].tolist() == [1.0, 0.0, 1.0, 0.0]
        assert np.all(table["se"] < 1e-12)
        np.testing.assert_array_equal(table["n_eff"], n_obs, err_msg=f"sample {seed}: var_boot = {est.var_boot}")
        m = kg_n(n_obs, est.df[:4])
        np.testing.assert_allclose(table["ci_low"][[0, 2]], 0.025 ** (1 / m[[0, 2]]), rtol=1e-12)
        np.testing.assert_allclose(table["ci_high"][[1, 3]], 1 - 0.025 ** (1 / m[[1, 3]]), rtol=1e-12)
        assert not table["flag_reason"].str.contains("effective n").any(), table["flag_reason"].tolist()


def test_interval_quantiles_from_scipy_special_equal_scipy_stats():
    """intervals.py takes the beta, t and normal quantiles from scipy.special (lighter to import):
    the very numbers scipy.stats' ppf gives, on the arguments Korn-Graubard intervals use (x = p n_eff
    successes out of n_eff, including 0, n_eff and invalid ones), and the t and normal quantiles."""
    from scipy import special, stats

    from barometer.survey.intervals import t_quantile

    rng = np.random.default_rng(4)
    n_eff = np.r_[rng.uniform(1, 5000, 20000), [1.0, 2.0, 7.0, 0.0, np.nan]]
    x = n_eff * np.r_[rng.uniform(0, 1, 20000), [0.0, 1.0, 0.5, 0.5, 0.5]]
    with np.errstate(invalid="ignore"):
        for q in (0.025, 0.975, 0.005, 0.995):
            for a, b in ((x, n_eff - x + 1), (x + 1, n_eff - x)):
                assert np.array_equal(special.betaincinv(a, b, q), stats.beta.ppf(q, a, b), equal_nan=True)
    df = np.r_[np.arange(0, 400), rng.uniform(0.5, 1e6, 2000), [np.inf, np.nan]]
    for level in (0.9, 0.95, 0.99):
        q = 1 - (1 - level) / 2
        reference = np.where(df > 0, stats.t.ppf(q, np.where(df > 0, df, 1)), np.nan)
        assert np.array_equal(t_quantile(level, df), reference, equal_nan=True)
        assert special.ndtri(q) == stats.norm.ppf(q)


def test_effective_n_of_an_srs_without_fpc_is_n():
    rng = np.random.default_rng(8)
    n = 200
    y = (rng.random(n) < 0.3).astype(float)
    x = rng.normal(50, 10, n)
    design = StratifiedDesign.from_sample(["only"] * n, {"only": 1e9})
    est = estimate(design, np.column_stack([y, x]), np.ones((n, 2), bool), ["share", "mean"])
    table = est.table()
    # V(p) = p (1 - p) / (n - 1) * (1 - f): n_eff = (n - 1) / (1 - f), i.e. n up to the n/(n-1) term
    f = n / 1e9
    np.testing.assert_allclose(table["n_eff"], (n - 1) / (1 - f), rtol=1e-9)
    np.testing.assert_allclose(table["n_eff"], n, rtol=1.01 / n)
    np.testing.assert_allclose(effective_n(est.estimate[0], est.var_taylor[0], n), (n - 1) / (1 - f), rtol=1e-9)


@pytest.mark.parametrize(
    ("labels", "population", "kwargs", "named"),
    [
        (["big"] * 5 + ["rest"] * 3, {"big": 4, "rest": 10}, {}, "'big' has 5 respondents but a population count of 4"),
        (["rest"] * 3 + ["ghost"] * 2, {"rest": 10}, {}, "['ghost'] have respondents but no population count"),
        (["rest"] * 3 + ["lonely"], {"rest": 10, "lonely": 7}, {}, "stratum 'lonely' has a single respondent"),
        (["rest"] * 3 + ["lonely"], {"rest": 10, "lonely": 7}, {"singleton": "collapse"}, "stratum 'lonely'"),
    ],
    ids=["N_h<n_h", "no-population-count", "singleton-error", "collapse-without-neighbour"],
)
def test_design_errors_name_the_stratum(labels, population, kwargs, named):
    with pytest.raises(SurveyError) as err:
        StratifiedDesign.from_sample(labels, population, **kwargs)
    assert named in str(err.value)


# -- 8. The command line --------------------------------------------------------------------------
OUTPUT_COLUMNS = ["variable", "domain", "unit", "estimate", "se", "se_taylor", "ci_low", "ci_high", "ci_method", "ci_note",
                  "n", "n_eff", "n_eff_kg", "df", "df_effective", "cv", "flag", "flag_reason", "uncovered_share"]


def barometer_command() -> list[str]:
    script = Path(sys.executable).parent / "barometer"
    return [str(script)] if script.exists() else [sys.executable, "-m", "barometer.cli"]


@pytest.fixture
def cli_files(tmp_path):
    rng = np.random.default_rng(31)
    sizes = {"micro": (30, 900), "small": (25, 150), "medium": (20, 40), "large": (10, 10)}
    frames = []
    for h, (n_h, _) in sizes.items():
        spend = np.round(rng.gamma(3.0, 20.0, n_h), 2)
        spend[rng.random(n_h) < 0.15] = np.nan
        frames.append(pd.DataFrame({"firm": [f"{h}-{i}" for i in range(n_h)], "size_class": h,
                                    "uses_ai": (rng.random(n_h) < 0.4).astype(int), "spend": spend,
                                    "region": rng.choice(["Antwerpen", "Gent"], n_h)}))
    data = pd.concat(frames, ignore_index=True)
    pop = pd.DataFrame({"stratum": list(sizes), "N": [N for _, N in sizes.values()]})
    data.to_csv(tmp_path / "survey.csv", index=False)
    pop.to_csv(tmp_path / "pop.csv", index=False)
    return tmp_path, data, pop


def test_cli_start_up_imports_no_numerical_library():
    """`barometer --help` (and argument errors) must start fast: parsing imports neither pandas nor
    scipy (numpy only, for the interval names)."""
    code = ("import sys, barometer.cli as c; c.build_parser().parse_args(['estimate', 'd.csv', '--strata', 's', "
            "'--population', 'p.csv', '--vars', 'y', '-o', 'o.csv']); "
            "print(sorted(m for m in ('pandas', 'scipy', 'scipy.stats', 'scipy.sparse', 'pandera') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def run_cli(workdir: Path, data: str = "survey.csv", pop: str = "pop.csv", variables: str = "uses_ai,spend", *extra: str):
    cmd = [*barometer_command(), "estimate", str(workdir / data), "--strata", "size_class", "--population",
           str(workdir / pop), "--vars", variables, "--by", "region", "--replicates", "300", "--seed", "17",
           "-o", str(workdir / "out.csv"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_cli_estimate_end_to_end_matches_the_python_api(cli_files):
    workdir, data, pop = cli_files
    proc = run_cli(workdir)
    assert proc.returncode == 0, proc.stderr
    out = pd.read_csv(workdir / "out.csv")
    assert list(out.columns) == OUTPUT_COLUMNS
    assert out[["variable", "domain"]].values.tolist() == [
        ["uses_ai", "all"], ["uses_ai", "region=Antwerpen"], ["uses_ai", "region=Gent"],
        ["spend", "all"], ["spend", "region=Antwerpen"], ["spend", "region=Gent"]]
    design = StratifiedDesign.from_sample(data["size_class"], dict(zip(pop["stratum"], pop["N"])))
    doms = [np.ones(len(data), bool), (data["region"] == "Antwerpen").to_numpy(), (data["region"] == "Gent").to_numpy()]
    values = np.column_stack([data[v] for v in ("uses_ai", "spend") for _ in doms])
    spec = RescaledBootstrap(replicates=300, seed=17, block_size=250)
    est = estimate(design.with_replicates(spec), values, np.column_stack(doms * 2), ["share"] * 3 + ["mean"] * 3)
    # the CSV carries 10 significant digits
    np.testing.assert_allclose(out["estimate"], est.estimate, rtol=1e-9)
    np.testing.assert_allclose(out["se_taylor"], np.sqrt(est.var_taylor), rtol=1e-9)
    np.testing.assert_allclose(out["se"], np.sqrt(est.var_boot), rtol=1e-9)  # same seed, same replicates
    assert out["n"].tolist() == est.n.tolist() and out["df"].tolist() == est.df.tolist()
    assert np.all((out["ci_low"] <= out["estimate"]) & (out["estimate"] <= out["ci_high"]))
    assert np.all((out["ci_low"][:3] >= 0) & (out["ci_high"][:3] <= 1))
    assert set(out["flag"]) <= {"ok", "review", "suppress"}


def _edit(workdir: Path, name: str, frame: pd.DataFrame) -> str:
    frame.to_csv(workdir / name, index=False)
    return name


@pytest.mark.parametrize("problem", ["unknown column", "stratum missing from POP", "N_h < n_h", "non-numeric value",
                                     "negative seed", "level out of range", "malformed collapse", "non-numeric weight",
                                     "singleton stratum"])
def test_cli_errors_exit_non_zero_and_name_the_problem(cli_files, problem):
    workdir, data, pop = cli_files
    if problem == "negative seed":
        proc, expected = run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "--seed", "-5"), ["argument --seed: must be 0 or more, found -5"]
    elif problem == "level out of range":
        proc, expected = run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "--level", "95"), ["argument --level: must be between 0 and 1"]
    elif problem == "malformed collapse":
        proc, expected = (run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "--singleton", "collapse", "--collapse", "small"),
                          ["--collapse expects STRATUM=NEIGHBOUR pairs, found 'small'"])
    elif problem == "non-numeric weight":
        weighted = data.assign(w=1.0).astype({"w": object})
        weighted.loc[6, "w"] = "heavy"
        name = _edit(workdir, "survey_weights.csv", weighted)
        proc, expected = run_cli(workdir, name, "pop.csv", "uses_ai,spend", "--weights", "w"), ["row 8", "column 'w'", "weight 'heavy' is not a positive number"]
    elif problem == "singleton stratum":
        keep = data[data["size_class"] != "small"]
        single = pd.concat([keep, data[data["size_class"] == "small"].head(1)])
        name = _edit(workdir, "survey_single.csv", single)
        proc, expected = run_cli(workdir, name), ["survey_single.csv", "stratum 'small' has a single respondent", "--singleton certainty"]
    elif problem == "unknown column":
        proc, expected = run_cli(workdir, variables="uses_ai,turnover"), ["column 'turnover'", "unknown column"]
    elif problem == "stratum missing from POP":
        name = _edit(workdir, "pop_missing.csv", pop[pop["stratum"] != "medium"])
        proc, expected = run_cli(workdir, pop=name), ["'medium'", "not in the population file"]
    elif problem == "N_h < n_h":
        name = _edit(workdir, "pop_small.csv", pop.assign(N=pop["N"].where(pop["stratum"] != "small", 12)))
        proc, expected = run_cli(workdir, pop=name), ["'small' has 25 sampled units but N = 12"]
    else:
        bad = data.astype({"spend": object})
        bad.loc[3, "spend"] = "n/a?"
        name = _edit(workdir, "survey_bad.csv", bad)
        proc, expected = run_cli(workdir, data=name), ["row 5", "column 'spend'", "'n/a?' is not numeric"]
    assert proc.returncode != 0
    assert not (workdir / "out.csv").exists()
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr)


# -- 8b. The command line cannot be made to print a silently wrong number (issue 13) ---------------
CLI_COLUMNS = OUTPUT_COLUMNS


def _assert_clean_failure(proc, workdir: Path, *expected: str, output: str = "out.csv") -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert not (workdir / output).exists()
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr)


def test_cli_output_has_a_unit_column_and_the_reliability_columns(cli_files):
    workdir, data, pop = cli_files
    proc = run_cli(workdir)
    assert proc.returncode == 0, proc.stderr
    out = pd.read_csv(workdir / "out.csv")
    assert list(out.columns) == CLI_COLUMNS
    assert out["unit"].tolist() == ["proportion"] * 3 + ["units of the variable"] * 3
    assert (out["uncovered_share"] == 0).all()


def test_cli_population_strata_without_respondents_are_an_error_naming_them_and_their_share(cli_files):
    workdir, data, pop = cli_files
    name = _edit(workdir, "pop_ghost.csv", pd.concat([pop, pd.DataFrame({"stratum": ["ghost"], "N": [3000]})]))
    proc = run_cli(workdir, pop=name)
    # 3,000 of 4,100 firms: 73.2% of the population has no respondent to stand for it
    _assert_clean_failure(proc, workdir, "pop_ghost.csv", "'ghost'", "73.2% of the population", "--allow-uncovered-strata")


def test_cli_allow_uncovered_strata_estimates_the_covered_population_and_says_so(cli_files):
    workdir, data, pop = cli_files
    assert run_cli(workdir).returncode == 0
    covered = pd.read_csv(workdir / "out.csv")
    (workdir / "out.csv").unlink()
    name = _edit(workdir, "pop_ghost.csv", pd.concat([pop, pd.DataFrame({"stratum": ["ghost"], "N": [3000]})]))
    proc = run_cli(workdir, "survey.csv", name, "uses_ai,spend", "--allow-uncovered-strata")
    assert proc.returncode == 0, proc.stderr
    out = pd.read_csv(workdir / "out.csv")
    assert out["uncovered_share"].tolist() == pytest.approx([3000 / 4100] * len(out))
    np.testing.assert_allclose(out["estimate"], covered["estimate"], rtol=1e-12)
    assert "73.2%" in proc.stderr  # a warning on the terminal as well


@pytest.mark.parametrize(("where", "value"), [("data", "inf"), ("data", "-inf"), ("data", "1e400"),
                                              ("population", "inf"), ("population", "1e400")])
def test_cli_non_finite_or_overflowing_values_are_rejected_with_file_row_and_column(cli_files, where, value):
    workdir, data, pop = cli_files
    if where == "data":
        bad = data.astype({"spend": object})
        bad.loc[7, "spend"] = value
        proc = run_cli(workdir, data=_edit(workdir, "survey_inf.csv", bad))
        _assert_clean_failure(proc, workdir, "survey_inf.csv", "row 9", "column 'spend'", f"'{value}'", "not a finite number")
    else:
        bad = pop.astype({"N": object})
        bad.loc[1, "N"] = value
        proc = run_cli(workdir, pop=_edit(workdir, "pop_inf.csv", bad))
        _assert_clean_failure(proc, workdir, "pop_inf.csv", "row 3", "column 'N'", f"'{value}'", "not a finite number")


def test_cli_values_too_large_for_the_arithmetic_stop_the_run(cli_files):
    workdir, data, pop = cli_files
    big = data.assign(spend=data["spend"] * 1e305)
    proc = run_cli(workdir, data=_edit(workdir, "survey_big.csv", big))
    _assert_clean_failure(proc, workdir, "column 'spend'", "not a finite number")


@pytest.mark.parametrize("which", ["data", "population"])
def test_cli_header_only_file(cli_files, which):
    workdir, data, pop = cli_files
    name = _edit(workdir, f"{which}_empty.csv", (data if which == "data" else pop).iloc[:0])
    proc = run_cli(workdir, **({"data": name} if which == "data" else {"pop": name}))
    _assert_clean_failure(proc, workdir, f"{which}_empty.csv", "header but no data rows")


def test_cli_a_single_replicate_is_refused(cli_files):
    workdir, data, pop = cli_files
    proc = run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "--replicates", "1")
    _assert_clean_failure(proc, workdir, "argument --replicates", "0 (linearisation only) or at least 2, found 1")


def test_cli_output_equal_to_an_input_is_refused_and_the_input_kept(cli_files):
    workdir, data, pop = cli_files
    before = (workdir / "survey.csv").read_bytes()
    for target in (workdir / "survey.csv", workdir / "." / "pop.csv"):
        kept = target.read_bytes()
        proc = run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "-o", str(target))
        _assert_clean_failure(proc, workdir, "is an input file", "choose another output")
        assert target.read_bytes() == kept
    assert (workdir / "survey.csv").read_bytes() == before


def test_cli_output_that_is_a_directory_is_refused(cli_files):
    workdir, data, pop = cli_files
    (workdir / "outdir").mkdir()
    proc = run_cli(workdir, "survey.csv", "pop.csv", "uses_ai,spend", "-o", str(workdir / "outdir"))
    _assert_clean_failure(proc, workdir, "outdir", "is a directory")


def test_an_empty_domain_has_no_variance_and_no_warning(design, sample):
    """A domain nobody in the sample belongs to (a --by level without answers): NaN, without a
    RuntimeWarning from the replicate variance."""
    import warnings

    values = np.column_stack([sample["y"], sample["y"]])
    domains = np.column_stack([np.ones(len(sample), bool), np.zeros(len(sample), bool)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = estimate(design.with_replicates(RescaledBootstrap(50, seed=2)), values, domains, "share")
        var = est.var_boot
    assert np.isfinite(var[0]) and np.isnan(var[1]) and est.n[1] == 0
