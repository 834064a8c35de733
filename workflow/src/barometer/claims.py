"""The report's comparative statements ("above average", "no notable differences") checked against the
tested differences.

Each claim rests on tests (``claim_tests``): a directional claim ("sector X above average") on its
domain's difference from the rest; a claim of no difference ("no notable differences between sectors")
on every level of its dimension. The p-values are adjusted within the configured family
(``DifferenceSettings.family``): per indicator x dimension (the differences table's own adjustment,
over every level whether claimed or not), per claim family (the tests the claims of one sentence of the
report rest on) or over all claims; the interval printed beside an adjusted p-value is the one that
matches it (``survey.adjusted_interval``).

``verdict`` is the sampling-based verdict, with ``verdict_reason``:

- directional claims: ``supported`` (adjusted p < alpha, claimed direction), ``contradicted`` (adjusted
  p < alpha, opposite direction), ``direction only, not significant``, ``opposite direction, not
  significant``;
- claims of no difference: ``supported`` when every level is equivalent to the rest within the margin
  (TOST, an intersection-union test: no multiplicity adjustment needed), ``contradicted`` when a level
  differs significantly, else ``no evidence either way`` -- a non-significant test is not support;
- either: ``not assessable`` when a difference rests on a side that is suppressed or has no sampling
  variance (``differences.difference_flags``), ``not estimated`` when there is no difference to test.

Further verdicts (for example from identification bounds) belong in their own columns beside these:
``check_claims`` builds one row per claim from ``claim_tests`` and the verdict functions, so another
function of the tests can add its columns without touching these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import DifferenceSettings
from .differences import NOT_ASSESSABLE
from .survey import adjust, adjusted_interval, tost

CLAIM_COLUMNS = ["claim_id", "section", "indicator", "domain", "direction", "difference", "se", "df",
                 "ci_low_unadjusted", "ci_high_unadjusted", "ci_low_adjusted", "ci_high_adjusted", "ci_level_adjusted",
                 "p_value", "p_adjusted", "adjust_method", "adjust_family", "tests", "flag_domain", "flag_rest", "flag",
                 "tost_p", "equivalence_margin", "verdict", "verdict_reason"]
ADJUSTED = ["p_adjusted", "ci_low_adjusted", "ci_high_adjusted", "ci_level_adjusted"]
TEST_COLUMNS = ["difference", "se", "df", "p_value", "ci_low_unadjusted", "ci_high_unadjusted", "flag_domain",
                "flag_rest", "flag", "flag_reason"]


def claim_family(claims: pd.DataFrame) -> pd.Series:
    """The sentence of the report a claim comes from: its section and wording (one family per sentence)."""
    wording = claims["wording_nl"] if "wording_nl" in claims else claims["claim_id"]
    return claims["section"].astype(str) + "\x00" + wording.astype(str)


def claim_tests(claims: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and difference it rests on: its domain's for a directional claim, every level
    of the dimension for a claim of no difference (domain 'dimension=any')."""
    rows = []
    families = claim_family(claims)
    for c, family in zip(claims.itertuples(), families):
        dimension, level = c.domain.split("=")
        if level == "any":
            group = differences[(differences["indicator"] == c.indicator) & (differences["dimension"] == dimension)]
        else:
            group = differences[(differences["indicator"] == c.indicator) & (differences["domain"] == c.domain)]
        for d in group.itertuples():
            rows.append({"claim_id": c.claim_id, "claim_family": family, "indicator": c.indicator, "test_domain": d.domain,
                         **{f"{k}_differences": getattr(d, k) for k in ADJUSTED},
                         **{k: getattr(d, k) for k in TEST_COLUMNS}})
    columns = ["claim_id", "claim_family", "indicator", "test_domain", *(f"{k}_differences" for k in ADJUSTED), *TEST_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def adjust_tests(tests: pd.DataFrame, settings: DifferenceSettings) -> pd.DataFrame:
    """Adjusted p-values and the matching intervals of the claims' tests, within the configured family.
    A test two claims of one family rest on counts once."""
    tests = tests.copy()
    if settings.family == "indicator_dimension":
        # the differences table's own adjustment: over every level of the dimension, claimed or not
        for k in ADJUSTED:
            tests[k] = tests[f"{k}_differences"]
    else:
        family = tests["claim_family"] if settings.family == "claim_family" else pd.Series("all", index=tests.index)
        unique = tests.assign(family=family).drop_duplicates(["family", "indicator", "test_domain"])
        unique["p_adjusted"] = adjust(unique["p_value"], unique["family"], settings.adjust)
        lookup = unique.set_index(["family", "indicator", "test_domain"])["p_adjusted"]
        tests["p_adjusted"] = lookup.reindex(pd.MultiIndex.from_arrays([family, tests["indicator"], tests["test_domain"]])).to_numpy()
        size = family.map(unique["family"].value_counts()).to_numpy()
        tests["ci_low_adjusted"], tests["ci_high_adjusted"], tests["ci_level_adjusted"] = adjusted_interval(
            tests["difference"], tests["se"], tests["df"], tests["p_value"], tests["p_adjusted"], settings.alpha, size)
    tests["tost_p"] = tost(tests["difference"], tests["se"], tests["df"], settings.equivalence_margin)
    return tests


def directional_verdict(test: pd.Series | None, direction: str, alpha: float) -> tuple[str, str]:
    """(verdict, reason) of 'the domain is above (below) the rest'."""
    if test is None:
        return "not estimated", "no difference to test (a side without answers, or a dimension not tested)"
    if test["flag"] == NOT_ASSESSABLE:
        return NOT_ASSESSABLE, test["flag_reason"]
    agrees = np.sign(test["difference"]) == (1 if direction == "higher" else -1)
    caution = f"; {test['flag_reason']}" if test["flag"] == "review" else ""
    if test["p_adjusted"] < alpha:
        return ("supported" if agrees else "contradicted"), f"adjusted p = {test['p_adjusted']:.3g} < {alpha:g}{caution}"
    return (("direction only, not significant" if agrees else "opposite direction, not significant"),
            f"adjusted p = {test['p_adjusted']:.3g}{caution}")


def no_difference_verdict(tests: pd.DataFrame, alpha: float, margin: float) -> tuple[str, str]:
    """(verdict, reason) of 'no level of the dimension differs from the rest'."""
    if tests.empty:
        return "not estimated", "no difference to test"
    assessable = tests["flag"] != NOT_ASSESSABLE
    significant = tests[assessable & (tests["p_adjusted"] < alpha)]
    if len(significant):
        return "contradicted", f"{len(significant)} of {len(tests)} levels differ significantly ({', '.join(significant['test_domain'])})"
    if not assessable.all():
        missing = tests.loc[~assessable, "test_domain"]
        return NOT_ASSESSABLE, f"{len(missing)} of {len(tests)} levels not assessable ({', '.join(missing)})"
    worst = tests["tost_p"].max()
    if worst < alpha:
        return "supported", f"every level within ±{margin:g} of the rest (TOST, largest p = {worst:.3g})"
    return "no evidence either way", (f"no level differs significantly, but not every level is shown to lie within "
                                      f"±{margin:g} of the rest (TOST, largest p = {worst:.3g})")


def check_claims(claims: pd.DataFrame, differences: pd.DataFrame, settings: DifferenceSettings) -> pd.DataFrame:
    """One row per statement: the tests it rests on, adjusted within the configured family, and its
    sampling-based verdict."""
    if claims.empty:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    tests = adjust_tests(claim_tests(claims, differences), settings)
    by_claim = dict(tuple(tests.groupby("claim_id", sort=False)))
    rows = []
    for c in claims.itertuples():
        group = by_claim.get(c.claim_id, tests.iloc[:0])
        row = {"claim_id": c.claim_id, "section": c.section, "indicator": c.indicator, "domain": c.domain,
               "direction": c.direction, "adjust_method": settings.adjust, "adjust_family": settings.family,
               "tests": len(group), "equivalence_margin": np.nan}
        if c.domain.endswith("=any"):
            verdict, reason = no_difference_verdict(group, settings.alpha, settings.equivalence_margin)
            row.update({"p_value": group["p_value"].min() if len(group) else np.nan,
                        "p_adjusted": group["p_adjusted"].min() if len(group) else np.nan,
                        "tost_p": group["tost_p"].max() if len(group) else np.nan,
                        "equivalence_margin": settings.equivalence_margin,
                        "flag": NOT_ASSESSABLE if (group["flag"] == NOT_ASSESSABLE).any() else
                        ("review" if (group["flag"] == "review").any() else ("ok" if len(group) else np.nan))})
        else:
            test = group.iloc[0] if len(group) else None
            verdict, reason = directional_verdict(test, c.direction, settings.alpha)
            if test is not None:
                row.update({k: test[k] for k in ("difference", "se", "df", "ci_low_unadjusted", "ci_high_unadjusted",
                                                 "ci_low_adjusted", "ci_high_adjusted", "ci_level_adjusted", "p_value",
                                                 "p_adjusted", "tost_p", "flag_domain", "flag_rest", "flag")})
        row["verdict"], row["verdict_reason"] = verdict, reason
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=CLAIM_COLUMNS)
