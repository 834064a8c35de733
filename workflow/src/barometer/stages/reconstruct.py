"""Regenerating the bundled microdata (rules/reconstruct.smk; not in the default target)."""

from __future__ import annotations

import logging

from ..codebook import Codebook
from ..config import read_yaml
from ..io import read_csv, sha256_file
from ..published import read_claims
from ..reconstruct import reconstruct, write_export
from ..strata import Strata, load_frame

__all__ = ["reconstruct_microdata"]
log = logging.getLogger("barometer")


def reconstruct_microdata(i, o, params, wildcards) -> None:
    strata = Strata.load(i.strata)
    raw = reconstruct(read_csv(i.values), read_claims(i.claims, i.package), Codebook.load(i.codebook), strata,
                      load_frame(i.frame, strata), read_yaml(i.settings), int(params.seed))
    write_export(raw, o.microdata)
    log.info("wrote %d records, sha256 %s", len(raw), sha256_file(o.microdata))
