"""Coverage simulation: do nominal 95% intervals cover the true shares, for all cells and for cells flagged "ok"?

Known finite populations, stratified simple random samples without replacement drawn from them again
and again, and the workflow's own estimator on each sample: the rescaled bootstrap (B replicates), the
configured interval (Korn-Graubard as NCHS/CDC compute it) and the NCHS reliability flags. A cell is
an estimand (a characteristic in a domain); its coverage is the fraction of samples whose interval
holds the true finite-population share, reported with its Monte-Carlo standard error
sqrt(c (1 - c) / R), over all samples and over the samples in which the cell was flagged "ok".

Four scenarios with targets (``SCENARIOS``) and one diagnostic without (``DIAGNOSTIC``):

- ``allocation_2021``: the 36 strata of config/editions/2021/frame.csv with the 2021 usable responses
  per stratum (the report's Table 2 after the errata: n = 1,717; the single-response stratum collapsed
  with its neighbour for variance, as the workflow does); five characteristics of 5-50% varying by size
  class and sector; domains: all firms, each size class, each sector.
- ``rare_sectors``: the same design; characteristics of 1, 2 and 3% over all firms; domains: the
  sectors with 50-400 respondents.
- ``adopters_only``: the same design; a quarter of firms (more among large ones) are "adopters", and
  five characteristics of 5-50% exist among adopters only (questions asked of adopters); domains:
  adopters, adopters by size class and by sector (300-550 adopters answer in a sample).
- ``few_small_strata``: three domains each made of two tiny strata with many firms (n_h = 2 and 3, 3
  and 5, 5 and 5 respondents; N_h = 2,500 and 1,500) beside four strata of 60 respondents among 90
  firms; the tiny strata carry 92% of each domain's firms. Characteristics whose shares differ between
  the tiny and the large strata (3% vs 1%, 10% vs 30%, 30% vs 10%, 50% vs 50%); domains: the three,
  the large strata alone, and all firms.
- ``moderate_small_strata`` (diagnostic, no target): the same with 8 and 12, 15 and 20 respondents in
  the dominant strata. Where a rule flags a cell from its own estimated variance, cells flagged "ok"
  are those whose variance came out low by chance; with 20-35 respondents carrying 92% of the weight
  that selection shows (bench/README.md).

Targets (issue 13): in every scenario, cells flagged "ok" cover at least 93%; shares of 5-50% over all
firms (allocation_2021, domain "all") cover 94-96%. Beside the default interval, the uncapped
Korn-Graubard (R svyciprop(method = "beta"), the default before) is recorded on the same samples.

Why B = 200 bootstrap replicates (the workflow uses 10,000): the bootstrap variance is an unbiased
estimate of the Taylor variance, and B only adds Monte-Carlo noise of about 1/sqrt(2B) = 5% to each
standard error, which lowers coverage by a few tenths of a point at most (tests/test_coverage.py pins
the bootstrap SE against the Taylor SE); it keeps 1,000 samples of all four scenarios within about
10 minutes on two cores.

    .venv/bin/python bench/coverage.py [--reps 1000] [--replicates 200] [--seed 20210531] [--scenarios a,b]

tests/test_coverage.py runs a small version through the same functions.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from barometer.survey import NCHS, RescaledBootstrap, StratifiedDesign, estimate
from barometer.survey.intervals import korn_graubard_uncapped

REPO_ROOT = Path(__file__).resolve().parents[1]
FRAME = REPO_ROOT / "config/editions/2021/frame.csv"
PUBLISHED = REPO_ROOT / "data/raw/published/ai_barometer_2021.csv"
ERRATA = REPO_ROOT / "config/editions/2021/errata.yaml"
SIZE_EFFECT = {"micro": -0.5, "small": -0.15, "medium": 0.35, "large": 0.8}  # on the logit scale
SIZES = ("micro", "small", "medium", "large")
LEVEL = 0.95
OK_TARGET = 93.0
ALL_FIRMS_TARGET = (94.0, 96.0)


@dataclass
class Scenario:
    """A finite population, its sample allocation and the cells estimated on every sample."""

    name: str
    strata: pd.DataFrame  # stratum, N, n (sorted by stratum), plus any labels
    unit_stratum: np.ndarray  # (N_total,) index into strata
    y: np.ndarray  # (N_total x C) bool characteristics
    characteristics: list[str]
    members: dict[str, np.ndarray]  # domain name -> (N_total,) bool
    cells: pd.DataFrame  # characteristic, domain (one row per estimand)
    collapse_with: dict[str, str] = field(default_factory=dict)
    all_firms_target: bool = False  # the 94-96% target applies to its domain 'all'

    @property
    def truth(self) -> np.ndarray:
        c = [self.characteristics.index(x) for x in self.cells["characteristic"]]
        return np.array([self.y[self.members[d], k].mean() for k, d in zip(c, self.cells["domain"])])


# -- populations ---------------------------------------------------------------------------------
def frame_2021() -> pd.DataFrame:
    """The 2021 frame with N_h and the usable responses n_h of Table 2 (after the errata)."""
    from barometer.published import read_values
    from barometer.source_checks import apply_errata, load_errata

    frame = pd.read_csv(FRAME, dtype={"sector": str, "size": str}).rename(columns={"population": "N"})
    frame["stratum"] = frame["sector"] + "_" + frame["size"]
    values = apply_errata(read_values(PUBLISHED), load_errata(ERRATA), ERRATA)
    usable = values[values["indicator"] == "response.usable"]
    n = {d.replace("sector=", "").replace(";size=", "_"): v for d, v in zip(usable["domain"], usable["value"])}
    frame["n"] = frame["stratum"].map(n).astype(int)
    assert frame["n"].sum() == 1717, frame["n"].sum()
    return frame.sort_values("stratum", ignore_index=True)[["stratum", "sector", "size", "N", "n"]]


def logistic(x):
    return 1 / (1 + np.exp(-x))


def calibrated_shares(rng, strata: pd.DataFrame, target: float, size_scale=1.0, sector_sd=0.4,
                      weights: np.ndarray | None = None) -> np.ndarray:
    """Per-stratum probabilities with size and sector effects whose population-weighted mean is ``target``."""
    sectors = {s: k for k, s in enumerate(sorted(strata["sector"].unique()))}
    effect = (strata["size"].map(SIZE_EFFECT).to_numpy() * size_scale * rng.uniform(0.6, 1.4)
              + rng.normal(0, sector_sd, len(sectors))[strata["sector"].map(sectors).to_numpy()])
    N = strata["N"].to_numpy(float) if weights is None else weights
    a = optimize.brentq(lambda a: np.sum(N * logistic(a + effect)) / N.sum() - target, -20, 20)
    return logistic(a + effect)


def _members_2021(strata: pd.DataFrame, unit_stratum: np.ndarray, sizes=True, sectors=True) -> dict[str, np.ndarray]:
    out = {"all": np.ones(len(unit_stratum), bool)}
    if sizes:
        for s in SIZES:
            out[f"size={s}"] = (strata["size"] == s).to_numpy()[unit_stratum]
    if sectors:
        for s in sorted(strata["sector"].unique()):
            out[f"sector={s}"] = (strata["sector"] == s).to_numpy()[unit_stratum]
    return out


def _collapse_2021() -> dict[str, str]:
    import yaml

    config = yaml.safe_load((REPO_ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    return dict(config["bootstrap"]["singleton_strata"].get("collapse_with") or {})


def allocation_2021(seed: int = 2021, shares=(0.05, 0.10, 0.20, 0.35, 0.50)) -> Scenario:
    rng = np.random.default_rng(seed)
    strata = frame_2021()
    unit_stratum = np.repeat(np.arange(len(strata)), strata["N"].to_numpy())
    y = np.column_stack([rng.random(len(unit_stratum)) < calibrated_shares(rng, strata, t)[unit_stratum] for t in shares])
    names = [f"p{t:.0%}" for t in shares]
    members = _members_2021(strata, unit_stratum)
    cells = pd.DataFrame([(c, d) for d in members for c in names], columns=["characteristic", "domain"])
    return Scenario("allocation_2021", strata, unit_stratum, y, names, members, cells, _collapse_2021(), True)


def rare_sectors(seed: int = 2022, shares=(0.01, 0.02, 0.03)) -> Scenario:
    rng = np.random.default_rng(seed)
    strata = frame_2021()
    unit_stratum = np.repeat(np.arange(len(strata)), strata["N"].to_numpy())
    y = np.column_stack([rng.random(len(unit_stratum)) < calibrated_shares(rng, strata, t, sector_sd=0.6)[unit_stratum]
                         for t in shares])
    names = [f"p{t:.0%}" for t in shares]
    n_sector = strata.groupby("sector")["n"].sum()
    keep = [s for s in sorted(n_sector.index) if 50 <= n_sector[s] <= 400]
    members = {f"sector={s}": (strata["sector"] == s).to_numpy()[unit_stratum] for s in keep}
    cells = pd.DataFrame([(c, d) for d in members for c in names], columns=["characteristic", "domain"])
    return Scenario("rare_sectors", strata, unit_stratum, y, names, members, cells, _collapse_2021())


def adopters_only(seed: int = 2023, shares=(0.05, 0.10, 0.20, 0.35, 0.50)) -> Scenario:
    rng = np.random.default_rng(seed)
    strata = frame_2021()
    unit_stratum = np.repeat(np.arange(len(strata)), strata["N"].to_numpy())
    adopter = rng.random(len(unit_stratum)) < calibrated_shares(rng, strata, 0.23, size_scale=1.6)[unit_stratum]
    # the characteristics' shares among adopters, calibrated on each stratum's adopters
    adopters_per_stratum = np.bincount(unit_stratum, weights=adopter, minlength=len(strata))
    y = np.column_stack([adopter & (rng.random(len(unit_stratum)) <
                                    calibrated_shares(rng, strata, t, weights=adopters_per_stratum)[unit_stratum])
                         for t in shares])
    names = [f"p{t:.0%}" for t in shares]
    members = {f"adopters&{k}" if k != "all" else "adopters": adopter & m
               for k, m in _members_2021(strata, unit_stratum).items()}
    cells = pd.DataFrame([(c, d) for d in members for c in names], columns=["characteristic", "domain"])
    return Scenario("adopters_only", strata, unit_stratum, y, names, members, cells, _collapse_2021())


def small_strata(name: str, pairs, seed: int) -> Scenario:
    """Domains each made of two strata of many firms and few respondents (``pairs``: their n_h; N_h =
    2,500 and 1,500) and four strata of 60 respondents among 90 firms: the two small strata hold 92% of
    the domain's firms. Characteristics whose shares differ between the small and the large strata."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, (n1, n2) in enumerate(pairs):
        rows += [(f"d{k}_few1", f"d{k}", "few", 2500, n1), (f"d{k}_few2", f"d{k}", "few", 1500, n2)]
        rows += [(f"d{k}_many{j}", f"d{k}", "many", 90, 60) for j in range(4)]
    strata = pd.DataFrame(rows, columns=["stratum", "sector", "size", "N", "n"]).sort_values("stratum", ignore_index=True)
    unit_stratum = np.repeat(np.arange(len(strata)), strata["N"].to_numpy())
    few = (strata["size"] == "few").to_numpy()[unit_stratum]
    shares = {"p3v1": (0.03, 0.01), "p10v30": (0.10, 0.30), "p30v10": (0.30, 0.10), "p50v50": (0.50, 0.50)}
    y = np.column_stack([rng.random(len(unit_stratum)) < np.where(few, a, b) for a, b in shares.values()])
    members = {"all": np.ones(len(unit_stratum), bool)}
    for k, (n1, n2) in enumerate(pairs):
        members[f"d{k} (n_h {n1}, {n2})"] = (strata["sector"] == f"d{k}").to_numpy()[unit_stratum]
    members["large strata only"] = ~few
    names = list(shares)
    cells = pd.DataFrame([(c, d) for d in members for c in names], columns=["characteristic", "domain"])
    return Scenario(name, strata, unit_stratum, y, names, members, cells)


def few_small_strata(seed: int = 2024) -> Scenario:
    """The issue's case: a few tiny strata (2-5 respondents) carry most of a domain's firms."""
    return small_strata("few_small_strata", ((2, 3), (3, 5), (5, 5)), seed)


def moderate_small_strata(seed: int = 2025) -> Scenario:
    """Beyond the targets: the dominant strata hold 8-20 respondents (see bench/README.md)."""
    return small_strata("moderate_small_strata", ((8, 12), (15, 20)), seed)


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "allocation_2021": allocation_2021, "rare_sectors": rare_sectors, "adopters_only": adopters_only,
    "few_small_strata": few_small_strata,
}
DIAGNOSTIC: dict[str, Callable[[], Scenario]] = {"moderate_small_strata": moderate_small_strata}


# -- simulation ----------------------------------------------------------------------------------
class Sampler:
    """Stratified SRSWOR with n_h units per stratum; the sample is ordered by stratum, so one design
    object (strata, weights, fpc) serves every repetition."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        N = sc.strata["N"].to_numpy()
        n = sc.strata["n"].to_numpy()
        starts = np.r_[0, np.cumsum(N)[:-1]]
        self.take = np.concatenate([s + np.arange(k) for s, k in zip(starts, n)])
        labels = sc.strata["stratum"].to_numpy()[np.repeat(np.arange(len(n)), n)]
        singleton = "collapse" if sc.collapse_with else "error"
        self.design = StratifiedDesign.from_sample(labels, dict(zip(sc.strata["stratum"], N.astype(float))),
                                                   singleton=singleton, collapse_with=sc.collapse_with)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Population indices of one sample (random keys sorted within strata: the first n_h of each)."""
        order = np.lexsort((rng.random(len(self.sc.unit_stratum)), self.sc.unit_stratum))
        return order[self.take]


def simulate(sc: Scenario, reps: int, replicates: int, seed: int) -> pd.DataFrame:
    """One row per repetition x cell: estimate, n, SEs, the default interval, its flag, and coverage by
    the default and the uncapped Korn-Graubard interval."""
    sampler = Sampler(sc)
    column = np.array([sc.characteristics.index(c) for c in sc.cells["characteristic"]])
    member = np.column_stack([sc.members[d] for d in sc.cells["domain"]])
    truth = sc.truth
    standard = NCHS()
    out = []
    for r in range(reps):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(r,)))
        units = sampler.draw(rng)
        values = sc.y[units][:, column].astype(float)
        domains = member[units]
        spec = RescaledBootstrap(replicates=replicates, seed=seed, stream=(1, r))
        est = estimate(sampler.design.with_replicates(spec), values, domains, "share")
        table = est.table(ci="korn_graubard", level=LEVEL, standard=standard)
        var = table["se"].to_numpy() ** 2
        low_u, high_u = korn_graubard_uncapped(est.estimate, var, est.n, est.df, LEVEL)
        frame = sc.cells.assign(rep=r, truth=truth, estimate=est.estimate, n=est.n, se=table["se"].to_numpy(),
                                se_taylor=np.sqrt(est.var_taylor), low=table["ci_low"].to_numpy(),
                                high=table["ci_high"].to_numpy(), flag=table["flag"].to_numpy(),
                                df_effective=table["df_effective"].to_numpy())
        frame["covers"] = (frame["low"] <= truth) & (truth <= frame["high"])
        frame["covers_uncapped"] = (low_u <= truth) & (truth <= high_u)
        out.append(frame[est.n > 0])
    return pd.concat(out, ignore_index=True)


def _coverage(covers: pd.Series) -> tuple[float, float, int]:
    k = len(covers)
    c = covers.mean() if k else np.nan
    return 100 * c, 100 * np.sqrt(c * (1 - c) / k) if k else np.nan, k


def summarise(sim: pd.DataFrame) -> pd.DataFrame:
    """Per cell: true share, mean n, coverage (percent, Monte-Carlo SE) over all samples and over the
    samples flagged ok, the share of samples flagged ok, and the uncapped interval's coverage."""
    rows = []
    for (characteristic, domain), g in sim.groupby(["characteristic", "domain"], sort=False):
        all_c, all_se, k = _coverage(g["covers"])
        ok_c, ok_se, k_ok = _coverage(g.loc[g["flag"] == "ok", "covers"])
        rows.append({"characteristic": characteristic, "domain": domain, "true %": 100 * g["truth"].iloc[0],
                     "mean n": g["n"].mean(), "samples": k, "coverage": all_c, "mcse": all_se,
                     "ok %": 100 * k_ok / k, "coverage ok": ok_c, "mcse ok": ok_se, "ok samples": k_ok,
                     "coverage uncapped": 100 * g["covers_uncapped"].mean()})
    return pd.DataFrame(rows)


def scenario_summary(sim: pd.DataFrame) -> dict:
    """Pooled over the scenario's cells: coverage of all (sample, cell) pairs and of those flagged ok."""
    all_c, all_se, k = _coverage(sim["covers"])
    ok_c, ok_se, k_ok = _coverage(sim.loc[sim["flag"] == "ok", "covers"])
    per_cell = summarise(sim)
    enough = per_cell[per_cell["ok samples"] >= 100]
    return {"cells": len(per_cell), "pairs": k, "coverage": all_c, "mcse": all_se,
            "coverage uncapped": 100 * sim["covers_uncapped"].mean(), "ok pairs": k_ok,
            "coverage ok": ok_c, "mcse ok": ok_se,
            "worst ok cell": enough["coverage ok"].min() if len(enough) else np.nan,
            "flags": sim["flag"].value_counts(normalize=True).mul(100).round(1).to_dict()}


def main() -> int:
    from _harness import machine_line, table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=1000, help="samples drawn per scenario")
    parser.add_argument("--replicates", type=int, default=200, help="bootstrap replicates per sample")
    parser.add_argument("--seed", type=int, default=20210531)
    parser.add_argument("--scenarios", default=",".join([*SCENARIOS, *DIAGNOSTIC]))
    args = parser.parse_args()

    print("== Coverage of nominal 95% intervals for shares: stratified SRSWOR from known populations ==")
    print(f"machine: {machine_line()}")
    print(f"R = {args.reps} samples per scenario, B = {args.replicates} bootstrap replicates each, seed {args.seed}; "
          "interval: Korn-Graubard (NCHS/CDC, capped effective n); flags: NCHS")
    met = True
    overview = []
    for name in args.scenarios.split(","):
        sc = {**SCENARIOS, **DIAGNOSTIC}[name]()
        target = name in SCENARIOS
        start = time.perf_counter()
        sim = simulate(sc, args.reps, args.replicates, args.seed)
        elapsed = time.perf_counter() - start
        per_cell = summarise(sim)
        s = scenario_summary(sim)
        print(f"\n-- {name}: {len(sc.unit_stratum):,} firms, {len(sc.strata)} strata, n = {sc.strata['n'].sum():,}; "
              f"{s['cells']} cells; {elapsed:.0f} s")
        rows = [[r["characteristic"], r["domain"], f"{r['true %']:.1f}", f"{r['mean n']:.0f}",
                 f"{r['coverage']:.1f} ({r['mcse']:.1f})", f"{r['ok %']:.0f}",
                 "-" if np.isnan(r["coverage ok"]) else f"{r['coverage ok']:.1f} ({r['mcse ok']:.1f})",
                 f"{r['coverage uncapped']:.1f}"] for _, r in per_cell.iterrows()]
        print(table(rows, ["characteristic", "domain", "true %", "mean n", "coverage (MCSE)", "% flagged ok",
                           "coverage when ok", "uncapped KG"]))
        ok_met = not (s["coverage ok"] < OK_TARGET)
        verdict = ("met" if ok_met else "NOT MET") if target else f"({'above' if ok_met else 'below'}; no target)"
        line = [name, s["cells"], f"{s['coverage']:.1f}", f"{s['coverage uncapped']:.1f}",
                f"{s['ok pairs'] / s['pairs']:.1%}", f"{s['coverage ok']:.1f} ({s['mcse ok']:.1f})",
                f"{s['worst ok cell']:.1f}", verdict]
        met &= ok_met or not target
        if sc.all_firms_target:
            overall = per_cell[per_cell["domain"] == "all"]["coverage"]
            in_band = overall.between(*ALL_FIRMS_TARGET).all()
            print(f"shares over all firms: coverage {overall.min():.1f}-{overall.max():.1f}% "
                  f"(target {ALL_FIRMS_TARGET[0]:.0f}-{ALL_FIRMS_TARGET[1]:.0f}%: {'met' if in_band else 'NOT MET'})")
            met &= in_band
            line.append(f"{overall.min():.1f}-{overall.max():.1f} ({'met' if in_band else 'NOT MET'})")
        else:
            line.append("")
        overview.append(line)
    print("\nSummary (pooled over each scenario's cells and samples; percent):")
    print(table(overview, ["scenario", "cells", "coverage, all", "uncapped KG, all", "flagged ok",
                           "coverage, ok (MCSE)", f"worst ok cell (>= 100 ok samples)", f"ok >= {OK_TARGET:.0f}%",
                           "all firms 5-50% (94-96%)"]))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
