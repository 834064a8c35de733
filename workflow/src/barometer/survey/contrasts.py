"""Tests of differences and multiplicity adjustment.

- ``t_test``: a difference of design-based estimates against zero, t with the design degrees of freedom
  (two-sided p-value), as R survey's ``svyttest`` does for a contrast.
- ``independent_difference``: the difference of two estimates from independent samples (e.g. two
  survey editions): its variance is the sum of the two, with a normal interval and p-value.
- ``adjust``: Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values
  within each family of tests, by statsmodels.
"""

from __future__ import annotations

import gc

import numpy as np

from .errors import SurveyError
from .intervals import normal_quantile

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
