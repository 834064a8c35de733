"""From cleaned respondents to the estimands of an edition: every indicator in every domain.

A domain is ``all``, ``sector=<id>``, ``size=<id>`` or ``adopter_status=adopter|non_adopter``.
Estimation works on proportions; ``to_percent`` turns shares into percent for the outputs, like the
published figures (means of percentage answers are percentages already).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook
from .design import StratifiedDesign

DIMENSIONS = ("sector", "size", "adopter_status")
ADOPTER_LEVELS = ("adopter", "non_adopter")


def analysis_frame(respondents: pd.DataFrame, weights: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Item answers (by item id), derived variables, domain columns and the weight, one row per respondent."""
    merged = respondents.merge(weights[["respondent", "weight", "N_h", "n_h"]], on="respondent", how="left", validate="one_to_one")
    if merged["weight"].isna().any():
        raise ValueError("respondents without a weight")
    frame = codebook.derive(merged)
    frame["adopter"] = frame["adopter"].fillna(False).astype(bool) if "adopter" in frame else False
    frame["adopter_status"] = np.where(frame["adopter"], "adopter", "non_adopter")
    return frame


def design_for(frame: pd.DataFrame, bootstrap_config: dict) -> StratifiedDesign:
    policy = bootstrap_config["singleton_strata"]
    population = frame.groupby("stratum")["N_h"].first()
    return StratifiedDesign.from_sample(
        frame["stratum"], population, weights=frame["weight"].to_numpy(),
        singleton=policy["policy"], collapse_with=policy.get("collapse_with") or {},
    )


@dataclass
class EstimandSet:
    values: np.ndarray  # (n x K) indicator values (NaN outside universe / unanswered)
    domains: np.ndarray  # (n x K) domain membership
    table: pd.DataFrame  # indicator, domain, dimension, level, kind, scale, role, pair


def build_estimands(frame: pd.DataFrame, codebook: Codebook, dimensions: list[str], level_order: dict[str, list[str]],
                    complements: list[str] = ()) -> EstimandSet:
    """Every indicator x domain; with ``complements``, also the rest of the population for each level
    of those dimensions (role 'complement', used for differences)."""
    indicators = codebook.indicator_values(frame)
    meta = codebook.indicators.set_index("indicator")
    n = len(frame)
    domains: list[tuple[str, str, str, np.ndarray, str]] = [("all", "all", "all", np.ones(n, dtype=bool), "estimate")]
    for dimension in dimensions:
        for level in level_order[dimension]:
            mask = (frame[dimension] == level).to_numpy()
            domains.append((f"{dimension}={level}", dimension, level, mask, "estimate"))
            if dimension in complements:
                domains.append((f"{dimension}!={level}", dimension, level, ~mask, "complement"))

    value_columns, mask_columns, rows = [], [], []
    for indicator in indicators.columns:
        y = indicators[indicator].to_numpy(dtype=float)
        universe = ~np.isnan(y) | codebook.universe_mask(frame, meta.at[indicator, "universe"])
        for name, dimension, level, mask, role in domains:
            # a domain outside the indicator's universe by definition (non-adopters for an
            # adopters-only question) is not an estimand
            if dimension == "adopter_status" and not (universe & mask).any() and meta.at[indicator, "universe"] != "all":
                continue
            value_columns.append(y)
            mask_columns.append(mask)
            rows.append({
                "indicator": indicator, "block": meta.at[indicator, "block"], "domain": name,
                "dimension": dimension, "level": level, "kind": meta.at[indicator, "kind"],
                "unit": "percent" if meta.at[indicator, "kind"] == "share" else "mean_percent", "role": role,
            })
    table = pd.DataFrame(rows)
    return EstimandSet(values=np.column_stack(value_columns), domains=np.column_stack(mask_columns), table=table)


PERCENT_COLUMNS = ("estimate", "se", "se_taylor", "ci_low", "ci_high")


def to_percent(table: pd.DataFrame, columns=PERCENT_COLUMNS) -> pd.DataFrame:
    """Shares (kind 'share') from proportions to percent in the given columns."""
    out = table.copy()
    share = out["kind"] == "share"
    for column in columns:
        if column in out:
            out.loc[share, column] = out.loc[share, column] * 100.0
    return out
