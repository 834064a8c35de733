"""A small, fast version of the coverage simulation in bench/coverage.py (the full one: 1,000 samples of
each of four scenarios; its figures are in bench/README.md).

Stratified samples without replacement from known populations, the workflow's estimator on each (the
rescaled bootstrap, Korn-Graubard as NCHS/CDC compute it, the NCHS flags). Bands are three Monte-Carlo
standard errors wide: a correct method fails a single check with probability about 0.3%.

- the 2021 allocation (Table 2's usable responses, so the test does not depend on workflow results):
  shares of 5-50% over all firms cover 95%, and the bootstrap SE has its expected ratio to the Taylor SE;
- rare shares (1-3%) in sector domains of 50-400 respondents: the capped interval covers at least 95%
  (the uncapped one, R's svyciprop(method = "beta"), covered about 90% on the same samples);
- a few tiny strata dominating a domain: the cells flagged "ok" cover at least 93% (before the cap and
  the effective degrees of freedom, cells flagged "ok" there covered 0-50%).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

NOMINAL = 0.95
SEED = 4


def _load_simulation():
    path = Path(__file__).resolve().parents[1] / "bench" / "coverage.py"
    spec = importlib.util.spec_from_file_location("bench_coverage", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cov():
    return _load_simulation()


def _only(scenario, domains):
    scenario.cells = scenario.cells[scenario.cells["domain"].isin(domains)].reset_index(drop=True)
    return scenario


@pytest.fixture(scope="module")
def allocation(cov):
    """300 samples of the 2021 allocation, B = 200, the whole population's five shares."""
    return cov.simulate(_only(cov.allocation_2021(), ["all"]), 300, 200, SEED)


def test_default_interval_covers_shares_over_all_firms_at_the_nominal_rate(allocation):
    reps = allocation["rep"].nunique()
    mcse = np.sqrt(NOMINAL * (1 - NOMINAL) / reps)
    assert len(allocation) == 5 * reps
    for characteristic, group in allocation.groupby("characteristic"):
        coverage = group["covers"].mean()
        assert abs(coverage - NOMINAL) <= 3 * mcse, (
            f"{characteristic}: Korn-Graubard coverage {coverage:.3f}, expected {NOMINAL} +- {3 * mcse:.3f}")


def test_bootstrap_se_agrees_with_taylor_se(allocation):
    # The bootstrap variance (1/B) sum (theta_b - mean)^2 has expectation (B - 1)/B times the Taylor
    # variance, and E sqrt(X) ~ 1 - Var(X)/8 with Var(X) ~ 2/B: so E[SE_boot / SE_Taylor] is about
    # sqrt((B - 1)/B) - 1/(4B). Each sample's ratio has Monte-Carlo error ~1/sqrt(2B); the mean over the
    # samples must match within three standard errors.
    replicates = 200
    expected = np.sqrt((replicates - 1) / replicates) - 1 / (4 * replicates)
    for characteristic, group in allocation.groupby("characteristic"):
        ratio = group["se"] / group["se_taylor"]
        se = ratio.std(ddof=1) / np.sqrt(len(ratio))
        assert abs(ratio.mean() - expected) <= 3 * se, (
            f"{characteristic}: mean SE ratio boot/Taylor {ratio.mean():.4f}, expected {expected:.4f} +- {3 * se:.4f}")


def test_rare_shares_in_sector_domains_are_covered(cov):
    sim = cov.simulate(cov.rare_sectors(), 120, 100, SEED)
    pairs = len(sim)
    coverage = sim["covers"].mean()
    mcse = np.sqrt(NOMINAL * (1 - NOMINAL) / pairs)
    assert coverage >= NOMINAL - 3 * mcse, f"capped Korn-Graubard covers {coverage:.3f} of {pairs} rare-share cells"
    # the uncapped interval on the same samples: the shortfall the cap removes (pooled ~90%)
    assert sim["covers_uncapped"].mean() < NOMINAL - 3 * mcse


def test_cells_flagged_ok_cover_where_a_few_tiny_strata_dominate(cov):
    sim = cov.simulate(cov.few_small_strata(), 150, 100, SEED)
    ok = sim[sim["flag"] == "ok"]
    assert len(ok) > 300  # the large strata alone are estimated well and flagged ok
    target = 0.93
    mcse = np.sqrt(target * (1 - target) / len(ok))
    assert ok["covers"].mean() >= target - 3 * mcse, ok.groupby(["characteristic", "domain"])["covers"].mean()
    # the domains the tiny strata dominate cover far below 95% over all samples: the flags must catch them
    dominated = sim[sim["domain"].str.startswith("d")]
    assert dominated["covers"].mean() < 0.8
    assert (dominated["flag"] == "ok").mean() < 0.02
