"""Controlled rounding to published margins, as mixed-integer programs (scipy.optimize.milp / HiGHS).

The reconstruction of the bundled microdata needs integer counts per cell (stratum x adopter status
x answer category) whose weighted shares reproduce published percentages, each within the interval
its printed rounding allows. Raking gives smooth prior probabilities; this module turns them into
integers that respect every margin at once (controlled rounding), minimising first the violation of
the margins (weighted by how strictly each must hold), then the distance to the prior.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp


class MilpBuilder:
    """Collects variables and linear constraints, then solves with HiGHS."""

    def __init__(self) -> None:
        self.costs: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def add_variables(self, count: int, *, low=0.0, high=np.inf, cost=0.0, integer=False) -> np.ndarray:
        start = len(self.costs)
        self.costs.extend(np.broadcast_to(np.asarray(cost, dtype=float), (count,)).tolist())
        self.lower.extend(np.broadcast_to(np.asarray(low, dtype=float), (count,)).tolist())
        self.upper.extend(np.broadcast_to(np.asarray(high, dtype=float), (count,)).tolist())
        self.integer.extend([1 if integer else 0] * count)
        return np.arange(start, start + count)

    def add_constraint(self, coefficients: dict[int, float], low: float = -np.inf, high: float = np.inf) -> None:
        self.rows.append(({int(k): float(v) for k, v in coefficients.items() if v != 0}, low, high))

    def solve(self, time_limit: float = 3600.0, node_limit: int = 5000) -> np.ndarray:
        """Solve to optimality, or stop after ``node_limit`` branch-and-bound nodes with the best
        solution found: a node budget, unlike a time limit, gives the same answer on any machine.
        The time limit is only a safety net; reaching it is an error."""
        started = time.perf_counter()
        n = len(self.costs)
        data, rows, cols = [], [], []
        for r, (coefficients, _, _) in enumerate(self.rows):
            for c, v in coefficients.items():
                rows.append(r)
                cols.append(c)
                data.append(v)
        matrix = sparse.csr_array((data, (rows, cols)), shape=(len(self.rows), n))
        constraints = LinearConstraint(matrix, [r[1] for r in self.rows], [r[2] for r in self.rows]) if self.rows else ()
        result = milp(
            c=np.asarray(self.costs),
            integrality=np.asarray(self.integer),
            bounds=Bounds(np.asarray(self.lower), np.asarray(self.upper)),
            constraints=constraints,
            options={"time_limit": time_limit, "node_limit": node_limit, "mip_rel_gap": 0.02, "disp": False},
        )
        if result.x is None:
            raise RuntimeError(f"allocation has no solution: {result.message}")
        stopped_by_nodes = any(t in str(result.message).lower() for t in ("node limit", "solution limit"))
        if result.status != 0 and not stopped_by_nodes:
            # a time-limited solution would depend on machine speed: refuse it (determinism)
            raise RuntimeError(f"allocation not solved: {result.message}")
        if os.environ.get("BAROMETER_MILP_TRACE"):
            print(f"milp: {n} variables, {len(self.rows)} constraints, objective {result.fun:.4f}, "
                  f"{time.perf_counter() - started:.2f} s, {result.message}", file=sys.stderr)
        x = result.x
        return np.where(np.asarray(self.integer) == 1, np.round(x), x)


@dataclass
class Margin:
    """A published (or invented) share: cells x categories, between low and high percent."""

    name: str
    cells: np.ndarray  # bool (C,)
    categories: np.ndarray  # bool (K,)
    low: float
    high: float
    weight: float = 100.0


@dataclass
class Contrast:
    """A comparative claim: the share in ``cells`` is higher (+1) or lower (-1) than in the rest."""

    name: str
    cells: np.ndarray
    categories: np.ndarray
    direction: int
    delta: float = 1.0
    weight: float = 1.0
    universe: np.ndarray | None = None  # cells the comparison is made in (default: all)


@dataclass
class Allocation:
    counts: np.ndarray  # (C, K) integers
    shares: dict[str, float] = field(default_factory=dict)  # achieved share of every margin (percent)


def weighted_share(counts: np.ndarray, sizes: np.ndarray, weights: np.ndarray, cells: np.ndarray, categories: np.ndarray) -> float:
    denominator = (weights * sizes)[cells].sum()
    if denominator == 0:
        return float("nan")
    return 100.0 * (weights[cells, None] * counts[cells][:, categories]).sum() / denominator


def allocate(
    sizes: np.ndarray,
    weights: np.ndarray,
    prior: np.ndarray,
    margins: list[Margin],
    contrasts: list[Contrast] = (),
    minimum_counts: list[tuple[np.ndarray, np.ndarray, int]] = (),
    compositions: list[tuple[np.ndarray, np.ndarray, float]] = (),
    regularisation: float = 0.01,
    time_limit: float = 3600.0,
) -> Allocation:
    """Integer counts x[c, k] with sum_k x[c, k] = sizes[c], whose weighted shares meet the margins.

    ``weights[c]`` is the design weight of a unit in cell c; ``prior[c, k]`` the probability of
    category k in cell c. Margin violations cost ``margin.weight`` per percentage point; deviations
    from the prior ``regularisation`` per unit.
    """
    sizes = np.asarray(sizes, dtype=int)
    weights = np.asarray(weights, dtype=float)
    prior = np.asarray(prior, dtype=float)
    C, K = prior.shape
    m = MilpBuilder()
    x = m.add_variables(C * K, low=0, high=np.repeat(sizes, K), integer=True).reshape(C, K)
    for c in range(C):
        m.add_constraint({int(v): 1.0 for v in x[c]}, sizes[c], sizes[c])
    expected = prior * sizes[:, None]
    plus = m.add_variables(C * K, cost=regularisation).reshape(C, K)
    minus = m.add_variables(C * K, cost=regularisation).reshape(C, K)
    for c in range(C):
        for k in range(K):
            m.add_constraint({int(x[c, k]): 1.0, int(plus[c, k]): -1.0, int(minus[c, k]): 1.0}, expected[c, k], expected[c, k])

    def share_terms(cells: np.ndarray, categories: np.ndarray, scale: float = 1.0) -> dict[int, float]:
        denominator = (weights * sizes)[cells].sum()
        if denominator == 0:
            return {}
        terms: dict[int, float] = {}
        for c in np.flatnonzero(cells):
            for k in np.flatnonzero(categories):
                terms[int(x[c, k])] = terms.get(int(x[c, k]), 0.0) + scale * 100.0 * weights[c] / denominator
        return terms

    for margin in margins:
        terms = share_terms(margin.cells, margin.categories)
        if not terms:
            continue
        # violation up to 1 pp at the margin's cost, beyond it ten times that: a needed deviation
        # spreads over several cells instead of piling into one
        near, far = int(m.add_variables(1, high=1.0, cost=margin.weight)[0]), int(m.add_variables(1, cost=10 * margin.weight)[0])
        m.add_constraint({**terms, near: -1.0, far: -1.0}, high=margin.high)
        m.add_constraint({**terms, near: 1.0, far: 1.0}, low=margin.low)
    for contrast in contrasts:
        universe = contrast.universe if contrast.universe is not None else np.ones(C, dtype=bool)
        inside = contrast.cells & universe
        rest = ~contrast.cells & universe
        if (weights * sizes)[inside].sum() == 0 or (weights * sizes)[rest].sum() == 0:
            continue
        terms = share_terms(inside, contrast.categories, contrast.direction)
        for k, v in share_terms(rest, contrast.categories, -contrast.direction).items():
            terms[k] = terms.get(k, 0.0) + v
        slack = int(m.add_variables(1, cost=contrast.weight)[0])
        m.add_constraint({**terms, slack: 1.0}, low=contrast.delta)
    for cells, categories, count in minimum_counts:
        feasible = int(sizes[cells].sum())
        if feasible == 0:
            continue
        m.add_constraint({int(v): 1.0 for v in x[cells][:, categories].ravel()}, low=min(count, feasible))
    for cells, categories, share in compositions:
        # weighted share of ``cells`` among all units in ``categories`` at most ``share``
        terms: dict[int, float] = {}
        for c in range(C):
            for k in np.flatnonzero(categories):
                terms[int(x[c, k])] = weights[c] * ((1.0 if cells[c] else 0.0) - share)
        scale = float((weights * sizes).sum()) / 100.0
        slack = int(m.add_variables(1, cost=1000.0)[0])
        m.add_constraint({**terms, slack: -scale}, high=0.0)

    solution = m.solve(time_limit)
    counts = solution[x].astype(int)
    shares = {mg.name: weighted_share(counts, sizes, weights, mg.cells, mg.categories) for mg in margins}
    return Allocation(counts=counts, shares=shares)


def allocate_values(
    weights: np.ndarray,
    prior: np.ndarray,
    means: list[tuple[str, np.ndarray, float, float, float]],
    low: float,
    high: float,
    regularisation: float = 0.01,
    time_limit: float = 60.0,
) -> np.ndarray:
    """Integer answers v_f in [low, high] (e.g. percentages) whose weighted means over the given
    unit subsets lie in [mean_low, mean_high]; ``means`` = (name, mask, mean_low, mean_high, weight)."""
    weights = np.asarray(weights, dtype=float)
    prior = np.asarray(prior, dtype=float)
    n = len(weights)
    m = MilpBuilder()
    v = m.add_variables(n, low=low, high=high, integer=True)
    plus = m.add_variables(n, cost=regularisation)
    minus = m.add_variables(n, cost=regularisation)
    for f in range(n):
        m.add_constraint({int(v[f]): 1.0, int(plus[f]): -1.0, int(minus[f]): 1.0}, prior[f], prior[f])
    for _, mask, mean_low, mean_high, weight in means:
        total = weights[mask].sum()
        if total == 0:
            continue
        terms = {int(v[f]): weights[f] / total for f in np.flatnonzero(mask)}
        slack = int(m.add_variables(1, cost=weight)[0])
        m.add_constraint({**terms, slack: -1.0}, high=mean_high)
        m.add_constraint({**terms, slack: 1.0}, low=mean_low)
    return m.solve(time_limit)[v].astype(int)


@dataclass
class ItemGroup:
    """One item (or items drawn jointly) of a block: answer categories and what they must meet."""

    name: str
    prior: np.ndarray  # (C, K)
    margins: list[Margin]
    contrasts: list[Contrast] = field(default_factory=list)
    minimum_counts: list[tuple[np.ndarray, np.ndarray, int]] = field(default_factory=list)
    compositions: list[tuple[np.ndarray, np.ndarray, float]] = field(default_factory=list)


def allocate_block(
    eligible: np.ndarray,
    weights: np.ndarray,
    groups: list[ItemGroup],
    *,
    total: int | None = None,
    fixed: np.ndarray | None = None,
    expected: np.ndarray | None = None,
    regularisation: float = 0.01,
    item_regularisation: bool = True,
    min_response_rate: float = 0.6,
    forced: dict[int, int] | None = None,
    time_limit: float = 3600.0,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Respondents per cell and answer counts for every item of a question block, jointly.

    Either ``fixed`` respondents per cell, or ``total`` respondents spread over cells with at most
    ``eligible[c]`` each (item non-response; ``expected`` is the prior spread). A share over cells D
    and categories S, 100 sum_D w x_S / sum_D w m, is kept in [low, high] by the linear form
    100 sum_D w x_S - high sum_D w m <= 0 (and likewise for low); violations are measured in
    percentage points of the expected denominator. Returns (m per cell, counts per group (C, K)).
    """
    eligible = np.asarray(eligible, dtype=int)
    weights = np.asarray(weights, dtype=float)
    C = len(eligible)
    m_builder = MilpBuilder()
    if fixed is not None:
        fixed = np.asarray(fixed, dtype=int)
        m = m_builder.add_variables(C, low=fixed, high=fixed, integer=True)
        expected = fixed.astype(float)
    else:
        m = m_builder.add_variables(C, low=0, high=eligible, integer=True)
        m_builder.add_constraint({int(v): 1.0 for v in m}, total, total)
        expected = np.asarray(expected if expected is not None else eligible * total / max(eligible.sum(), 1), dtype=float)
        plus = m_builder.add_variables(C, cost=regularisation)
        minus = m_builder.add_variables(C, cost=regularisation)
        for c in range(C):
            m_builder.add_constraint({int(m[c]): 1.0, int(plus[c]): -1.0, int(minus[c]): 1.0}, expected[c], expected[c])

    for c, count in (forced or {}).items():
        m_builder.add_constraint({int(m[c]): 1.0}, count, count)
    if fixed is None:
        # a published domain keeps most of its eligible respondents: otherwise an empty domain
        # would meet its margins vacuously
        domains = {tuple(np.flatnonzero(mg.cells)) for g in groups for mg in g.margins}
        for cells in sorted(domains):
            cells = np.asarray(cells, dtype=int)
            if len(cells) and eligible[cells].sum() > 0:
                m_builder.add_constraint({int(m[c]): 1.0 for c in cells}, low=int(np.floor(min_response_rate * eligible[cells].sum())))

    all_x = []
    for group in groups:
        K = group.prior.shape[1]
        x = m_builder.add_variables(C * K, low=0, high=np.repeat(eligible, K), integer=True).reshape(C, K)
        all_x.append(x)
        for c in range(C):
            m_builder.add_constraint({**{int(v): 1.0 for v in x[c]}, int(m[c]): -1.0}, 0, 0)
            if not item_regularisation:
                continue
            for k in range(K):
                target = group.prior[c, k] * expected[c]
                p, q = m_builder.add_variables(2, cost=regularisation)
                m_builder.add_constraint({int(x[c, k]): 1.0, int(p): -1.0, int(q): 1.0}, target, target)
        for margin in group.margins:
            cells = margin.cells
            scale = (weights * expected)[cells].sum() / 100.0
            if scale <= 0:
                continue
            terms: dict[int, float] = {}
            for c in np.flatnonzero(cells):
                for k in np.flatnonzero(margin.categories):
                    terms[int(x[c, k])] = terms.get(int(x[c, k]), 0.0) + 100.0 * weights[c]
            slack = int(m_builder.add_variables(1, cost=margin.weight)[0])
            upper = {**terms, slack: -scale}
            lower = {**terms, slack: scale}
            for c in np.flatnonzero(cells):
                upper[int(m[c])] = upper.get(int(m[c]), 0.0) - margin.high * weights[c]
                lower[int(m[c])] = lower.get(int(m[c]), 0.0) - margin.low * weights[c]
            m_builder.add_constraint(upper, high=0.0)
            m_builder.add_constraint(lower, low=0.0)
        for contrast in group.contrasts:
            universe = contrast.universe if contrast.universe is not None else np.ones(C, dtype=bool)
            inside, rest = contrast.cells & universe, ~contrast.cells & universe
            w_in, w_rest = (weights * expected)[inside].sum(), (weights * expected)[rest].sum()
            if w_in <= 0 or w_rest <= 0:
                continue
            terms = {}
            for cells, sign, denominator in ((inside, 1.0, w_in), (rest, -1.0, w_rest)):
                for c in np.flatnonzero(cells):
                    for k in np.flatnonzero(contrast.categories):
                        terms[int(x[c, k])] = terms.get(int(x[c, k]), 0.0) + contrast.direction * sign * 100.0 * weights[c] / denominator
            slack = int(m_builder.add_variables(1, cost=contrast.weight)[0])
            m_builder.add_constraint({**terms, slack: 1.0}, low=contrast.delta)
        for cells, categories, count in group.minimum_counts:
            if eligible[cells].sum() == 0:
                continue
            m_builder.add_constraint({int(v): 1.0 for v in x[cells][:, categories].ravel()}, low=min(count, int(eligible[cells].sum())))

    solution = m_builder.solve(time_limit)
    return solution[m].astype(int), [solution[x].astype(int) for x in all_x]
