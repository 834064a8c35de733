"""The report's comparative statements ("above average") checked against the tested differences."""

from __future__ import annotations

import numpy as np
import pandas as pd

CLAIM_COLUMNS = ["claim_id", "indicator", "domain", "direction", "difference", "ci_low", "ci_high", "p_adjusted", "verdict"]


def check_claims(claims: pd.DataFrame, differences: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """One verdict per statement: its domain's difference from the rest, in the claimed direction, at
    the adjusted significance level; 'any' statements (no level differs) against every level."""
    if claims.empty:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    rows = []
    diffs = differences.set_index(["indicator", "domain"])
    for c in claims.itertuples():
        dimension, level = c.domain.split("=")
        if level == "any":
            group = differences[(differences["indicator"] == c.indicator) & (differences["dimension"] == dimension)]
            if group.empty:
                verdict = "not estimated"
            else:
                significant = group[group["p_adjusted"] < alpha]
                verdict = "supported: no significant difference" if significant.empty else f"not supported: {len(significant)} significant differences"
            rows.append({"claim_id": c.claim_id, "section": c.section, "indicator": c.indicator, "domain": c.domain,
                         "direction": c.direction, "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "p_adjusted": group["p_adjusted"].min() if len(group) else np.nan, "verdict": verdict})
            continue
        if (c.indicator, c.domain) not in diffs.index:
            verdict, d = "not estimated", None
        else:
            d = diffs.loc[(c.indicator, c.domain)]
            sign = 1 if c.direction == "higher" else -1
            agrees = np.sign(d["difference"]) == sign
            if d["p_adjusted"] < alpha:
                verdict = "supported" if agrees else "contradicted"
            else:
                verdict = "direction only, not significant" if agrees else "opposite direction, not significant"
        rows.append({"claim_id": c.claim_id, "section": c.section, "indicator": c.indicator, "domain": c.domain,
                     "direction": c.direction,
                     "difference": np.nan if d is None else d["difference"],
                     "ci_low": np.nan if d is None else d["ci_low"], "ci_high": np.nan if d is None else d["ci_high"],
                     "p_adjusted": np.nan if d is None else d["p_adjusted"], "verdict": verdict})
    return pd.DataFrame(rows)
