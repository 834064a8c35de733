"""Stage 2 (rules/weight.smk): stratum weights N_h / n_h, their diagnostics per stratum and the
summary of the whole sample."""

from __future__ import annotations

from ..io import read_csv, write_csv
from ..strata import Strata, load_frame
from ..weighting import stratum_weights, weight_summary

__all__ = ["weight"]


def weight(i, o, params, wildcards) -> None:
    frame = load_frame(i.frame, Strata.load(i.strata))
    respondents = read_csv(i.respondents, dtype={"sector": str})
    weights, diagnostics = stratum_weights(respondents, frame, empty_strata=params.weighting["empty_strata"],
                                           collapse=params.weighting.get("empty_strata_collapse") or {})
    write_csv(weights, o.weights)
    write_csv(diagnostics, o.diagnostics)
    write_csv(weight_summary(weights, diagnostics), o.summary)
