"""Stage 1 (rules/clean.smk): the raw export -> usable respondents (pseudonymised) and every
excluded record with its reason."""

from __future__ import annotations

import logging
from pathlib import Path

from ..cleaning import clean as clean_records
from ..cleaning import origin_table
from ..codebook import Codebook
from ..config import PseudonymSettings
from ..io import sha256_file, write_csv
from ..rawdata import load_export
from ..strata import Strata

__all__ = ["clean"]
log = logging.getLogger("barometer")


def is_bundled(microdata: str | Path) -> bool:
    """The bundled reconstruction carries a checksum file beside it (written by `make reconstruct`);
    real microdata have none, or a file replaced in place no longer matches it."""
    sidecar = Path(str(microdata) + ".sha256")
    if not sidecar.exists():
        return False
    expected = sidecar.read_text(encoding="utf-8").split()[0]
    return sha256_file(microdata) == expected


def clean(i, o, params, wildcards) -> None:
    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    bundled = is_bundled(i.microdata)
    salt, origin = PseudonymSettings.from_config(params.pseudonymisation).salt(bundled=bundled)
    log.info("pseudonym salt: %s", origin)
    raw = load_export(i.microdata, codebook, strata.ids)
    result = clean_records(raw, codebook, strata, salt=salt, **params.cleaning)
    write_csv(result.respondents, o.respondents)
    write_csv(result.exclusions, o.exclusions)
    write_csv(result.accounting, o.accounting)
    write_csv(origin_table(bundled), o.origin)
    log.info("%d raw records: %d usable, %d excluded", len(raw), len(result.respondents), len(result.exclusions))
