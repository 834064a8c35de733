"""A small, fast version of the coverage simulation in bench/coverage.py (the full one: 2,000 samples).

300 stratified samples without replacement from a known population shaped like the AI-Barometer 2021
(sample sizes round(0.12 N_h), so the test does not depend on workflow results), B = 200 replicates
each. Bands are three Monte-Carlo standard errors wide: a correct method fails a single check with
probability about 0.3%.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

REPS = 300
REPLICATES = 200
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
def simulation():
    cov = _load_simulation()
    pop = cov.make_population(sizes="frame")
    return cov.simulate(pop, REPS, REPLICATES, SEED, methods=("korn_graubard",))


def test_default_interval_covers_at_nominal_rate(simulation):
    mcse = np.sqrt(NOMINAL * (1 - NOMINAL) / REPS)
    overall = simulation[simulation["domain"] == "all"]
    for characteristic, group in overall.groupby("characteristic"):
        coverage = group["covers_korn_graubard"].mean()
        assert abs(coverage - NOMINAL) <= 3 * mcse, (
            f"{characteristic}: Korn-Graubard coverage {coverage:.3f}, expected {NOMINAL} +- {3 * mcse:.3f}")


def test_bootstrap_se_agrees_with_taylor_se(simulation):
    # The bootstrap variance (1/B) sum (theta_b - mean)^2 has expectation (B - 1)/B times the Taylor
    # variance, and E sqrt(X) ~ 1 - Var(X)/8 with Var(X) ~ 2/B: so E[SE_boot / SE_Taylor] is about
    # sqrt((B - 1)/B) - 1/(4B). Each sample's ratio has Monte-Carlo error ~1/sqrt(2B); the mean over the
    # samples must match within three standard errors.
    expected = np.sqrt((REPLICATES - 1) / REPLICATES) - 1 / (4 * REPLICATES)
    for (characteristic, domain), group in simulation.groupby(["characteristic", "domain"]):
        ratio = group["se_boot"] / group["se_taylor"]
        se = ratio.std(ddof=1) / np.sqrt(len(ratio))
        assert abs(ratio.mean() - expected) <= 3 * se, (
            f"{characteristic}/{domain}: mean SE ratio boot/Taylor {ratio.mean():.4f}, expected {expected:.4f} "
            f"+- {3 * se:.4f}")
