"""Reliability standards for published cells: each estimate is ok, review or suppress, with the reason.

Standards (docs/methods.md):
- ``NCHS``: NCHS data presentation standards for proportions (Parker et al. 2017), with the
  Korn-Graubard interval as NCHS and CDC compute it (``intervals.korn_graubard``: effective n capped at
  the respondents). Suppress when the effective sample size (capped at n) is below 30, when the
  interval is 0.30 wide or more, or when it is wider than 0.05 and its width relative to p exceeds
  130%; review when the width relative to 1 - p exceeds 130%, when the effective degrees of freedom
  (Satterthwaite, ``design.effective_degrees_of_freedom``; the design df where not given) are below 8,
  when no event (p = 0 or 1) was seen, or when 0 < p < 1 comes without any sampling variance.
- ``CVRule``: Statistics Canada's coefficient-of-variation rule: CV <= 16.5% release, up to 33.3%
  release with a warning (review), above 33.3% suppress.
Means have no NCHS proportion standard: they are flagged for review above a relative standard error
(default 30%) or with fewer than 30 answers, and suppressed with fewer than 10 (default).
Independently of the standard, cells with fewer respondents than the publication minimum are
suppressed (a disclosure rule for firm-level data). Cells whose respondents all lie in census strata
(``census``) have no sampling error: only the disclosure rule applies to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .intervals import effective_n, korn_graubard

_SEVERITY = {"ok": 0, "review": 1, "suppress": 2}


@dataclass(frozen=True)
class _Standard:
    """What every standard shares: the rules for means and the publication minimum."""

    mean_max_rse: float = 0.30
    mean_min_n: int = 10
    min_respondents: int = 5

    key = ""
    name = ""

    def flag(self, kind, estimate, var, n, df, level=0.95, df_effective=None, census=None) -> tuple[np.ndarray, np.ndarray]:
        """(flag, reason) arrays for each estimate: 'ok', 'review' or 'suppress', and why.

        ``df`` is the design df (the interval's), ``df_effective`` the effective df the degrees-of-
        freedom rule tests (default: ``df``); ``census`` marks estimates without sampling error."""
        kind = np.asarray(kind)
        p = np.asarray(estimate, dtype=float)
        var = np.asarray(var, dtype=float)
        n = np.asarray(n, dtype=float)
        df = np.asarray(df, dtype=float)
        df_effective = df if df_effective is None else np.asarray(df_effective, dtype=float)
        size = p.shape[0]
        census = np.zeros(size, bool) if census is None else np.asarray(census, dtype=bool)
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
        sampled = ~empty & ~census
        self._flag_shares(mark, share & sampled, p, var, n, df, df_effective, cv, level)
        mark(share & sampled & (p > 0) & (p < 1) & ~(var > 0), "review", "no sampling variance estimated although 0 < p < 1")

        numeric = ~share & sampled
        mark(numeric & ~(var > 0), "review", "no sampling variance estimated")
        mark(numeric & (cv > self.mean_max_rse), "review", f"relative standard error > {self.mean_max_rse:.0%}")
        mark(numeric & (n < 30), "review", "fewer than 30 respondents")
        mark(numeric & (n < self.mean_min_n), "suppress", f"mean of fewer than {self.mean_min_n} answers")
        mark(~empty & (n < self.min_respondents), "suppress", f"fewer than {self.min_respondents} respondents")

        names = np.array(["ok", "review", "suppress"], dtype=object)[flag]
        return names, np.array(["; ".join(r) for r in reasons], dtype=object)

    def _flag_shares(self, mark, live, p, var, n, df, df_effective, cv, level) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class NCHS(_Standard):
    """NCHS data presentation standards for proportions (Parker et al. 2017)."""

    min_effective_n: float = 30
    max_absolute_width: float = 0.30
    max_relative_width: float = 1.30
    min_degrees_of_freedom: int = 8

    key = "nchs"
    name = "NCHS proportions standard (Parker et al. 2017)"

    def _flag_shares(self, mark, live, p, var, n, df, df_effective, cv, level) -> None:
        n_eff = effective_n(p, var, n, cap=True)
        low, high = korn_graubard(p, var, n, df, level)
        width = high - low
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = width / p
            rel_complement = width / (1 - p)
        mark(live & (n_eff < self.min_effective_n), "suppress", f"effective n < {self.min_effective_n:g}")
        mark(live & (width >= self.max_absolute_width), "suppress", f"CI width >= {self.max_absolute_width:g}")
        mark(live & (width > 0.05) & (width < self.max_absolute_width) & (rel > self.max_relative_width),
             "suppress", f"relative CI width > {self.max_relative_width:.0%}")
        mark(live & (rel_complement > self.max_relative_width), "review",
             f"CI width relative to 1-p > {self.max_relative_width:.0%}")
        mark(live & (df_effective < self.min_degrees_of_freedom), "review",
             f"effective degrees of freedom < {self.min_degrees_of_freedom}")
        mark(live & ((p == 0) | (p == 1)), "review", "no events (estimate 0% or 100%)")


@dataclass(frozen=True)
class CVRule(_Standard):
    """Statistics Canada's coefficient-of-variation rule."""

    release: float = 0.165
    warn: float = 0.333

    key = "cv"
    name = "Statistics Canada CV rule"

    def _flag_shares(self, mark, live, p, var, n, df, df_effective, cv, level) -> None:
        mark(live & (cv > self.warn), "suppress", f"CV > {self.warn:.1%}")
        mark(live & (cv > self.release) & (cv <= self.warn), "review", f"CV > {self.release:.1%}")
        mark(live & ~np.isfinite(cv), "review", "CV undefined (estimate 0)")


STANDARDS = {"nchs": NCHS, "cv": CVRule}
