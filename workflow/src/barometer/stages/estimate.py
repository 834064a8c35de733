"""Stage 3 (rules/estimate.smk): point estimates and their reproduction of the published numbers;
bootstrap intervals, reliability flags, tested differences and the report's claims; replicate
weights for other software."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import BootstrapSettings, DifferenceSettings, IntervalSettings, reliability_standard
from ..estimands import (build_estimands, design_for, level_order, max_weight_share, max_weight_share_by_domain,
                         read_analysis, scale_bounds, structural, to_percent)
from ..io import read_csv, write_csv, write_json
from ..survey import estimate, estimate_partitioned

__all__ = ["point_estimates", "reproduce", "bootstrap_estimates", "replicate_weights"]
log = logging.getLogger("barometer")


def point_estimates(i, o, params, wildcards) -> None:
    codebook, strata, frame = read_analysis(i.respondents, i.weights, i.codebook, i.strata)
    es = build_estimands(frame, codebook, params.domains, level_order(strata))
    design = design_for(frame, BootstrapSettings.from_config(params.bootstrap))
    est = estimate(design, es.values, es.domains, es.table["kind"].to_numpy(), es.table)
    table = es.table[["indicator", "block", "domain", "dimension", "level", "kind", "unit"]].copy()
    table["estimate"] = est.estimate
    table["se_taylor"] = np.sqrt(est.var_taylor)
    table["n"] = est.n
    table["max_weight_share"] = max_weight_share(design.weights, es.values, es.domains)
    write_csv(to_percent(table), o.estimates)


def reproduce(i, o, params, wildcards) -> None:
    from ..reproduction import reproduce as reproduce_values

    respondents = read_csv(i.respondents, dtype={"sector": str})
    table, summary = reproduce_values(read_csv(i.values), read_csv(i.estimates), respondents["stratum"].value_counts(),
                                      params.tolerances)
    write_csv(table, o.table)
    write_csv(summary, o.summary)
    for row in summary.itertuples():
        log.info("%s: %d values, median |diff| %.3f, max %.3f pp, target met: %s", row.group, row.values,
                 row.median_abs_diff_pp, row.max_abs_diff_pp, row.met)


def bootstrap_estimates(i, o, params, wildcards) -> None:
    from ..claims import check_claims
    from ..differences import differences_table
    from ..progress import Progress
    from ..published import read_claims

    codebook, strata, frame = read_analysis(i.respondents, i.weights, i.codebook, i.strata)
    values = codebook.indicator_values(frame)
    meta = codebook.indicators.set_index("indicator").loc[values.columns]
    bootstrap = BootstrapSettings.from_config(params.bootstrap)
    ci = IntervalSettings.from_config(params.ci)
    standard = reliability_standard(params.reliability, params.publication)
    design = design_for(frame, bootstrap).with_replicates(bootstrap.method(params.seed, (int(wildcards.edition),)))
    partitions = {d: frame[d].astype(str).to_numpy() for d in params.domains}
    with Progress(f"bootstrap {wildcards.edition}", "block") as progress:
        pe = estimate_partitioned(design, values.to_numpy(dtype=float), meta["kind"].to_numpy(), partitions,
                                  list(values.columns), keep_replicates=ci.keeps_replicates, progress=progress)
    est = pe.as_estimates()
    table = est.table(ci=ci.method, mean_ci=ci.mean_method, level=ci.level, standard=standard,
                      bounds=scale_bounds(codebook, est.estimands["indicator"]))
    table.insert(1, "block", table["indicator"].map(meta["block"]))
    table.insert(table.columns.get_loc("kind") + 1, "unit", np.where(table["kind"] == "share", "percent", "mean_percent"))
    domain_of_row = np.repeat(np.arange(len(pe.domains)), len(pe.indicators))
    indicator_of_row = np.tile(np.arange(len(pe.indicators)), len(pe.domains))
    granularity = max_weight_share_by_domain(design.weights, values.to_numpy(float), frame, pe)
    table["max_weight_share"] = granularity[domain_of_row, indicator_of_row]
    table["reliability_standard"] = standard.key
    table["variance_strata_policy"] = design.singleton_policy
    table = to_percent(table[~structural(table, codebook)].reset_index(drop=True))
    settings = DifferenceSettings.from_config(params.differences)
    differences = differences_table(pe, meta, settings, ci.level, standard)
    claims = check_claims(read_claims(i.claims, i.package), differences, settings)
    table, differences, claims = _identified(i, table, differences, claims)
    write_csv(table, o.estimates)
    write_csv(differences, o.differences)
    write_csv(claims, o.claims)
    write_csv(design.variance_strata.assign(singleton_policy=design.singleton_policy), o.variance_strata)
    log.info("%d estimates, %d differences, B = %d", len(table), len(differences), design.replicates.replicates)


def _identified(i, estimates, differences, claims):
    """What supports each number: bounds from the published record on the bundled reconstruction
    (rules/identify.smk), 'microdata' on supplied data."""
    from ..cleaning import bundled
    from ..errors import BarometerError
    from ..identification import merge_bounds, merge_claims, microdata_columns

    if not bundled(read_csv(i.origin)):
        return microdata_columns(estimates), microdata_columns(differences), microdata_columns(claims)
    if not i.bounds:
        raise BarometerError("the bundled reconstruction needs the edition's published values for its identification "
                             "(editions.<year>.published)")
    difference_bounds = read_csv(i.difference_bounds, dtype={"level": str})
    return (merge_bounds(estimates, read_csv(i.bounds), ["indicator", "domain"], str(i.bounds)),
            merge_bounds(differences, difference_bounds, ["indicator", "dimension", "level"], str(i.difference_bounds)),
            merge_claims(claims, difference_bounds))


def replicate_weights(i, o, params, wildcards) -> None:
    """The first ``bootstrap.export_replicates`` replicate weights of the estimation (the same seeded
    blocks), for R's svrepdesign or Stata's svyset: the variance 1/B' sum (theta_b - mean)^2 over these
    B' replicates is the workflow's bootstrap variance computed from its first B' replicates."""
    from ..survey import replicate_weights as draw_replicate_weights

    codebook, strata, frame = read_analysis(i.respondents, i.weights, i.codebook, i.strata)
    bootstrap = BootstrapSettings.from_config(params.bootstrap)
    exported = bootstrap.exported()
    design = design_for(frame, bootstrap).with_replicates(bootstrap.method(params.seed, (int(wildcards.edition),)))
    method = design.replicates
    table = pd.DataFrame(draw_replicate_weights(design, first=exported), columns=[f"rep_{b + 1:05d}" for b in range(exported)])
    table.insert(0, "weight", design.weights)
    table.insert(0, "stratum", frame["stratum"].to_numpy())
    table.insert(0, "respondent", frame["respondent"].to_numpy())
    output = Path(o.weights)
    if output.suffix == ".parquet":
        table.to_parquet(output, index=False, compression="zstd")
    else:
        write_csv(table, output)
    scale = 1.0 / exported
    write_json({
        "type": "bootstrap", "method": "rescaled bootstrap with fpc (Rao-Wu-Yue, Beaumont & Emond 2022)",
        "replicates": exported, "of_replicates": method.replicates, "scale": scale, "rscales": 1.0,
        "mse": method.centre == "mse", "seed": method.seed, "stream": list(method.stream), "block_size": method.block_size,
        "singleton_policy": design.singleton_policy, "notes": list(design.notes),
        "r": f'svrepdesign(data = d, repweights = "rep_[0-9]+", weights = ~weight, type = "bootstrap", scale = {scale!r}, rscales = 1, mse = {"TRUE" if method.centre == "mse" else "FALSE"}, combined.weights = TRUE)',
    }, o.meta)
    log.info("the first %d of %d replicates, %d respondents: %s", exported, method.replicates, len(table), output)
