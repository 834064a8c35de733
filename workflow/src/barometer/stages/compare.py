"""Stage 4 (rules/compare.smk): the Barometer next to Eurostat, Statbel, its later editions,
Kyndryl and TOPdesk, on harmonised domains."""

from __future__ import annotations

import logging

import pandas as pd

from ..config import read_yaml
from ..io import read_csv, write_csv
from ..published import read_resource

__all__ = ["validate_cross_survey_sources", "compare_surveys"]
log = logging.getLogger("barometer")


def validate_cross_survey_sources(i, o, params, wildcards) -> None:
    from ..source_checks import CROSS_SURVEY_CHECKS, CheckContext, cross_survey_values, load_errata, validate_with_errata

    table = read_resource(i.package, "cross_survey")
    raw = pd.read_csv(i.values, dtype=str, keep_default_na=False)
    relations = (read_yaml(i.checks) or {}).get("relations", [])
    ctx = CheckContext(cross_survey_values(table, raw), None, None, relations, source="cross_survey")
    checks, _ = validate_with_errata(ctx, load_errata(i.errata), i.errata, CROSS_SURVEY_CHECKS)
    write_csv(checks, o.checks)
    log.info("%d cross-survey source checks: %s", len(checks), checks["status"].value_counts().to_dict())


def compare_surveys(i, o, params, wildcards) -> None:
    from ..config import BootstrapSettings, IntervalSettings, reliability_standard
    from ..crosssurvey import (comparison_table, differences_table, gap_table, harmonised_estimands, load_crosswalk,
                               in_scope_response_rate, official_value)
    from ..estimands import design_for, read_analysis, to_percent
    from ..progress import Progress
    from ..survey import estimate

    values = read_resource(i.package, "cross_survey")
    crosswalk = load_crosswalk(i.crosswalk, values)
    codebook, strata, frame = read_analysis(i.respondents, i.weights, i.codebook, i.strata)
    bootstrap = BootstrapSettings.from_config(params.bootstrap)
    ci = IntervalSettings.from_config(params.ci)
    edition = int(crosswalk["barometer_edition"])
    design = design_for(frame, bootstrap).with_replicates(bootstrap.method(params.seed, (edition,)))
    y, masks, table = harmonised_estimands(frame, codebook, crosswalk)
    with Progress("bootstrap cross_survey", "block") as progress:
        est = estimate(design, y, masks, table["kind"].to_numpy(), table, progress=progress)
    harmonised = to_percent(est.table(ci=ci.method, mean_ci=ci.mean_method, level=ci.level,
                                      standard=reliability_standard(params.reliability, params.publication)))
    comparison = comparison_table(crosswalk, values, read_resource(i.package, "sources"), harmonised, ci.level)
    write_csv(harmonised, o.harmonised)
    write_csv(differences_table(comparison, harmonised, ci.level), o.differences)
    # the gap to the official benchmark: the domain (5-9 employees) and what remains
    g = crosswalk["gap"]
    official, rate = official_value(values, g), in_scope_response_rate(read_csv(i.published_values), g)
    gap = gap_table(est, harmonised, g, official, rate, ci.level)
    comparison, gap = _identified(i, comparison, gap, g, official, rate)
    write_csv(comparison, o.comparison)
    write_csv(gap, o.gap)


def _identified(i, comparison, gap, gap_spec, official, rate):
    """What supports each number (see stages/estimate.py): the harmonised domains' bounds."""
    from ..cleaning import bundled
    from ..errors import BarometerError
    from ..identification import merge_comparison, merge_gap, microdata_columns

    if not bundled(read_csv(i.origin)):
        return microdata_columns(comparison), microdata_columns(gap)
    if not i.harmonised_bounds:
        raise BarometerError("the bundled reconstruction needs the edition's published values for its identification "
                             "(editions.<year>.published)")
    harmonised = read_csv(i.harmonised_bounds)
    harmonised["minus"] = harmonised["minus"].fillna("")
    return merge_comparison(comparison, harmonised), merge_gap(gap, harmonised, gap_spec, official, rate)
