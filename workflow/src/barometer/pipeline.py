"""The workflow's stages: each reads its declared inputs, calls the package, writes its outputs.

Snakemake rules (workflow/rules/*.smk) run ``workflow/scripts/run_stage.py``, which calls the
function of this module named after the rule with the rule's input, output, params and wildcards.
Stages hold no statistics of their own; they are the I/O around the package's pure functions.
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from . import intervals
from .analysis import analysis_frame, build_estimands, design_for, to_percent
from .bootstrap import BootstrapSpec, replicate_weights
from .codebook import Codebook
from .config import config_hash, pseudonym_salt, read_yaml
from .errors import BarometerError
from .estimators import contrast, estimate, estimate_table
from .io import read_csv, sha256_file, write_csv, write_json
from .rawdata import load_export
from .reliability import ReliabilityRule
from .strata import Strata, load_frame

# Start-up: each stage imports what only it needs (statsmodels ~0.7 s, frictionless, the cleaning and
# source-check modules) inside its function, so that a stage's process does not pay for the others'.
from .weighting import stratum_weights

log = logging.getLogger("barometer")


def edition_block(config: dict, edition: str) -> dict:
    return config["editions"][str(edition)]


def level_order(strata: Strata) -> dict[str, list[str]]:
    return {"sector": list(strata.sectors["id"]), "size": list(strata.sizes["id"]), "adopter_status": ["adopter", "non_adopter"]}


# ---------------------------------------------------------------------------------------------
def validate_sources(i, o, params, wildcards, config) -> None:
    from .published import read_values
    from .sources import CheckContext, load_errata, validate_with_errata

    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    frame = load_frame(i.frame, strata)
    values = read_values(i.published, i.package)
    relations = (read_yaml(i.source_checks) or {}).get("relations", []) if getattr(i, "source_checks", None) else []
    errata = load_errata(i.errata)
    ctx = CheckContext(values, frame, codebook, relations, source=values["source_id"].iloc[0])
    checks, corrected = validate_with_errata(ctx, errata, i.errata)
    write_csv(checks, o.checks)
    write_csv(corrected, o.values)
    counts = checks["status"].value_counts().to_dict()
    log.info("%d source checks: %s", len(checks), counts)


def reconstruct(i, o, params, wildcards, config) -> None:
    from .reconstruct import reconstruct as generate
    from .reconstruct import write_export

    settings = read_yaml(i.settings)
    published = read_csv(i.values)
    claims = _claims(i)
    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    frame = load_frame(i.frame, strata)
    raw = generate(published, claims, codebook, strata, frame, settings, int(config["seed"]))
    write_export(raw, o.microdata)
    log.info("wrote %d records, sha256 %s", len(raw), sha256_file(o.microdata))


def _claims(i) -> pd.DataFrame:
    """The edition's comparative statements (optional input)."""
    if getattr(i, "claims", None):
        from .published import read_values


        return read_values(i.claims, i.package)
    return pd.DataFrame(columns=["claim_id", "section", "indicator", "domain", "direction"])


def is_bundled(microdata: str | Path) -> bool:
    """The bundled reconstruction carries a checksum file beside it (written by `make reconstruct`);
    real microdata have none, or a file replaced in place no longer matches it."""
    sidecar = Path(str(microdata) + ".sha256")
    if not sidecar.exists():
        return False
    expected = sidecar.read_text(encoding="utf-8").split()[0]
    return sha256_file(microdata) == expected


def clean(i, o, params, wildcards, config) -> None:
    from .cleaning import clean as clean_records

    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    bundled = is_bundled(i.microdata)
    salt, origin = pseudonym_salt(config, bundled=bundled)
    log.info("pseudonym salt: %s", origin)
    raw = load_export(i.microdata, codebook, strata.ids)
    result = clean_records(raw, codebook, strata, salt=salt, **params.cleaning)
    write_csv(result.respondents, o.respondents)
    write_csv(result.exclusions, o.exclusions)
    accounting = result.accounting.copy()
    accounting.loc[len(accounting)] = ["data", "bundled reconstruction" if bundled else "supplied microdata", int(bundled)]
    write_csv(accounting, o.accounting)
    log.info("%d raw records: %d usable, %d excluded", len(raw), len(result.respondents), len(result.exclusions))


def weight(i, o, params, wildcards, config) -> None:
    strata = Strata.load(i.strata)
    frame = load_frame(i.frame, strata)
    respondents = read_csv(i.respondents, dtype={"sector": str})
    weights, diagnostics = stratum_weights(
        respondents, frame, empty_strata=params.weighting["empty_strata"],
        collapse=params.weighting.get("empty_strata_collapse") or {},
    )
    write_csv(weights, o.weights)
    write_csv(diagnostics, o.diagnostics)


def _analysis(i, config):
    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    respondents = read_csv(i.respondents, dtype={"sector": str})
    weights = read_csv(i.weights)
    frame = analysis_frame(respondents, weights, codebook)
    return codebook, strata, frame


def _max_weight_share(weights: np.ndarray, values: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Largest single respondent's share (percent) of each estimand's weight: the granularity."""
    observed = domains & ~np.isnan(values)
    w = np.where(observed, weights[:, None], 0.0)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * w.max(axis=0) / total


def point_estimates(i, o, params, wildcards, config) -> None:
    codebook, strata, frame = _analysis(i, config)
    es = build_estimands(frame, codebook, params.domains, level_order(strata))
    design = design_for(frame, params.bootstrap)
    est = estimate(design, es.values, es.domains, es.table["kind"].to_numpy(), es.table)
    table = es.table[["indicator", "block", "domain", "dimension", "level", "kind", "unit"]].copy()
    table["estimate"] = est.estimate
    table["se_taylor"] = np.sqrt(est.var_taylor)
    table["n"] = est.n
    table["max_weight_share"] = _max_weight_share(design.weights, es.values, es.domains)
    write_csv(to_percent(table), o.estimates)


def reproduce(i, o, params, wildcards, config) -> None:
    from .reproduction import reproduce as reproduce_values

    published = read_csv(i.values)
    estimates = read_csv(i.estimates)
    respondents = read_csv(i.respondents, dtype={"sector": str})
    counts = respondents["stratum"].value_counts()
    table, summary = reproduce_values(published, estimates, counts, params.tolerances)
    write_csv(table, o.table)
    write_csv(summary, o.summary)
    for row in summary.itertuples():
        log.info("%s: %d values, median |diff| %.3f, max %.3f pp, target met: %s", row.group, row.values,
                 row.median_abs_diff_pp, row.max_abs_diff_pp, row.met)


def bootstrap_spec(params, edition: str) -> BootstrapSpec:
    b = params.bootstrap
    return BootstrapSpec(replicates=b["replicates"], seed=int(params.seed), block_size=b["block_size"],
                         stream=(int(edition),), centre=b["centre"])


def bootstrap_estimates(i, o, params, wildcards, config) -> None:
    from .estimators import estimate_partitioned

    codebook, strata, frame = _analysis(i, config)
    values = codebook.indicator_values(frame)
    meta = codebook.indicators.set_index("indicator").loc[values.columns]
    design = design_for(frame, params.bootstrap)
    spec = bootstrap_spec(params, wildcards.edition)
    keep = "percentile" in (params.ci["method"], params.ci["mean_method"])
    partitions = {d: frame[d].astype(str).to_numpy() for d in params.domains}
    pe = estimate_partitioned(design, values.to_numpy(dtype=float), meta["kind"].to_numpy(), partitions,
                              list(values.columns), bootstrap=spec, keep_replicates=keep)
    rule = ReliabilityRule.from_config(params.reliability, params.publication)
    est = pe.as_estimates()
    scale = codebook.items.set_index("item")[["min", "max"]].astype(float)
    items = est.estimands["indicator"].map(meta["item"])
    bounds = (items.map(scale["min"]).fillna(-np.inf).to_numpy(), items.map(scale["max"]).fillna(np.inf).to_numpy())
    table = estimate_table(est, ci_method=params.ci["method"], mean_method=params.ci["mean_method"], level=params.ci["level"],
                           rule=rule, bounds=bounds)
    table.insert(1, "block", table["indicator"].map(meta["block"]))
    table.insert(table.columns.get_loc("kind") + 1, "unit", np.where(table["kind"] == "share", "percent", "mean_percent"))
    observed_domain = np.repeat(np.arange(len(pe.domains)), len(pe.indicators))
    table["max_weight_share"] = _max_weight_share_partitioned(design.weights, values.to_numpy(float), frame, pe)[observed_domain, np.tile(np.arange(len(pe.indicators)), len(pe.domains))]
    table["reliability_standard"] = rule.standard
    table["variance_strata_policy"] = design.singleton_policy
    # Not estimands: a domain outside an indicator's universe by definition (non-adopters for an
    # adopters-only question), and a share fixed by the definition of adopter status (technology use
    # among non-adopters is 0, 'uses at least one' among adopters is 100%)
    universe = table["indicator"].map(meta["universe"])
    defining = {spec["count_codes"]["block"] for spec in (codebook.raw.get("derived") or {}).values() if "count_codes" in spec}
    tautological = table["indicator"].map(meta["block"]).isin(defining) & table["estimate"].isin([0.0, 1.0]) & (table["se_taylor"] == 0)
    structural = (table["dimension"] == "adopter_status") & (((table["n"] == 0) & (universe != "all")) | tautological)
    write_csv(to_percent(table[~structural].reset_index(drop=True)), o.estimates)

    differences = _differences(pe, meta, params)
    write_csv(differences, o.differences)
    write_csv(check_claims(_claims(i), differences, params.differences["alpha"]), o.claims)
    variance = design.variance_strata.assign(singleton_policy=design.singleton_policy)
    write_csv(variance, o.variance_strata)
    log.info("%d estimates, %d differences, B = %d", len(table), len(differences), spec.replicates)


def _max_weight_share_partitioned(weights, values, frame, pe) -> np.ndarray:
    """(domains, indicators): the largest single respondent's share (percent) of the domain's weight."""
    out = np.empty((len(pe.domains), values.shape[1]))
    for d, row in enumerate(pe.domains.itertuples()):
        inside = np.ones(len(frame), dtype=bool) if row.domain == "all" else (frame[row.dimension].astype(str) == row.level).to_numpy()
        out[d] = _max_weight_share(weights, values, inside[:, None])
    return out


def _differences(pe, meta: pd.DataFrame, params) -> pd.DataFrame:
    """Each level of the configured dimensions against the rest of the population, per indicator.
    Intervals: t with the bootstrap standard error of the difference and the design df."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    level = params.ci["level"]
    rows = []
    for d, dom in enumerate(pe.domains.itertuples()):
        if dom.dimension not in params.differences["dimensions"]:
            continue
        for k, indicator in enumerate(pe.indicators):
            if not (pe.n[d, k] > 0 and pe.rest["n"][d, k] > 0):
                continue
            rows.append({"indicator": indicator, "block": meta.at[indicator, "block"], "kind": meta.at[indicator, "kind"],
                         "dimension": dom.dimension, "level": dom.level, "domain": dom.domain,
                         "estimate_domain": pe.estimate[d, k], "estimate_rest": pe.rest["estimate"][d, k],
                         "difference": pe.difference["estimate"][d, k],
                         "var": pe.difference["var_boot"][d, k] if pe.spec is not None else pe.difference["var_taylor"][d, k],
                         "var_taylor": pe.difference["var_taylor"][d, k], "df": pe.difference["df"][d, k],
                         "n_domain": pe.n[d, k], "n_rest": pe.rest["n"][d, k]})
    out = pd.DataFrame(rows)
    se = np.sqrt(out.pop("var").to_numpy())
    df = out["df"].to_numpy(dtype=float)
    low, high = intervals.wald(out["difference"], se, df, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out["difference"].to_numpy() / se
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(t), np.where(df > 0, df, 1)), np.nan)
    out.insert(out.columns.get_loc("var_taylor"), "se", se)
    out["se_taylor"] = np.sqrt(out.pop("var_taylor"))
    out["ci_low"], out["ci_high"], out["t"], out["p_value"] = low, high, t, p
    out["p_adjusted"] = np.nan
    # statsmodels' Holm step calls gc.collect() on every family (0.1 s each with pandas' heap);
    # freezing the current objects keeps those collections cheap
    gc.freeze()
    try:
        for _, idx in out.groupby(["indicator", "dimension"]).groups.items():
            valid = [i for i in idx if np.isfinite(out.at[i, "p_value"])]
            if valid:
                out.loc[valid, "p_adjusted"] = multipletests(out.loc[valid, "p_value"], method=params.differences["adjust"])[1]
    finally:
        gc.unfreeze()
    out["adjust_method"] = params.differences["adjust"]
    out["significant"] = out["p_adjusted"] < params.differences["alpha"]
    percent = out["kind"] == "share"
    for column in ("estimate_domain", "estimate_rest", "difference", "se", "se_taylor", "ci_low", "ci_high"):
        out.loc[percent, column] = out.loc[percent, column] * 100.0
    return out


def check_claims(claims: pd.DataFrame, differences: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The report's comparative statements against the design-based differences."""
    if claims.empty:
        return pd.DataFrame(columns=["claim_id", "indicator", "domain", "direction", "difference", "ci_low", "ci_high", "p_adjusted", "verdict"])
    rows = []
    diffs = differences.set_index(["indicator", "domain"])
    for c in claims.itertuples():
        dimension, level = c.domain.split("=")
        if level == "any":
            group = differences[(differences["indicator"] == c.indicator) & (differences["dimension"] == dimension)]
            if group.empty:
                verdict, d = "not estimated", None
            else:
                significant = group[group["p_adjusted"] < alpha]
                verdict = "supported: no significant difference" if significant.empty else f"not supported: {len(significant)} significant differences"
                d = None
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


def replicate_weights_export(i, o, params, wildcards, config) -> None:
    codebook, strata, frame = _analysis(i, config)
    design = design_for(frame, params.bootstrap)
    spec = bootstrap_spec(params, wildcards.edition)
    weights = replicate_weights(design, spec)
    table = pd.DataFrame(weights, columns=[f"rep_{b + 1:05d}" for b in range(spec.replicates)])
    table.insert(0, "weight", design.weights)
    table.insert(0, "stratum", frame["stratum"].to_numpy())
    table.insert(0, "respondent", frame["respondent"].to_numpy())
    output = Path(o.weights)
    if output.suffix == ".parquet":
        table.to_parquet(output, index=False, compression="zstd")
    else:
        write_csv(table, output)
    write_json({
        "type": "bootstrap", "method": "rescaled bootstrap with fpc (Rao-Wu-Yue, Beaumont & Emond 2022)",
        "replicates": spec.replicates, "scale": spec.scale, "rscales": 1.0, "mse": spec.centre == "mse",
        "seed": spec.seed, "stream": list(spec.stream), "block_size": spec.block_size,
        "singleton_policy": design.singleton_policy, "notes": list(design.notes),
        "r": f'svrepdesign(data = d, repweights = "rep_[0-9]+", weights = ~weight, type = "bootstrap", scale = {spec.scale!r}, rscales = 1, mse = {"TRUE" if spec.centre == "mse" else "FALSE"}, combined.weights = TRUE)',
    }, o.meta)


def validate_cross_survey_sources(i, o, params, wildcards, config) -> None:
    from .published import read_resource
    from .sources import CROSS_SURVEY_CHECKS, CheckContext, cross_survey_values, load_errata, validate_with_errata

    table = read_resource(i.package, "cross_survey")
    raw = pd.read_csv(i.values, dtype=str, keep_default_na=False)
    values = cross_survey_values(table, raw)
    relations = (read_yaml(i.checks) or {}).get("relations", [])
    ctx = CheckContext(values, None, None, relations, source="cross_survey")
    checks, _ = validate_with_errata(ctx, load_errata(i.errata), i.errata, CROSS_SURVEY_CHECKS)
    write_csv(checks, o.checks)
    log.info("%d cross-survey source checks: %s", len(checks), checks["status"].value_counts().to_dict())


def compare_surveys(i, o, params, wildcards, config) -> None:
    from .crosssurvey import comparison_table, differences_table, gap_decomposition, harmonised_estimands, load_crosswalk
    from .published import read_resource

    values = read_resource(i.package, "cross_survey")
    sources = read_resource(i.package, "sources")
    crosswalk = load_crosswalk(i.crosswalk, values)
    codebook, strata, frame = _analysis(i, config)
    design = design_for(frame, params.bootstrap)
    spec = bootstrap_spec(params, str(crosswalk["barometer_edition"]))
    y, masks, table = harmonised_estimands(frame, codebook, crosswalk)
    est = estimate(design, y, masks, table["kind"].to_numpy(), table, bootstrap=spec)
    rule = ReliabilityRule.from_config(params.reliability, params.publication)
    harmonised = to_percent(estimate_table(est, ci_method=params.ci["method"], mean_method=params.ci["mean_method"],
                                           level=params.ci["level"], rule=rule))
    level = params.ci["level"]
    comparison = comparison_table(crosswalk, values, sources, harmonised, level)
    differences = differences_table(comparison, harmonised, level)
    write_csv(harmonised, o.harmonised)
    write_csv(comparison, o.comparison)
    write_csv(differences, o.differences)

    # the gap to the official benchmark: the domain (5-9 employees) and what remains
    g = crosswalk["gap"]
    key = table.reset_index(drop=True)
    pos = {(r.indicator, r.domain): k for k, r in key.iterrows()}
    a, b = pos[(g["indicator"], g["barometer_domain"])], pos[(g["indicator"], g["harmonised_domain"])]
    c = contrast(est, np.array([a]), np.array([b]), design, y, masks)
    se = np.sqrt(c.get("var_boot", c["var_taylor"]))
    low, high = intervals.wald(c["difference"], se, c["df"], level)
    h = harmonised.set_index(["indicator", "domain"])
    official = float(values.set_index("value_id").at[g["official"], "value"])
    published = read_csv(i.published_values)
    rate = _response_rate(published, g)
    gap = gap_decomposition(h.loc[(g["indicator"], g["barometer_domain"])].to_dict(),
                            h.loc[(g["indicator"], g["harmonised_domain"])].to_dict(),
                            {"difference": 100 * c["difference"][0], "ci_low": 100 * low[0], "ci_high": 100 * high[0]},
                            official, rate)
    write_csv(gap, o.gap)


def _response_rate(published: pd.DataFrame, gap: dict) -> float:
    """The fieldwork's response rate from the edition's published counts named in the crosswalk."""
    count = published.drop_duplicates("indicator").set_index("indicator")["value"]
    return float(count[gap["responses"]] / count[gap["reached"]])


def longitudinal(i, o, params, wildcards, config) -> None:
    from .longitudinal import changes, edition_series, shared_indicators
    from .published import read_resource

    editions = list(params.editions)
    codebooks = {e: Codebook.load(path) for e, path in zip(editions, i.codebooks)}
    estimates = {e: read_csv(path) for e, path in zip(editions, i.estimates)}
    shared = shared_indicators(codebooks)
    table = changes(estimates, shared, params.level)
    series = edition_series(estimates, read_resource(i.package, "cross_survey"), read_resource(i.package, "sources"))
    write_csv(table, o.changes)
    write_csv(series, o.series)
    log.info("%d editions, %d shared indicators, %d changes", len(editions), len(shared), len(table))


REPORT_PACKAGES = ("barometer", "snakemake", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
                   "pandera", "frictionless", "jupytext", "nbclient", "nbconvert", "pypandoc_binary", "typst")


def git_commit(root: Path) -> str:
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True).stdout.strip()
        return commit + ("+modified" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def package_versions() -> dict[str, str]:
    from importlib import metadata
    import platform

    versions = {"python": platform.python_version()}
    for name in REPORT_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def report(i, o, params, wildcards, config) -> None:
    from .render import render_report
    from .reliability import ReliabilityRule

    root = Path.cwd()
    # paths relative to the repository root: the context (and so the manifest) is the same wherever
    # the checkout lives; the report resolves them from the context file's place (results/report/)
    files = {name: os.path.relpath(path, root) for name, path in i.items() if name not in ("qmd", "figures", "captions", "code")}
    figures = {}
    for png, caption in zip(i.figures, i.captions):
        figures[Path(png).stem] = {"png": os.path.relpath(png, root), "caption": os.path.relpath(caption, root)}
    accounting = read_csv(i.accounting)
    bundled = bool(accounting.loc[accounting["count"] == "data", "records"].iloc[0])
    edition = params.edition
    block = config["editions"][edition]
    rule = ReliabilityRule.from_config(params.reliability, params.publication)
    official = read_csv(i.comparison)
    official_value = official.loc[official["value_id"] == params.gap["official"], "value"]
    meta = {
        "edition": edition, "edition_label": block["label"], "language": params.language,
        "replicates": params.bootstrap["replicates"], "seed": params.seed, "ci_method": params.ci["method"].replace("_", "-"),
        "ci_level": params.ci["level"], "mean_method": params.ci["mean_method"], "reliability_name": rule.name,
        "min_respondents": params.publication["min_respondents"], "singleton_policy": params.bootstrap["singleton_strata"]["policy"],
        "adjust": params.differences["adjust"], "population": int(load_frame(block["frame"], Strata.load(block["strata"]))["population"].sum()),
        "bundled_reconstruction": bundled, "gap_official_value": float(official_value.iloc[0]) if len(official_value) else float("nan"),
        "response_rate": _response_rate(read_csv(i.published_values), params.gap),
        "git_commit": git_commit(root), "config_hash": config_hash(config), "versions": package_versions(),
    }
    context = Path(o.context)
    write_json({"files": files, "figures": figures, "meta": meta}, context)
    info = render_report(Path(i.qmd), Path(o.html).parent, context_file=context.resolve(), formats=("html", "pdf"))
    log.info("rendered with %s: %s", info["renderer"], ", ".join(x["file"] if isinstance(x, dict) else str(x) for x in info["outputs"]))


STAGES = {
    "validate_sources": validate_sources,
    "reconstruct": reconstruct,
    "clean": clean,
    "weight": weight,
    "point_estimates": point_estimates,
    "reproduce": reproduce,
    "bootstrap_estimates": bootstrap_estimates,
    "replicate_weights": replicate_weights_export,
    "validate_cross_survey_sources": validate_cross_survey_sources,
    "compare_surveys": compare_surveys,
    "report": report,
    "longitudinal": longitudinal,
}


def run(snakemake) -> None:
    """Entry point for workflow/scripts/run_stage.py: dispatch on the rule name, report errors
    without a traceback (the message names file, row and column), exit non-zero."""
    import sys

    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(str(snakemake.log[0]), mode="w", encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format=f"[{snakemake.rule}] %(message)s", handlers=handlers, force=True)
    stage = STAGES.get(getattr(snakemake.params, "stage", snakemake.rule))
    if stage is None:
        raise SystemExit(f"no stage for rule {snakemake.rule}")
    params = SimpleNamespace(**dict(snakemake.params.items()))
    try:
        stage(snakemake.input, snakemake.output, params, snakemake.wildcards, snakemake.config)
    except BarometerError as err:
        log.error("%s", err)
        sys.exit(1)
