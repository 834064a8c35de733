"""Each level of a domain dimension (a sector, a size class) against the rest of the population.

The partitioned estimator gives every level's estimate, its complement's and their difference with
replicate and Taylor variances; this module lays them out per indicator, with a t interval on the
design degrees of freedom, a t-test and p-values adjusted for multiplicity within each family of
tests (indicator x dimension).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import DifferenceSettings
from .survey import PartitionedEstimates, adjust, t_test
from .survey.intervals import wald

PERCENT = ("estimate_domain", "estimate_rest", "difference", "se", "se_taylor", "ci_low", "ci_high")


def differences_table(pe: PartitionedEstimates, meta: pd.DataFrame, settings: DifferenceSettings, level: float) -> pd.DataFrame:
    """One row per indicator and level of the tested dimensions (both sides answered); shares in percent."""
    rows = []
    for d, dom in enumerate(pe.domains.itertuples()):
        if dom.dimension not in settings.dimensions:
            continue
        for k, indicator in enumerate(pe.indicators):
            if not (pe.n[d, k] > 0 and pe.rest["n"][d, k] > 0):
                continue
            rows.append({"indicator": indicator, "block": meta.at[indicator, "block"], "kind": meta.at[indicator, "kind"],
                         "dimension": dom.dimension, "level": dom.level, "domain": dom.domain,
                         "estimate_domain": pe.estimate[d, k], "estimate_rest": pe.rest["estimate"][d, k],
                         "difference": pe.difference["estimate"][d, k],
                         "var": pe.difference["var_boot"][d, k] if pe.method is not None else pe.difference["var_taylor"][d, k],
                         "var_taylor": pe.difference["var_taylor"][d, k], "df": pe.difference["df"][d, k],
                         "n_domain": pe.n[d, k], "n_rest": pe.rest["n"][d, k]})
    out = pd.DataFrame(rows)
    se = np.sqrt(out.pop("var").to_numpy())
    df = out["df"].to_numpy(dtype=float)
    low, high = wald(out["difference"], se, df, level)
    t, p = t_test(out["difference"].to_numpy(), se, df)
    out.insert(out.columns.get_loc("var_taylor"), "se", se)
    out["se_taylor"] = np.sqrt(out.pop("var_taylor"))
    out["ci_low"], out["ci_high"], out["t"], out["p_value"] = low, high, t, p
    out["p_adjusted"] = adjust(out["p_value"], out["indicator"] + "\x00" + out["dimension"], settings.adjust)
    out["adjust_method"] = settings.adjust
    out["significant"] = out["p_adjusted"] < settings.alpha
    percent = out["kind"] == "share"
    for column in PERCENT:
        out.loc[percent, column] = out.loc[percent, column] * 100.0
    return out
