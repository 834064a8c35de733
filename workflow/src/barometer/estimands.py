"""From cleaned respondents to the estimands of an edition: every indicator in every domain.

A domain is ``all``, ``sector=<id>``, ``size=<id>`` or ``adopter_status=adopter|non_adopter``.
Estimation works on proportions; ``to_percent`` turns shares into percent for the outputs, like the
published figures (means of percentage answers are percentages already). Which (indicator, domain)
pairs are not estimands at all (``structural``) is decided here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codebook import Codebook
from .config import BootstrapSettings
from .errors import InputError
from .strata import Strata
from .survey import PartitionedEstimates, StratifiedDesign

DIMENSIONS = ("sector", "size", "adopter_status")
ADOPTER_LEVELS = ("adopter", "non_adopter")


def analysis_frame(respondents: pd.DataFrame, weights: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Item answers (by item id), derived variables, domain columns and the weight, one row per respondent."""
    merged = respondents.merge(weights[["respondent", "weight", "N_h", "n_h"]], on="respondent", how="left", validate="one_to_one")
    if merged["weight"].isna().any():
        first = merged.loc[merged["weight"].isna(), "respondent"].iloc[0]
        raise InputError(f"respondent {first} has no weight (the weights file does not match the respondents)")
    frame = codebook.derive(merged)
    frame["adopter"] = frame["adopter"].fillna(False).astype(bool) if "adopter" in frame else False
    frame["adopter_status"] = np.where(frame["adopter"], "adopter", "non_adopter")
    return frame


def design_for(frame: pd.DataFrame, bootstrap: BootstrapSettings) -> StratifiedDesign:
    """The stratified design of the analysis frame (weights and N_h from the weighting stage)."""
    population = frame.groupby("stratum")["N_h"].first()
    return StratifiedDesign.from_sample(
        frame["stratum"], population, weights=frame["weight"].to_numpy(),
        singleton=bootstrap.singleton_policy, collapse_with=bootstrap.collapse_with,
    )


def level_order(strata: Strata) -> dict[str, list[str]]:
    """The levels of each domain dimension, in the order of the strata file."""
    return {"sector": list(strata.sectors["id"]), "size": list(strata.sizes["id"]), "adopter_status": list(ADOPTER_LEVELS)}


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


def max_weight_share(weights: np.ndarray, values: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Largest single respondent's share (percent) of each estimand's weight: the granularity."""
    observed = domains & ~np.isnan(values)
    w = np.where(observed, weights[:, None], 0.0)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * w.max(axis=0) / total


def max_weight_share_by_domain(weights: np.ndarray, values: np.ndarray, frame: pd.DataFrame,
                               pe: PartitionedEstimates) -> np.ndarray:
    """(domains, indicators) of partitioned estimates: the largest single respondent's share (percent)
    of the domain's weight."""
    out = np.empty((len(pe.domains), values.shape[1]))
    for d, row in enumerate(pe.domains.itertuples()):
        inside = np.ones(len(frame), dtype=bool) if row.domain == "all" else (frame[row.dimension].astype(str) == row.level).to_numpy()
        out[d] = max_weight_share(weights, values, inside[:, None])
    return out


def scale_bounds(codebook: Codebook, indicators: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The answer scale (min, max) of each indicator's item (+-inf where the scale is open)."""
    meta = codebook.indicators.set_index("indicator")
    scale = codebook.items.set_index("item")[["min", "max"]].astype(float)
    items = indicators.map(meta["item"])
    return items.map(scale["min"]).fillna(-np.inf).to_numpy(), items.map(scale["max"]).fillna(np.inf).to_numpy()


def structural(table: pd.DataFrame, codebook: Codebook) -> np.ndarray:
    """Rows that are not estimands: a domain outside an indicator's universe by definition (non-adopters
    for an adopters-only question), and a share fixed by the definition of adopter status (technology
    use among non-adopters is 0, 'uses at least one' among adopters is 100%)."""
    meta = codebook.indicators.set_index("indicator")
    universe = table["indicator"].map(meta["universe"])
    defining = {spec["count_codes"]["block"] for spec in (codebook.raw.get("derived") or {}).values() if "count_codes" in spec}
    tautological = table["indicator"].map(meta["block"]).isin(defining) & table["estimate"].isin([0.0, 1.0]) & (table["se_taylor"] == 0)
    return ((table["dimension"] == "adopter_status") & (((table["n"] == 0) & (universe != "all")) | tautological)).to_numpy()


def read_analysis(respondents: str, weights: str, codebook: str, strata: str) -> tuple[Codebook, Strata, pd.DataFrame]:
    """The codebook, strata and analysis frame of an edition from the cleaning and weighting outputs."""
    from .io import read_csv

    book = Codebook.load(codebook)
    frame = analysis_frame(read_csv(respondents, dtype={"sector": str}), read_csv(weights), book)
    return book, Strata.load(strata), frame
