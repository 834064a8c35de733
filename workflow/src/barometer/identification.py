"""What the published record alone says about every number the workflow estimates.

The bundled microdata are a reconstruction that agrees with the published numbers. A number the
published tables pin down is trustworthy whatever the microdata; a number they leave open is an
artefact of how the reconstruction filled the gap. This module computes from the published values
alone (no microdata) the range every data set consistent with them allows for an estimate, and
classifies the estimate:

* ``published``: the (indicator, domain) is itself a published value ('='); its range is the value
  +- half a unit of its printed last decimal;
* ``derived``: the range is at most ``DERIVED_WIDTH`` wide;
* ``bounded``: the range is narrower than the trivial limits (0-100% for a share, the answer scale
  for a mean, their differences for a difference);
* ``reconstruction``: nothing published constrains it beyond the trivial limits.

The workflow weights each usable respondent of stratum h by N_h / n_h, both published (Table 1,
Table 2 after errata), so every estimate is a function of per-stratum answer fractions (the share of
stratum h's usable respondents giving an answer). Those fractions are the unknowns of a linear
programme; every published share or mean is a ratio of two linear forms in them and its printed
value (with its rounding) is a pair of linear constraints. The range of a target estimate is the
minimum and maximum of its ratio over that programme: a linear-fractional programme, solved as a
linear one by the Charnes-Cooper transformation with HiGHS. docs/identification.md gives the
variables, every constraint, and which published numbers enter.

``bound_method`` is ``sharp`` when the range is the exact optimum of the programme and ``outer``
when it is a valid but possibly wider range: a difference of two ratio estimates, bounded by
interval arithmetic from the ranges of its two sides, or an indicator the module cannot express.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from .codebook import Codebook
from .errors import BarometerError, ConfigError, InputError
from .published import split_domain
from .strata import Strata

CLASSES = ("published", "derived", "bounded", "reconstruction")
# A range at most this wide (percentage points, or answer units for a mean) counts as derived: the
# precision of a value printed to whole percent (+-0.5), the coarsest precision of the shares the
# report prints with '='. Known that closely, a number is as well supported as a printed one.
DERIVED_WIDTH = 1.0
# Ranges are widened by this (fraction) against the LP solver's feasibility tolerance (1e-7)
PAD = 1e-6
# A limit within this (percentage points or answer units) of a trivial limit counts as trivial
TRIVIAL_TOL = 1e-3
COLUMNS = ["identified_by", "bound_low", "bound_high", "bound_method", "bound_note"]
PUBLISHED_VERDICTS = ("supported by the published tables", "contradicted by the published tables",
                      "not determined by the published tables")


# ---------------------------------------------------------------------------------------------
# linear programmes
# ---------------------------------------------------------------------------------------------
class _Program:
    """Non-negative variables and sparse homogeneous constraints. Variable 0 stands for the
    constant 1: a constant c enters a form as c * y_0 (after the Charnes-Cooper substitution
    y = t x, y_0 = t). Constraints: form <= 0 or form == 0."""

    def __init__(self) -> None:
        self.n = 1
        self.ub_rows: list[dict[int, float]] = []
        self.eq_rows: list[dict[int, float]] = []

    def new(self, count: int) -> np.ndarray:
        idx = np.arange(self.n, self.n + count)
        self.n += count
        return idx

    def le(self, form: dict[int, float]) -> None:
        self.ub_rows.append({k: v for k, v in form.items() if v != 0.0})

    def eq(self, form: dict[int, float], rhs: float = 0.0) -> None:
        row = dict(form)
        if rhs:
            row[0] = row.get(0, 0.0) - rhs
        self.eq_rows.append({k: v for k, v in row.items() if v != 0.0})


def _csr(rows: list[dict[int, float]], n: int) -> sparse.csr_array:
    data, ri, ci = [], [], []
    for r, row in enumerate(rows):
        ri.extend([r] * len(row))
        ci.extend(row.keys())
        data.extend(row.values())
    return sparse.csr_array((np.asarray(data, dtype=float), (np.asarray(ri, dtype=np.int64), np.asarray(ci, dtype=np.int64))),
                            shape=(len(rows), n))


def _add(*forms: dict[int, float], scale: tuple[float, ...] | None = None) -> dict[int, float]:
    out: dict[int, float] = {}
    for i, form in enumerate(forms):
        s = 1.0 if scale is None else scale[i]
        for k, v in form.items():
            out[k] = out.get(k, 0.0) + s * v
    return out


def _sparse_dict(row: np.ndarray) -> dict[int, float]:
    idx = np.flatnonzero(row)
    return dict(zip(idx.tolist(), row[idx].tolist()))


@contextmanager
def _quiet_stdout():
    """Silence the process's standard output (file descriptor 1, which C++ writes to) for a moment."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class _LP:
    """{y >= 0 : A_ub y <= 0, A_eq y = 0, den.y = 1}, minimised for one objective after another.

    scipy's linprog runs HiGHS from scratch on every call (0.04-0.1 s for these programmes); a HiGHS
    object (the ``highspy`` package, HiGHS's own Python interface, the solver linprog runs) keeps the
    last basis, so a new objective or normalisation row starts from the previous optimum: about six
    times faster. tests/test_identification.py checks it against linprog."""

    def __init__(self, A_ub: sparse.csr_array, A_eq: sparse.csr_array):
        self.A_ub, self.A_eq = A_ub, A_eq
        self.n = A_ub.shape[1]
        self.den: dict[int, float] = {}
        self.den_row = A_ub.shape[0] + A_eq.shape[0]
        self._highs()

    def _highs(self) -> None:
        import highspy as hc

        A = sparse.vstack([self.A_ub, self.A_eq, sparse.csr_array((1, self.n))], format="csc")
        A.sort_indices()
        m_ub, m_eq = self.A_ub.shape[0], self.A_eq.shape[0]
        lp = hc.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, A.shape[0]
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, A.shape[0]
        lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_, lp.col_upper_ = np.zeros(self.n), np.full(self.n, np.inf)
        lp.row_lower_ = np.r_[np.full(m_ub, -np.inf), np.zeros(m_eq), 1.0]
        lp.row_upper_ = np.r_[np.zeros(m_ub + m_eq), 1.0]
        with _quiet_stdout():  # HiGHS prints its banner from C++ when the object is made
            h = hc.Highs()
        h.setOptionValue("output_flag", False)
        # primal simplex: after a change of objective the last optimal basis is still feasible
        # (measured on the 2021 core: 140 iterations and 9 ms CPU per solve, dual 680 and 57 ms)
        h.setOptionValue("simplex_strategy", 4)
        h.passModel(lp)
        self.hc, self.highs = hc, h
        self.columns = np.arange(self.n, dtype=np.int32)

    def set_den(self, den: np.ndarray) -> None:
        new = _sparse_dict(den)
        if new == self.den:
            return
        if self.highs is not None:
            for col in set(self.den) | set(new):
                if self.den.get(col, 0.0) != new.get(col, 0.0):
                    self.highs.changeCoeff(self.den_row, col, new.get(col, 0.0))
        self.den = new

    def minimise(self, c: np.ndarray) -> tuple[float, np.ndarray | None]:
        """(min c.y, y); (nan, None) when infeasible."""
        if self.highs is not None:
            h = self.highs
            h.changeColsCost(self.n, self.columns, np.asarray(c, dtype=float))
            for attempt in range(2):
                h.run()
                status = h.getModelStatus()
                if status == self.hc.HighsModelStatus.kOptimal:
                    return h.getInfo().objective_function_value, np.asarray(h.getSolution().col_value)
                if status == self.hc.HighsModelStatus.kInfeasible:
                    return np.nan, None
                h.clearSolver()  # numerical trouble with the warm start: once more from scratch
        den = sparse.csr_array((list(self.den.values()), ([0] * len(self.den), list(self.den.keys()))), shape=(1, self.n))
        res = linprog(c, A_ub=self.A_ub, b_ub=np.zeros(self.A_ub.shape[0]), A_eq=sparse.vstack([self.A_eq, den], format="csr"),
                      b_eq=np.r_[np.zeros(self.A_eq.shape[0]), 1.0], bounds=(0, None), method="highs")
        if res.status == 2:
            return np.nan, None
        if res.status != 0:
            raise BarometerError(f"HiGHS could not solve an identification programme: {res.message}")
        return res.fun, res.x


# ---------------------------------------------------------------------------------------------
# the model: variables and the per-stratum linear forms of every indicator
# ---------------------------------------------------------------------------------------------
class _Model:
    """The programme of a set of question blocks.

    ``core=True``: the technology block (the 'core', which defines adoption) with its variables per
    stratum h: the distribution of the number of technologies in use over classes 0..K-1, K+
    (c_hk), the use of each technology split by class (v_hjk; the use u_hj is their sum), the uses
    in the open class (s_h), plans (p_hj), plans among adopters (q_hj) and non-adopters with plans
    (w_h).
    ``core=False``: instead of the core, one adopter fraction a_h per stratum, held in an outer
    description of the core's adopter fractions (``projection``: per-stratum and per-domain limits
    computed on the core).
    Each other block gets per stratum and adopter status the fraction answering it (r) and per
    item the fractions giving each answer code (x), or for a numeric item the sum of its answers
    (m); an 'a or b' indicator its own variable between the Frechet limits of its terms."""

    def __init__(self, spec: "_Spec", blocks: list[str], core: bool, projection: dict | None = None,
                 items: set[str] | None = None):
        self.spec = spec
        self.has_core = core
        self.items = items  # the blocks' items to model (None: all)
        self.prog = _Program()
        H = spec.H
        self.code_forms: dict[tuple[str, int, str], list[dict[int, float]]] = {}
        self.mass_forms: dict[tuple[str, str], list[dict[int, float]]] = {}
        self.union_forms: dict[tuple[str, str], list[dict[int, float]]] = {}
        self.den_forms: dict[tuple[str, str], list[dict[int, float]]] = {}
        self.r: dict[tuple[str, str], np.ndarray] = {}
        self.blocks = list(blocks)
        if core:
            self._core(H)
            self._implied_counts(blocks)
        else:
            self.a = self.prog.new(H)
            self._projection(projection)
        for name in blocks:
            self._block(name)

    # -- adopters ---------------------------------------------------------------------------
    def status_total(self, h: int, status: str | None) -> dict[int, float]:
        """Fraction of stratum h with the adopter status (None: everyone)."""
        if status is None:
            return {0: 1.0}
        if self.has_core:
            return {0: 1.0, int(self.c[h, 0]): -1.0} if status == "A" else {int(self.c[h, 0]): 1.0}
        return {int(self.a[h]): 1.0} if status == "A" else {0: 1.0, int(self.a[h]): -1.0}

    def _projection(self, projection: dict) -> None:
        """a in the outer description of the core's adopter fractions: per stratum [low, high] and
        for each domain of the published tables [low, high] of its population and sample counts."""
        p = self.prog
        for h, (low, high) in enumerate(zip(projection["stratum_low"], projection["stratum_high"])):
            p.le({int(self.a[h]): 1.0, 0: -float(high)})
            p.le({0: float(low), int(self.a[h]): -1.0})
        for weights, low, high in projection["sums"]:
            form = {int(self.a[h]): float(w) for h, w in enumerate(weights) if w}
            p.le(_add(form, {0: -float(high)}))
            p.le(_add({0: float(low)}, form, scale=(1.0, -1.0)))

    # -- the technology core -----------------------------------------------------------------
    def _core(self, H: int) -> None:
        spec, p = self.spec, self.prog
        K, J = spec.K, len(spec.core_items)
        self.c = p.new(H * (K + 1)).reshape(H, K + 1)
        self.v = p.new(H * J * K).reshape(H, J, K)
        self.s = p.new(H)
        self.pl = p.new(H * J).reshape(H, J)
        self.q = p.new(H * J).reshape(H, J)
        self.w = p.new(H)
        for h in range(H):
            c, c0, s, w = self.c[h], int(self.c[h, 0]), int(self.s[h]), int(self.w[h])
            p.eq({int(k): 1.0 for k in c}, 1.0)
            # The use shares compatible with a distribution of the number of technologies in use:
            # v_hjk = share using j among those with k technologies (class k), at most c_hk; class k
            # uses k technologies each, the open class K+ between K and J each; the use of j is
            # u_hj = sum_k v_hjk. This is exact: the feasible (u, c) are a Minkowski sum of scaled
            # hypersimplices, which these describe.
            for j in range(J):
                for k in range(K):
                    p.le({int(self.v[h, j, k]): 1.0, int(c[k + 1]): -1.0})
            for k in range(1, K):
                p.eq({**{int(x): 1.0 for x in self.v[h, :, k - 1]}, int(c[k]): -float(k)})
            p.eq({**{int(x): 1.0 for x in self.v[h, :, K - 1]}, s: -1.0})
            p.le({int(c[K]): float(K), s: -1.0})
            p.le({s: 1.0, int(c[K]): -float(J)})
            # plans: by adopters (q) at most the adopters not using j; by non-adopters at most the
            # non-adopters planning anything (w), themselves at most the non-adopters
            for j in range(J):
                pl, q = int(self.pl[h, j]), int(self.q[h, j])
                p.le({q: 1.0, pl: -1.0})
                p.le(_add(self.use(h, j), {q: 1.0, c0: 1.0, 0: -1.0}))
                p.le({pl: 1.0, q: -1.0, w: -1.0})
            p.le({w: 1.0, c0: -1.0})
            p.le({w: 1.0, **{int(x): -1.0 for x in self.pl[h]}, **{int(x): 1.0 for x in self.q[h]}})

    def use(self, h: int, j: int) -> dict[int, float]:
        """u_hj: fraction of stratum h using technology j (summed over the count classes)."""
        return {int(x): 1.0 for x in self.v[h, j]}

    def _implied_counts(self, blocks: list[str]) -> None:
        """A block asked of adopters only, with a base N, needs at least N sample adopters (the only
        constraint such a block puts on the core without its answers)."""
        spec, p = self.spec, self.prog
        for status, need in spec.min_status_counts(exclude=blocks).items():
            form: dict[int, float] = {0: float(need)}
            for h in range(spec.H):
                form = _add(form, self.status_total(h, status), scale=(1.0, -float(spec.n[h])))
            p.le(form)

    def core_code(self, item: str, code: int, status: str | None, h: int) -> dict[int, float]:
        spec = self.spec
        j = spec.core_items.index(item)
        pl, q = int(self.pl[h, j]), int(self.q[h, j])
        if code == spec.use_code:
            return self.use(h, j) if status in (None, "A") else {}
        if code == spec.plan_code:
            return {pl: 1.0} if status is None else ({q: 1.0} if status == "A" else {pl: 1.0, q: -1.0})
        return _add(self.status_total(h, status), self.core_code(item, spec.use_code, status, h),
                    self.core_code(item, spec.plan_code, status, h), scale=(1.0, -1.0, -1.0))

    def core_count(self, lo: float, hi: float, status: str | None, h: int) -> dict[int, float] | None:
        """Fraction using between lo and hi technologies; None if the count classes cannot say."""
        K, J = self.spec.K, len(self.spec.core_items)
        form: dict[int, float] = {}
        for k in range(K + 1):
            k_lo, k_hi = (k, k) if k < K else (K, J)
            if k_lo >= lo and k_hi <= hi:
                if (status == "N" and k > 0) or (status == "A" and k == 0):
                    continue
                form[int(self.c[h, k])] = 1.0
            elif k_hi >= lo and k_lo <= hi:
                return None
        return form

    def core_expression(self, parsed, status: str | None, h: int) -> dict[int, float] | None:
        if parsed is None:
            return None
        if parsed[0] == "count":
            return self.core_count(parsed[1], parsed[2], status, h)
        with_plans = parsed[1]
        if status == "A":
            return {}
        w = {int(self.w[h]): 1.0}
        return w if with_plans else _add({int(self.c[h, 0]): 1.0}, w, scale=(1.0, -1.0))

    # -- other question blocks -----------------------------------------------------------------
    def _block(self, name: str) -> None:
        spec, p, H = self.spec, self.prog, self.spec.H
        info = spec.blocks[name]
        for s in info["statuses"]:
            self.r[(name, s)] = r = p.new(H)
            self.den_forms[(name, s)] = [{int(r[h]): 1.0} for h in range(H)]
            for h in range(H):
                # who was asked: everyone of the status, or those who gave the answer followed up
                limit = self.code_sum(*info["parent"], s, h) if info.get("parent") else self.status_total(h, s)
                p.le(_add({int(r[h]): 1.0}, limit, scale=(1.0, -1.0)))
        for item in spec.block_items[name]:
            if self.items is not None and item not in self.items:
                continue
            meta = spec.items[item]
            for s in info["statuses"]:
                r = self.r[(name, s)]
                if meta["numeric"]:
                    m = p.new(H)
                    self.mass_forms[(item, s)] = [{int(m[h]): 1.0} for h in range(H)]
                    for h in range(H):
                        if meta["max"] is not None:
                            p.le({int(m[h]): 1.0, int(r[h]): -float(meta["max"])})
                        if meta["min"] is not None:
                            p.le({int(r[h]): float(meta["min"]), int(m[h]): -1.0})
                    continue
                x = p.new(H * len(meta["codes"])).reshape(H, len(meta["codes"]))
                for h in range(H):
                    p.eq({**{int(v): 1.0 for v in x[h]}, int(r[h]): -1.0})
                for i, code in enumerate(meta["codes"]):
                    self.code_forms[(item, code, s)] = [{int(x[h, i]): 1.0} for h in range(H)]
        for indicator, terms in spec.unions.items():
            if spec.indicators[indicator]["block"] != name or any((item, c, "A") not in self.code_forms and
                                                                   (item, c, "N") not in self.code_forms
                                                                   for item, codes in terms for c in codes):
                continue
            for s in info["statuses"]:
                y = p.new(H)
                self.union_forms[(indicator, s)] = [{int(y[h]): 1.0} for h in range(H)]
                for h in range(H):
                    parts = [self.code_sum(item, codes, s, h) for item, codes in terms]
                    for part in parts:  # the union is at least each term ...
                        p.le(_add(part, {int(y[h]): 1.0}, scale=(1.0, -1.0)))
                    # ... at most their sum and at most everyone answering
                    p.le(_add({int(y[h]): 1.0}, *parts, scale=(1.0, *([-1.0] * len(parts)))))
                    p.le({int(y[h]): 1.0, int(self.r[(name, s)][h]): -1.0})
        if info.get("base_n") is not None:
            # the figure's base N: the sample count answering the block
            form = {int(self.r[(name, s)][h]): float(spec.n[h]) for s in info["statuses"] for h in range(H)}
            p.eq(form, float(info["base_n"]))

    def code_sum(self, item: str, codes, status: str | None, h: int) -> dict[int, float]:
        if item in self.spec.core_items:
            return _add(*[self.core_code(item, c, status, h) for c in codes])
        statuses = self.spec.blocks[self.spec.items[item]["block"]]["statuses"] if status is None else (status,)
        return _add(*[self.code_forms[(item, c, s)][h] for c in codes for s in statuses if (item, c, s) in self.code_forms])

    # -- an indicator's numerator and denominator ----------------------------------------------
    def forms(self, indicator: str, status: str | None) -> tuple[list[dict], list[dict]] | None:
        """Per-stratum (numerator, denominator) of an indicator among everyone (status None),
        adopters ('A') or non-adopters ('N'); None when outside the model or not expressible."""
        spec, H = self.spec, self.spec.H
        meta = spec.indicators[indicator]
        block = meta["block"]
        if block == spec.core_block:
            if not self.has_core:
                return None
            den = [self.status_total(h, status) for h in range(H)]
            if meta["source"] == "item":
                num = [self.code_sum(meta["item"], meta["codes"], status, h) for h in range(H)]
            else:
                num = [self.core_expression(meta["parsed"], status, h) for h in range(H)]
                if any(f is None for f in num):
                    return None
            return num, den
        if block not in self.blocks or (meta["source"] == "item" and self.items is not None and meta["item"] not in self.items):
            return None
        info = spec.blocks[block]
        statuses = info["statuses"] if status is None else (status,)
        if any(s not in info["statuses"] for s in statuses):
            return None
        den = [_add(*[self.den_forms[(block, s)][h] for s in statuses]) for h in range(H)]
        if meta["source"] == "item" and spec.items[meta["item"]]["numeric"]:
            num = [_add(*[self.mass_forms[(meta["item"], s)][h] for s in statuses]) for h in range(H)]
        elif meta["source"] == "item":
            num = [_add(*[self.code_sum(meta["item"], meta["codes"], s, h) for s in statuses]) for h in range(H)]
        elif (indicator, statuses[0]) in self.union_forms:
            num = [_add(*[self.union_forms[(indicator, s)][h] for s in statuses]) for h in range(H)]
        else:
            return None
        return num, den

    def adopter_forms(self) -> list[dict[int, float]]:
        return [self.status_total(h, "A") for h in range(self.spec.H)]


# ---------------------------------------------------------------------------------------------
# the edition: codebook, strata and published values in the shape the model needs
# ---------------------------------------------------------------------------------------------
_COMPARE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|>=|<=|>|<)\s*(\d+)\s*$")


class _Spec:
    """The edition as the programmes need it: strata with N_h (frame) and n_h (published usable
    responses), the core block and its count variables from the codebook's 'derived' section, items
    and indicators, and per block who was asked, its base N and its group (a block and its follow-ups)."""

    def __init__(self, published: pd.DataFrame, frame: pd.DataFrame, strata: Strata, codebook: Codebook):
        self.source = published.attrs.get("path")
        self.strata = frame[["stratum", "sector", "size"]].reset_index(drop=True).copy()
        self.levels = {key: self.strata[key].astype(str).to_numpy() for key in ("sector", "size")}
        self.domains: dict[str, tuple[np.ndarray, str | None] | None] = {}  # parsed domain strings
        self.H = len(self.strata)
        self.N = frame["population"].to_numpy(dtype=float)
        self.n = _usable_counts(published, self.strata)
        # a stratum without usable respondents has no weight (the workflow stops or collapses it)
        self.N = np.where(self.n > 0, self.N, 0.0)
        self._core_spec(codebook)
        self._items(codebook)
        self._blocks(codebook, published)

    def _core_spec(self, codebook: Codebook) -> None:
        derived = codebook.raw.get("derived") or {}
        counts = {name: spec["count_codes"] for name, spec in derived.items() if "count_codes" in spec}
        blocks = {c["block"] for c in counts.values()}
        adopter = (derived.get("adopter") or {}).get("expression", "")
        if len(blocks) != 1 or not adopter:
            raise ConfigError("identification needs one block counted by 'derived' count_codes and a derived 'adopter'",
                              key="derived", path=codebook.path)
        self.core_block = blocks.pop()
        self.core_items = codebook.block_items(self.core_block)
        scale = codebook.scale(codebook.raw["blocks"][self.core_block]["scale"])
        self.count_vars: dict[str, int] = {}
        for name, spec in counts.items():
            if len(spec["codes"]) != 1:
                raise ConfigError("identification counts one answer code per derived count", key=f"derived.{name}", path=codebook.path)
            self.count_vars[name] = int(spec["codes"][0])
        codes = sorted(int(c) for c in scale["codes"])
        self.use_code = self.count_vars[_match_count(adopter, self.count_vars, codebook)]
        plans = [c for name, c in self.count_vars.items() if c != self.use_code]
        self.plan_code = plans[0] if plans else next(c for c in codes if c != self.use_code)
        self.adopter_expression = adopter
        # count classes 0..K-1 exact and K+ open: K the largest threshold any expression uses
        thresholds = [1]
        for spec in codebook.raw.get("indicators") or []:
            for term in spec["expression"].split(" and "):
                m = _COMPARE.match(term)
                if m and m.group(1) in self.count_vars and self.count_vars[m.group(1)] == self.use_code:
                    thresholds.append(int(m.group(3)) + (1 if m.group(2) in ("==", ">", "<=") else 0))
        self.K = max(2, min(max(thresholds), len(self.core_items)))

    def _items(self, codebook: Codebook) -> None:
        self.items = {}
        for row in codebook.items.itertuples():
            self.items[row.item] = {"block": row.block, "numeric": row.scale_type == "numeric", "codes": list(row.codes),
                                    "min": row.min, "max": row.max}
        self.block_items = {b: codebook.block_items(b) for b in codebook.raw["blocks"]}
        self.indicators = {}
        self.unions: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for row in codebook.indicators.itertuples():
            meta = {"block": row.block, "item": row.item, "source": row.source, "codes": tuple(row.codes),
                    "kind": row.kind, "universe": row.universe, "parsed": None, "expression": row.expression}
            if row.source == "expression":
                if row.block == self.core_block:
                    meta["parsed"] = self._parse_core(row.expression)
                else:
                    terms = _parse_union(row.expression, self.items, row.block)
                    if terms:
                        self.unions[row.indicator] = terms
            self.indicators[row.indicator] = meta

    def _parse_core(self, expression: str):
        """'n >= 1', 'n == 2', 'n == 0 and m >= 1', 'n == 0 and m == 0' (n counts use, m plans)."""
        lo, hi, plans = 0, np.inf, None
        for term in expression.split(" and "):
            m = _COMPARE.match(term)
            if not m or m.group(1) not in self.count_vars:
                return None
            code, op, k = self.count_vars[m.group(1)], m.group(2), int(m.group(3))
            if code == self.use_code:
                if op == "==":
                    lo, hi = max(lo, k), min(hi, k)
                elif op == ">=":
                    lo = max(lo, k)
                elif op == ">":
                    lo = max(lo, k + 1)
                elif op == "<=":
                    hi = min(hi, k)
                else:
                    hi = min(hi, k - 1)
            elif code == self.plan_code and (op, k) in ((">=", 1), (">", 0)):
                plans = True
            elif code == self.plan_code and (op, k) in (("==", 0), ("<", 1), ("<=", 0)):
                plans = False
            else:
                return None
        if plans is None:
            return ("count", lo, hi)
        if (lo, hi) == (0, 0):
            return ("none_plans", plans)
        return None

    def _blocks(self, codebook: Codebook, published: pd.DataFrame) -> None:
        self.blocks = {}
        base = _block_bases(published, self.indicators)
        for name, block in codebook.raw["blocks"].items():
            asked = str(block["asked"]).strip()
            info: dict = {}
            if name == self.core_block:
                info = {"universe": "all", "statuses": ("A", "N")}
            elif asked == "all":
                info = {"universe": "all", "statuses": ("A", "N"), "base_n": base.get(name)}
            elif asked in ("adopters", self.adopter_expression, "adopter"):
                info = {"universe": "adopters", "statuses": ("A",), "base_n": base.get(name)}
            elif asked == "non_adopters":
                info = {"universe": "non_adopters", "statuses": ("N",), "base_n": base.get(name)}
            else:
                m = re.fullmatch(r"\s*adopter\s+and\s+([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(\d+)\s*", asked)
                if not m or m.group(1) not in self.items:
                    raise ConfigError(f"identification cannot translate the universe '{asked}'", key=f"blocks.{name}.asked",
                                      path=codebook.path)
                # the figure's base N is the parent question's: no count constraint for a follow-up
                info = {"universe": "parent", "statuses": ("A",), "parent": (m.group(1), (int(m.group(2)),))}
            self.blocks[name] = info
        # groups: blocks linked by a follow-up question share a programme
        parent_of = {b: self.items[i["parent"][0]]["block"] for b, i in self.blocks.items() if i.get("parent")}
        self.group_of: dict[str, str] = {}
        for name in self.blocks:
            root = name
            while root in parent_of:
                root = parent_of[root]
            self.group_of[name] = root
        self.groups: dict[str, list[str]] = {}
        for name, root in self.group_of.items():
            if name != self.core_block:
                self.groups.setdefault(root, []).append(name)

    def min_status_counts(self, exclude: list[str]) -> dict[str, float]:
        need: dict[str, float] = {}
        for name, info in self.blocks.items():
            if name in exclude or info.get("base_n") is None or info["universe"] not in ("adopters", "non_adopters"):
                continue
            s = info["statuses"][0]
            need[s] = max(need.get(s, 0.0), float(info["base_n"]))
        return need


def _match_count(expression: str, count_vars: dict[str, int], codebook: Codebook) -> str:
    m = _COMPARE.match(expression)
    if not m or m.group(1) not in count_vars or (m.group(2), m.group(3)) not in ((">=", "1"), (">", "0")):
        raise ConfigError(f"identification needs 'adopter' as '<count> >= 1', not '{expression}'", key="derived.adopter",
                          path=codebook.path)
    return m.group(1)


def _parse_union(expression: str, items: dict, block: str):
    terms = []
    for term in re.split(r"\s+or\s+", expression.strip()):
        m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*==\s*(\d+)\s*", term)
        if not m or m.group(1) not in items or items[m.group(1)]["block"] != block:
            return None
        terms.append((m.group(1), (int(m.group(2)),)))
    return terms


def _usable_counts(published: pd.DataFrame, strata: pd.DataFrame) -> np.ndarray:
    """n_h: usable responses per stratum (Table 2 after errata)."""
    rows = published[published["indicator"] == "response.usable"]
    n = {}
    for r in rows.itertuples():
        parts = split_domain(r.domain)
        if set(parts) == {"sector", "size"}:
            n[f"{parts['sector']}_{parts['size']}"] = float(r.value)
    missing = [s for s in strata["stratum"] if s not in n]
    if missing:
        raise InputError(f"no published usable responses (indicator response.usable) for strata {missing}",
                         path=published.attrs.get("path"))
    return np.array([n[s] for s in strata["stratum"]])


def _block_bases(published: pd.DataFrame, indicators: dict) -> dict[str, float]:
    """The base N a figure states for the block its values belong to; a block whose values state
    different Ns gets none (its answering count is then left free: a relaxation)."""
    found: dict[str, set[float]] = {}
    for r in published.itertuples():
        if r.indicator in indicators and pd.notna(r.base_n):
            found.setdefault(indicators[r.indicator]["block"], set()).add(float(r.base_n))
    return {block: values.pop() for block, values in found.items() if len(values) == 1}


# ---------------------------------------------------------------------------------------------
# published constraints and the solver of targets
# ---------------------------------------------------------------------------------------------
def _domain_of(spec: _Spec, domain: str) -> tuple[np.ndarray, str | None] | None:
    """(strata mask, adopter status or None) of 'all', 'sector=X', 'size=Y', 'sector=X;size=Y',
    'adopter_status=adopter|non_adopter'; None for anything else."""
    if domain in spec.domains:
        return spec.domains[domain]
    mask = np.ones(spec.H, dtype=bool)
    status = None
    for key, level in split_domain(domain).items():
        if key in ("sector", "size"):
            mask &= spec.levels[key] == level
        elif key == "adopter_status" and level in ("adopter", "non_adopter"):
            status = "A" if level == "adopter" else "N"
        else:
            spec.domains[domain] = None
            return None
    spec.domains[domain] = (mask, status)
    return mask, status


@dataclass
class _Constraint:
    indicator: str
    domain: str
    low: float  # in the unknowns' unit: a fraction for a share, answer units for a mean
    high: float


def _half_unit(decimals) -> float:
    return 0.5 * 10.0 ** (-(0 if pd.isna(decimals) else int(decimals)))


def published_constraints(published: pd.DataFrame, spec: _Spec) -> list[_Constraint]:
    """Every published share or mean of a codebook indicator: '=' as value +- half a unit of its
    printed decimals, '<' and '>' as one-sided limits (not strict: a linear programme has none),
    '~' as its stated range."""
    out = []
    for r in published.itertuples():
        if r.indicator not in spec.indicators or r.statistic not in ("share", "mean") or _domain_of(spec, r.domain) is None:
            continue
        scale = 100.0 if spec.indicators[r.indicator]["kind"] == "share" else 1.0
        limits = {"=": (r.value - _half_unit(r.decimals), r.value + _half_unit(r.decimals)),
                  "<": (-np.inf, r.value), ">": (r.value, np.inf), "~": (r.range_low, r.range_high)}.get(r.comparator)
        if limits is None:
            continue
        out.append(_Constraint(r.indicator, r.domain, limits[0] / scale, limits[1] / scale))
    return out


class _Built:
    """A model with its published constraints and its LP; numerators and denominators of targets."""

    def __init__(self, model: _Model, constraints: list[_Constraint]):
        self.model = model
        self.spec = model.spec
        self.cache: dict = {}
        for c in constraints:
            mask, status = _domain_of(self.spec, c.domain)
            ratio = self.ratio(c.indicator, mask, status)
            if ratio is None:
                continue
            num, den = ratio
            if np.isfinite(c.high):
                model.prog.le(_sparse_dict(num - c.high * den))
            if np.isfinite(c.low) and c.low > 0:
                model.prog.le(_sparse_dict(c.low * den - num))
        n = model.prog.n
        self.lp = _LP(_csr(model.prog.ub_rows, n), _csr(model.prog.eq_rows, n))

    def ratio(self, indicator: str, mask: np.ndarray, status: str | None) -> tuple[np.ndarray, np.ndarray] | None:
        """Numerator and denominator rows of the indicator over the domain (weights N_h)."""
        key = (indicator, status)
        if key not in self.cache:
            forms = self.model.forms(indicator, status)
            n = self.model.prog.n
            self.cache[key] = None if forms is None else (_csr(forms[0], n), _csr(forms[1], n))
        m = self.cache[key]
        if m is None:
            return None
        weights = np.where(mask, self.spec.N, 0.0)
        return m[0].T @ weights, m[1].T @ weights

    def extremes(self, num: np.ndarray, den: np.ndarray):
        """(min, max) of num.x / den.x and the two optimal solutions y."""
        if _constant(den):  # a constant denominator: keep the normalisation row, scale the objective
            num, den = num / den[0], _unit_den(len(den))
        self.lp.set_den(den)
        low, y_low = self.lp.minimise(num)
        high, y_high = self.lp.minimise(-num)
        return low, -high, y_low, y_high


@dataclass
class _Bound:
    low: float
    high: float
    method: str  # sharp | outer
    note: str = ""


class _Engine:
    """All programmes of an edition.

    Technology targets are solved on the core (exact: ``sharp``). A target of another block is
    solved on its group's programme with the core replaced by an outer description of the adopter
    fractions a_h (``outer``: valid, possibly wider than with the whole core; ``joint=True`` solves
    core and group together instead, exact but about ten times slower). An item whose published
    values all concern the whole population (one adopter status at a time, or all statuses at
    once) constrains nothing but itself: any answering pattern admits its values with the same
    answer shares in every stratum. Such an item is solved without the block's other items, which
    gives the same optimum (they can always be completed)."""

    def __init__(self, spec: _Spec, constraints: list[_Constraint], joint: bool = False):
        self.spec = spec
        self.constraints = constraints
        self.joint = joint
        self.core = _Built(_Model(spec, [], core=True), constraints)
        self.core.lp.set_den(_unit_den(self.core.model.prog.n))
        if np.isnan(self.core.lp.minimise(np.zeros(self.core.model.prog.n))[0]):
            raise InputError(f"the published values of block '{spec.core_block}' admit no data set (inconsistent beyond "
                             "their rounding): no identification is possible", path=spec.source)
        self.projection = None if joint else self._project()
        self.separable = self._separable()
        self.built: dict[tuple[str, str], _Built] = {}
        self.checked: set[str] = set()
        self.infeasible: set[str] = set()

    def _project(self) -> dict:
        """Outer description of the core's adopter fractions: the range of each a_h, and of the
        adopters' population and sample counts in every domain of the published tables."""
        spec, core = self.spec, self.core
        forms = _csr(core.model.adopter_forms(), core.model.prog.n)
        den = _unit_den(core.model.prog.n)
        low, high = [], []
        for h in range(spec.H):
            lo, hi, _, _ = core.extremes(forms[[h]].toarray().ravel(), den)
            low.append(lo - PAD)
            high.append(hi + PAD)
        sums = []
        domains = [np.ones(spec.H, dtype=bool)]
        for key in ("sector", "size"):
            domains += [spec.levels[key] == level for level in _levels(spec, key)]
        for mask in domains:
            for weights in (np.where(mask, spec.N, 0.0), np.where(mask, spec.n, 0.0)):
                lo, hi, _, _ = core.extremes(forms.T @ weights, den)
                slack = PAD * max(1.0, float(weights.sum()))
                sums.append((weights, lo - slack, hi + slack))
        return {"stratum_low": np.array(low), "stratum_high": np.array(high), "sums": sums}

    def _separable(self) -> set[str]:
        """Items that constrain nothing but themselves (class docstring): not used by an 'or'
        indicator or a follow-up question, in a block asked of a status group, and every published
        value on all strata, either each for one adopter status or all for the same statuses."""
        spec = self.spec
        linked = {item for terms in spec.unions.values() for item, _ in terms}
        linked |= {info["parent"][0] for info in spec.blocks.values() if info.get("parent")}
        sets: dict[str, set] = {}
        whole: dict[str, bool] = {}
        for c in self.constraints:
            meta = spec.indicators[c.indicator]
            if meta["source"] != "item" or meta["block"] == spec.core_block:
                continue
            mask, status = _domain_of(spec, c.domain)
            statuses = frozenset(spec.blocks[meta["block"]]["statuses"] if status is None else (status,))
            sets.setdefault(meta["item"], set()).add(statuses)
            whole[meta["item"]] = whole.get(meta["item"], True) and bool(mask.all())
        out = set()
        for item, meta in spec.items.items():
            block = spec.blocks[meta["block"]]
            if meta["block"] == spec.core_block or item in linked or block.get("parent"):
                continue
            kinds = sets.get(item, set())
            if whole.get(item, True) and (len(kinds) <= 1 or all(len(k) == 1 for k in kinds)):
                out.add(item)
        return out

    def model_key(self, indicator: str) -> tuple[str, str]:
        """Which programme solves the indicator: ('', '') the core, else (group, item solved alone or '')."""
        meta = self.spec.indicators[indicator]
        if meta["block"] == self.spec.core_block:
            return ("", "")
        solo = meta["source"] == "item" and meta["item"] in self.separable
        return (self.spec.group_of[meta["block"]], meta["item"] if solo else "")

    def built_for(self, indicator: str) -> _Built | None:
        spec = self.spec
        meta = spec.indicators[indicator]
        if meta["block"] == spec.core_block:
            return self.core
        group = spec.group_of[meta["block"]]
        blocks = spec.groups[group]
        if group not in self.checked:
            # the group's published values, all items together, must admit a data set
            self.checked.add(group)
            full = self._build(blocks, None)
            if np.isnan(full.lp.minimise(np.zeros(full.model.prog.n))[0]):
                self.infeasible.add(group)
        if group in self.infeasible:
            return None
        key = self.model_key(indicator)
        solo = bool(key[1])
        if key not in self.built:
            items = {meta["item"]} if solo else {i for b in blocks for i in spec.block_items[b]} - self.separable
            self.built[key] = self._build(blocks, items)
        return self.built[key]

    def _build(self, blocks: list[str], items: set[str] | None) -> _Built:
        model = _Model(self.spec, blocks, core=self.joint, projection=self.projection, items=items)
        built = _Built(model, self.constraints)
        built.lp.set_den(_unit_den(model.prog.n))
        return built

    def ratio_bound(self, indicator: str, mask: np.ndarray, status: str | None) -> _Bound | None:
        """Range of the indicator's estimate (a fraction, or answer units) over a domain; None when
        the domain holds nobody asked (e.g. non-adopters for an adopters-only question)."""
        spec = self.spec
        meta = spec.indicators[indicator]
        built = self.built_for(indicator)
        if built is None:
            return _Bound(np.nan, np.nan, "outer", "the published values of this block admit no data set")
        ratio = built.ratio(indicator, mask, status)
        if ratio is None:
            if meta["block"] != spec.core_block and status is not None and status not in spec.blocks[meta["block"]]["statuses"]:
                return None
            return _Bound(np.nan, np.nan, "outer", "the module cannot express this indicator's definition")
        num, den = ratio
        if not den.any():
            return None
        if not num.any():
            return _Bound(0.0, 0.0, "sharp", "zero by definition in this domain")
        low, high, _, _ = built.extremes(num, den)
        if np.isnan(low):
            return _Bound(np.nan, np.nan, "outer", "the published values of this block admit no data set")
        if built is self.core or self.joint:
            return _Bound(low - PAD, high + PAD, "sharp")
        return _Bound(low - PAD, high + PAD, "outer", "adopter fractions in an outer description of the technology block's")

    def linear_difference(self, indicator: str, mask_a: np.ndarray, mask_b: np.ndarray) -> _Bound | None:
        """Range of (estimate over domain a) - (estimate over domain b) when both have constant
        denominators (shares of all firms in the core): one linear programme, exact."""
        built = self.built_for(indicator)
        if built is not self.core:
            return None
        ra, rb = built.ratio(indicator, mask_a, None), built.ratio(indicator, mask_b, None)
        if ra is None or rb is None or not _constant(ra[1]) or not _constant(rb[1]):
            return None
        objective = ra[0] / ra[1][0] - rb[0] / rb[1][0]
        low, high, _, _ = built.extremes(objective, _unit_den(built.model.prog.n))
        return _Bound(low - 2 * PAD, high + 2 * PAD, "sharp")


def _unit_den(n: int) -> np.ndarray:
    den = np.zeros(n)
    den[0] = 1.0
    return den


def _constant(den: np.ndarray) -> bool:
    return den[0] > 0 and not den[1:].any()


# ---------------------------------------------------------------------------------------------
# classification and the tables of an edition
# ---------------------------------------------------------------------------------------------
def classify(low: float, high: float, trivial: tuple[float, float], published: bool = False) -> str:
    """published | derived | bounded | reconstruction (module docstring)."""
    if published:
        return "published"
    if not (np.isfinite(low) and np.isfinite(high)):
        return "reconstruction"
    if high - low <= DERIVED_WIDTH + 1e-9:
        return "derived"
    if low > trivial[0] + TRIVIAL_TOL or high < trivial[1] - TRIVIAL_TOL:
        return "bounded"
    return "reconstruction"


def printed_half_unit(value: float) -> float:
    """Half a unit of the last printed decimal of a number as written ('10.32' -> 0.005)."""
    text = repr(float(value))
    if "e" in text or "." not in text:
        return 0.5
    decimals = text.rstrip("0").split(".")[1]
    return 0.5 * 10.0 ** (-len(decimals))


def _row(bound: tuple[float, float], trivial: tuple[float, float], method: str, note: str = "", published: bool = False) -> dict:
    low, high = bound
    return {"identified_by": classify(low, high, trivial, published), "bound_low": low, "bound_high": high,
            "bound_method": method, "bound_note": note}


class Identification:
    """The identification of one edition from its published values (see ``identify``).

    Methods taking a table return it with the columns ``identified_by``, ``bound_low``,
    ``bound_high``, ``bound_method``, ``bound_note`` (and for claims ``verdict_published``)."""

    def __init__(self, spec: _Spec, engine: _Engine, published: pd.DataFrame, crosswalk: dict | None = None):
        self.spec = spec
        self.engine = engine
        self.crosswalk = crosswalk
        self.published: dict[tuple[str, str], tuple[float, float]] = {}
        for r in published.itertuples():
            if r.indicator in spec.indicators and r.statistic in ("share", "mean") and r.comparator == "=":
                key = (r.indicator, r.domain)
                low, high = r.value - _half_unit(r.decimals), r.value + _half_unit(r.decimals)
                old = self.published.get(key, (-np.inf, np.inf))
                self.published[key] = (max(old[0], low), min(old[1], high))
        self._cache: dict = {}
        self._progress = None  # (programmes solved, programmes) of the batch being solved: see tables()

    def _report(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)

    # -- units ---------------------------------------------------------------------------------
    def scale(self, indicator: str) -> float:
        return 100.0 if self.spec.indicators[indicator]["kind"] == "share" else 1.0

    def trivial(self, indicator: str) -> tuple[float, float]:
        meta = self.spec.indicators[indicator]
        if meta["kind"] == "share":
            return (0.0, 100.0)
        item = self.spec.items[meta["item"]]
        return (-np.inf if item["min"] is None else float(item["min"]), np.inf if item["max"] is None else float(item["max"]))

    # -- estimates -----------------------------------------------------------------------------
    def _bound(self, indicator: str, mask: np.ndarray, status: str | None) -> _Bound | None:
        key = (indicator, mask.tobytes(), status)
        if key not in self._cache:
            self._cache[key] = self.engine.ratio_bound(indicator, mask, status)
        return self._cache[key]

    def _linear_difference(self, indicator: str, mask_a: np.ndarray, mask_b: np.ndarray) -> _Bound | None:
        key = ("difference", indicator, mask_a.tobytes(), mask_b.tobytes())
        if key not in self._cache:
            self._cache[key] = self.engine.linear_difference(indicator, mask_a, mask_b)
        return self._cache[key]

    def _prefetch(self, targets: list[tuple[str, np.ndarray, str | None]]) -> None:
        """Solve many targets in an order that lets each programme start from its last optimum:
        by programme, then by domain (the denominator row), then by indicator."""
        todo = {}
        for indicator, mask, status in targets:
            key = (indicator, mask.tobytes(), status)
            if key not in self._cache and indicator in self.spec.indicators:
                todo[key] = (indicator, mask, status)
        def order(item):
            indicator, mask, status = item[1]
            return (self.engine.model_key(indicator), item[0][1], str(status), indicator)
        for done, (key, (indicator, mask, status)) in enumerate(sorted(todo.items(), key=order), start=1):
            self._cache[key] = self.engine.ratio_bound(indicator, mask, status)
            self._report(done, len(todo))

    def bound_row(self, indicator: str, domain: str, mask: np.ndarray | None = None, status: str | None = None) -> dict | None:
        """The columns for one (indicator, domain); None when the domain is outside the question's
        universe (no estimate exists)."""
        if indicator not in self.spec.indicators:
            return None
        if mask is None:
            parsed = _domain_of(self.spec, domain)
            if parsed is None:
                return None
            mask, status = parsed
        scale, trivial = self.scale(indicator), self.trivial(indicator)
        if (indicator, domain) in self.published:
            low, high = self.published[(indicator, domain)]
            return _row((max(low, trivial[0]), min(high, trivial[1])), trivial, "sharp",
                        "the published value +- half a unit of its last printed decimal", published=True)
        bound = self._bound(indicator, mask, status)
        if bound is None:
            return _EMPTY.copy()
        if np.isnan(bound.low):
            return _row(trivial, trivial, "outer", bound.note)
        low = max(trivial[0], scale * bound.low)
        high = min(trivial[1], scale * bound.high)
        return _row((low, high), trivial, bound.method, bound.note)

    def estimates(self, table: pd.DataFrame) -> pd.DataFrame:
        """Bounds of every row (indicator, domain) of an estimates table."""
        self._prefetch([(i, *_domain_of(self.spec, d)) for i, d in zip(table["indicator"], table["domain"])
                        if i in self.spec.indicators and (i, d) not in self.published and _domain_of(self.spec, d)])
        rows = []
        for indicator, domain in zip(table["indicator"], table["domain"]):
            row = self.bound_row(indicator, domain)
            if row is None:
                raise BarometerError(f"identification: unknown indicator or domain ({indicator}, {domain})")
            rows.append(row)
        return _attach(table, pd.DataFrame(rows, columns=COLUMNS, index=table.index))

    def estimate_rows(self, dimensions: list[str]) -> pd.DataFrame:
        """Every (indicator, domain) the workflow can estimate: the whole population and each level
        of the dimensions (sector, size from the strata; adopter_status)."""
        domains = ["all"]
        for dimension in dimensions:
            if dimension in ("sector", "size"):
                domains += [f"{dimension}={level}" for level in _levels(self.spec, dimension)]
            elif dimension == "adopter_status":
                domains += ["adopter_status=adopter", "adopter_status=non_adopter"]
        targets = []
        for indicator in self.spec.indicators:
            for domain in domains:
                if (indicator, domain) not in self.published:
                    targets.append((indicator, *_domain_of(self.spec, domain)))
        self._prefetch(targets)
        out = []
        for indicator in self.spec.indicators:
            for domain in domains:
                row = self.bound_row(indicator, domain)
                if row is not None:
                    out.append({"indicator": indicator, "domain": domain, **row})
        return pd.DataFrame(out, columns=["indicator", "domain", *COLUMNS])

    # -- differences: domain minus the rest of the population ----------------------------------
    def difference_row(self, indicator: str, dimension: str, level: str) -> dict | None:
        if indicator not in self.spec.indicators:
            return None
        scale = self.scale(indicator)
        trivial = self.trivial(indicator)
        span = (trivial[0] - trivial[1], trivial[1] - trivial[0])
        if dimension == "adopter_status":
            status = "A" if level == "adopter" else "N"
            everyone = np.ones(self.spec.H, dtype=bool)
            domain, rest = (everyone, status), (everyone, "N" if status == "A" else "A")
        else:
            mask = self.spec.levels[dimension] == level
            domain, rest = (mask, None), (~mask, None)
            exact = self._linear_difference(indicator, mask, ~mask)
            if exact is not None:
                return _row((max(span[0], scale * exact.low), min(span[1], scale * exact.high)), span, "sharp",
                            "one linear programme over both domains")
        a, b = self._bound(indicator, *domain), self._bound(indicator, *rest)
        if a is None or b is None:
            return None
        if np.isnan(a.low) or np.isnan(b.low):
            return _row(span, span, "outer", a.note or b.note)
        low = max(span[0], scale * (a.low - b.high))
        high = min(span[1], scale * (a.high - b.low))
        return _row((low, high), span, "outer",
                    "interval arithmetic: the domain's range minus the rest's range (each exact; jointly possibly narrower)")

    def differences(self, table: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for indicator, dimension, level in zip(table["indicator"], table["dimension"], table["level"].astype(str)):
            row = self.difference_row(indicator, dimension, level)
            rows.append(row if row is not None else _row((np.nan, np.nan), (-100.0, 100.0), "outer", "not an estimand"))
        return _attach(table, pd.DataFrame(rows, columns=COLUMNS, index=table.index))

    def difference_rows(self, dimensions: list[str]) -> pd.DataFrame:
        targets, linear = [], []
        everyone = np.ones(self.spec.H, dtype=bool)
        for indicator in self.spec.indicators:
            for dimension in dimensions:
                if dimension == "adopter_status":
                    targets += [(indicator, everyone, "A"), (indicator, everyone, "N")]
                    continue
                for level in _levels(self.spec, dimension):
                    mask = self.spec.levels[dimension] == level
                    if self.engine.built_for(indicator) is not self.engine.core:
                        targets += [(indicator, mask, None), (indicator, ~mask, None)]
                    else:
                        linear.append((level, indicator, mask))
        self._prefetch(targets)
        for done, (_, indicator, mask) in enumerate(sorted(linear, key=lambda t: (t[0], t[1])), start=1):  # by domain: warm starts
            self._linear_difference(indicator, mask, ~mask)
            self._report(done, len(linear))
        out = []
        for indicator in self.spec.indicators:
            for dimension in dimensions:
                levels = ["adopter", "non_adopter"] if dimension == "adopter_status" else _levels(self.spec, dimension)
                for level in levels:
                    row = self.difference_row(indicator, dimension, level)
                    if row is not None:
                        out.append({"indicator": indicator, "dimension": dimension, "level": level,
                                    "domain": f"{dimension}={level}", **row})
        return pd.DataFrame(out, columns=["indicator", "dimension", "level", "domain", *COLUMNS])

    # -- harmonised domains of the cross-survey comparison -------------------------------------
    def harmonised_mask(self, domain: str) -> np.ndarray | None:
        """Strata of a crosswalk domain: its expression evaluated on one row per stratum (a
        domain defined by anything but sector and size is not a union of strata: None)."""
        expression = self.crosswalk["domains"][domain]["expression"]
        try:
            value = self.spec.strata.eval(expression, engine="python")
        except Exception:  # pandas raises many types for an expression over unknown columns
            return None
        return np.asarray(pd.Series(value, index=self.spec.strata.index).astype(bool))

    def _published_domain(self, mask: np.ndarray) -> str | None:
        if mask.all():
            return "all"
        for dimension in ("sector", "size"):
            for level in _levels(self.spec, dimension):
                if np.array_equal(mask, self.spec.levels[dimension] == level):
                    return f"{dimension}={level}"
        return None

    def harmonised_row(self, indicator: str, domain: str, minus: str = "") -> dict | None:
        """Bounds of the Barometer estimate on a crosswalk domain (or of its difference to another)."""
        if indicator not in self.spec.indicators:
            return None
        scale, trivial = self.scale(indicator), self.trivial(indicator)
        mask = self.harmonised_mask(domain)
        if not minus:
            if mask is None:
                return _row(trivial, trivial, "outer", f"domain '{domain}' is not a union of strata")
            named = self._published_domain(mask)
            if named is not None:
                row = self.bound_row(indicator, named, mask, None)
                if row is not None:
                    row["bound_note"] = (row["bound_note"] + f" (as {named})").strip()
                    return row
            return self.bound_row(indicator, f"harmonised:{domain}", mask, None)
        other = self.harmonised_mask(minus)
        span = (trivial[0] - trivial[1], trivial[1] - trivial[0])
        if mask is None or other is None:
            return _row(span, span, "outer", "a domain is not a union of strata")
        exact = self._linear_difference(indicator, mask, other)
        if exact is not None:
            return _row((max(span[0], scale * exact.low), min(span[1], scale * exact.high)), span, "sharp",
                        "one linear programme over both domains")
        a, b = self._bound(indicator, mask, None), self._bound(indicator, other, None)
        if a is None or b is None or np.isnan(a.low) or np.isnan(b.low):
            return _row(span, span, "outer", "no range for one of the domains")
        return _row((max(span[0], scale * (a.low - b.high)), min(span[1], scale * (a.high - b.low))), span, "outer",
                    "interval arithmetic over the two domains")

    def harmonised_rows(self) -> pd.DataFrame:
        """Every (indicator, domain) the crosswalk re-estimates, and the gap's domain difference."""
        if not self.crosswalk:
            return pd.DataFrame(columns=["indicator", "domain", "minus", *COLUMNS])
        pairs = []
        for concept in self.crosswalk["concepts"]:
            indicator = (concept.get("barometer") or {}).get("indicator")
            if not indicator:
                continue
            pairs += [(indicator, c["domain"], "") for c in concept["comparisons"] if c.get("domain")]
            pairs.append((indicator, "all_5plus", "") if "all_5plus" in self.crosswalk["domains"] else None)
        gap = self.crosswalk.get("gap")
        if gap:
            pairs.append((gap["indicator"], gap["barometer_domain"], gap["harmonised_domain"]))
        out = []
        for indicator, domain, minus in dict.fromkeys(p for p in pairs if p):
            row = self.harmonised_row(indicator, domain, minus)
            if row is not None:
                out.append({"indicator": indicator, "domain": domain, "minus": minus, **row})
        return pd.DataFrame(out, columns=["indicator", "domain", "minus", *COLUMNS])

    def tables(self, dimensions: list[str], difference_dimensions: list[str],
               progress: Callable[[int, int], None] | None = None) -> dict[str, pd.DataFrame]:
        """Everything the identification stage writes. ``progress(solved, programmes)`` is called
        after each linear programme of the batches solved ahead (the estimates' bounds, the
        differences' bounds, the differences solved as one programme): one pass per batch."""
        self._progress = progress
        try:
            return {"bounds": self.estimate_rows(dimensions), "difference_bounds": self.difference_rows(difference_dimensions),
                    "harmonised_bounds": self.harmonised_rows()}
        finally:
            self._progress = None

    # -- tables of other stages, from the bounds tables ----------------------------------------
    def claims(self, claims: pd.DataFrame, difference_bounds: pd.DataFrame | None = None) -> pd.DataFrame:
        if difference_bounds is None:
            difference_bounds = self.difference_rows(sorted({d.split("=")[0] for d in claims["domain"]}))
        return merge_claims(claims, difference_bounds)

    def comparison(self, table: pd.DataFrame) -> pd.DataFrame:
        return merge_comparison(table, self.harmonised_rows())

    def gap(self, table: pd.DataFrame, official: float, response_rate: float) -> pd.DataFrame:
        return merge_gap(table, self.harmonised_rows(), self.crosswalk["gap"], official, response_rate)


# a domain nobody in which is asked the question (non-adopters for a question to adopters): the
# estimate is empty by the questionnaire, whatever the data
_EMPTY = {"identified_by": "derived", "bound_low": np.nan, "bound_high": np.nan, "bound_method": "sharp",
          "bound_note": "nobody in this domain is asked the question: no value by the questionnaire"}


def _levels(spec: _Spec, dimension: str) -> list[str]:
    return list(dict.fromkeys(spec.strata[dimension]))


def _attach(table: pd.DataFrame, columns: pd.DataFrame) -> pd.DataFrame:
    out = table.drop(columns=[c for c in COLUMNS if c in table.columns]).copy()
    for column in COLUMNS:
        out[column] = columns[column].to_numpy()
    return out


# ---------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------
def identify(published_values: pd.DataFrame, frame: pd.DataFrame, strata: Strata, codebook: Codebook,
             crosswalk: dict | None = None, joint: bool = False) -> Identification:
    """The identification of an edition from its published values (after errata), its sampling
    frame (N_h), strata and codebook; with the crosswalk, also of its harmonised domains.
    Usable responses per stratum (n_h) come from the published values (indicator
    ``response.usable`` per stratum, Table 2)."""
    spec = _Spec(published_values, frame, strata, codebook)
    engine = _Engine(spec, published_constraints(published_values, spec), joint=joint)
    return Identification(spec, engine, published_values, crosswalk)


def microdata_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Real (non-bundled) microdata: every number is the data's own; no bounds. The columns are those
    the bundled reconstruction gets, in the same places (one data dictionary for both): last, or for
    claims after ``verdict`` with ``verdict_published`` first (as ``merge_claims``)."""
    out = table.drop(columns=[c for c in [*COLUMNS, "verdict_published"] if c in table.columns]).copy()
    values = {"identified_by": "microdata", "bound_low": np.nan, "bound_high": np.nan, "bound_method": "", "bound_note": ""}
    if "claim_id" in table.columns:
        values = {"verdict_published": "", **values}
    at = out.columns.get_loc("verdict") + 1 if "claim_id" in table.columns and "verdict" in out.columns else len(out.columns)
    for i, (column, value) in enumerate(values.items()):
        out.insert(at + i, column, value)
    return out


def merge_bounds(table: pd.DataFrame, bounds: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """Attach the bounds columns to an output table by its keys; every row must have bounds."""
    right = bounds[[*keys, *COLUMNS]].copy()
    for key in keys:
        right[key] = right[key].astype(str)
    left = table.drop(columns=[c for c in COLUMNS if c in table.columns]).copy()
    probe = left[keys].astype(str)
    merged = probe.merge(right, on=keys, how="left", validate="many_to_one")
    missing = merged["identified_by"].isna()
    if missing.any():
        raise BarometerError(f"{what}: no identification for {int(missing.sum())} rows, e.g. {probe[missing.to_numpy()].iloc[0].to_dict()}")
    for column in COLUMNS:
        left[column] = merged[column].to_numpy()
    return left


def merge_claims(claims: pd.DataFrame, difference_bounds: pd.DataFrame) -> pd.DataFrame:
    """The verdict the published tables give each claim, next to the sampling-based verdict:
    'supported' when the range of the difference (domain minus rest) excludes zero in the claimed
    direction, 'contradicted' when it excludes zero in the other, else 'not determined'. A claim
    about every level ('sector=any', direction 'none': no difference) is contradicted when any
    level's range excludes zero, else not determined (a difference is never pinned at zero)."""
    bounds = difference_bounds.set_index(["indicator", "domain"])
    rows = []
    for c in claims.itertuples():
        dimension, level = c.domain.split("=", 1)
        if level == "any":
            group = difference_bounds[(difference_bounds["indicator"] == c.indicator) & (difference_bounds["dimension"] == dimension)]
            excluding = group[(group["bound_low"] > 0) | (group["bound_high"] < 0)]
            if group.empty:
                verdict, low, high = PUBLISHED_VERDICTS[2], np.nan, np.nan
            else:
                verdict = PUBLISHED_VERDICTS[1] if len(excluding) else PUBLISHED_VERDICTS[2]
                low, high = group["bound_low"].min(), group["bound_high"].max()
            note = f"{len(excluding)} of {len(group)} levels' ranges exclude zero"
            identified = "bounded" if len(group) and classify(low, high, (-100.0, 100.0)) != "reconstruction" else "reconstruction"
            rows.append({"verdict_published": verdict, "identified_by": identified, "bound_low": low, "bound_high": high,
                         "bound_method": "outer", "bound_note": note})
            continue
        if (c.indicator, c.domain) not in bounds.index:
            rows.append({"verdict_published": PUBLISHED_VERDICTS[2], "identified_by": "reconstruction", "bound_low": np.nan,
                         "bound_high": np.nan, "bound_method": "outer", "bound_note": "no difference of this domain"})
            continue
        b = bounds.loc[(c.indicator, c.domain)]
        positive, negative = b["bound_low"] > 0, b["bound_high"] < 0
        if c.direction in ("higher", "lower") and (positive or negative):
            verdict = PUBLISHED_VERDICTS[0] if positive == (c.direction == "higher") else PUBLISHED_VERDICTS[1]
        else:
            verdict = PUBLISHED_VERDICTS[2]
        rows.append({"verdict_published": verdict, **{k: b[k] for k in COLUMNS}})
    extra = pd.DataFrame(rows, index=claims.index, columns=["verdict_published", *COLUMNS])
    out = claims.drop(columns=[c for c in ["verdict_published", *COLUMNS] if c in claims.columns]).copy()
    at = out.columns.get_loc("verdict") + 1 if "verdict" in out.columns else len(out.columns)
    for i, column in enumerate(["verdict_published", *COLUMNS]):
        out.insert(at + i, column, extra[column].to_numpy())
    return out


def merge_comparison(comparison: pd.DataFrame, harmonised_bounds: pd.DataFrame) -> pd.DataFrame:
    """Barometer rows get the bounds of their harmonised domain; another survey's published
    figure is 'published' (its value +- half a unit of its last printed decimal)."""
    plain = harmonised_bounds[harmonised_bounds["minus"].fillna("") == ""].set_index(["indicator", "domain"])
    rows = []
    for r in comparison.itertuples():
        if r.comparability == "reference":
            key = (r.indicator, r.barometer_domain)
            if key not in plain.index:
                raise BarometerError(f"comparison: no identification for the Barometer estimate {key}")
            rows.append({k: plain.loc[key, k] for k in COLUMNS})
        else:
            half = printed_half_unit(r.value)
            rows.append({"identified_by": "published", "bound_low": r.value - half, "bound_high": r.value + half,
                         "bound_method": "sharp", "bound_note": f"{r.source}: published value +- half a unit of its last printed decimal"})
    return _attach(comparison, pd.DataFrame(rows, columns=COLUMNS, index=comparison.index))


GAP_COMPONENTS = ("total", "domain", "remaining", "needed")


def merge_gap(gap: pd.DataFrame, harmonised_bounds: pd.DataFrame, spec: dict, official: float, response_rate: float) -> pd.DataFrame:
    """Bounds of the four rows of the gap decomposition (crosssurvey.gap_decomposition, in its
    order): total gap = B(5+) - E, the domain's part = B(5+) - B(10+), remaining = B(10+) - E, and
    the adoption non-respondents would need, (E - rate B(10+)) / (1 - rate), decreasing in B(10+).
    E (the official figure) enters with its rounding; the response rate is exact (published counts)."""
    if len(gap) != len(GAP_COMPONENTS):
        raise BarometerError(f"gap decomposition: expected {len(GAP_COMPONENTS)} rows, got {len(gap)}")
    h = harmonised_bounds.fillna({"minus": ""}).set_index(["indicator", "domain", "minus"])
    indicator = spec["indicator"]
    all_ = h.loc[(indicator, spec["barometer_domain"], "")]
    ten = h.loc[(indicator, spec["harmonised_domain"], "")]
    diff = h.loc[(indicator, spec["barometer_domain"], spec["harmonised_domain"])]
    e = printed_half_unit(official)
    rate = float(response_rate)
    span = (-100.0 - official, 100.0 - official)
    needed = ((official - e - rate * ten["bound_high"]) / (1 - rate), (official + e - rate * ten["bound_low"]) / (1 - rate))
    trivial_needed = ((official - e - rate * 100.0) / (1 - rate), (official + e) / (1 - rate))
    rows = [
        _row((all_["bound_low"] - official - e, all_["bound_high"] - official + e), span, all_["bound_method"],
             f"{all_['identified_by']} Barometer range minus the official figure (+- its rounding)"),
        {k: diff[k] for k in COLUMNS},
        _row((ten["bound_low"] - official - e, ten["bound_high"] - official + e), span, ten["bound_method"],
             f"{ten['identified_by']} Barometer range minus the official figure (+- its rounding)"),
        _row(needed, trivial_needed, ten["bound_method"], "decreasing in the Barometer (10+) range; response rate exact"),
    ]
    return _attach(gap, pd.DataFrame(rows, columns=COLUMNS, index=gap.index))
