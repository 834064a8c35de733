"""Synthetic stratified samples for the scaling and samplics benchmarks.

36 strata (9 sectors x 4 size classes, as in the AI-Barometer) with sampling fractions that depend on
the size class, as in the 2021 survey: about 1% (micro), 5% (small), 30% (medium) and 80% (large),
jittered per stratum. Indicators are a mix of 0/1 variables (shares, 5-50% with stratum effects) and
numeric percentages (means), each with about 5% missing answers at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE_FRACTIONS = (0.01, 0.05, 0.30, 0.80)  # micro, small, medium, large
SIZE_SHARE_OF_SAMPLE = (0.30, 0.35, 0.22, 0.13)  # roughly the 2021 allocation of usable responses


@dataclass
class Sample:
    stratum: np.ndarray  # (n,) int stratum index, sorted
    labels: np.ndarray  # (H,) stratum names
    n_h: np.ndarray  # (H,)
    N_h: np.ndarray  # (H,)
    values: np.ndarray  # (n x K) float, NaN = missing
    kinds: list[str]  # 'share' or 'mean' per column

    @property
    def population(self) -> dict[str, float]:
        return dict(zip(self.labels, self.N_h.astype(float)))

    @property
    def unit_labels(self) -> np.ndarray:
        return self.labels[self.stratum]


def stratum_sizes(n: int, rng: np.random.Generator, sectors: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample sizes n_h (>= 2, summing to n), population sizes N_h and labels of sectors x 4 sizes."""
    sizes = len(SIZE_FRACTIONS)
    sector_share = rng.dirichlet(np.full(sectors, 4.0))
    share = (sector_share[:, None] * np.asarray(SIZE_SHARE_OF_SAMPLE)[None, :]).ravel()
    n_h = np.maximum(2, np.floor(share * n).astype(int))
    n_h[np.argmax(n_h)] += n - n_h.sum()  # exact total
    f = np.tile(SIZE_FRACTIONS, sectors) * rng.uniform(0.8, 1.2, sectors * sizes)
    f = np.minimum(f, 0.85)
    N_h = np.maximum(n_h, np.ceil(n_h / f)).astype(int)
    labels = np.array([f"s{s}_{z}" for s in range(sectors) for z in ("micro", "small", "medium", "large")])
    return n_h, N_h, labels


def synthetic_sample(n: int, indicators: int = 50, share_fraction: float = 0.6, missing: float = 0.05,
                     seed: int = 0) -> Sample:
    """A stratified sample of n units with ``indicators`` columns (shares first, then means)."""
    rng = np.random.default_rng(seed)
    n_h, N_h, labels = stratum_sizes(n, rng)
    H = len(n_h)
    stratum = np.repeat(np.arange(H), n_h)
    n_shares = int(round(indicators * share_fraction))
    values = np.empty((n, indicators))
    for k in range(indicators):
        if k < n_shares:
            base = rng.uniform(0.05, 0.5)
            logit = np.log(base / (1 - base)) + rng.normal(0, 0.6, H)
            p_h = 1 / (1 + np.exp(-logit))
            values[:, k] = rng.random(n) < p_h[stratum]
        else:
            mu_h = rng.uniform(10, 60) + rng.normal(0, 8, H)
            values[:, k] = np.clip(rng.normal(mu_h[stratum], 20.0), 0, 100)
        values[rng.random(n) < missing, k] = np.nan
    kinds = ["share"] * n_shares + ["mean"] * (indicators - n_shares)
    return Sample(stratum, labels, n_h, N_h, values, kinds)
