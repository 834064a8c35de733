"""Confidence intervals for design-based estimates (formulas: docs/methods.md).

Shares: Korn-Graubard (Clopper-Pearson with a degrees-of-freedom-adjusted effective sample size;
defined at p = 0 and 1, the default), logit, Wilson with the effective n, bootstrap percentile, and
Wald. Means and differences: Wald with t quantiles, or bootstrap percentile. Published aggregates of
other surveys: Wilson under simple random sampling (``wilson_srs``).
"""

from __future__ import annotations

import numpy as np

from .errors import SurveyError

# scipy.special, imported where used: importing scipy.stats costs ~0.65 s, scipy.special ~0.2 s, and
# the command line's start-up should pay neither. betaincinv, stdtrit and ndtri are the functions
# scipy.stats' beta.ppf, t.ppf and norm.ppf evaluate; tests/test_estimators.py checks the results
# are identical.

SHARE_METHODS = ("korn_graubard", "logit", "wilson", "percentile", "wald")
MEAN_METHODS = ("wald", "percentile")


def normal_quantile(level: float) -> float:
    """Two-sided standard normal quantile z_{1 - (1 - level) / 2}."""
    from scipy.special import ndtri  # the normal quantile (norm.ppf)

    return float(ndtri(1 - (1 - level) / 2))


def t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile; infinite degrees of freedom (or none) falls back to the normal."""
    from scipy.special import stdtrit

    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, stdtrit(np.where(df > 0, df, 1), q), np.nan)
    return out


def effective_n(p: np.ndarray, var: np.ndarray, n: np.ndarray, cap: bool = False) -> np.ndarray:
    """n_eff = p(1-p)/var; n where the variance is zero (p = 0 or 1), as NCHS does.

    Not capped at n by default: with large sampling fractions the finite population correction makes
    the design more efficient than simple random sampling with replacement, and the interval should
    keep that. The NCHS reliability rule caps it (``cap=True``), as its standard prescribes.
    """
    p, var, n = (np.asarray(x, dtype=float) for x in (p, var, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = p * (1 - p) / var
    raw = np.minimum(raw, n) if cap else raw
    # at p = 0 or 1 the variance is zero (replicate estimates may carry round-off of ~1e-32)
    return np.where((var > 0) & np.isfinite(raw) & (p > 0) & (p < 1), raw, n)


def effective_n_mean(population_variance: np.ndarray, var: np.ndarray, n: np.ndarray) -> np.ndarray:
    """n_eff = s^2 / var for a mean: n divided by the design effect."""
    s2, var, n = (np.asarray(x, dtype=float) for x in (population_variance, var, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = s2 / var
    return np.where((var > 0) & np.isfinite(raw), raw, n)


def korn_graubard(p, var, n, df, level=0.95):
    """Korn & Graubard (1998): Clopper-Pearson with n_eff * (t_{n-1} / t_df)^2."""
    from scipy.special import betaincinv  # the beta quantile: betaincinv(a, b, q) = beta.ppf(q, a, b)

    p, var, n, df = (np.asarray(x, dtype=float) for x in (p, var, n, df))
    alpha = 1 - level
    n_eff = effective_n(p, var, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        adjust = (t_quantile(level, n - 1) / t_quantile(level, df)) ** 2
    n_eff = np.where(np.isfinite(adjust) & (p > 0) & (p < 1), n_eff * adjust, n_eff)
    x = p * n_eff
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(x > 0, betaincinv(x, n_eff - x + 1, alpha / 2), 0.0)
        high = np.where(x < n_eff, betaincinv(x + 1, n_eff - x, 1 - alpha / 2), 1.0)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def logit_interval(p, se, df, level=0.95):
    """logit(p) +- t se / (p (1 - p)), back-transformed (R svyciprop's default). Undefined at 0, 1."""
    p, se, df = (np.asarray(x, dtype=float) for x in (p, se, df))
    t = t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(p / (1 - p))
        half = t * se / (p * (1 - p))
        low = 1 / (1 + np.exp(-(centre - half)))
        high = 1 / (1 + np.exp(-(centre + half)))
    inside = (p > 0) & (p < 1)
    return np.where(inside, low, np.nan), np.where(inside, high, np.nan)


def wilson(p, var, n, df, level=0.95):
    """Wilson score interval with the effective sample size and a t quantile."""
    p, var, n, df = (np.asarray(x, dtype=float) for x in (p, var, n, df))
    m = effective_n(p, var, n)
    z = t_quantile(level, df)
    z = np.where(np.isfinite(z), z, normal_quantile(level))
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def wald(est, se, df, level=0.95, bounds: tuple[float, float] | None = None):
    est, se, df = (np.asarray(x, dtype=float) for x in (est, se, df))
    t = t_quantile(level, df)
    low, high = est - t * se, est + t * se
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return low, high


def percentile(replicates: np.ndarray, level=0.95):
    """Quantiles of the replicate estimates (columns)."""
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(replicates, [alpha / 2, 1 - alpha / 2], axis=0)
    return low, high


def share_interval(method, p, var, n, df, level=0.95, replicates=None):
    """Interval for shares by the named method; returns (low, high, note per estimate)."""
    p = np.asarray(p, dtype=float)
    note = np.full(p.shape, "", dtype=object)
    if method == "korn_graubard":
        low, high = korn_graubard(p, var, n, df, level)
    elif method == "logit":
        low, high = logit_interval(p, np.sqrt(var), df, level)
        # the logit interval does not exist at p = 0 or 1: use Korn-Graubard there, and say so
        edge = ~np.isfinite(low) & (np.asarray(n) > 0)
        kg_low, kg_high = korn_graubard(p, var, n, df, level)
        low, high = np.where(edge, kg_low, low), np.where(edge, kg_high, high)
        note[edge] = "logit undefined at 0 or 1: Korn-Graubard interval"
    elif method == "wilson":
        low, high = wilson(p, var, n, df, level)
    elif method == "percentile":
        if replicates is None:
            raise SurveyError("the percentile interval needs bootstrap replicates (a design with_replicates)")
        low, high = percentile(replicates, level)
    elif method == "wald":
        low, high = wald(p, np.sqrt(var), df, level, bounds=(0.0, 1.0))
    else:
        raise SurveyError(f"unknown interval method '{method}', expected one of {SHARE_METHODS}")
    return low, high, note


def mean_interval(method, est, var, df, level=0.95, replicates=None):
    if method == "wald":
        return wald(est, np.sqrt(var), df, level)
    if method == "percentile":
        if replicates is None:
            raise SurveyError("the percentile interval needs bootstrap replicates (a design with_replicates)")
        return percentile(replicates, level)
    raise SurveyError(f"unknown interval method '{method}', expected one of {MEAN_METHODS}")


def wilson_srs(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a share p from a simple random sample of n (with the normal
    quantile): for published aggregates of other surveys, whose design is unknown, a lower bound of
    their true uncertainty."""
    z = normal_quantile(level)
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return centre - half, centre + half
