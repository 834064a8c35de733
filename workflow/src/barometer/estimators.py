"""Estimators of shares, means and totals, overall and in domains, with two variance estimates.

Every estimate is a ratio R = sum(w d y) / sum(w d) (shares and means) or a total sum(w d y), where
d marks the domain and the units that answered. Many estimates are computed at once as matrix
products: columns of ``values`` and ``domains`` are the estimands. Variance comes from
linearisation with fpc (closed form) and from the rescaled bootstrap (streamed in replicate blocks,
so memory stays bounded); both use the same design object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bootstrap import BootstrapSpec, iter_blocks
from .design import StratifiedDesign

KINDS = ("share", "mean", "total")


@dataclass
class Estimates:
    """Point estimates and variance ingredients for K estimands (aligned arrays)."""

    estimands: pd.DataFrame  # variable, domain, kind (and any label columns the caller adds)
    estimate: np.ndarray
    var_taylor: np.ndarray
    n: np.ndarray  # respondents with an answer in the domain
    df: np.ndarray  # design degrees of freedom
    population_variance: np.ndarray  # weighted variance of y in the domain (for the effective n)
    weight_total: np.ndarray  # estimated domain size sum(w d)
    replicates: np.ndarray | None = None  # (B x K) replicate estimates
    spec: BootstrapSpec | None = None

    @property
    def var_boot(self) -> np.ndarray:
        if self.replicates is None or self.spec is None:
            return np.full(len(self.estimate), np.nan)
        return replicate_variance(self.replicates, self.estimate, self.spec)


def replicate_variance(replicates: np.ndarray, full_sample: np.ndarray, spec: BootstrapSpec) -> np.ndarray:
    centre = np.nanmean(replicates, axis=0) if spec.centre == "mean" else full_sample
    return spec.scale * np.nansum((replicates - centre) ** 2, axis=0)


def estimate(
    design: StratifiedDesign,
    values: np.ndarray,
    domains: np.ndarray,
    kinds: list[str] | np.ndarray,
    estimands: pd.DataFrame | None = None,
    bootstrap: BootstrapSpec | None = None,
    blocks: range | None = None,
) -> Estimates:
    """Estimate K quantities. ``values`` (n x K) holds y with NaN for no answer; ``domains`` (n x K)
    is True where the unit belongs to the estimand's domain. ``kinds``: share, mean or total.
    With ``bootstrap`` the replicate estimates of the given ``blocks`` (default: all) are kept.
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
        raise ValueError(f"unknown estimate kinds {sorted(unknown)}")
    observed = domains & ~np.isnan(values)
    num = np.where(observed, values, 0.0)
    den = observed.astype(float)
    ratio = kinds != "total"
    w = design.weights

    num_total = w @ num
    den_total = w @ den
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(ratio, num_total / den_total, num_total)
        scores = np.where(ratio, w[:, None] * (num - est * den) / den_total, w[:, None] * num)
        deviation = np.where(observed, values - np.where(ratio, est, num_total / den_total), 0.0)
        pop_var = (w @ (deviation**2)) / den_total
    scores = np.nan_to_num(scores)
    var_taylor = design.taylor_variance(scores)
    n = observed.sum(axis=0)
    var_taylor = np.where(n > 0, var_taylor, np.nan)
    df = design.degrees_of_freedom(observed)

    if estimands is None:
        estimands = pd.DataFrame({"variable": [f"v{k}" for k in range(values.shape[1])], "domain": "all"})
    estimands = estimands.reset_index(drop=True).copy()
    estimands["kind"] = kinds

    reps = None
    if bootstrap is not None:
        reps = _replicate_estimates(design, num, den, ratio, bootstrap, blocks)
    return Estimates(
        estimands=estimands,
        estimate=est,
        var_taylor=var_taylor,
        n=n,
        df=df,
        population_variance=pop_var,
        weight_total=den_total,
        replicates=reps,
        spec=bootstrap,
    )


def _replicate_estimates(
    design: StratifiedDesign,
    num: np.ndarray,
    den: np.ndarray,
    ratio: np.ndarray,
    spec: BootstrapSpec,
    blocks: range | None,
) -> np.ndarray:
    # Many estimands share a denominator (same domain, same respondents): multiply each distinct
    # denominator column once.
    den_unique, den_index = np.unique(den, axis=1, return_inverse=True)
    den_index = den_index.ravel()
    blocks = blocks if blocks is not None else range(spec.n_blocks)
    total = sum(spec.block_range(b)[1] - spec.block_range(b)[0] for b in blocks)
    out = np.empty((total, num.shape[1]))
    row = 0
    for _, factors in iter_blocks(design, spec, blocks):
        rep_w = factors * design.weights[:, None]  # (n x b)
        rep_num = rep_w.T @ num
        rep_den = (rep_w.T @ den_unique)[:, den_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[row : row + factors.shape[1]] = np.where(ratio, rep_num / rep_den, rep_num)
        row += factors.shape[1]
    return out


def contrast(est: Estimates, first: np.ndarray, second: np.ndarray, design: StratifiedDesign,
             values: np.ndarray, domains: np.ndarray) -> dict[str, np.ndarray]:
    """Differences estimate[first] - estimate[second] with linearisation and bootstrap variances.

    ``values``/``domains`` are the matrices the estimates were computed from (for the scores).
    """
    first = np.asarray(first)
    second = np.asarray(second)
    values = np.asarray(values, dtype=float)
    domains = np.broadcast_to(np.asarray(domains, dtype=bool), values.shape)
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
    out = {"difference": diff, "var_taylor": var_taylor}
    if est.replicates is not None and est.spec is not None:
        rep = est.replicates[:, first] - est.replicates[:, second]
        out["var_boot"] = replicate_variance(rep, diff, est.spec)
        out["replicates"] = rep
    union = domains[:, first] | domains[:, second]
    observed_union = union & ~np.isnan(values[:, first])
    out["df"] = design.degrees_of_freedom(observed_union)
    return out


def estimate_table(
    est: Estimates,
    *,
    ci_method: str = "korn_graubard",
    mean_method: str = "wald",
    level: float = 0.95,
    rule=None,
) -> pd.DataFrame:
    """One row per estimand: estimate, bootstrap and Taylor SE, CI, n, effective n, df, CV, flag.

    ``se`` is the bootstrap standard error when replicates exist, else the Taylor one. Intervals use
    ``se``'s variance; shares by ``ci_method``, means and totals by ``mean_method``.
    """
    from .intervals import effective_n, effective_n_mean, mean_interval, share_interval
    from .reliability import ReliabilityRule, flag_estimates

    rule = rule or ReliabilityRule()
    kind = est.estimands["kind"].to_numpy()
    var = est.var_boot if est.replicates is not None else est.var_taylor
    share = kind == "share"
    # a share of exactly 0 or 1 has no variance; replicates may carry floating-point round-off
    var = np.where(share & ((est.estimate == 0) | (est.estimate == 1)), 0.0, var)
    low = np.full(len(kind), np.nan)
    high = np.full(len(kind), np.nan)
    note = np.full(len(kind), "", dtype=object)
    if share.any():
        reps = est.replicates[:, share] if est.replicates is not None else None
        lo, hi, nt = share_interval(ci_method, est.estimate[share], var[share], est.n[share], est.df[share], level, reps)
        low[share], high[share], note[share] = lo, hi, nt
    if (~share).any():
        reps = est.replicates[:, ~share] if est.replicates is not None else None
        lo, hi = mean_interval(mean_method, est.estimate[~share], var[~share], est.df[~share], level, reps)
        low[~share], high[~share] = lo, hi
    n_eff = np.where(
        share,
        effective_n(est.estimate, var, est.n),
        effective_n_mean(est.population_variance, var, est.n),
    )
    flag, reason = flag_estimates(rule, kind, est.estimate, var, est.n, est.df, level)
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
    table["df"] = est.df
    table["cv"] = cv
    table["flag"] = flag
    table["flag_reason"] = reason
    return table
