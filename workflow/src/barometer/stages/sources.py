"""Stage 0 (rules/sources.smk): the published figures, checked and corrected only by errata."""

from __future__ import annotations

import logging

from ..codebook import Codebook
from ..config import read_yaml
from ..io import write_csv
from ..published import read_values
from ..source_checks import CheckContext, load_errata, validate_with_errata
from ..strata import Strata, load_frame

__all__ = ["validate_sources"]
log = logging.getLogger("barometer")


def validate_sources(i, o, params, wildcards) -> None:
    codebook = Codebook.load(i.codebook)
    frame = load_frame(i.frame, Strata.load(i.strata))
    values = read_values(i.published, i.package)
    relations = (read_yaml(i.source_checks) or {}).get("relations", []) if getattr(i, "source_checks", None) else []
    ctx = CheckContext(values, frame, codebook, relations, source=values["source_id"].iloc[0])
    checks, corrected = validate_with_errata(ctx, load_errata(i.errata), i.errata)
    write_csv(checks, o.checks)
    write_csv(corrected, o.values)
    log.info("%d source checks: %s", len(checks), checks["status"].value_counts().to_dict())
