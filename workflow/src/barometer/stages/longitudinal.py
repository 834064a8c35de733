"""Stage 5 (rules/longitudinal.smk): the editions side by side, indicators matched on their ids."""

from __future__ import annotations

import logging

from ..codebook import Codebook
from ..io import read_csv, write_csv
from ..longitudinal import changes, edition_series, shared_indicators
from ..published import read_resource

__all__ = ["longitudinal"]
log = logging.getLogger("barometer")


def longitudinal(i, o, params, wildcards) -> None:
    editions = list(params.editions)
    codebooks = {e: Codebook.load(path) for e, path in zip(editions, i.codebooks)}
    estimates = {e: read_csv(path) for e, path in zip(editions, i.estimates)}
    shared = shared_indicators(codebooks)
    table = changes(estimates, shared, params.level)
    series = edition_series(estimates, read_resource(i.package, "cross_survey"), read_resource(i.package, "sources"))
    write_csv(table, o.changes)
    write_csv(series, o.series)
    log.info("%d editions, %d shared indicators, %d changes", len(editions), len(shared), len(table))
