"""Coverage simulation: do nominal 95% intervals from the rescaled bootstrap cover the true shares?

A known finite population shaped like the AI-Barometer 2021: the 36 strata of
config/editions/2021/frame.csv with their population counts N_h, and sample sizes n_h equal to the
usable responses of 2021 (results/2021/weights/diagnostics.csv, when the workflow has run) or else
round(0.12 N_h); n_h is clipped to [2, N_h] so that every stratum has a variance estimate (2021's one
singleton stratum gets 2 units instead of being collapsed). Five 0/1 characteristics whose population
shares are 5%, 10%, 20%, 35% and 50%, varying by stratum (higher among larger firms, sector effects).

Each repetition draws a stratified simple random sample without replacement, estimates every share
overall and among large firms (sampling fractions 10-45%) with estimate() on a design with replicates, and
records whether each interval covers the true finite-population share: Korn-Graubard (the configured
default), logit, Wilson and percentile from the bootstrap, and Korn-Graubard from the Taylor variance
for reference. Coverage is reported with its Monte-Carlo standard error sqrt(c (1 - c) / R).

    .venv/bin/python bench/coverage.py [--reps 2000] [--replicates 500] [--seed 20210531]

tests/test_coverage.py runs a small version through simulate().
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from barometer.survey import RescaledBootstrap, StratifiedDesign, estimate
from barometer.survey.intervals import korn_graubard, share_interval

REPO_ROOT = Path(__file__).resolve().parents[1]
FRAME = REPO_ROOT / "config/editions/2021/frame.csv"
DIAGNOSTICS = REPO_ROOT / "results/2021/weights/diagnostics.csv"
TARGET_SHARES = (0.05, 0.10, 0.20, 0.35, 0.50)
SIZE_EFFECT = {"micro": -0.5, "small": -0.15, "medium": 0.35, "large": 0.8}  # on the logit scale
DOMAINS = ("all", "large")
METHODS = ("korn_graubard", "logit", "wilson", "percentile", "korn_graubard_taylor")
LEVEL = 0.95


@dataclass
class Population:
    strata: pd.DataFrame  # stratum, sector, size, N, n (sorted by stratum)
    unit_stratum: np.ndarray  # (N_total,) index into strata
    y: np.ndarray  # (N_total x C) bool
    truth: pd.DataFrame  # characteristic, domain, share
    sample_sizes: str  # where n_h came from

    @property
    def large(self) -> np.ndarray:
        return (self.strata["size"] == "large").to_numpy()


def sample_sizes(frame: pd.DataFrame, source: str = "auto") -> tuple[np.ndarray, str]:
    """n_h: 2021's usable responses when available (source 'auto'), else round(0.12 N_h); in [2, N_h]."""
    if source == "auto" and DIAGNOSTICS.exists():
        diag = pd.read_csv(DIAGNOSTICS).set_index("stratum")
        n = diag["n_h"].reindex(frame["stratum"]).to_numpy(dtype=float)
        if not np.isnan(n).any():
            return np.clip(n, 2, frame["N"]).astype(int), "2021 usable responses (results/2021/weights/diagnostics.csv)"
    return np.clip(np.round(0.12 * frame["N"]), 2, frame["N"]).astype(int), "round(0.12 N_h)"


def make_population(seed: int = 2021, shares=TARGET_SHARES, sizes: str = "auto") -> Population:
    rng = np.random.default_rng(seed)
    frame = pd.read_csv(FRAME, dtype={"sector": str, "size": str})
    frame["stratum"] = frame["sector"] + "_" + frame["size"]
    frame = frame.rename(columns={"population": "N"}).sort_values("stratum", ignore_index=True)
    frame["n"], origin = sample_sizes(frame, sizes)
    N = frame["N"].to_numpy()
    unit_stratum = np.repeat(np.arange(len(frame)), N)
    sectors = {s: k for k, s in enumerate(sorted(frame["sector"].unique()))}
    y = np.empty((N.sum(), len(shares)), dtype=bool)
    truth = []
    for c, target in enumerate(shares):
        sector_effect = rng.normal(0, 0.4, len(sectors))
        effect = (frame["size"].map(SIZE_EFFECT).to_numpy() * rng.uniform(0.6, 1.4)
                  + sector_effect[frame["sector"].map(sectors).to_numpy()])

        def expected_share(a, effect=effect):
            return np.sum(N / (1 + np.exp(-(a + effect)))) / N.sum()

        a = optimize.brentq(lambda a, t=target: expected_share(a) - t, -15, 15)
        p_h = 1 / (1 + np.exp(-(a + effect)))
        y[:, c] = rng.random(N.sum()) < p_h[unit_stratum]
        large_units = (frame["size"] == "large").to_numpy()[unit_stratum]
        truth.append({"characteristic": f"p{target:.0%}", "domain": "all", "share": y[:, c].mean()})
        truth.append({"characteristic": f"p{target:.0%}", "domain": "large", "share": y[large_units, c].mean()})
    return Population(frame, unit_stratum, y, pd.DataFrame(truth), origin)


class Sampler:
    """Stratified SRSWOR with n_h units per stratum; the sample is ordered by stratum, so one design
    object (strata, weights, fpc) serves every repetition."""

    def __init__(self, pop: Population):
        self.pop = pop
        N = pop.strata["N"].to_numpy()
        n = pop.strata["n"].to_numpy()
        starts = np.r_[0, np.cumsum(N)[:-1]]
        self.take = np.concatenate([s + np.arange(k) for s, k in zip(starts, n)])
        sample_stratum = np.repeat(np.arange(len(n)), n)
        self.design = StratifiedDesign.from_sample(pop.strata["stratum"].to_numpy()[sample_stratum],
                                                   dict(zip(pop.strata["stratum"], N.astype(float))))
        self.in_large = pop.large[sample_stratum]

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        # random keys sorted within strata: the first n_h of each stratum are an SRSWOR
        order = np.lexsort((rng.random(len(self.pop.unit_stratum)), self.pop.unit_stratum))
        return self.pop.y[order[self.take]]


def simulate(pop: Population, reps: int, replicates: int, seed: int, methods=METHODS,
             default_method: str = "korn_graubard") -> pd.DataFrame:
    """One row per repetition x characteristic x domain: estimate, SEs and (covered, low, high) per method."""
    sampler = Sampler(pop)
    C = pop.y.shape[1]
    domains = np.column_stack([np.ones((sampler.design.n, C), bool), np.repeat(sampler.in_large[:, None], C, axis=1)])
    truth = pop.truth.set_index(["characteristic", "domain"])["share"]
    names = [f"p{s:.0%}" for s in TARGET_SHARES[:C]]
    labels = pd.DataFrame({"characteristic": names * 2, "domain": ["all"] * C + ["large"] * C})
    true_share = truth.reindex(pd.MultiIndex.from_frame(labels)).to_numpy()
    rows = []
    for r in range(reps):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
        y = sampler.draw(rng).astype(float)
        values = np.hstack([y, y])
        spec = RescaledBootstrap(replicates=replicates, seed=seed, stream=(1, r))
        est = estimate(sampler.design.with_replicates(spec), values, domains, "share")
        var_boot = est.var_boot
        out = labels.assign(rep=r, truth=true_share, estimate=est.estimate, se_boot=np.sqrt(var_boot),
                            se_taylor=np.sqrt(est.var_taylor), n=est.n, df=est.df)
        for method in methods:
            if method == "korn_graubard_taylor":
                low, high = korn_graubard(est.estimate, est.var_taylor, est.n, est.df, LEVEL)
            else:
                low, high, _ = share_interval(method, est.estimate, var_boot, est.n, est.df, LEVEL, est.replicates)
            out[f"low_{method}"] = low
            out[f"high_{method}"] = high
            out[f"covers_{method}"] = (low <= true_share) & (true_share <= high)
        rows.append(out)
    result = pd.concat(rows, ignore_index=True)
    result.attrs["default_method"] = default_method
    return result


def summarise(sim: pd.DataFrame, methods=METHODS) -> pd.DataFrame:
    """Coverage (percent) with Monte-Carlo SE per characteristic x domain x method, and SE diagnostics."""
    out = []
    for (characteristic, domain), g in sim.groupby(["characteristic", "domain"], sort=False):
        R = len(g)
        row = {"characteristic": characteristic, "domain": domain, "true share": g["truth"].iloc[0], "reps": R,
               "n": g["n"].iloc[0], "sd(estimate)": g["estimate"].std(ddof=1),
               "mean se boot": g["se_boot"].mean(), "mean se taylor": g["se_taylor"].mean()}
        for m in methods:
            c = g[f"covers_{m}"].mean()
            row[f"cov {m}"] = 100 * c
            row[f"mcse {m}"] = 100 * np.sqrt(c * (1 - c) / R)
            row[f"below {m}"] = 100 * (g[f"high_{m}"] < g["truth"]).mean()  # interval entirely below the truth
            row[f"width {m}"] = (g[f"high_{m}"] - g[f"low_{m}"]).mean()
        out.append(row)
    return pd.DataFrame(out)


def main() -> int:
    from _harness import machine_line, table

    from barometer.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=2000, help="samples drawn from the population")
    parser.add_argument("--replicates", type=int, default=500, help="bootstrap replicates per sample")
    parser.add_argument("--seed", type=int, default=20210531)
    args = parser.parse_args()
    default = load_config()["ci"]["method"]

    print("== Coverage simulation: nominal 95% intervals for shares, stratified SRSWOR from a known population ==")
    print(f"machine: {machine_line()}")
    pop = make_population()
    print(f"population: {len(pop.unit_stratum):,} firms in {len(pop.strata)} strata (config/editions/2021/frame.csv); "
          f"sample n = {pop.strata['n'].sum():,} ({pop.sample_sizes}, clipped to [2, N_h]); "
          f"large firms: n = {pop.strata.loc[pop.large, 'n'].sum()}, "
          f"f_h {(pop.strata['n'] / pop.strata['N'])[pop.large].min():.2f}-{(pop.strata['n'] / pop.strata['N'])[pop.large].max():.2f}")
    print(f"R = {args.reps} repetitions, B = {args.replicates} bootstrap replicates each, seed {args.seed}; "
          f"configured default interval: {default}")
    start = time.perf_counter()
    sim = simulate(pop, args.reps, args.replicates, args.seed, default_method=default)
    elapsed = time.perf_counter() - start
    summary = summarise(sim)
    print(f"simulation time {elapsed:.1f} s\n")

    rows = []
    for _, s in summary.iterrows():
        rows.append([s["characteristic"], s["domain"], f"{100 * s['true share']:.1f}", s["n"],
                     *(f"{s[f'cov {m}']:.1f} ({s[f'mcse {m}']:.1f})" for m in METHODS)])
    print("Coverage of nominal 95% intervals, percent (Monte-Carlo SE):")
    print(table(rows, ["characteristic", "domain", "true %", "n", *METHODS]))

    rows = []
    for _, s in summary.iterrows():
        rows.append([s["characteristic"], s["domain"], f"{s['sd(estimate)']:.5f}", f"{s['mean se taylor']:.5f}",
                     f"{s['mean se boot']:.5f}", f"{s['mean se boot'] / s['sd(estimate)']:.3f}",
                     *(f"{s[f'below {m}']:.1f}/{100 - s[f'cov {m}'] - s[f'below {m}']:.1f}" for m in METHODS[:4]),
                     f"{s[f'width {default}']:.4f}"])
    print("\nStandard errors (proportions) and where the intervals miss (percent entirely below / above the truth):")
    print(table(rows, ["characteristic", "domain", "sd of estimates", "mean SE Taylor", "mean SE boot",
                       "boot / sd", *(f"miss {m}" for m in METHODS[:4]), f"mean width {default}"]))

    main_rows = summary[summary["domain"] == "all"]
    cov = main_rows[f"cov {default}"]
    print(f"\ndefault method ({default}), whole population: coverage {cov.min():.1f}-{cov.max():.1f}% "
          f"(target 94-96%; Monte-Carlo SE about {main_rows[f'mcse {default}'].mean():.1f} points per cell)")
    outside = summary[(summary[f"cov {default}"] < 94) | (summary[f"cov {default}"] > 96)]
    if len(outside):
        print("cells outside 94-96%: " + ", ".join(f"{r['characteristic']}/{r['domain']} {r[f'cov {default}']:.1f}%"
                                                  for _, r in outside.iterrows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
