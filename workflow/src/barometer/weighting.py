"""Stratum weights w = N_h / n_h and their diagnostics.

Non-response is treated as random within strata (equivalently: post-stratification to the frame
counts), as the 2021 report did. A stratum of the frame without a usable response would silently
drop its firms from the population: it is an error unless the configuration collapses it into a
named stratum (both then share the merged N and n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DesignError


def stratum_weights(
    respondents: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    empty_strata: str = "error",
    collapse: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weights per respondent and diagnostics per stratum.

    ``frame`` has one row per stratum (stratum, population); ``respondents`` a ``stratum`` column.
    Returns (weights, diagnostics).
    """
    collapse = dict(collapse or {})
    n_h = respondents["stratum"].value_counts()
    table = frame[["stratum", "population"]].copy()
    table["n"] = table["stratum"].map(n_h).fillna(0).astype(int)
    unknown = sorted(set(n_h.index) - set(table["stratum"]))
    if unknown:
        raise DesignError(f"respondents in strata {unknown}, which are not in the sampling frame")

    table["weighting_stratum"] = table["stratum"]
    empty = table.loc[(table["n"] == 0) & (table["population"] > 0), "stratum"].tolist()
    for stratum in empty:
        if empty_strata != "collapse" or stratum not in collapse:
            raise DesignError(
                f"stratum '{stratum}' has {int(table.loc[table['stratum'] == stratum, 'population'].iloc[0])} "
                "firms in the frame but no usable response; its firms would drop out of every estimate. "
                "Collapse it into a neighbouring stratum (weighting.empty_strata: collapse, "
                "weighting.empty_strata_collapse) or correct the data"
            )
        target = collapse[stratum]
        if target not in set(table["stratum"]) or table.loc[table["stratum"] == target, "n"].iloc[0] == 0:
            raise DesignError(f"stratum '{stratum}' is to be collapsed into '{target}', which has no respondents")
        table.loc[table["stratum"] == stratum, "weighting_stratum"] = target

    pooled = table.groupby("weighting_stratum")[["population", "n"]].sum()
    table["N_h"] = table["weighting_stratum"].map(pooled["population"])
    table["n_h"] = table["weighting_stratum"].map(pooled["n"])
    too_many = table[table["n_h"] > table["N_h"]]
    if len(too_many):
        row = too_many.iloc[0]
        raise DesignError(
            f"stratum '{row['stratum']}' has {row['n_h']} usable responses but only {row['N_h']} firms in "
            "the frame (N_h < n_h): the frame or the stratum assignment is wrong"
        )
    table["f_h"] = np.where(table["N_h"] > 0, table["n_h"] / table["N_h"], np.nan)
    table["weight"] = np.where(table["n_h"] > 0, table["N_h"] / table["n_h"], np.nan)

    lookup = table.set_index("stratum")
    weights = pd.DataFrame(
        {
            "respondent": respondents["respondent"],
            "stratum": respondents["stratum"],
            "weighting_stratum": respondents["stratum"].map(lookup["weighting_stratum"]),
            "N_h": respondents["stratum"].map(lookup["N_h"]).astype(int),
            "n_h": respondents["stratum"].map(lookup["n_h"]).astype(int),
        }
    )
    weights["weight"] = weights["N_h"] / weights["n_h"]

    diagnostics = table[["stratum", "weighting_stratum", "population", "n", "N_h", "n_h", "f_h", "weight"]].rename(
        columns={"population": "N_frame", "n": "n_usable"}
    )
    diagnostics["weight_share"] = diagnostics["N_frame"] / diagnostics["N_frame"].sum()
    return weights, diagnostics


def weight_summary(weights: pd.DataFrame, diagnostics: pd.DataFrame) -> pd.DataFrame:
    """The whole sample in one row (weights/summary.csv; kept out of the per-stratum diagnostics so
    that every row there is a stratum): frame size, usable responses, overall sampling fraction, mean
    weight, Kish's effective sample size (sum w)^2 / sum w^2 and the design effect of weighting
    n / n_eff (Kish, Survey Sampling, 1965)."""
    w = weights["weight"].to_numpy(dtype=float)
    kish = w.sum() ** 2 / (w**2).sum()
    N, n = int(diagnostics["N_frame"].sum()), int(diagnostics["n_usable"].sum())
    return pd.DataFrame([{"N_frame": N, "n_usable": n, "sampling_fraction": n / N, "mean_weight": w.mean(),
                          "kish_effective_n": kish, "design_effect_weighting": len(w) / kish}])
