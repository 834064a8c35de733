"""Rescaled bootstrap replicate weights with finite population correction.

Rao-Wu-Yue rescaling in the form of Beaumont & Emond (2022), see shared/reference/methods.md: in each
replicate b and variance stratum h with n_h >= 2, draw m*_i ~ Multinomial(n_h - 1; 1/n_h, ...),
and set a_i(b) = 1 - lambda_h + lambda_h * n_h / (n_h - 1) * m*_i with lambda_h = sqrt(1 - f_h).
For a linear statistic the expected bootstrap variance equals the linearisation variance with fpc.

Hand-written because no maintained Python library implements it: samplics (archived) and svy offer
Rao-Wu without the fpc, and R's svrep is R. The draws are vectorised per stratum (no Python loop over
units or replicates).

The random stream (unchanged since the first release, pinned by tests/test_estimators.py): replicates
are generated in blocks of ``block_size`` (config ``bootstrap.block_size``); block j draws from
``SeedSequence(seed, *stream, j)``: for each variance stratum in order that has n_h >= 2 and is not
a certainty stratum (census strata, f_h = 1, included), ``integers(0, n_h, size=(b, n_h - 1))``
(replicate by replicate), and m*_i counts unit i's draws. Any chunking or parallel split of the blocks
gives the identical replicates, bit for bit.

What is computed, and how, is separate from that stream:
- ``block_size`` fixes the stream and the shape of every replicate product (b rows), which fixes the
  floating-point result: BLAS kernels sum in a different order for a different number of rows, so a
  compute chunk that changed the rows would change the last bits.
- ``memory_budget`` (bytes) bounds the transient draws: a stratum's draws are generated a slice of
  replicates at a time (consecutive ``integers`` calls continue the same stream, so the slices
  concatenate to the one-call draws), and only the b x n_h counts of one stratum are kept at once.
- ``threads`` blocks are computed at once, each from its own seed; results are used in block order.
Estimators use ``iter_block_deviations``: the replicate totals minus the full-sample totals,
sum_i w_i (a_i(b) - 1) x_i = lambda_h c_h sum_i m*_i (x_i - xbar) + ..., from the integer counts
(exact in float32) times the stratum-centred data, one product per stratum. No n x b factor matrix
is formed; certainty and census strata contribute nothing and are skipped.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .design import StratifiedDesign

# bytes of one slice of draws and their counts; cache-sized slices count fastest (bench/README.md)
DEFAULT_MEMORY_BUDGET = 2**20
PRECISIONS = {"single": np.float32, "double": np.float64}


@dataclass(frozen=True)
class BootstrapSpec:
    """How many replicates, from which seed; ``stream`` separates independent uses (e.g. editions).

    ``replicates``, ``seed``, ``block_size`` and ``stream`` define the random stream; ``centre`` and
    ``precision`` what is computed from it. ``memory_budget`` and ``threads`` only say how: any
    value gives the identical replicates (they are left out of equality).
    ``precision``: "single" multiplies counts and data in float32 (exact integer counts, data
    rounded to 24 bits) and accumulates every replicate total in float64; the standard errors
    differ from "double" by less than 1e-6 relative (tests/test_estimators.py measures it)."""

    replicates: int
    seed: int
    block_size: int = 250
    stream: tuple[int, ...] = ()
    centre: str = "mean"  # "mean": around the replicates' mean; "mse": around the full-sample estimate
    precision: str = "single"
    memory_budget: int = field(default=DEFAULT_MEMORY_BUDGET, compare=False)
    threads: int = field(default=0, compare=False)  # 0: default_threads()

    def __post_init__(self) -> None:
        if self.replicates < 2:
            raise ValueError("the bootstrap needs at least 2 replicates")
        if self.block_size < 1:
            raise ValueError("block_size must be positive")
        if self.seed < 0:
            raise ValueError("seed must be non-negative")
        if self.centre not in ("mean", "mse"):
            raise ValueError("centre must be 'mean' or 'mse'")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}")
        if self.memory_budget < 1 or self.threads < 0:
            raise ValueError("memory_budget must be positive and threads non-negative")

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


def default_threads() -> int:
    """Worker threads when ``BootstrapSpec.threads`` is 0: the BLAS thread setting of the job
    (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, which the workflow's stage scripts set to the job's
    threads), else one per usable core."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class _Stratum:
    """A variance stratum that draws: its units (data rows, in data order) and rescaling."""

    units: np.ndarray
    lam: float  # lambda_h = sqrt(1 - f_h); 0 for a census stratum, whose factors are all 1

    @property
    def n(self) -> int:
        return len(self.units)

    @property
    def c(self) -> float:
        return self.n / (self.n - 1)


def _drawing_strata(design: StratifiedDesign) -> list[_Stratum]:
    """The strata that consume the random stream, in stream order."""
    vs = design.variance_strata
    order = np.argsort(design.unit_variance_stratum, kind="stable")
    bounds = np.searchsorted(design.unit_variance_stratum[order], np.arange(len(vs) + 1))
    out = []
    for h, (n_h, f_h, policy) in enumerate(zip(vs["n"], vs["f"], vs["policy"])):
        if n_h < 2 or policy == "certainty":
            continue
        out.append(_Stratum(order[bounds[h] : bounds[h + 1]], float(np.sqrt(1.0 - f_h))))
    return out


def _block_counts(strata: list[_Stratum], spec: BootstrapSpec, block: int,
                  dtype=np.float32) -> Iterator[tuple[_Stratum, np.ndarray | None]]:
    """For each drawing stratum in stream order, the (b x n_h) counts m*_i of one block (None for a
    census stratum, whose draws are made only to keep the stream).

    The draws are int64 because np.bincount converts any other type to intp first (int32 draws come
    out of the generator identical but cost more in total); the counts go straight into ``dtype``
    (float32 holds every count exactly), the operand of the products."""
    start, stop = spec.block_range(block)
    b = stop - start
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(*spec.stream, block)))
    for s in strata:
        # draws + their bincount: 16 bytes per (replicate, unit) of a slice of replicates
        rows = int(max(1, min(b, spec.memory_budget // (16 * s.n))))
        counts = np.empty((b, s.n), dtype=dtype) if s.lam > 0 else None
        for r0 in range(0, b, rows):
            r1 = min(b, r0 + rows)
            # Multinomial(n_h - 1; equal probabilities) == counts of n_h - 1 draws with replacement
            draws = rng.integers(0, s.n, size=(r1 - r0, s.n - 1))
            if counts is None:
                continue
            if r1 - r0 > 1:  # one bincount for the slice: each replicate's draws offset into its own row
                draws += (np.arange(r1 - r0) * s.n)[:, None]
            counts[r0:r1] = np.bincount(draws.ravel(), minlength=(r1 - r0) * s.n).reshape(r1 - r0, s.n)
        yield s, counts


def block_factors(design: StratifiedDesign, spec: BootstrapSpec, block: int) -> np.ndarray:
    """Adjustment factors a_i(b) for the replicates of one block: an (n units x b) array (for export
    and tests; the estimators never form it)."""
    start, stop = spec.block_range(block)
    factors = np.ones((design.n, stop - start))
    for s, counts in _block_counts(_drawing_strata(design), spec, block):
        if counts is not None:
            factors[s.units] = 1.0 - s.lam + s.lam * s.n / (s.n - 1) * counts.T.astype(np.float64)
    return factors


def iter_blocks(design: StratifiedDesign, spec: BootstrapSpec, blocks: range | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first replicate index, factors) for each block, in order."""
    for block in blocks if blocks is not None else range(spec.n_blocks):
        yield spec.block_range(block)[0], block_factors(design, spec, block)


def replicate_weights(design: StratifiedDesign, spec: BootstrapSpec) -> np.ndarray:
    """All replicate weights w_i * a_i(b) as one (n x B) array (for export; estimators stream blocks)."""
    out = np.empty((design.n, spec.replicates))
    for start, factors in iter_blocks(design, spec):
        out[:, start : start + factors.shape[1]] = design.weights[:, None] * factors
    return out


# -- replicate totals for the estimators ---------------------------------------------------------
# Units per product: float32 sums over at most this many units, then float64 across pieces. Part of
# the arithmetic (a different value changes the last bits), so fixed, never derived from memory.
# A float32 sum's relative error grows like sqrt(units): measured on tests/test_estimators.py's
# big_design, the largest change of an SE from float64 was 1.7e-6 with pieces of 2,048 units,
# 3e-7 with 512, 1-2e-7 with 128, 6e-8 with 32 (the floor: data rounded to float32).
PIECE_UNITS = 128


@dataclass
class _Cell:
    row: int  # output row (domain)
    start: int  # units [start, stop) of the stratum, in the grouping's order
    stop: int
    correction: np.ndarray | None  # lambda_h * mean of x over the cell; None: the cell is the stratum


@dataclass
class _StratumPlan:
    stratum: _Stratum
    groups: list[tuple[np.ndarray | None, np.ndarray, list[_Cell]]]  # (unit order or None, z, cells)


def _plan(strata: list[_Stratum], weights: np.ndarray, columns: Sequence[np.ndarray],
          groupings: Sequence[np.ndarray | None], dtype) -> list[_StratumPlan]:
    """Per drawing stratum and grouping: the data x_i = w_i y_i of its units, sorted by output row,
    centred within each (stratum, row) cell and scaled by lambda_h c_h, in the product's precision.
    A cell smaller than its stratum gets a column of ones (its count total) for the mean's
    correction. Census strata (lambda_h = 0) have no plan: their replicate totals are the full-sample ones."""
    K = sum(c.shape[1] for c in columns)
    plans = []
    for s in strata:
        if s.lam == 0:
            continue
        x = np.hstack([c[s.units] for c in columns]) * weights[s.units, None]
        groups = []
        for codes in groupings:
            levels = np.zeros(s.n, dtype=np.intp) if codes is None else np.asarray(codes)[s.units]
            if levels.min() == levels.max():  # one cell, the whole stratum: no correction needed
                z = (s.lam * s.c) * (x - x.mean(axis=0))
                groups.append((None, z.astype(dtype), [_Cell(int(levels[0]), 0, s.n, None)]))
                continue
            order = np.argsort(levels, kind="stable")
            sorted_levels = levels[order]
            bounds = np.flatnonzero(np.r_[True, sorted_levels[1:] != sorted_levels[:-1], True])
            z = np.empty((s.n, K + 1), dtype=dtype)
            cells = []
            for a, e in zip(bounds[:-1], bounds[1:]):
                xc = x[order[a:e]]
                mean = xc.mean(axis=0)
                z[a:e, :K] = (s.lam * s.c) * (xc - mean)
                z[a:e, K] = 1.0
                cells.append(_Cell(int(sorted_levels[a]), int(a), int(e), s.lam * mean))
            groups.append((order, z, cells))
        plans.append(_StratumPlan(s, groups))
    return plans


def _piecewise_product(m: np.ndarray, z: np.ndarray) -> np.ndarray:
    """m @ z as float64: products over pieces of PIECE_UNITS units in the operands' precision (one
    batched matmul), the pieces summed in float64."""
    n = m.shape[1]
    full = n - n % PIECE_UNITS
    out = np.zeros((m.shape[0], z.shape[1]))
    if full:
        pieces = full // PIECE_UNITS
        batched = np.matmul(m[:, :full].reshape(m.shape[0], pieces, PIECE_UNITS).transpose(1, 0, 2),
                            z[:full].reshape(pieces, PIECE_UNITS, z.shape[1]))
        out += batched.sum(axis=0, dtype=np.float64)
    if full < n:
        out += m[:, full:] @ z[full:]
    return out


def _block_deviations(strata: list[_Stratum], plans: list[_StratumPlan], spec: BootstrapSpec, block: int,
                      rows: int, K: int) -> np.ndarray:
    """(rows, b, K): replicate totals minus full-sample totals, sum_i w_i (a_i(b) - 1) y_i, per row.

    In a cell C of stratum h (all its units in one output row) with data x = xbar + d (d sums to 0
    over C) and M = sum_C m*: sum_C lambda (c m* - 1) x = sum_C m* (lambda c d) + lambda xbar (c M - n_C).
    The second term is 0 when C is the whole stratum (M = n_h - 1). The counts are exact in float32;
    products in the spec's precision over pieces of PIECE_UNITS units, added up in float64 in a
    fixed order (stratum, grouping, cell, piece)."""
    dtype = PRECISIONS[spec.precision]
    start, stop = spec.block_range(block)
    dev = np.zeros((rows, stop - start, K))
    plan_of = {id(p.stratum): p for p in plans}
    for s, counts in _block_counts(strata, spec, block, dtype):
        if counts is None:
            continue
        for order, z, cells in plan_of[id(s)].groups:
            m = counts if order is None else counts[:, order]
            for cell in cells:
                part = _piecewise_product(m[:, cell.start : cell.stop], z[cell.start : cell.stop])
                if cell.correction is None:
                    dev[cell.row] += part
                    continue
                dev[cell.row] += part[:, :K]
                dev[cell.row] += np.outer(s.c * part[:, K] - (cell.stop - cell.start), cell.correction)
    return dev


def iter_block_deviations(design: StratifiedDesign, spec: BootstrapSpec, columns: Sequence[np.ndarray],
                          groupings: Sequence[np.ndarray | None] = (None,), rows: int | None = None,
                          blocks: range | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first replicate index, deviations) per block in block order; deviations[r, b, k] =
    sum over units i in output row r of w_i (a_i(b) - 1) y_ik, with y = the columns side by side
    (each n x K_j). Add them to the full-sample totals sum_i w_i y_ik of the row for the replicate totals.

    ``groupings``: each None (all units, row 0) or an (n,) array giving each unit's output row; every
    grouping adds its rows. ``rows``: number of output rows (default: 1 + the largest code).
    Blocks run on ``spec.threads`` worker threads (the generator, bincount and BLAS release the
    GIL), at most 2 x threads blocks ahead; each block's result depends only on the block, so the
    output is identical for any thread count or memory budget."""
    blocks = blocks if blocks is not None else range(spec.n_blocks)
    columns = [np.asarray(c, dtype=float).reshape(design.n, -1) for c in columns]
    K = sum(c.shape[1] for c in columns)
    if rows is None:
        rows = 1 + max([0] + [int(np.max(g)) for g in groupings if g is not None])
    strata = _drawing_strata(design)
    plans = _plan(strata, design.weights, columns, groupings, PRECISIONS[spec.precision])

    def work(block: int) -> np.ndarray:
        return _block_deviations(strata, plans, spec, block, rows, K)

    threads = min(spec.threads or default_threads(), len(blocks))
    if threads <= 1:
        for block in blocks:
            yield spec.block_range(block)[0], work(block)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque = deque()
        todo = iter(blocks)
        for block in todo:
            pending.append((block, pool.submit(work, block)))
            if len(pending) >= 2 * threads:
                break
        while pending:
            block, future = pending.popleft()
            result = future.result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(work, nxt)))
            yield spec.block_range(block)[0], result
