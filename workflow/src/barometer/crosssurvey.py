"""The Barometer next to other surveys, on harmonised domains, with honest uncertainty.

The crosswalk (config/crosswalk.yaml) maps each comparable concept to published figures of other
surveys and says on which domain the Barometer must be re-estimated to meet each (e.g. firms with
10+ employees for Eurostat). Barometer estimates come from the same bootstrap estimator as the rest
of the workflow. A published aggregate gets a Wilson interval under simple random sampling only when
it comes from a probability sample of known size (a lower bound of its true uncertainty); otherwise
no interval, and the row says why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .config import SCHEMAS, check_schema, read_yaml
from .errors import ConfigError
from .survey import Estimates
from .survey.intervals import normal_quantile, wald, wilson_srs

CROSSWALK_SCHEMA = SCHEMAS / "crosswalk.schema.yaml"
# How far a published figure can be compared with the Barometer (the ``comparability`` column),
# from the most to the least comparable; the Barometer's own rows are the ``reference``.
COMPARABILITY = {
    "reference": "the Barometer re-estimated from its microdata",
    "like_for_like": "like for like: same instrument, scope, region and year, from an official release or report",
    "same_measure": "same measure, not like for like",
    "context": "context only, never read as a difference",
}
PRIMARY_SOURCES = ("official_release", "report")
# What keeps a comparison from like for like (the ``differs`` column); the first four make it context
CONTEXT_REASONS = ("instrument", "instrument_unknown", "scope_unknown", "secondary_source")
DIFFERS = CONTEXT_REASONS + ("scope", "region", "year")


def comparability(instrument: str, scope: str, same_region: bool, same_year: bool, source_grade: str) -> tuple[str, list[str]]:
    """Grade one comparison from its four dimensions (instrument, population scope, region, year) and
    its source. Like for like needs all four the same and an official release or report; a figure
    known only from press or a blog, or whose instrument or population the source does not state, is
    context whatever else matches; otherwise the same measure in another region, year or scope.
    Returns (grade, what differs) with the reasons in the order of ``DIFFERS``."""
    reasons = {
        "instrument": instrument == "different", "instrument_unknown": instrument == "unknown",
        "scope_unknown": scope == "unknown", "secondary_source": source_grade not in PRIMARY_SOURCES,
        "scope": scope == "different", "region": not same_region, "year": not same_year,
    }
    differs = [k for k in DIFFERS if reasons[k]]
    if any(reasons[k] for k in CONTEXT_REASONS):
        return "context", differs
    return ("same_measure" if differs else "like_for_like"), differs


def load_crosswalk(path: str | Path, values: pd.DataFrame) -> dict:
    """Read and check the crosswalk: schema, and every value_id and domain it names exists."""
    path = Path(path)
    crosswalk = check_schema(read_yaml(path), CROSSWALK_SCHEMA, path)
    known = set(values["value_id"])
    for i, concept in enumerate(crosswalk["concepts"]):
        for j, comparison in enumerate(concept["comparisons"]):
            key = f"concepts[{i}].comparisons[{j}]"
            if comparison["value"] not in known:
                raise ConfigError(f"value_id '{comparison['value']}' is not in the published cross-survey values", key=key, path=path)
            if "domain" in comparison and comparison["domain"] not in crosswalk["domains"]:
                raise ConfigError(f"unknown domain '{comparison['domain']}' (define it under domains)", key=key, path=path)
    return crosswalk


def harmonised_estimands(frame: pd.DataFrame, codebook, crosswalk: dict) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """(values, domains, table) of the Barometer estimands the crosswalk needs."""
    indicators = codebook.indicator_values(frame)
    pairs = []
    for concept in crosswalk["concepts"]:
        if not concept.get("barometer"):
            continue
        indicator = concept["barometer"]["indicator"]
        for comparison in concept["comparisons"]:
            if "domain" in comparison:
                pairs.append((indicator, comparison["domain"]))
        pairs.append((indicator, "all_5plus"))
    pairs = list(dict.fromkeys(pairs))
    values, masks, rows = [], [], []
    for indicator, domain in pairs:
        expression = crosswalk["domains"][domain]["expression"]
        mask = np.asarray(pd.Series(frame.eval(expression, engine="python"), index=frame.index).astype(bool))
        values.append(indicators[indicator].to_numpy(dtype=float))
        masks.append(mask)
        rows.append({"indicator": indicator, "domain": domain})
    kinds = ["share"] * len(rows)
    return np.column_stack(values), np.column_stack(masks), pd.DataFrame(rows).assign(kind=kinds)


def published_interval(value: float, n: float, design: str, level: float) -> tuple[float, float, str]:
    """Wilson interval (percent) for a published share under simple random sampling, or none."""
    if design != "probability_sample":
        return np.nan, np.nan, f"no interval: {design.replace('_', ' ')} (sampling error not defined)"
    if not np.isfinite(n):
        return np.nan, np.nan, "no interval: number of respondents not published"
    low, high = wilson_srs(value / 100.0, n, level)
    return 100 * low, 100 * high, "Wilson interval under simple random sampling: a lower bound of the true uncertainty"


def comparison_table(crosswalk: dict, values: pd.DataFrame, sources: pd.DataFrame, barometer: pd.DataFrame, level: float) -> pd.DataFrame:
    """One row per Barometer estimate and per published figure: concept, source and its grade
    (``source_grade``: official_release, report, press, blog), population, region, year, value,
    ci_low, ci_high, n, design, the comparison's dimensions (``instrument``, ``scope``, ``same_region``,
    ``same_year``), what keeps it from like for like (``differs``), its ``comparability`` grade and a
    note, plus ids."""
    by_id = values.set_index("value_id")
    grade_of_source = sources.set_index("source_id")["grade"]
    est = barometer.set_index(["indicator", "domain"])
    edition = str(crosswalk["barometer_edition"])
    geo = str(crosswalk.get("barometer_geo", "VL"))
    rows = []
    for concept in crosswalk["concepts"]:
        indicator = (concept.get("barometer") or {}).get("indicator")
        used_domains = []
        for comparison in concept["comparisons"]:
            v = by_id.loc[comparison["value"]]
            design = crosswalk["designs"].get(v["survey"], "unknown")
            n = float(v["base_n"]) if pd.notna(v["base_n"]) else np.nan
            low, high, ci_note = published_interval(float(v["value"]), n, design, level)
            source_grade = grade_of_source.get(v["source_id"], "")
            same_region, same_year = str(v["geo"]) == geo, int(v["year"]) == int(edition)
            grade, differs = comparability(comparison["instrument"], comparison["scope"], same_region, same_year, source_grade)
            note = f"{COMPARABILITY[grade]}: {comparison['reason']}. {ci_note}."
            if pd.isna(v["base_n"]) and isinstance(v.get("base_n_note"), str):
                note += f" N: {v['base_n_note']}."
            rows.append({
                "concept": concept["id"], "source": v["source_id"], "source_grade": source_grade,
                "survey": v["survey"], "population": v["population"], "geo": v["geo"], "year": int(v["year"]),
                "value": float(v["value"]), "ci_low": low, "ci_high": high, "n": n, "design": design,
                "instrument": comparison["instrument"], "scope": comparison["scope"], "same_region": same_region,
                "same_year": same_year, "differs": ";".join(differs), "comparability": grade, "note": note,
                "value_id": comparison["value"], "barometer_domain": comparison.get("domain", ""), "indicator": v["indicator"],
            })
            if indicator and comparison.get("domain"):
                used_domains.append(comparison["domain"])
        for domain in dict.fromkeys(["all_5plus", *used_domains]) if indicator else []:
            e = est.loc[(indicator, domain)]
            rows.append({
                "concept": concept["id"], "source": f"ai_barometer_{edition}", "source_grade": "report",
                "survey": "ai_barometer", "population": crosswalk["domains"][domain]["label_en"], "geo": geo,
                "year": int(edition), "value": e["estimate"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                "n": e["n"], "design": "probability_sample", "instrument": "same", "scope": "same", "same_region": True,
                "same_year": True, "differs": "", "comparability": "reference",
                "note": f"re-estimated from the microdata: rescaled bootstrap with fpc, {e['ci_method']} interval; reliability: {e['flag']}",
                "value_id": "", "barometer_domain": domain, "indicator": indicator,
            })
    return pd.DataFrame(rows)


def differences_table(comparison: pd.DataFrame, barometer: pd.DataFrame, level: float) -> pd.DataFrame:
    """Barometer (harmonised) minus each published figure that measures the same thing (like for like,
    or the same measure in another region, year or scope), with a CI; context figures get none. The
    published figure's own sampling error enters only when it has an interval; otherwise the interval
    holds the Barometer's uncertainty alone, and says so."""
    est = barometer.set_index(["indicator", "domain"])
    rows = []
    external = comparison[comparison["comparability"].isin(["like_for_like", "same_measure"])]
    z = normal_quantile(level)
    for r in external.itertuples():
        indicator = comparison.loc[(comparison["concept"] == r.concept) & (comparison["comparability"] == "reference"), "indicator"]
        if indicator.empty or not r.barometer_domain:
            continue
        e = est.loc[(indicator.iloc[0], r.barometer_domain)]
        diff = e["estimate"] - r.value
        se_b = e["se"]
        if np.isfinite(r.ci_low):
            se_x = (r.ci_high - r.ci_low) / (2 * z)
            note = "both sampling errors included (the published one as a lower bound)"
        else:
            se_x = 0.0
            note = "the published figure's sampling error is unknown: the interval holds the Barometer's alone and is too narrow"
        se = float(np.hypot(se_b, se_x))
        rows.append({
            "concept": r.concept, "barometer_domain": r.barometer_domain, "source": r.source, "geo": r.geo,
            "year": r.year, "comparability": r.comparability, "differs": r.differs, "barometer": e["estimate"], "published": r.value,
            "difference": diff, "se": se, "ci_low": diff - z * se, "ci_high": diff + z * se, "note": note,
            "value_id": r.value_id,
        })
    return pd.DataFrame(rows)


def response_rate(published: pd.DataFrame, gap: dict) -> float:
    """The fieldwork's response rate from the edition's published counts named in the crosswalk."""
    count = published.drop_duplicates("indicator").set_index("indicator")["value"]
    return float(count[gap["responses"]] / count[gap["reached"]])


def in_scope_response_rate(published: pd.DataFrame, gap: dict) -> float:
    """Usable responses over the firms reached less the excluded responses: the response rate among
    firms in scope. The excluded responses (outside the scope, no AI answer, second responses) are
    no in-scope respondents, so they leave both counts; the out-of-scope firms among those that did
    not answer are not known and count as in scope. Without ``usable``/``excluded`` in the crosswalk:
    the fieldwork's response rate."""
    if "usable" not in gap or "excluded" not in gap:
        return response_rate(published, gap)
    count = published.drop_duplicates("indicator").set_index("indicator")["value"]
    return float(count[gap["usable"]] / (count[gap["reached"]] - count[gap["excluded"]]))


def domain_contrast(est: Estimates, gap: dict, level: float) -> dict:
    """The Barometer's estimate on its own domain minus on the official figure's domain (percentage
    points), from the same replicates, with a t interval."""
    key = est.estimands.reset_index(drop=True)
    pos = {(r.indicator, r.domain): k for k, r in key.iterrows()}
    a, b = pos[(gap["indicator"], gap["barometer_domain"])], pos[(gap["indicator"], gap["harmonised_domain"])]
    c = est.contrast(np.array([a]), np.array([b]))
    low, high = wald(c.difference, np.sqrt(c.variance), c.df, level)
    return {"difference": 100 * c.difference[0], "ci_low": 100 * low[0], "ci_high": 100 * high[0]}


def official_value(values: pd.DataFrame, gap: dict) -> float:
    """The official benchmark the gap is measured against (crosswalk ``gap.official``)."""
    return float(values.set_index("value_id").at[gap["official"], "value"])


def gap_table(est: Estimates, harmonised: pd.DataFrame, gap: dict, official: float, rate: float, level: float) -> pd.DataFrame:
    """The gap to the official benchmark (crosswalk ``gap:``): what the domain explains and what remains;
    ``rate``: the response rate among in-scope firms (``in_scope_response_rate``)."""
    h = harmonised.set_index(["indicator", "domain"])
    return gap_decomposition(h.loc[(gap["indicator"], gap["barometer_domain"])].to_dict(),
                             h.loc[(gap["indicator"], gap["harmonised_domain"])].to_dict(),
                             domain_contrast(est, gap, level), official, rate)


def gap_decomposition(barometer_all: dict, barometer_10plus: dict, domain_difference: dict, official: float,
                      response_rate: float) -> pd.DataFrame:
    """How much of the gap between the Barometer (5+) and an official 10+ figure the domain explains
    and how much remains; and the adoption non-respondents would need for the gap to vanish, given
    the response rate among in-scope firms (``response_rate``). The domain row is Barometer 5+ minus
    Barometer 10+, so that total = domain + remaining: a negative domain row means that the firms with
    5-9 employees lower the Barometer's estimate (they narrow the gap, not explain it). ``unit`` says
    what each row's value is: percentage points for the three parts of the gap, percent for the
    adoption rate."""
    total_gap = barometer_all["estimate"] - official
    remaining = barometer_10plus["estimate"] - official
    needed = (official - response_rate * barometer_10plus["estimate"]) / (1 - response_rate)
    return pd.DataFrame([
        {"component": "total gap: Barometer (5+) - Eurostat Belgium (10+)", "value": total_gap, "unit": "percentage points",
         "ci_low": barometer_all["ci_low"] - official, "ci_high": barometer_all["ci_high"] - official,
         "note": "Barometer interval only (Eurostat's N unknown)"},
        {"component": "explained by the domain: firms with 5-9 employees", "value": domain_difference["difference"], "unit": "percentage points",
         "ci_low": domain_difference["ci_low"], "ci_high": domain_difference["ci_high"],
         "note": "Barometer 5+ minus Barometer 10+ (bootstrap, same replicates)"},
        {"component": "remaining: Barometer (10+) - Eurostat Belgium (10+)", "value": remaining, "unit": "percentage points",
         "ci_low": barometer_10plus["ci_low"] - official, "ci_high": barometer_10plus["ci_high"] - official,
         "note": "region (Flanders vs Belgium), response rate and non-response bias, instrument context"},
        {"component": "adoption among non-respondents that would close the remaining gap", "value": needed, "unit": "percent",
         "ci_low": np.nan, "ci_high": np.nan,
         "note": f"if the in-scope respondents ({response_rate:.1%} of in-scope firms reached) reflect adoption as estimated, in-scope non-respondents would need this rate"},
    ])
