"""Editions side by side: indicators shared by two or more editions and their change.

Indicators are matched on their id (the codebooks keep item ids stable across editions). An item
whose wording differs between two editions, or that a codebook marks ``wording_changed``, and an
indicator derived from a block whose items changed (adoption of 'at least one of' a longer list of
technologies), is kept but marked: the change is then not a like-for-like comparison. Editions are
independent samples, so the variance of a change is the sum of the two variances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codebook import Codebook
from .survey import independent_difference

KEY_DOMAINS = ("all", "size=micro", "size=small", "size=medium", "size=large")


def shared_indicators(codebooks: dict[str, Codebook]) -> pd.DataFrame:
    """One row per indicator present in at least two editions, with how its wording compares."""
    frames = []
    for edition, codebook in codebooks.items():
        items = codebook.items.set_index("item")
        ind = codebook.indicators[["indicator", "item", "source", "base", "expression"]].copy()
        ind["edition"] = edition
        # an indicator derived from a block (e.g. 'uses at least one technology') changes meaning
        # when the block's items change, even if its own id and expression stay the same
        derived = ind["source"] == "expression"
        ind.loc[derived, "wording"] = [f"{x} over {sorted(codebook.block_items(b))}" for x, b in zip(ind.loc[derived, "expression"], ind.loc[derived, "base"])]
        ind["wording"] = ind["wording"].fillna(ind["item"].map(items["wording_nl"])).fillna(ind["indicator"])
        ind["changed_flag"] = ind["item"].map(items["wording_changed"]).fillna(False).astype(bool)
        frames.append(ind)
    table = pd.concat(frames, ignore_index=True)
    counts = table.groupby("indicator")["edition"].nunique()
    shared = table[table["indicator"].isin(counts[counts >= 2].index)]
    rows = []
    for indicator, group in shared.groupby("indicator", sort=True):
        wordings = group["wording"].nunique()
        changed = bool(group["changed_flag"].any() or wordings > 1)
        rows.append({"indicator": indicator, "editions": ";".join(sorted(group["edition"])), "wording_changed": changed})
    return pd.DataFrame(rows, columns=["indicator", "editions", "wording_changed"])


def changes(estimates: dict[str, pd.DataFrame], shared: pd.DataFrame, level: float = 0.95, domains=KEY_DOMAINS) -> pd.DataFrame:
    """Estimates per edition and the change between consecutive editions, with intervals."""
    rows = []
    editions = sorted(estimates)
    for s in shared.itertuples():
        for domain in domains:
            present = []
            for edition in editions:
                e = estimates[edition]
                hit = e[(e["indicator"] == s.indicator) & (e["domain"] == domain)]
                if len(hit):
                    present.append((edition, hit.iloc[0]))
            for (first, a), (second, b) in zip(present, present[1:]):
                change = independent_difference(a["estimate"], a["se"], b["estimate"], b["se"], level)
                note = "wording or definition changed between editions: not a like-for-like change" if s.wording_changed else ""
                if a["flag"] == "suppress" or b["flag"] == "suppress":
                    note = "; ".join(filter(None, [note, "an edition's estimate is too unreliable to publish"]))
                rows.append({
                    "indicator": s.indicator, "domain": domain, "edition_from": first, "edition_to": second,
                    "estimate_from": a["estimate"], "ci_low_from": a["ci_low"], "ci_high_from": a["ci_high"],
                    "estimate_to": b["estimate"], "ci_low_to": b["ci_low"], "ci_high_to": b["ci_high"],
                    "change": change["difference"], "se": change["se"], "ci_low": change["ci_low"],
                    "ci_high": change["ci_high"], "p_value": change["p_value"],
                    "wording_changed": s.wording_changed, "note": note,
                })
    columns = ["indicator", "domain", "edition_from", "edition_to", "estimate_from", "ci_low_from", "ci_high_from",
               "estimate_to", "ci_low_to", "ci_high_to", "change", "se", "ci_low", "ci_high", "p_value", "wording_changed", "note"]
    return pd.DataFrame(rows, columns=columns)


def edition_series(estimates: dict[str, pd.DataFrame], cross_survey: pd.DataFrame, sources: pd.DataFrame,
                   indicator: str = "adoption.any", published_indicator: str = "barometer.ai_any") -> pd.DataFrame:
    """Headline adoption per edition: estimated from microdata where an edition is configured, and
    the later editions' published figures (published-only points, with their source grade)."""
    rows = []
    for edition, e in sorted(estimates.items()):
        hit = e[(e["indicator"] == indicator) & (e["domain"] == "all")]
        if len(hit):
            r = hit.iloc[0]
            rows.append({"year": int(edition), "value": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "kind": "estimated from microdata", "source": f"ai_barometer_{edition}", "grade": "microdata"})
    grade = sources.set_index("source_id")["grade"]
    published = cross_survey[(cross_survey["indicator"] == published_indicator) & (cross_survey["geo"] == "VL")]
    configured = {int(e) for e in estimates}
    for r in published.itertuples():
        if int(r.year) in configured and r.source_id.startswith(f"ai_barometer_{int(r.year)}"):
            continue  # the edition is estimated from its own microdata
        rows.append({"year": int(r.year), "value": float(r.value), "ci_low": np.nan, "ci_high": np.nan,
                     "kind": "published only", "source": r.source_id, "grade": grade.get(r.source_id, "")})
    return pd.DataFrame(rows).sort_values(["year", "kind", "source"]).reset_index(drop=True)
