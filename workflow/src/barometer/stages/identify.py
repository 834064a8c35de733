"""Stage 3b (rules/identify.smk): what the published record alone supports: bounds of every estimate,
difference and harmonised domain over all data sets consistent with the published values
(barometer/identification.py, docs/identification.md)."""

from __future__ import annotations

import logging
import time

from ..codebook import Codebook
from ..config import read_yaml
from ..identification import identify as identify_edition
from ..io import read_csv, write_csv
from ..progress import Progress
from ..strata import Strata, load_frame

__all__ = ["identify"]
log = logging.getLogger("barometer")


def identify(i, o, params, wildcards) -> None:
    started = time.perf_counter()
    published = read_csv(i.values)
    published.attrs["path"] = str(i.values)
    strata = Strata.load(i.strata)
    crosswalk = read_yaml(i.crosswalk)
    if str(crosswalk.get("barometer_edition")) != str(wildcards.edition):
        crosswalk = None  # the harmonised domains belong to the edition the comparison re-estimates
    result = identify_edition(published, load_frame(i.frame, strata), strata, Codebook.load(i.codebook), crosswalk)
    with Progress(f"identify {wildcards.edition}: linear programmes", "programme") as progress:
        tables = result.tables(params.domains, params.differences, progress=progress)
    write_csv(tables["bounds"], o.bounds)
    write_csv(tables["difference_bounds"], o.differences)
    write_csv(tables["harmonised_bounds"], o.harmonised)
    for name, table in tables.items():
        log.info("%s: %d rows, %s", name, len(table), table["identified_by"].value_counts().to_dict())
    log.info("identification in %.1f s", time.perf_counter() - started)
