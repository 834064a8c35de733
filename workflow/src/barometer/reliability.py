"""Reliability flags for published cells: ok, review or suppress, with the reason.

Standards (docs/methods.md):
- ``nchs``: NCHS data presentation standards for proportions (Parker et al. 2017). Suppress when the
  effective sample size is below 30, when the Korn-Graubard interval is 0.30 wide or more, or when it
  is wider than 0.05 and its width relative to p exceeds 130%; review when the width relative to
  1 - p exceeds 130%, when the degrees of freedom are below 8, or when no event (p = 0 or 1) was seen.
- ``cv``: Statistics Canada's coefficient-of-variation rule: CV <= 16.5% release, up to 33.3% release
  with a warning (review), above 33.3% suppress.
Means have no NCHS proportion standard: they are flagged for review above a relative standard error
(default 30%) or with fewer than 30 answers, and suppressed with fewer than 10 (default).
Independently of the standard, cells with fewer respondents than the publication minimum are
suppressed (a disclosure rule for firm-level data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .intervals import effective_n, korn_graubard


@dataclass(frozen=True)
class ReliabilityRule:
    standard: str = "nchs"
    min_effective_n: float = 30
    max_absolute_width: float = 0.30
    max_relative_width: float = 1.30
    min_degrees_of_freedom: int = 8
    cv_release: float = 0.165
    cv_warn: float = 0.333
    mean_max_rse: float = 0.30
    mean_min_n: int = 10
    min_respondents: int = 5

    @classmethod
    def from_config(cls, reliability: dict, publication: dict) -> ReliabilityRule:
        return cls(
            standard=reliability["standard"],
            min_effective_n=reliability["nchs"]["min_effective_n"],
            max_absolute_width=reliability["nchs"]["max_absolute_width"],
            max_relative_width=reliability["nchs"]["max_relative_width"],
            min_degrees_of_freedom=reliability["nchs"]["min_degrees_of_freedom"],
            cv_release=reliability["cv"]["release"],
            cv_warn=reliability["cv"]["warn"],
            mean_max_rse=reliability["mean_max_rse"],
            mean_min_n=reliability.get("mean_min_n", 10),
            min_respondents=publication["min_respondents"],
        )

    @property
    def name(self) -> str:
        return "NCHS proportions standard (Parker et al. 2017)" if self.standard == "nchs" else "Statistics Canada CV rule"


_SEVERITY = {"ok": 0, "review": 1, "suppress": 2}


def flag_estimates(rule: ReliabilityRule, kind, estimate, var, n, df, level=0.95):
    """Return (flag, reason) arrays for each estimate."""
    kind = np.asarray(kind)
    p = np.asarray(estimate, dtype=float)
    var = np.asarray(var, dtype=float)
    n = np.asarray(n, dtype=float)
    df = np.asarray(df, dtype=float)
    size = p.shape[0]
    flag = np.zeros(size, dtype=int)
    reasons: list[list[str]] = [[] for _ in range(size)]

    def mark(mask, severity, text):
        for i in np.flatnonzero(mask):
            flag[i] = max(flag[i], _SEVERITY[severity])
            reasons[i].append(text)

    share = kind == "share"
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(p)
    empty = ~(n > 0)
    mark(empty, "suppress", "no respondents")

    if rule.standard == "nchs":
        n_eff = effective_n(p, var, n, cap=True)
        low, high = korn_graubard(p, var, n, df, level)
        width = high - low
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = width / p
            rel_complement = width / (1 - p)
        live = share & ~empty
        mark(live & (n_eff < rule.min_effective_n), "suppress", f"effective n < {rule.min_effective_n:g}")
        mark(live & (width >= rule.max_absolute_width), "suppress", f"CI width >= {rule.max_absolute_width:g}")
        mark(live & (width > 0.05) & (width < rule.max_absolute_width) & (rel > rule.max_relative_width),
             "suppress", f"relative CI width > {rule.max_relative_width:.0%}")
        mark(live & (rel_complement > rule.max_relative_width), "review",
             f"CI width relative to 1-p > {rule.max_relative_width:.0%}")
        mark(live & (df < rule.min_degrees_of_freedom), "review", f"degrees of freedom < {rule.min_degrees_of_freedom}")
        mark(live & ((p == 0) | (p == 1)), "review", "no events (estimate 0% or 100%)")
    else:
        live = share & ~empty
        mark(live & (cv > rule.cv_warn), "suppress", f"CV > {rule.cv_warn:.1%}")
        mark(live & (cv > rule.cv_release) & (cv <= rule.cv_warn), "review", f"CV > {rule.cv_release:.1%}")
        mark(live & ~np.isfinite(cv), "review", "CV undefined (estimate 0)")

    numeric = ~share & ~empty
    mark(numeric & (cv > rule.mean_max_rse), "review", f"relative standard error > {rule.mean_max_rse:.0%}")
    mark(numeric & (n < 30), "review", "fewer than 30 respondents")
    mark(numeric & (n < rule.mean_min_n), "suppress", f"mean of fewer than {rule.mean_min_n} answers")
    mark(~empty & (n < rule.min_respondents), "suppress", f"fewer than {rule.min_respondents} respondents")

    names = np.array(["ok", "review", "suppress"], dtype=object)[flag]
    return names, np.array(["; ".join(r) for r in reasons], dtype=object)
