"""Confidence intervals for design-based estimates (formulas: docs/methods.md).

Shares: Korn-Graubard as NCHS and CDC compute it (Clopper-Pearson with a degrees-of-freedom-adjusted
effective sample size capped at the domain's respondents; defined at p = 0 and 1; the default), the
uncapped Korn-Graubard of R's ``svyciprop(method = "beta")``, logit, Wilson with the effective n,
bootstrap percentile, and Wald. Means and differences: Wald with t quantiles, or bootstrap percentile.
Published aggregates of other surveys: Wilson under simple random sampling (``wilson_srs``).
"""

from __future__ import annotations

import numpy as np

from .errors import SurveyError

# scipy.special, imported where used: importing scipy.stats costs ~0.65 s, scipy.special ~0.2 s, and
# the command line's start-up should pay neither. betaincinv, stdtrit and ndtri are the functions
# scipy.stats' beta.ppf, t.ppf and norm.ppf evaluate; tests/test_estimators.py checks the results
# are identical.

SHARE_METHODS = ("korn_graubard", "korn_graubard_uncapped", "logit", "wilson", "percentile", "wald")
ROUND_OFF = 1e-9  # a standard error below this fraction of the values' scale is round-off (negligible_variance)
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
    """n_eff = p(1-p)/var; n where the variance is zero (p = 0 or 1, or no variation), as NCHS does.

    ``cap=True`` caps it at n, as the NCHS standard and CDC's ``surveytable`` do (and as the NCHS
    '< 30' rule, the Wilson interval and the reported ``n_eff`` use it). Uncapped, it keeps the
    efficiency the finite population correction gives large sampling fractions; but strata where no
    event was observed add no variance, so for a rare share in a small domain the uncapped value
    is not an efficiency, it is an artefact (docs/methods.md, section 5).
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


def negligible_variance(var: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """True where a variance is floating-point round-off rather than sampling variance.

    Replicate estimates that are equal in exact arithmetic (a share of 0 or 1, a domain inside census
    strata) come from different matrix products and can differ in the last bit, leaving a bootstrap
    variance of ~1e-33. A standard error below ``ROUND_OFF`` times the scale of the values (|estimate|
    or their standard deviation) would need an effective sample size above 1e18: it is zero."""
    var, scale = (np.asarray(x, dtype=float) for x in (var, scale))
    return np.isfinite(var) & (var <= (ROUND_OFF * np.where(np.isfinite(scale), scale, 0.0)) ** 2)


def kg_df_factor(n: np.ndarray, df: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Korn & Graubard's degrees-of-freedom factor (t_{n-1} / t_df)^2; 0 where df <= 0 (CDC's limit
    case: no degrees of freedom, no information on precision)."""
    n, df = (np.asarray(x, dtype=float) for x in (n, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (t_quantile(level, n - 1) / t_quantile(level, df)) ** 2
    return np.where(df > 0, np.where(np.isfinite(factor), factor, 1.0), 0.0)


def korn_graubard_effective_n(p, var, n, df, level=0.95) -> np.ndarray:
    """The effective n of the NCHS/CDC Korn-Graubard interval: min(n, n_eff (t_{n-1} / t_df)^2), with
    n_eff = n where the variance is zero (p = 0 or 1 included: the factor applies there too)."""
    n = np.asarray(n, dtype=float)
    return np.minimum(n, effective_n(p, var, n) * kg_df_factor(n, df, level))


def clopper_pearson(p, m, level=0.95) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson interval for a share p among m (real-valued) trials: beta quantiles at x = p m;
    lower 0 at x = 0 and upper 1 at x = m (m = 0 gives [0, 1])."""
    from scipy.special import betaincinv  # the beta quantile: betaincinv(a, b, q) = beta.ppf(q, a, b)

    p, m = (np.asarray(x, dtype=float) for x in (p, m))
    alpha = 1 - level
    x = p * m
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(x > 0, betaincinv(x, m - x + 1, alpha / 2), 0.0)
        high = np.where(x < m, betaincinv(x + 1, m - x, 1 - alpha / 2), 1.0)
    return low, high


def korn_graubard(p, var, n, df, level=0.95):
    """Korn & Graubard (1998) as NCHS (Parker et al. 2017) and CDC (``surveytable``,
    ``svyciprop_adjusted``) compute it, the default: Clopper-Pearson with the degrees-of-freedom
    adjusted effective n capped at the domain's respondents, ``min(n, n_eff (t_{n-1} / t_df)^2)``.
    The factor applies at p = 0 and 1 as well (where n_eff = n); df <= 0 gives [0, 1]."""
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    low, high = clopper_pearson(p, korn_graubard_effective_n(p, var, n, df, level), level)
    bad = ~(n > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def korn_graubard_uncapped(p, var, n, df, level=0.95):
    """R survey's ``svyciprop(method = "beta")``: Clopper-Pearson with n_eff (t_{n-1} / t_df)^2, not
    capped; at p = 0 or 1 (where R returns NaN) n_eff = n without the factor. Kept for comparison with
    R and with earlier results: it under-covers rare shares in small domains (docs/methods.md)."""
    p, var, n, df = (np.asarray(x, dtype=float) for x in (p, var, n, df))
    n_eff = effective_n(p, var, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        adjust = (t_quantile(level, n - 1) / t_quantile(level, df)) ** 2
    n_eff = np.where(np.isfinite(adjust) & (p > 0) & (p < 1), n_eff * adjust, n_eff)
    low, high = clopper_pearson(p, n_eff, level)
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
    """Wilson score interval with the effective sample size (capped at n, as NCHS caps it) and a t
    quantile."""
    p, var, n, df = (np.asarray(x, dtype=float) for x in (p, var, n, df))
    m = effective_n(p, var, n, cap=True)
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


NOTE_CENSUS = "no sampling error: every respondent of the domain is in a census stratum (f_h = 1)"
NOTE_NO_VARIANCE = ("no sampling variance estimated although 0 < p < 1 (the answers do not vary within any "
                    "stratum): Korn-Graubard interval with the effective n set to the respondents")


def share_interval(method, p, var, n, df, level=0.95, replicates=None, census=None):
    """Interval for shares by the named method; returns (low, high, note per estimate).

    Where a method has no proper interval the Korn-Graubard (NCHS) one is used and ``note`` names the
    fallback: logit at p = 0 or 1 (undefined), percentile and Wald at p = 0 or 1 (a point), and every
    method when 0 < p < 1 comes without sampling variance (the answers agree within each stratum: the
    variance estimator sees nothing, but the sampling error is not zero). A domain whose respondents are
    all in census strata (``census``) has no sampling error: its interval is [p, p].
    """
    p = np.asarray(p, dtype=float)
    var = np.asarray(var, dtype=float)
    n = np.asarray(n, dtype=float)
    note = np.full(p.shape, "", dtype=object)
    if method in ("korn_graubard", "korn_graubard_uncapped"):
        low, high = (korn_graubard if method == "korn_graubard" else korn_graubard_uncapped)(p, var, n, df, level)
    elif method == "logit":
        low, high = logit_interval(p, np.sqrt(var), df, level)
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
    low, high = np.array(low, dtype=float), np.array(high, dtype=float)
    live = n > 0
    edge = live & ((p == 0) | (p == 1))
    flat = live & ~edge & ~(var > 0)
    census = np.zeros(p.shape, bool) if census is None else np.asarray(census, dtype=bool)
    kg_low, kg_high = korn_graubard(p, var, n, df, level)
    if method in ("logit", "percentile", "wald"):
        fallback = edge | flat
        low, high = np.where(fallback, kg_low, low), np.where(fallback, kg_high, high)
        what = "undefined" if method == "logit" else "a single point"
        note[edge] = f"{method} interval {what} at 0% or 100%: Korn-Graubard (NCHS) interval"
    elif method in ("korn_graubard_uncapped", "wilson"):
        low, high = np.where(flat, kg_low, low), np.where(flat, kg_high, high)
    note[flat] = NOTE_NO_VARIANCE
    low, high = np.where(census & live, p, low), np.where(census & live, p, high)
    note[census & live] = NOTE_CENSUS
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
