"""Stage 1 (rules/clean.smk): the raw export -> usable respondents (pseudonymised) and every
excluded record with its reason."""

from __future__ import annotations

import logging

from ..cleaning import clean as clean_records
from ..cleaning import origin_table
from ..codebook import Codebook
from ..config import PseudonymSettings, bundled_microdata
from ..io import sha256_file, write_csv
from ..rawdata import load_export
from ..strata import Strata

__all__ = ["clean"]
log = logging.getLogger("barometer")


def clean(i, o, params, wildcards) -> None:
    codebook = Codebook.load(i.codebook)
    strata = Strata.load(i.strata)
    # the bundled reconstruction is recognised by its content alone (editions.<year>.bundled_sha256)
    bundled = bundled_microdata(sha256_file(i.microdata), params.bundled_sha256)
    salt, origin = PseudonymSettings.from_config(params.pseudonymisation).salt(bundled=bundled)
    log.info("pseudonym salt: %s", origin)
    cleaning = dict(params.cleaning)
    raw = load_export(i.microdata, codebook, strata.ids, max_employees=cleaning.pop("max_employees"))
    result = clean_records(raw, codebook, strata, salt=salt, **cleaning)
    write_csv(result.respondents, o.respondents)
    write_csv(result.exclusions, o.exclusions)
    write_csv(result.accounting, o.accounting)
    write_csv(origin_table(bundled), o.origin)
    log.info("%d raw records: %d usable, %d excluded", len(raw), len(result.respondents), len(result.exclusions))
