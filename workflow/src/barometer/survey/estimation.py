"""Estimators of shares, means and totals, overall and in domains, with two variance estimates.

Every estimate is a ratio R = sum(w d y) / sum(w d) (shares and means) or a total sum(w d y), where
d marks the domain and the units that answered. Many estimates are computed at once as matrix
products: columns of ``values`` and ``domains`` are the estimands. Variance comes from
linearisation with fpc (closed form, always) and, when the design carries replicate weights
(``design.with_replicates``), from the rescaled bootstrap (streamed in replicate blocks, so memory
stays bounded). Estimators never ask which: the design says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .design import StratifiedDesign
from .errors import SurveyError
from .intervals import (NOTE_CENSUS, effective_n, effective_n_mean, korn_graubard_effective_n, mean_interval,
                        negligible_variance, share_interval)
from .reliability import NCHS, _Standard
from .replicates import RescaledBootstrap, iter_block_deviations

KINDS = ("share", "mean", "total")


@dataclass
class Contrast:
    """Differences estimate[first] - estimate[second], with both variances and the design df."""

    difference: np.ndarray
    var_taylor: np.ndarray
    df: np.ndarray
    var_boot: np.ndarray | None = None
    replicates: np.ndarray | None = None

    @property
    def variance(self) -> np.ndarray:
        """The replicate variance where the design has replicates, else the Taylor one."""
        return self.var_taylor if self.var_boot is None else self.var_boot


@dataclass
class Estimates:
    """Point estimates and variance ingredients for K estimands (aligned arrays), and what they were
    computed from (for contrasts)."""

    estimands: pd.DataFrame  # variable, domain, kind (and any label columns the caller adds)
    estimate: np.ndarray
    var_taylor: np.ndarray
    n: np.ndarray  # respondents with an answer in the domain
    df: np.ndarray  # design degrees of freedom
    population_variance: np.ndarray  # weighted variance of y in the domain (for the effective n)
    weight_total: np.ndarray  # estimated domain size sum(w d)
    replicates: np.ndarray | None = None  # (B x K) replicate estimates
    method: RescaledBootstrap | None = None
    stored_var_boot: np.ndarray | None = None  # when variances were accumulated without replicates
    df_effective: np.ndarray | None = None  # Satterthwaite effective df (design.effective_degrees_of_freedom)
    census: np.ndarray | None = None  # True where every respondent is in a census stratum (no sampling error)
    design: StratifiedDesign | None = None
    values: np.ndarray | None = None
    domains: np.ndarray | None = None

    @property
    def var_boot(self) -> np.ndarray:
        if self.stored_var_boot is not None:
            return self.stored_var_boot
        if self.replicates is None or self.method is None:
            return np.full(len(self.estimate), np.nan)
        return self.method.variance(self.replicates, self.estimate)

    @property
    def has_bootstrap(self) -> bool:
        return self.stored_var_boot is not None or self.replicates is not None

    @property
    def variance(self) -> np.ndarray:
        """The variance intervals use: the replicate one where the design has replicates, else Taylor."""
        return self.var_boot if self.has_bootstrap else self.var_taylor

    def contrast(self, first, second) -> Contrast:
        """estimate[first] - estimate[second] (index arrays), with linearisation and replicate variances."""
        if self.design is None or self.values is None:
            raise SurveyError("these estimates do not keep their data; contrasts need estimate()'s result")
        return _contrast(self, np.asarray(first), np.asarray(second))

    def table(self, *, ci: str = "korn_graubard", mean_ci: str = "wald", level: float = 0.95,
              standard: _Standard | None = None, bounds: tuple | None = None) -> pd.DataFrame:
        """One row per estimand: estimate, SEs, interval, n, effective n, df, CV and reliability flag."""
        return estimate_table(self, ci_method=ci, mean_method=mean_ci, level=level, standard=standard, bounds=bounds)


def share_kurtosis(estimate: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Excess kurtosis of a 0/1 variable with share p, (1 - 6p(1-p)) / (p(1-p)), for the shares among
    the estimates (the effective degrees of freedom need it), floored at 0: the domain's share stands
    in for the strata's, which vary around it, so a share near 1/2 (kurtosis -2) must not be credited
    with more stability than normal theory gives. 0 (normal) for means, totals and shares of exactly 0
    or 1 (no variance to be unstable)."""
    p = np.asarray(estimate, dtype=float)
    pq = p * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (1 - 6 * pq) / pq
    return np.where((np.asarray(kinds) == "share") & (pq > 0) & np.isfinite(kappa), np.maximum(kappa, 0.0), 0.0)


def unique_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns and, for each column, the index of its distinct column.

    np.unique(axis=1) sorts whole columns (seconds and gigabytes for a million rows); projecting each
    column on one fixed random vector finds the candidates in one product, and a direct comparison
    confirms them."""
    probe = np.random.default_rng(0).random(matrix.shape[0])
    keys = probe @ matrix
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if all(np.array_equal(matrix[:, first[g]], matrix[:, k]) for k, g in enumerate(inverse)):
        return matrix[:, first], inverse
    distinct, inverse = np.unique(matrix, axis=1, return_inverse=True)  # a projection collision
    return distinct, inverse.ravel()


def estimate(
    design: StratifiedDesign,
    values: np.ndarray,
    domains: np.ndarray,
    kinds: list[str] | np.ndarray,
    estimands: pd.DataFrame | None = None,
    blocks: range | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Estimates:
    """Estimate K quantities. ``values`` (n x K) holds y with NaN for no answer; ``domains`` (n x K)
    is True where the unit belongs to the estimand's domain. ``kinds``: share, mean or total.
    Where the design has replicates, the replicate estimates of the given ``blocks`` (default: all)
    are kept; ``progress(blocks done, blocks)`` is called after each replicate block.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    domains = np.asarray(domains, dtype=bool)
    if domains.ndim == 1:
        domains = domains[:, None]
    if domains.shape != values.shape:
        domains = np.broadcast_to(domains, values.shape)
    kinds = np.asarray(kinds)
    if kinds.shape == ():
        kinds = np.full(values.shape[1], kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SurveyError(f"unknown estimate kinds {sorted(unknown)}, expected {KINDS}")
    observed = domains & ~np.isnan(values)
    num = np.where(observed, values, 0.0)
    ratio = kinds != "total"
    w = design.weights
    # Many estimands share a denominator (same domain, same respondents): one column per distinct one.
    den_unique, den_index = unique_columns(observed)
    den_unique = den_unique.astype(float)

    K = values.shape[1]
    # a slice of columns at a time: the n x K temporaries (denominators, scores, deviations, their
    # squares) stay a few MB instead of several n x K arrays (3 GB at n = 10^6, K = 50). Numerator
    # and denominator totals come from products of the same shape, so that a share of 1 is exactly 1.
    slices = [slice(first, first + 32) for first in range(0, K, 32)]
    num_total, den_total = np.empty(K), np.empty(K)
    for c in slices:
        num_total[c], den_total[c] = w @ num[:, c], w @ observed[:, c].astype(float)
    var_taylor, pop_var, df_effective = np.empty(K), np.empty(K), np.empty(K)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(ratio, num_total / den_total, num_total)
        kurtosis = share_kurtosis(est, kinds)
        for c in slices:
            den = observed[:, c].astype(float)
            scores = np.where(ratio[c], w[:, None] * (num[:, c] - est[c] * den) / den_total[c], w[:, None] * num[:, c])
            scores = np.nan_to_num(scores)
            contributions = design.taylor_contributions(scores)
            var_taylor[c] = np.clip(contributions.sum(axis=0), 0.0, None)
            df_effective[c] = design.effective_degrees_of_freedom(scores, observed[:, c], contributions, kurtosis[c])
            deviation = np.where(observed[:, c], values[:, c] - np.where(ratio[c], est[c], num_total[c] / den_total[c]), 0.0)
            pop_var[c] = (w @ (deviation**2)) / den_total[c]
    del scores, deviation, den, contributions
    n = observed.sum(axis=0)
    var_taylor = np.where(n > 0, var_taylor, np.nan)
    df = design.degrees_of_freedom(observed)
    census = (n > 0) & ~(observed & ~design.census_units[:, None]).any(axis=0)

    if estimands is None:
        estimands = pd.DataFrame({"variable": [f"v{k}" for k in range(values.shape[1])], "domain": "all"})
    estimands = estimands.reset_index(drop=True).copy()
    estimands["kind"] = kinds

    reps = None
    if design.replicates is not None:
        reps = _replicate_estimates(design, num, den_unique, den_index, num_total, den_total, ratio, design.replicates, blocks,
                                    progress)
    return Estimates(
        estimands=estimands,
        estimate=est,
        var_taylor=var_taylor,
        n=n,
        df=df,
        population_variance=pop_var,
        weight_total=den_total,
        replicates=reps,
        method=design.replicates,
        df_effective=df_effective,
        census=census,
        design=design,
        values=values,
        domains=domains,
    )


def _replicate_estimates(
    design: StratifiedDesign,
    num: np.ndarray,
    den_unique: np.ndarray,
    den_index: np.ndarray,
    num_total: np.ndarray,
    den_total: np.ndarray,
    ratio: np.ndarray,
    spec: RescaledBootstrap,
    blocks: range | None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """(B x K) replicate estimates: full-sample totals plus each replicate's deviation from them
    (replicates.iter_block_deviations), numerator over denominator for ratios (denominators: the
    distinct columns ``den_unique``, estimand k's being column ``den_index[k]``; full-sample totals
    per estimand)."""
    K = num.shape[1]
    blocks = blocks if blocks is not None else range(spec.n_blocks)
    total = sum(spec.block_range(b)[1] - spec.block_range(b)[0] for b in blocks)
    out = np.empty((total, K))
    row = 0
    for _, dev in iter_block_deviations(design, spec, [num, den_unique], blocks=blocks, progress=progress):
        rep_num = num_total + dev[0, :, :K]
        rep_den = den_total + dev[0, :, K:][:, den_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[row : row + dev.shape[1]] = np.where(ratio, rep_num / rep_den, rep_num)
        row += dev.shape[1]
    return out


def _contrast(est: Estimates, first: np.ndarray, second: np.ndarray) -> Contrast:
    design, values = est.design, est.values
    domains = np.broadcast_to(est.domains, values.shape)
    diff = est.estimate[first] - est.estimate[second]
    scores = []
    for k in (first, second):
        observed = domains[:, k] & ~np.isnan(values[:, k])
        num = np.where(observed, values[:, k], 0.0)
        den = observed.astype(float)
        ratio = est.estimands["kind"].to_numpy()[k] != "total"
        w = design.weights[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(ratio, w * (num - est.estimate[k] * den) / est.weight_total[k], w * num)
        scores.append(np.nan_to_num(s))
    var_taylor = design.taylor_variance(scores[0] - scores[1])
    union = domains[:, first] | domains[:, second]
    observed_union = union & ~np.isnan(values[:, first])
    out = Contrast(difference=diff, var_taylor=var_taylor, df=design.degrees_of_freedom(observed_union))
    if est.replicates is not None and est.method is not None:
        out.replicates = est.replicates[:, first] - est.replicates[:, second]
        out.var_boot = est.method.variance(out.replicates, diff)
    return out


def estimate_table(
    est: Estimates,
    *,
    ci_method: str = "korn_graubard",
    mean_method: str = "wald",
    level: float = 0.95,
    standard: _Standard | None = None,
    bounds: tuple | None = None,
) -> pd.DataFrame:
    """One row per estimand: estimate, bootstrap and Taylor SE, CI, n, effective n, df, CV, flag.

    ``se`` is the bootstrap standard error when replicates exist, else the Taylor one; a variance that
    is floating-point round-off counts as zero (``intervals.negligible_variance``). Intervals use
    ``se``'s variance; shares by ``ci_method``, means and totals by ``mean_method``. Reported beside
    them: ``n_eff`` (shares: p(1-p)/v capped at n, the effective n of the NCHS '< 30' rule; means:
    s^2 / v), ``n_eff_kg`` (the df-adjusted, capped effective n of the Korn-Graubard interval the NCHS
    width rules use), ``df`` (design) and ``df_effective`` (Satterthwaite; the NCHS df rule's).
    """
    standard = standard or NCHS()
    kind = est.estimands["kind"].to_numpy()
    share = kind == "share"
    size = len(kind)
    census = np.zeros(size, bool) if est.census is None else np.asarray(est.census, dtype=bool)
    df_effective = est.df if est.df_effective is None else est.df_effective
    with np.errstate(invalid="ignore"):
        scale = np.fmax(np.abs(est.estimate), np.sqrt(np.abs(est.population_variance)))
    # a share of exactly 0 or 1 has no variance, nor has a census domain; and round-off is not variance
    edge = share & ((est.estimate == 0) | (est.estimate == 1))
    var = np.where(negligible_variance(est.variance, scale) | census | edge, 0.0, est.variance)
    low = np.full(size, np.nan)
    high = np.full(size, np.nan)
    note = np.full(size, "", dtype=object)
    keep = est.replicates is not None
    if share.any():
        reps = est.replicates[:, share] if keep and ci_method == "percentile" else None
        lo, hi, nt = share_interval(ci_method, est.estimate[share], var[share], est.n[share], est.df[share], level,
                                    reps, census=census[share])
        low[share], high[share], note[share] = lo, hi, nt
    if (~share).any():
        reps = est.replicates[:, ~share] if keep and mean_method == "percentile" else None
        lo, hi = mean_interval(mean_method, est.estimate[~share], var[~share], est.df[~share], level, reps)
        low[~share], high[~share] = lo, hi
        point = ~share & census & (est.n > 0)
        low[point], high[point] = est.estimate[point], est.estimate[point]
        note[point] = NOTE_CENSUS
        flat = ~share & ~census & (est.n > 0) & ~(var > 0)
        note[flat] = "no sampling variance estimated (the answers do not vary within any stratum): the interval is a point"
    if bounds is not None:
        # a mean of answers on a bounded scale (e.g. percentages) has a bounded interval
        lower, upper = (np.broadcast_to(np.asarray(b, dtype=float), low.shape) for b in bounds)
        clipped = ~share & ((low < lower) | (high > upper))
        low, high = np.where(~share, np.clip(low, lower, upper), low), np.where(~share, np.clip(high, lower, upper), high)
        note[clipped] = "interval clipped to the answer scale"
    n_eff = np.where(
        share,
        effective_n(est.estimate, var, est.n, cap=True),
        effective_n_mean(est.population_variance, var, est.n),
    )
    n_eff_kg = np.where(share, korn_graubard_effective_n(est.estimate, var, est.n, est.df, level), np.nan)
    flag, reason = standard.flag(kind, est.estimate, var, est.n, est.df, level, df_effective=df_effective, census=census)
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est.estimate)
    table = est.estimands.copy()
    table["estimate"] = est.estimate
    table["se"] = se
    table["se_taylor"] = np.sqrt(est.var_taylor)
    table["ci_low"] = low
    table["ci_high"] = high
    table["ci_method"] = np.where(share, ci_method, mean_method)
    table["ci_note"] = note
    table["n"] = est.n
    table["n_eff"] = n_eff
    table["n_eff_kg"] = n_eff_kg
    table["df"] = est.df
    table["df_effective"] = df_effective
    table["cv"] = cv
    table["flag"] = flag
    table["flag_reason"] = reason
    return table


@dataclass
class PartitionedEstimates:
    """Estimates of I indicators in the whole population and in every level of some partitions
    (e.g. sector, size class), with each level's complement and the level-minus-complement
    difference. Arrays have one row per domain (``domains`` table) and one column per indicator."""

    indicators: list[str]
    kinds: np.ndarray
    domains: pd.DataFrame  # domain, dimension, level
    estimate: np.ndarray
    var_taylor: np.ndarray
    var_boot: np.ndarray
    n: np.ndarray
    df: np.ndarray
    population_variance: np.ndarray
    weight_total: np.ndarray
    rest: dict  # estimate, var_taylor, var_boot, n, df, df_effective, census of the complements (rows = domains, NaN for 'all')
    difference: dict  # estimate, var_taylor, var_boot, df of level - complement
    replicates: np.ndarray | None = None  # (B, domains, I) only if kept
    method: RescaledBootstrap | None = None
    df_effective: np.ndarray | None = None  # Satterthwaite effective df of each domain's estimates
    census: np.ndarray | None = None  # every respondent in a census stratum (no sampling error)

    def as_estimates(self) -> Estimates:
        """Flattened (domain x indicator) view for estimate_table."""
        D, I = self.estimate.shape
        table = pd.DataFrame({
            "indicator": np.tile(self.indicators, D),
            "domain": np.repeat(self.domains["domain"].to_numpy(), I),
            "dimension": np.repeat(self.domains["dimension"].to_numpy(), I),
            "level": np.repeat(self.domains["level"].to_numpy(), I),
        })
        kinds = np.tile(self.kinds, D)
        reps = None if self.replicates is None else self.replicates.reshape(self.replicates.shape[0], D * I)
        est = Estimates(estimands=table.assign(kind=kinds), estimate=self.estimate.ravel(), var_taylor=self.var_taylor.ravel(),
                        n=self.n.ravel(), df=self.df.ravel(), population_variance=self.population_variance.ravel(),
                        weight_total=self.weight_total.ravel(), replicates=reps, method=self.method,
                        df_effective=None if self.df_effective is None else self.df_effective.ravel(),
                        census=None if self.census is None else self.census.ravel())
        est.stored_var_boot = self.var_boot.ravel()
        return est


def estimate_partitioned(
    design: StratifiedDesign,
    values: np.ndarray,
    kinds: list[str] | np.ndarray,
    partitions: dict[str, np.ndarray],
    indicators: list[str] | None = None,
    keep_replicates: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PartitionedEstimates:
    """Shares, means or totals of every indicator (columns of ``values``, NaN = no answer) in the
    population and in every level of each partition (``partitions[name]``: a label per unit).

    Why not estimate(): the levels of a partition hold disjoint units, so their replicate sums come
    from one product per partition over the units sorted by level (not one product per domain), and
    each complement is 'all minus the level' at no cost. Variances accumulate per replicate block as
    moments, so memory does not grow with the number of replicates (unless ``keep_replicates``, which
    the percentile interval needs). ``progress(blocks done, blocks)`` is called after each replicate
    block.
    """
    values = np.asarray(values, dtype=float)
    n_units, I = values.shape
    kinds = np.asarray(kinds)
    ratio = kinds != "total"
    observed = ~np.isnan(values)
    num = np.where(observed, values, 0.0)
    den = observed.astype(float)
    w = design.weights

    # domain structure: 'all', then each partition's levels (sorted labels)
    rows = [("all", "all", "all")]
    groups = []  # (partition name, order of units, slice bounds per level)
    for name, labels in partitions.items():
        labels = np.asarray(labels).astype(str)
        levels = sorted(set(labels))
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], levels + [chr(0x10FFFF)])
        bounds[-1] = n_units
        groups.append((name, order, [(int(bounds[k]), int(bounds[k + 1])) for k in range(len(levels))], len(rows)))
        rows += [(f"{name}={level}", name, level) for level in levels]
    domains = pd.DataFrame(rows, columns=["domain", "dimension", "level"])
    D = len(domains)

    # each partition's rows of num and den, sorted by level once
    num_sorted = [num[order] for _, order, _, _ in groups]
    den_sorted = [den[order] for _, order, _, _ in groups]

    def sums(weights: np.ndarray, matrix: np.ndarray, matrix_sorted: list[np.ndarray]) -> np.ndarray:
        """(D, I) weighted sums of ``matrix`` per domain."""
        out = np.empty((D, I))
        out[0] = weights @ matrix
        for (_, order, slices, first), mo in zip(groups, matrix_sorted):
            wo = weights[order]
            for k, (a, b) in enumerate(slices):
                out[first + k] = wo[a:b] @ mo[a:b]
        return out

    def ratios(numerator, denominator):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(ratio, numerator / denominator, numerator)

    num_sum, den_sum = sums(w, num, num_sorted), sums(w, den, den_sorted)
    rest_num, rest_den = num_sum[0] - num_sum, den_sum[0] - den_sum
    est, rest_est = ratios(num_sum, den_sum), ratios(rest_num, rest_den)
    membership = np.zeros((D, n_units), dtype=bool)
    membership[0] = True
    for _, order, slices, first in groups:
        for k, (a, b) in enumerate(slices):
            membership[first + k, order[a:b]] = True

    # linearisation: scores per domain, indicator (n x I each), their stratum sums in one product
    var_taylor = np.empty((D, I))
    rest_var = np.full((D, I), np.nan)
    diff_var = np.full((D, I), np.nan)
    n = np.empty((D, I))
    rest_n = np.full((D, I), np.nan)
    df = np.empty((D, I))
    rest_df = np.full((D, I), np.nan)
    diff_df = np.full((D, I), np.nan)
    pop_var = np.empty((D, I))
    df_eff = np.empty((D, I))
    rest_df_eff = np.full((D, I), np.nan)
    census = np.zeros((D, I), bool)
    rest_census = np.zeros((D, I), bool)
    sampled_units = ~design.census_units[:, None]

    def in_census(obs: np.ndarray) -> np.ndarray:
        return obs.any(axis=0) & ~(obs & sampled_units).any(axis=0)

    with np.errstate(divide="ignore", invalid="ignore"):
        for d in range(D):
            inside = membership[d][:, None]
            score = np.where(ratio, w[:, None] * inside * (num - est[d] * den) / den_sum[d], w[:, None] * inside * num)
            score = np.nan_to_num(score)
            contributions = design.taylor_contributions(score)
            var_taylor[d] = np.clip(contributions.sum(axis=0), 0.0, None)
            obs_d = observed & inside
            n[d] = obs_d.sum(axis=0)
            df[d] = design.degrees_of_freedom(obs_d)
            df_eff[d] = design.effective_degrees_of_freedom(score, obs_d, contributions, share_kurtosis(est[d], kinds))
            census[d] = in_census(obs_d)
            mean_d = np.where(ratio, est[d], num_sum[d] / den_sum[d])
            pop_var[d] = (w @ np.where(obs_d, (values - mean_d) ** 2, 0.0)) / den_sum[d]
            if d == 0:
                continue
            outside = ~inside
            rest_score = np.nan_to_num(np.where(ratio, w[:, None] * outside * (num - rest_est[d] * den) / rest_den[d],
                                                w[:, None] * outside * num))
            rest_contributions = design.taylor_contributions(rest_score)
            rest_var[d] = np.clip(rest_contributions.sum(axis=0), 0.0, None)
            diff_var[d] = design.taylor_variance(score - rest_score)
            obs_r = observed & outside
            rest_n[d] = obs_r.sum(axis=0)
            rest_df[d] = design.degrees_of_freedom(obs_r)
            rest_df_eff[d] = design.effective_degrees_of_freedom(rest_score, obs_r, rest_contributions,
                                                                 share_kurtosis(rest_est[d], kinds))
            rest_census[d] = in_census(obs_r)
            diff_df[d] = design.degrees_of_freedom(observed)
    score = rest_score = obs_d = obs_r = None  # n x I each: not kept through the bootstrap
    var_taylor = np.where(n > 0, var_taylor, np.nan)

    var_boot = np.full((D, I), np.nan)
    rest_boot = np.full((D, I), np.nan)
    diff_boot = np.full((D, I), np.nan)
    kept = None
    bootstrap = design.replicates
    if bootstrap is not None:
        centre = np.nan_to_num(est), np.nan_to_num(rest_est), np.nan_to_num(est - rest_est)
        moments = [[np.zeros((D, I)), np.zeros((D, I))] for _ in range(3)]
        empty_rest = ~(np.nan_to_num(rest_n) > 0)
        kept = np.empty((bootstrap.replicates, D, I)) if keep_replicates else None
        # each unit's output row in every grouping: 'all' (row 0), then each partition's levels
        # (the levels of a partition cover every unit, so 'all' is the sum of the first partition's
        # rows: one grouping fewer to multiply)
        groupings: list = [] if groups else [None]
        for _, order, slices, first in groups:
            codes = np.empty(n_units, dtype=np.intp)
            for k, (a, b) in enumerate(slices):
                codes[order[a:b]] = first + k
            groupings.append(codes)
        # indicators answered by the same units share one denominator column; the n x I arrays the
        # linearisation used are released before the replicate plan copies the data
        del den, den_sorted, num_sorted
        den_unique, den_index = unique_columns(observed)
        den_unique = den_unique.astype(float)
        def block_moments(start: int, dev: np.ndarray):
            """Per block, in the worker thread: sums and sums of squares of the deviations of the
            estimates, complements and differences from their centres (and the estimates if kept)."""
            if groups:
                dev[0] = dev[groups[0][3] : groups[0][3] + len(groups[0][2])].sum(axis=0)
            rn, rd = num_sum[:, None, :] + dev[:, :, :I], den_sum[:, None, :] + dev[:, :, I:][:, :, den_index]  # (D, b, I)
            theta = ratios(rn, rd)
            with np.errstate(divide="ignore", invalid="ignore"):
                # an empty complement (all respondents inside the domain) is exactly empty, whatever
                # round-off 'all minus domain' leaves
                theta_rest = np.where(empty_rest[:, None, :], np.nan, ratios(rn[0][None] - rn, rd[0][None] - rd))
            sums = []
            for value, c in zip((theta, theta_rest, theta - theta_rest), centre):
                deviation = value - c[:, None, :]
                deviation[~np.isfinite(deviation)] = 0.0
                sums.append((deviation.sum(axis=1), np.einsum("dbi,dbi->di", deviation, deviation)))
            return sums, (np.moveaxis(theta, 1, 0) if kept is not None else None)

        for start, (sums, theta) in iter_block_deviations(design, bootstrap, [num, den_unique], groupings, rows=D,
                                                          then=block_moments, progress=progress):
            for (s1, s2), (d1, d2) in zip(moments, sums):  # in block order, as one loop would
                s1 += d1
                s2 += d2
            if kept is not None:
                kept[start : start + theta.shape[0]] = theta
        B = bootstrap.replicates
        out = []
        for s1, s2 in moments:
            mean = s1 / B
            v = bootstrap.scale * s2 if bootstrap.centre == "mse" else bootstrap.scale * (s2 - B * mean**2)
            out.append(np.clip(v, 0.0, None))
        var_boot, rest_boot, diff_boot = out
        var_boot = np.where(n > 0, var_boot, np.nan)
        rest_boot = np.where(empty_rest, np.nan, rest_boot)
        diff_boot = np.where(empty_rest | ~(n > 0), np.nan, diff_boot)
        rest_boot[0] = np.nan
        diff_boot[0] = np.nan

    rest_est[0] = np.nan
    return PartitionedEstimates(
        indicators=list(indicators) if indicators is not None else [f"v{k}" for k in range(I)],
        kinds=kinds, domains=domains, estimate=est, var_taylor=var_taylor, var_boot=var_boot, n=n, df=df,
        population_variance=pop_var, weight_total=den_sum,
        rest={"estimate": rest_est, "var_taylor": rest_var, "var_boot": rest_boot, "n": rest_n, "df": rest_df,
              "df_effective": rest_df_eff, "census": rest_census},
        difference={"estimate": est - rest_est, "var_taylor": diff_var, "var_boot": diff_boot, "df": diff_df},
        replicates=kept, method=bootstrap, df_effective=df_eff, census=census,
    )
