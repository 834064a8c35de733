"""Every published number of an edition next to the workflow's estimate of it.

Numbers quoted in the text are held to +-0.1 percentage point; table cells to a median absolute
difference and a maximum (config ``reproduction``). Bounds stated in words ("less than one in ten")
are checked as bounds. A deviation beyond tolerance is explained by the granularity of the cell:
how many respondents stand behind it and how far one of them moves the estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT_KINDS = ("text",)


def reproduce(published: pd.DataFrame, estimates: pd.DataFrame, usable_counts: pd.Series, tolerances: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reproduction table, summary by location). ``estimates``: indicator, domain, estimate, n,
    max_weight_share (largest single respondent's share of the domain's weight, in percent)."""
    est = estimates.set_index(["indicator", "domain"])
    rows = []
    for r in published.itertuples():
        reproduced, n, step, note = np.nan, np.nan, np.nan, ""
        if r.indicator == "response.usable":
            reproduced = float(usable_counts[_stratum_mask(usable_counts.index, r.domain)].sum())
        elif (r.indicator, r.domain) in est.index:
            e = est.loc[(r.indicator, r.domain)]
            reproduced, n, step = float(e["estimate"]), float(e["n"]), float(e["max_weight_share"])
        else:
            continue
        diff = reproduced - r.value if r.comparator == "=" else np.nan
        if r.comparator == "<":
            ok = reproduced < r.value
            note = f"bound as worded: < {r.value:g}: {'met' if ok else 'NOT met'}"
        elif r.comparator == ">":
            ok = reproduced > r.value
            note = f"bound as worded: > {r.value:g}: {'met' if ok else 'NOT met'}"
        elif r.comparator == "~":
            ok = r.range_low <= reproduced <= r.range_high
            note = f"approximate wording, {r.range_low:g}-{r.range_high:g}: {'met' if ok else 'NOT met'}"
        else:
            if r.kind in TEXT_KINDS:
                tolerance = tolerances["text_tolerance_pp"]
            elif r.statistic == "count":
                tolerance = 0.0
            else:
                tolerance = tolerances["table_max_tolerance_pp"]
            ok = abs(diff) <= tolerance + 1e-9
            if not ok and not np.isnan(step):
                note = (f"beyond +-{tolerance:g} pp: {int(n)} respondents in this cell; one of them moves the "
                        f"estimate by up to {step:.1f} pp, so the published value cannot be matched more closely")
        if isinstance(r.erratum, str) and r.erratum:
            note = (note + "; " if note else "") + f"published value corrected by erratum {r.erratum} (printed {r.value_as_printed:g})"
        rows.append({
            "source_id": r.source_id, "table_or_figure": r.location, "section": r.section, "kind": r.kind,
            "indicator": r.indicator, "domain": r.domain, "comparator": r.comparator, "published": r.value,
            "reproduced": reproduced, "diff_pp": diff, "n": n, "within_tolerance": bool(ok), "note": note,
            "value_id": r.value_id,
        })
    table = pd.DataFrame(rows)
    summary = summarise(table, tolerances)
    return table, summary


def _stratum_mask(strata: pd.Index, domain: str) -> np.ndarray:
    """Strata ("<sector>_<size>") inside a domain such as 'sector=10-33;size=micro' or 'size=small'."""
    sector = strata.str.rsplit("_", n=1).str[0]
    size = strata.str.rsplit("_", n=1).str[1]
    mask = np.ones(len(strata), dtype=bool)
    if domain != "all":
        for part in domain.split(";"):
            key, value = part.split("=", 1)
            mask &= np.asarray((sector if key == "sector" else size) == value)
    return mask


def summarise(table: pd.DataFrame, tolerances: dict) -> pd.DataFrame:
    rows = []
    exact = table[table["comparator"] == "="]
    groups = [("text quotes", exact[exact["kind"].isin(TEXT_KINDS) & (exact["indicator"] != "response.usable")])]
    for location in sorted(exact.loc[exact["kind"] == "table_cell", "table_or_figure"].unique()):
        groups.append((location, exact[(exact["kind"] == "table_cell") & (exact["table_or_figure"] == location)]))
    bounds = table[table["comparator"] != "="]
    for name, group in groups:
        if group.empty:
            continue
        absdiff = group["diff_pp"].abs()
        if name == "text quotes":
            ok = bool((absdiff <= tolerances["text_tolerance_pp"] + 1e-9).all())
            target = f"every value within +-{tolerances['text_tolerance_pp']:g} pp"
        elif group["indicator"].iloc[0] == "response.usable":
            ok = bool((absdiff == 0).all())
            target = "every count exact"
        else:
            ok = bool(absdiff.median() <= tolerances["table_median_tolerance_pp"] + 1e-9 and absdiff.max() <= tolerances["table_max_tolerance_pp"] + 1e-9)
            target = (f"median |diff| <= {tolerances['table_median_tolerance_pp']:g} pp and every cell within "
                      f"+-{tolerances['table_max_tolerance_pp']:g} pp")
        rows.append({"group": name, "values": len(group), "median_abs_diff_pp": absdiff.median(),
                     "max_abs_diff_pp": absdiff.max(), "within_tolerance": int(group["within_tolerance"].sum()),
                     "target": target, "met": ok})
    if len(bounds):
        rows.append({"group": "bounds stated in words", "values": len(bounds), "median_abs_diff_pp": np.nan,
                     "max_abs_diff_pp": np.nan, "within_tolerance": int(bounds["within_tolerance"].sum()),
                     "target": "every bound met", "met": bool(bounds["within_tolerance"].all())})
    return pd.DataFrame(rows)
