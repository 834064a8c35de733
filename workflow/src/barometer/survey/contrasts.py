"""Tests of differences and multiplicity adjustment.

- ``t_test``: a difference of design-based estimates against zero, t with the design degrees of freedom
  (two-sided p-value), as R survey's ``svyttest`` does for a contrast.
- ``independent_difference``: the difference of two estimates from independent samples (e.g. two
  survey editions): its variance is the sum of the two, with a normal interval and p-value.
- ``adjust``: Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values
  within each family of tests, by statsmodels.
- ``adjusted_interval``: the interval that matches an adjusted p-value: at the level the test's
  decision uses, so that it excludes zero exactly when the adjusted p-value is below alpha.
- ``tost``: the two one-sided tests of equivalence within a margin (Schuirmann 1987).
"""

from __future__ import annotations

import gc

import numpy as np

from .errors import SurveyError
from .intervals import normal_quantile, t_quantile

ADJUSTMENTS = ("holm", "fdr_bh")


def t_test(difference, se, df) -> tuple[np.ndarray, np.ndarray]:
    """(t, two-sided p) of differences against zero; p is NaN where the standard error is zero."""
    from scipy.special import stdtr

    difference, se, df = (np.asarray(x, dtype=float) for x in (difference, se, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = difference / se
        # the t survival function (scipy.stats' t.sf evaluates the same stdtr)
        p = np.where(se > 0, 2 * stdtr(np.where(df > 0, df, 1), -np.abs(t)), np.nan)
    return t, p


def independent_difference(first: float, se_first: float, second: float, se_second: float,
                           level: float = 0.95) -> dict[str, float]:
    """second - first for independent estimates: se = sqrt(se1^2 + se2^2), normal interval and p-value."""
    from scipy.special import ndtr

    z = normal_quantile(level)
    diff = second - first
    se = float(np.hypot(se_first, se_second))
    p = float(2 * ndtr(-abs(diff) / se)) if se > 0 else np.nan  # the normal survival function, as norm.sf
    return {"difference": diff, "se": se, "ci_low": diff - z * se, "ci_high": diff + z * se, "p_value": p}


def adjust(pvalues, families, method: str = "holm") -> np.ndarray:
    """Adjusted p-values within each family (``families``: a label per p-value); NaN stays NaN."""
    if method not in ADJUSTMENTS:
        raise SurveyError(f"unknown multiplicity adjustment '{method}', expected one of {ADJUSTMENTS}")
    from statsmodels.stats.multitest import multipletests

    pvalues = np.asarray(pvalues, dtype=float)
    families = np.asarray(families)
    out = np.full(pvalues.shape, np.nan)
    # statsmodels' Holm step calls gc.collect() on every family (0.1 s each with pandas' heap);
    # freezing the current objects keeps those collections cheap
    gc.freeze()
    try:
        for family in dict.fromkeys(families.tolist()):
            members = np.flatnonzero((families == family) & np.isfinite(pvalues))
            if len(members):
                out[members] = multipletests(pvalues[members], method=method)[1]
    finally:
        gc.unfreeze()
    return out


def adjusted_interval(difference, se, df, pvalues, adjusted, alpha: float, family_size=None):
    """(low, high, level) of the t interval that matches each adjusted p-value.

    A multiplicity procedure rejects test k when its raw p-value falls below a local level: alpha / m
    for Bonferroni, alpha / (m - j + 1) at the j-th step of Holm, alpha j / m for Benjamini-Hochberg.
    The adjusted p-value is p_k times alpha over that level, so the local level is alpha p_k / p~_k
    (monotonicity and the cap at 1 included). The interval at confidence 1 - alpha p_k / p~_k therefore
    excludes zero exactly when p~_k < alpha: it is the interval to print beside the adjusted p-value.
    For Bonferroni and for the first step of Holm it is the usual simultaneous interval; for later Holm
    steps and for Benjamini-Hochberg it is not simultaneous (no simple simultaneous interval matches a
    step-wise procedure), which docs/methods.md says. Where p_k underflows to 0 the ratio is undefined
    and the Bonferroni level alpha / m is used (``family_size``: m per test).
    """
    difference, se, df, pvalues, adjusted = (np.asarray(x, dtype=float) for x in (difference, se, df, pvalues, adjusted))
    with np.errstate(divide="ignore", invalid="ignore"):
        local = alpha * pvalues / adjusted
    if family_size is not None:
        local = np.where((pvalues == 0) & (adjusted == 0), alpha / np.asarray(family_size, dtype=float), local)
    local = np.where(np.isfinite(local) & (local > 0), np.minimum(local, 1.0), np.nan)
    with np.errstate(invalid="ignore"):
        t = t_quantile(1 - local, df)
    return difference - t * se, difference + t * se, 1 - local


def tost(difference, se, df, margin) -> np.ndarray:
    """p-value of the two one-sided tests that |difference| < margin (Schuirmann 1987): the larger of
    P(T > (d + margin) / se) and P(T > (margin - d) / se), T ~ t_df. Below alpha exactly when the
    1 - 2 alpha interval lies inside (-margin, margin). NaN where the standard error is not positive."""
    from scipy.special import stdtr  # the t distribution function (scipy.stats' t.sf(x) = stdtr(df, -x))

    difference, se, df, margin = (np.asarray(x, dtype=float) for x in (difference, se, df, margin))
    dof = np.where(df > 0, df, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = stdtr(dof, -(difference + margin) / se)
        upper = stdtr(dof, -(margin - difference) / se)
    return np.where(se > 0, np.maximum(lower, upper), np.nan)
