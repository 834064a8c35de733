"""Each level of a domain dimension (a sector, a size class) against the rest of the population.

The partitioned estimator gives every level's estimate, its complement's and their difference with
replicate and Taylor variances; this module lays them out per indicator, with a t interval on the
design degrees of freedom, a t-test and p-values adjusted for multiplicity within each family of
tests (indicator x dimension), the interval matching each adjusted p-value, and the difference's
reliability: it inherits it from both its sides (``difference_flags``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import DifferenceSettings
from .survey import PartitionedEstimates, adjust, adjusted_interval, t_test
from .survey.intervals import negligible_variance, wald
from .survey.reliability import NCHS, _Standard

PERCENT = ("estimate_domain", "estimate_rest", "difference", "se", "se_taylor", "ci_low_unadjusted",
           "ci_high_unadjusted", "ci_low_adjusted", "ci_high_adjusted")
FAMILY = "indicator x dimension"
NOT_ASSESSABLE = "not assessable"


def side_flags(estimate, var, n, df, df_effective, census, kinds, standard: _Standard, level: float):
    """(flag, reason, zero variance) of one side of the differences, by the reliability standard."""
    var = np.where(negligible_variance(var, np.abs(estimate)) | census, 0.0, var)
    flag, reason = standard.flag(kinds, estimate, var, n, df, level, df_effective=df_effective, census=census)
    return flag, reason, (n > 0) & ~(var > 0)


def difference_flags(flag_domain, reason_domain, zero_domain, flag_rest, reason_rest, zero_rest):
    """A difference is as reliable as its less reliable side: 'not assessable' when either side is
    suppressed or has no sampling variance (a test against a variance of zero is not a test; a
    suppressed estimate is not one the project stands behind), else 'review' when either side is
    flagged for review, else 'ok'. Returns (flag, reason)."""
    flags, reasons = [], []
    for fd, rd, zd, fr, rr, zr in zip(flag_domain, reason_domain, zero_domain, flag_rest, reason_rest, zero_rest):
        why = []
        for side, f, r, z in (("domain", fd, rd, zd), ("rest", fr, rr, zr)):
            if f == "suppress":
                why.append(f"{side} suppressed ({r})")
            elif z:
                why.append(f"{side} has no sampling variance")
        if why:
            flags.append(NOT_ASSESSABLE)
        else:
            why = [f"{side} flagged for review ({r})" for side, f, r in (("domain", fd, rd), ("rest", fr, rr)) if f == "review"]
            flags.append("review" if why else "ok")
        reasons.append("; ".join(why))
    return np.array(flags, dtype=object), np.array(reasons, dtype=object)


def differences_table(pe: PartitionedEstimates, meta: pd.DataFrame, settings: DifferenceSettings, level: float,
                      standard: _Standard | None = None) -> pd.DataFrame:
    """One row per indicator and level of the tested dimensions (both sides answered); shares in percent.

    Columns: both estimates and their difference with its standard error, the unadjusted t interval,
    t-test, p-value adjusted within indicator x dimension and the interval that matches it
    (``survey.adjusted_interval``), and the reliability of each side and of the difference."""
    standard = standard or NCHS()
    rows = []
    for d, dom in enumerate(pe.domains.itertuples()):
        if dom.dimension not in settings.dimensions:
            continue
        for k, indicator in enumerate(pe.indicators):
            if not (pe.n[d, k] > 0 and pe.rest["n"][d, k] > 0):
                continue
            boot = pe.method is not None
            rows.append({"indicator": indicator, "block": meta.at[indicator, "block"], "kind": meta.at[indicator, "kind"],
                         "dimension": dom.dimension, "level": dom.level, "domain": dom.domain,
                         "estimate_domain": pe.estimate[d, k], "estimate_rest": pe.rest["estimate"][d, k],
                         "difference": pe.difference["estimate"][d, k],
                         "var": pe.difference["var_boot"][d, k] if boot else pe.difference["var_taylor"][d, k],
                         "var_taylor": pe.difference["var_taylor"][d, k], "df": pe.difference["df"][d, k],
                         "n_domain": pe.n[d, k], "n_rest": pe.rest["n"][d, k],
                         "_var_domain": pe.var_boot[d, k] if boot else pe.var_taylor[d, k],
                         "_var_rest": pe.rest["var_boot"][d, k] if boot else pe.rest["var_taylor"][d, k],
                         "_df_domain": pe.df[d, k], "_df_rest": pe.rest["df"][d, k],
                         "_dfe_domain": pe.df_effective[d, k], "_dfe_rest": pe.rest["df_effective"][d, k],
                         "_census_domain": pe.census[d, k], "_census_rest": pe.rest["census"][d, k]})
    out = pd.DataFrame(rows)
    kinds = out["kind"].to_numpy()
    sides = {}
    for side in ("domain", "rest"):
        sides[side] = side_flags(out[f"estimate_{side}"].to_numpy(float), out[f"_var_{side}"].to_numpy(float),
                                 out[f"n_{side}"].to_numpy(float), out[f"_df_{side}"].to_numpy(float),
                                 out[f"_dfe_{side}"].to_numpy(float), out[f"_census_{side}"].to_numpy(bool),
                                 kinds, standard, level)
    out = out.drop(columns=[c for c in out.columns if c.startswith("_")])
    se = np.sqrt(out.pop("var").to_numpy())
    df = out["df"].to_numpy(dtype=float)
    low, high = wald(out["difference"], se, df, level)
    t, p = t_test(out["difference"].to_numpy(), se, df)
    out.insert(out.columns.get_loc("var_taylor"), "se", se)
    out["se_taylor"] = np.sqrt(out.pop("var_taylor"))
    out["ci_low_unadjusted"], out["ci_high_unadjusted"], out["t"], out["p_value"] = low, high, t, p
    family = out["indicator"] + "\x00" + out["dimension"]
    out["p_adjusted"] = adjust(out["p_value"], family, settings.adjust)
    out["adjust_method"] = settings.adjust
    out["adjust_family"] = FAMILY
    size = family.map(family.value_counts())
    out["ci_low_adjusted"], out["ci_high_adjusted"], out["ci_level_adjusted"] = adjusted_interval(
        out["difference"], se, df, out["p_value"], out["p_adjusted"], settings.alpha, size)
    out["significant"] = out["p_adjusted"] < settings.alpha
    (fd, rd, zd), (fr, rr, zr) = sides["domain"], sides["rest"]
    out["flag_domain"], out["flag_rest"] = fd, fr
    out["flag"], out["flag_reason"] = difference_flags(fd, rd, zd, fr, rr, zr)
    percent = out["kind"] == "share"
    for column in PERCENT:
        out.loc[percent, column] = out.loc[percent, column] * 100.0
    return out
