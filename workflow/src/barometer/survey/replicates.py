"""Rescaled bootstrap replicate weights with finite population correction.

Rao-Wu-Yue rescaling in the form of Beaumont & Emond (2022), see docs/methods.md: in each
replicate b and variance stratum h with n_h >= 2, draw m*_i ~ Multinomial(n_h - 1; 1/n_h, ...),
and set a_i(b) = 1 - lambda_h + lambda_h * n_h / (n_h - 1) * m*_i with lambda_h = sqrt(1 - f_h).
For a linear statistic the expected bootstrap variance equals the linearisation variance with fpc.

Hand-written because no maintained Python library implements it: samplics (archived) and svy offer
Rao-Wu without the fpc, and R's svrep is R. The draws are vectorised per stratum (no Python loop over
units or replicates).

Reproducibility: replicates are generated in blocks of ``block_size``; block j draws from
``SeedSequence(seed, spawn_key=(*stream, j))``. Any chunking or parallel split of the blocks gives
the identical replicates, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import SurveyError

if TYPE_CHECKING:
    from .design import StratifiedDesign


@dataclass(frozen=True)
class RescaledBootstrap:
    """The replicate method of a design: how many replicates, from which seed; ``stream`` separates
    independent uses (e.g. editions); ``centre``: variance around the replicates' mean ("mean") or
    around the full-sample estimate ("mse")."""

    replicates: int
    seed: int
    block_size: int = 250
    stream: tuple[int, ...] = ()
    centre: str = "mean"

    def __post_init__(self) -> None:
        if self.replicates < 2:
            raise SurveyError(f"the bootstrap needs at least 2 replicates, not {self.replicates}")
        if self.block_size < 1:
            raise SurveyError(f"the replicate block size must be positive, not {self.block_size}")
        if self.seed < 0:
            raise SurveyError(f"the seed must be non-negative, not {self.seed}")
        if self.centre not in ("mean", "mse"):
            raise SurveyError(f"centre must be 'mean' or 'mse', not {self.centre!r}")

    @property
    def n_blocks(self) -> int:
        return -(-self.replicates // self.block_size)

    def block_range(self, block: int) -> tuple[int, int]:
        start = block * self.block_size
        return start, min(start + self.block_size, self.replicates)

    @property
    def scale(self) -> float:
        """Variance = scale * sum_b (theta_b - centre)^2 (R svrepdesign: scale = 1/B, rscales = 1)."""
        return 1.0 / self.replicates

    def variance(self, replicates: np.ndarray, full_sample: np.ndarray, chunk: int = 256) -> np.ndarray:
        """(1/B) sum_b (theta_b - centre)^2 per column of the (B x K) replicate estimates, a block of
        columns at a time (bounded memory)."""
        out = np.empty(replicates.shape[1])
        for start in range(0, replicates.shape[1], chunk):
            block = replicates[:, start : start + chunk]
            with np.errstate(invalid="ignore"):
                centre = np.nanmean(block, axis=0) if self.centre == "mean" else full_sample[start : start + chunk]
            out[start : start + chunk] = self.scale * np.nansum((block - centre) ** 2, axis=0)
        return out


def block_factors(design: StratifiedDesign, method: RescaledBootstrap, block: int) -> np.ndarray:
    """Adjustment factors a_i(b) for the replicates of one block: an (n units x b) array."""
    start, stop = method.block_range(block)
    b = stop - start
    rng = np.random.default_rng(np.random.SeedSequence(method.seed, spawn_key=(*method.stream, block)))
    factors = np.ones((design.n, b))
    vs = design.variance_strata
    order = np.argsort(design.unit_variance_stratum, kind="stable")
    bounds = np.searchsorted(design.unit_variance_stratum[order], np.arange(len(vs) + 1))
    for h, (n_h, f_h, policy) in enumerate(zip(vs["n"], vs["f"], vs["policy"])):
        if n_h < 2 or policy == "certainty":
            continue
        units = order[bounds[h] : bounds[h + 1]]
        # Multinomial(n_h - 1; equal probabilities) == counts of n_h - 1 draws with replacement
        draws = rng.integers(0, n_h, size=(b, n_h - 1))
        draws += (np.arange(b) * n_h)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n_h).reshape(b, n_h).T
        lam = np.sqrt(1.0 - f_h)
        factors[units] = 1.0 - lam + lam * n_h / (n_h - 1) * counts
    return factors


def iter_blocks(design: StratifiedDesign, method: RescaledBootstrap, blocks: range | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first replicate index, factors) for each block, in order."""
    for block in blocks if blocks is not None else range(method.n_blocks):
        yield method.block_range(block)[0], block_factors(design, method, block)


def replicate_weights(design: StratifiedDesign, method: RescaledBootstrap | None = None,
                      first: int | None = None) -> np.ndarray:
    """All replicate weights w_i * a_i(b) as one (n x B) array (for export; estimators stream blocks).
    ``method`` defaults to the design's own replicate method. ``first``: only the first replicates of
    the method (an export smaller than the estimation). The blocks holding them are drawn whole and the
    last one cut, so column b is the estimation's replicate b whatever ``first`` is; a method with
    ``replicates=first`` would draw a cut last block from another position of its stream."""
    method = method or design.replicates
    if method is None:
        raise SurveyError("the design has no replicate method: use design.with_replicates(RescaledBootstrap(...))")
    count = method.replicates if first is None else int(first)
    if not 1 <= count <= method.replicates:
        raise SurveyError(f"cannot export the first {count} of {method.replicates} replicates")
    out = np.empty((design.n, count))
    for start, factors in iter_blocks(design, method, range(-(-count // method.block_size))):
        stop = min(start + factors.shape[1], count)
        out[:, start:stop] = design.weights[:, None] * factors[:, : stop - start]
    return out
