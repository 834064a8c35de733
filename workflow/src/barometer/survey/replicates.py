"""Rescaled bootstrap replicate weights with finite population correction.

Rao-Wu-Yue rescaling in the form of Beaumont & Emond (2022), see docs/methods.md: in each
replicate b and variance stratum h with n_h >= 2, draw m*_i ~ Multinomial(n_h - 1; 1/n_h, ...),
and set a_i(b) = 1 - lambda_h + lambda_h * n_h / (n_h - 1) * m*_i with lambda_h = sqrt(1 - f_h).
For a linear statistic the expected bootstrap variance equals the linearisation variance with fpc.

Hand-written because no maintained Python library implements it: samplics (archived) and svy offer
Rao-Wu without the fpc, and R's svrep is R. The draws are vectorised per stratum (no Python loop over
units or replicates).

The random stream is unchanged since the first release (pinned by tests/test_estimators.py against
that release's code): replicates are generated in blocks of ``block_size`` (config
``bootstrap.block_size``); block j draws from ``SeedSequence(seed, spawn_key=(*stream, j))``: for
each variance stratum in order that has n_h >= 2 and is not a certainty stratum (census strata,
f_h = 1, included), ``integers(0, n_h, size=(b, n_h - 1))`` (a row per replicate), and m*_i counts
unit i's draws. Keeping it was possible because the speed came from how the draws are counted and
multiplied, not from drawing differently; so published replicates, seeds and exported weights stay valid.

What is computed, and how, is separate from that stream; no setting of ``memory_budget`` or
``threads`` changes a bit of the replicates (tested):
- ``block_size`` also fixes the number of rows of every replicate product, which fixes its
  floating-point result (BLAS kernels sum in another order for another number of rows; measured),
  so the compute chunk is never smaller than the random block.
- ``memory_budget`` (bytes) bounds the transient draws: a stratum's draws are generated a slice of
  replicates at a time (consecutive ``integers`` calls continue the same stream, so the slices
  concatenate to the one-call draws); cache-sized slices are the fastest to count.
- ``threads`` blocks are computed at once, each from its own seed; results are used in block order.
- PIECE_UNITS and BATCH_UNITS (below) fix how the products are split: constants, never derived
  from memory or threads.
Estimators use ``iter_block_deviations``: the replicate totals minus the full-sample totals,
sum_i w_i (a_i(b) - 1) y_i = sum_i m*_i lambda_h c_h (x_i - xbar_cell) + (cell correction), from
the integer counts times the centred data x = w y, a few large products per batch of strata and
output row. No n x b factor matrix is formed (block_factors does, for export and tests);
certainty and census strata contribute nothing to the products and are skipped.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import SurveyError

if TYPE_CHECKING:
    from .design import StratifiedDesign

# bytes of one slice of draws and their counts; cache-sized slices count fastest (bench/README.md)
DEFAULT_MEMORY_BUDGET = 2**20
PRECISIONS = {"single": np.float32, "double": np.float64}


@dataclass(frozen=True)
class RescaledBootstrap:
    """The replicate method of a design (``design.with_replicates``): how many replicates, from which
    seed; ``stream`` separates independent uses (e.g. editions).

    ``replicates``, ``seed``, ``block_size`` and ``stream`` define the random stream; ``centre`` and
    ``precision`` what is computed from it. ``memory_budget`` and ``threads`` only say how: any
    value gives the identical replicates (they are left out of equality).
    ``precision``: "double" (default) multiplies counts and data in float64, one product per domain
    and batch of strata. "single" multiplies in float32 (exact integer counts, data rounded to 24
    bits) over pieces of PIECE_UNITS units, summed in float64: the standard errors move by ~2e-7
    relative at most (below 1e-6, tests/test_estimators.py) and the products take about half the
    time, but they are many small BLAS calls, which OpenBLAS's threads make slow on a loaded machine
    (bench/README.md). The exported replicate weights reproduce "double" SEs to 1e-10."""

    replicates: int
    seed: int
    block_size: int = 250
    stream: tuple[int, ...] = ()
    centre: str = "mean"  # "mean": around the replicates' mean; "mse": around the full-sample estimate
    precision: str = "double"
    memory_budget: int = field(default=DEFAULT_MEMORY_BUDGET, compare=False)
    # blocks computed at once (worker threads); 0: default_threads()
    threads: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.replicates < 2:
            raise SurveyError(f"the bootstrap needs at least 2 replicates, not {self.replicates}")
        if self.block_size < 1:
            raise SurveyError(f"the replicate block size must be positive, not {self.block_size}")
        if self.seed < 0:
            raise SurveyError(f"the seed must be non-negative, not {self.seed}")
        if self.centre not in ("mean", "mse"):
            raise SurveyError(f"centre must be 'mean' or 'mse', not {self.centre!r}")
        if self.precision not in PRECISIONS:
            raise SurveyError(f"precision must be one of {sorted(PRECISIONS)}, not {self.precision!r}")
        if self.memory_budget < 1 or self.threads < 0:
            raise SurveyError("memory_budget must be positive and threads non-negative")

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
            # an empty domain has no replicate estimate: its variance is NaN (quietly, not nanmean's warning)
            count = np.count_nonzero(~np.isnan(block), axis=0)
            if self.centre == "mean":
                centre = np.where(count > 0, np.nansum(block, axis=0) / np.maximum(count, 1), np.nan)
            else:
                centre = full_sample[start : start + chunk]
            out[start : start + chunk] = np.where(count > 0, self.scale * np.nansum((block - centre) ** 2, axis=0), np.nan)
        return out


def default_threads() -> int:
    """Worker threads for ``RescaledBootstrap.threads = 0``: BAROMETER_THREADS when set (the workflow's
    stage script sets it to the job's threads); else one per usable core when BLAS is single-threaded
    (OPENBLAS_NUM_THREADS or OMP_NUM_THREADS = 1, as the command line sets it); else 1, leaving the
    cores to BLAS's own threads. Workers that each call a multi-threaded BLAS oversubscribe the cores:
    OpenBLAS's threads then wait for one another (measured on a loaded 2-core machine: the 2021 table
    5-10x slower, float32 pieces 20x)."""
    value = os.environ.get("BAROMETER_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if "1" in (os.environ.get("OPENBLAS_NUM_THREADS"), os.environ.get("OMP_NUM_THREADS")):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1


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


def _block_rng(spec: RescaledBootstrap, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(*spec.stream, block)))


def _draw_counts(rng: np.random.Generator, s: _Stratum, b: int, budget: int, out: np.ndarray | None) -> None:
    """Draw one stratum's part of a block and write its (b x n_h) counts m*_i into ``out`` (None: a
    census stratum, whose draws are made only to keep the stream).

    The draws come a slice of replicates at a time, as many as fit in ``budget`` bytes (draws and
    their bincount, 16 bytes per replicate and unit; cache-sized slices count fastest). They are
    int64 because np.bincount converts any other type to intp first (int32 draws are the same
    numbers but cost more in total); the counts go straight into ``out``'s type (float32 holds every
    count exactly), the operand of the products."""
    rows = int(max(1, min(b, budget // (16 * s.n))))
    for r0 in range(0, b, rows):
        r1 = min(b, r0 + rows)
        # Multinomial(n_h - 1; equal probabilities) == counts of n_h - 1 draws with replacement
        draws = rng.integers(0, s.n, size=(r1 - r0, s.n - 1))
        if out is None:
            continue
        if r1 - r0 > 1:  # one bincount for the slice: each replicate's draws offset into its own row
            draws += (np.arange(r1 - r0) * s.n)[:, None]
        out[r0:r1] = np.bincount(draws.ravel(), minlength=(r1 - r0) * s.n).reshape(r1 - r0, s.n)


def block_factors(design: StratifiedDesign, spec: RescaledBootstrap, block: int) -> np.ndarray:
    """Adjustment factors a_i(b) for the replicates of one block: an (n units x b) array (for export
    and tests; the estimators never form it)."""
    start, stop = spec.block_range(block)
    b = stop - start
    factors = np.ones((design.n, b))
    rng = _block_rng(spec, block)
    for s in _drawing_strata(design):
        counts = np.empty((b, s.n)) if s.lam > 0 else None
        _draw_counts(rng, s, b, spec.memory_budget, counts)
        if counts is not None:
            factors[s.units] = 1.0 - s.lam + s.lam * s.n / (s.n - 1) * counts.T
    return factors


def iter_blocks(design: StratifiedDesign, spec: RescaledBootstrap, blocks: range | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first replicate index, factors) for each block, in order."""
    for block in blocks if blocks is not None else range(spec.n_blocks):
        yield spec.block_range(block)[0], block_factors(design, spec, block)


def replicate_weights(design: StratifiedDesign, spec: RescaledBootstrap | None = None,
                      first: int | None = None) -> np.ndarray:
    """All replicate weights w_i * a_i(b) as one (n x B) array (for export; estimators stream blocks).
    ``spec`` defaults to the design's own replicate method. ``first``: only the first replicates of
    the method (an export smaller than the estimation). The blocks holding them are drawn whole and the
    last one cut, so column b is the estimation's replicate b whatever ``first`` is; a method with
    ``replicates=first`` would draw a cut last block from another position of its stream."""
    spec = spec or design.replicates
    if spec is None:
        raise SurveyError("the design has no replicate method: use design.with_replicates(RescaledBootstrap(...))")
    count = spec.replicates if first is None else int(first)
    if not 1 <= count <= spec.replicates:
        raise SurveyError(f"cannot export the first {count} of {spec.replicates} replicates")
    out = np.empty((design.n, count))
    for start, factors in iter_blocks(design, spec, range(-(-count // spec.block_size))):
        stop = min(start + factors.shape[1], count)
        out[:, start:stop] = design.weights[:, None] * factors[:, : stop - start]
    return out


# -- replicate totals for the estimators ---------------------------------------------------------
# Both constants are part of the arithmetic (another value changes the last bits of the replicates),
# so they are fixed here and never derived from the memory budget or the thread count.
# Units per product: float32 sums over at most this many units, then float64 across pieces. A float32
# sum's relative error grows like sqrt(units): measured on tests/test_estimators.py's big_design, the
# largest change of an SE from float64 was 1.7e-6 with pieces of 2,048 units, 3e-7 with 512, 1-2e-7
# with 128, 6e-8 with 32 (the floor: data rounded to float32).
PIECE_UNITS = 128
# Consecutive strata are multiplied together up to this many units (a larger stratum alone): few,
# large products instead of one per stratum and domain (the 2021 table has 36 strata, 16 domains and
# ~10 units per stratum and domain). Memory: the batch's counts, 4 * block_size * BATCH_UNITS bytes.
BATCH_UNITS = 65536


@dataclass
class _Grouping:
    order: np.ndarray | None  # the batch's units sorted by output row (None: already, one row)
    z: np.ndarray  # (units, K): lambda_h c_h (x_i - mean of x over the unit's cell), sorted
    slices: list[tuple[int, int, int]]  # (output row, start, stop) in sorted order
    # cells smaller than their stratum: indicator (units x C), c_h and n of each cell, lambda_h * cell
    # mean (C x K), and the cells of each output row
    indicator: np.ndarray | None = None
    c: np.ndarray | None = None
    size: np.ndarray | None = None
    mean: np.ndarray | None = None
    rows: list[tuple[int, np.ndarray]] = field(default_factory=list)


@dataclass
class _Batch:
    strata: list[_Stratum]  # in stream order, census strata included
    starts: list[int | None]  # column of each stratum's first unit in the batch (None: census)
    units: int
    groupings: list[_Grouping]


def _batches(strata: list[_Stratum], weights: np.ndarray, columns: Sequence[np.ndarray],
             groupings: Sequence[np.ndarray | None], dtype) -> list[_Batch]:
    """Consecutive strata in batches of up to BATCH_UNITS units, and per batch and grouping the data
    x_i = w_i y_i sorted by output row, centred within each cell (units of one stratum in one row)
    and scaled by lambda_h c_h, in the products' precision. Census strata (lambda_h = 0) have no
    columns: their replicate totals are the full-sample ones."""
    groups, current, size = [], [], 0
    for s in strata:
        n = s.n if s.lam > 0 else 0
        if current and size + n > BATCH_UNITS:
            groups.append(current)
            current, size = [], 0
        current.append(s)
        size += n
    if current:
        groups.append(current)
    out = []
    for batch in groups:
        active = [s for s in batch if s.lam > 0]
        starts, position = [], 0
        for s in batch:
            starts.append(position if s.lam > 0 else None)
            position += s.n if s.lam > 0 else 0
        if not active:
            out.append(_Batch(batch, starts, 0, []))
            continue
        units = np.concatenate([s.units for s in active])
        stratum = np.repeat(np.arange(len(active)), [s.n for s in active])
        lam = np.array([s.lam for s in active])[stratum]
        c = np.array([s.c for s in active])[stratum]
        x = np.hstack([col[units] for col in columns]) * weights[units, None]
        plans = []
        for codes in groupings:
            levels = np.zeros(len(units), dtype=np.intp) if codes is None else np.asarray(codes)[units]
            order = np.argsort(levels, kind="stable")  # within a row, units stay in stratum order
            if np.array_equal(order, np.arange(len(units))):
                order = None
            lv = levels if order is None else levels[order]
            st = stratum if order is None else stratum[order]
            xs = x if order is None else x[order]
            cell_start = np.flatnonzero(np.r_[True, (lv[1:] != lv[:-1]) | (st[1:] != st[:-1])])
            cell_size = np.diff(np.r_[cell_start, len(units)])
            cell_of = np.repeat(np.arange(len(cell_start)), cell_size)
            means = np.add.reduceat(xs, cell_start, axis=0) / cell_size[:, None]
            z = ((lam * c)[order if order is not None else slice(None)][:, None] * (xs - means[cell_of])).astype(dtype)
            row_start = np.flatnonzero(np.r_[True, lv[1:] != lv[:-1]])
            row_stop = np.r_[row_start[1:], len(units)]
            plan = _Grouping(order, z, [(int(lv[a]), int(a), int(e)) for a, e in zip(row_start, row_stop)])
            cell_stratum = st[cell_start]
            partial = np.flatnonzero(cell_size < np.array([s.n for s in active])[cell_stratum])
            if len(partial):
                plan.indicator = np.zeros((len(units), len(partial)), dtype=dtype)
                for j, k in enumerate(partial):
                    plan.indicator[cell_start[k] : cell_start[k] + cell_size[k], j] = 1.0
                plan.c = np.array([active[h].c for h in cell_stratum[partial]])
                plan.size = cell_size[partial].astype(float)
                plan.mean = np.array([active[h].lam for h in cell_stratum[partial]])[:, None] * means[partial]
                cell_row = lv[cell_start[partial]]
                plan.rows = [(int(r), np.flatnonzero(cell_row == r)) for r in np.unique(cell_row)]
            plans.append(plan)
        out.append(_Batch(batch, starts, len(units), plans))
    return out


def _piecewise_product(m: np.ndarray, z: np.ndarray) -> np.ndarray:
    """m @ z as float64: in float32, products over pieces of PIECE_UNITS units (one batched matmul),
    the pieces summed in float64; in float64, one product."""
    if z.dtype == np.float64:
        return m @ z
    n = m.shape[1]
    full = n - n % PIECE_UNITS
    if full:
        pieces = full // PIECE_UNITS
        batched = np.matmul(m[:, :full].reshape(m.shape[0], pieces, PIECE_UNITS).transpose(1, 0, 2),
                            z[:full].reshape(pieces, PIECE_UNITS, z.shape[1]))
        out = batched.sum(axis=0, dtype=np.float64)
        if full < n:
            out += m[:, full:] @ z[full:]
        return out
    return (m @ z).astype(np.float64)


def _block_deviations(batches: list[_Batch], spec: RescaledBootstrap, block: int, rows: int, K: int) -> np.ndarray:
    """(rows, b, K): replicate totals minus full-sample totals, sum_i w_i (a_i(b) - 1) y_i, per row.

    In a cell C (the units of stratum h in one output row) with data x = xbar + d (d sums to 0 over
    C) and M = sum_C m*: sum_C lambda (c m* - 1) x = sum_C m* (lambda c d) + lambda xbar (c M - n_C).
    The second term is 0 when C is the whole stratum (M = n_h - 1); otherwise M comes from the
    counts times the cell indicator (exact: sums of integers). The counts are exact in float32;
    products in the spec's precision over pieces of PIECE_UNITS units, added up in float64 in a
    fixed order (batch, grouping, row, piece)."""
    dtype = PRECISIONS[spec.precision]
    start, stop = spec.block_range(block)
    b = stop - start
    dev = np.zeros((rows, b, K))
    rng = _block_rng(spec, block)
    for batch in batches:
        counts = np.empty((b, batch.units), dtype=dtype)
        for s, first in zip(batch.strata, batch.starts):
            _draw_counts(rng, s, b, spec.memory_budget, None if first is None else counts[:, first : first + s.n])
        for g in batch.groupings:
            m = counts if g.order is None else counts[:, g.order]
            for row, a, e in g.slices:
                dev[row] += _piecewise_product(m[:, a:e], g.z[a:e])
            if g.indicator is not None:
                weight = g.c * (m @ g.indicator).astype(np.float64) - g.size  # c M - n_C per cell
                for row, cells in g.rows:
                    dev[row] += weight[:, cells] @ g.mean[cells]
    return dev


def iter_block_deviations(design: StratifiedDesign, spec: RescaledBootstrap, columns: Sequence[np.ndarray],
                          groupings: Sequence[np.ndarray | None] = (None,), rows: int | None = None,
                          blocks: range | None = None, then=None,
                          progress: Callable[[int, int], None] | None = None) -> Iterator[tuple[int, object]]:
    """Yield (first replicate index, deviations) per block in block order; deviations[r, b, k] =
    sum over units i in output row r of w_i (a_i(b) - 1) y_ik, with y = the columns side by side
    (each n x K_j). Add them to the full-sample totals sum_i w_i y_ik of the row for the replicate totals.

    ``groupings``: each None (all units, row 0) or an (n,) array giving each unit's output row; every
    grouping adds its rows. ``rows``: number of output rows (default: 1 + the largest code).
    Blocks run on ``spec.threads`` worker threads (the generator, bincount and BLAS release the
    GIL), at most 2 x threads blocks ahead; each block's result depends only on the block, so the
    output is identical for any thread count or memory budget. ``then(first replicate index,
    deviations)``, if given, runs in the worker too and its result is yielded instead of the
    deviations (per-block work of the estimator: parallel, and still combined in block order).
    ``progress(blocks done, blocks in all)``, if given, is called as each block is yielded (the library
    shows nothing itself; the caller decides how to report)."""
    blocks = blocks if blocks is not None else range(spec.n_blocks)
    columns = [np.asarray(c, dtype=float).reshape(design.n, -1) for c in columns]
    K = sum(c.shape[1] for c in columns)
    if rows is None:
        rows = 1 + max([0] + [int(np.max(g)) for g in groupings if g is not None])
    batches = _batches(_drawing_strata(design), design.weights, columns, groupings, PRECISIONS[spec.precision])

    def work(block: int):
        dev = _block_deviations(batches, spec, block, rows, K)
        return dev if then is None else then(spec.block_range(block)[0], dev)

    threads = min(spec.threads or default_threads(), len(blocks))
    report = progress or (lambda done, total: None)
    if threads <= 1:
        for done, block in enumerate(blocks, start=1):
            result = work(block)
            report(done, len(blocks))
            yield spec.block_range(block)[0], result
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: deque = deque()
        todo = iter(blocks)
        for block in todo:
            pending.append((block, pool.submit(work, block)))
            if len(pending) >= 2 * threads:
                break
        done = 0
        while pending:
            block, future = pending.popleft()
            result = future.result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(work, nxt)))
            done += 1
            report(done, len(blocks))
            yield spec.block_range(block)[0], result
