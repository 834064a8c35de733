"""The Snakemake stage of the figures (rules ``figure`` and ``cross_survey_figure``): read the
inputs, draw the figure the ``figure`` wildcard names, write its PNG, SVG and caption JSON.

Errors a user can act on (a missing column, an unknown figure, a codebook without the figure's
block) are reported in one line, without a traceback, and the job exits non-zero.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from pathlib import Path

import pandas as pd

from ..codebook import Codebook
from ..config import read_yaml
from ..errors import BarometerError, InputError
from ..io import read_csv, write_json
from ..strata import Strata
from . import style
from .common import ESTIMATE_COLUMNS, FigureData, FigureResult

log = logging.getLogger("barometer.figures")
FIGURE_NAME = re.compile(r"^(fig\d{2}|table\d+|xs|lg)_[a-z0-9_]+$")
LANGUAGES = ("en", "nl")
CROSS_SURVEY = {"comparison": ["concept", "source", "source_grade", "survey", "geo", "year", "value", "ci_low", "ci_high",
                               "n", "grade", "note", "value_id", "barometer_domain", "indicator"],
                "differences": ["concept", "barometer_domain", "source", "geo", "year", "grade", "barometer", "published",
                                "difference", "ci_low", "ci_high", "value_id"],
                "series": ["year", "value", "ci_low", "ci_high", "kind", "source", "grade"],
                "changes": ["indicator", "domain", "edition_from", "edition_to", "change", "ci_low", "ci_high", "wording_changed"]}


def figure_names() -> list[str]:
    """The figure modules of this package (fig01_adoption, ..., xs_forest)."""
    return sorted(p.stem for p in Path(__file__).parent.glob("*.py") if FIGURE_NAME.match(p.stem))


def figure_module(name: str):
    if name not in figure_names():
        raise BarometerError(f"unknown figure '{name}'; known figures: {', '.join(figure_names())}")
    return importlib.import_module(f"{__package__}.{name}")


def read_table(path: str | Path, columns: list[str]) -> pd.DataFrame:
    try:
        table = read_csv(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty", path=path) from None
    missing = [c for c in columns if c not in table]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=path, column=missing[0])
    return table


def published_values(package: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published cross-survey figures with the grade of their source, and the sources."""
    from ..published import read_resource

    sources = read_resource(package, "sources")
    values = read_resource(package, "cross_survey").merge(
        sources[["source_id", "grade"]].rename(columns={"grade": "source_grade"}), on="source_id", how="left")
    return values, sources


def figure_data(inputs, language: str, edition: str) -> FigureData:
    """FigureData from a rule's inputs: estimates, codebook and strata; the cross-survey tables,
    published values and crosswalk where the rule has them."""
    if language not in LANGUAGES:
        raise BarometerError(f"report.language must be one of {', '.join(LANGUAGES)}, not '{language}'")
    extra = {key: read_table(getattr(inputs, key), columns) for key, columns in CROSS_SURVEY.items() if hasattr(inputs, key)}
    if hasattr(inputs, "package"):
        extra["published"], extra["sources"] = published_values(inputs.package)
    if hasattr(inputs, "crosswalk"):
        extra["crosswalk"] = read_yaml(inputs.crosswalk)
    estimates = read_table(inputs.estimates, ESTIMATE_COLUMNS)
    return FigureData(estimates=estimates, codebook=Codebook.load(inputs.codebook), strata=Strata.load(inputs.strata),
                      edition=str(edition), language=language, extra=extra)


def draw(name: str, data: FigureData) -> FigureResult:
    module = figure_module(name)
    style.apply()
    return module.draw(data)


def save(result: FigureResult, name: str, language: str, png: str | Path, svg: str | Path, caption: str | Path) -> None:
    style.save(result.figure, png, svg)
    write_json({"figure": name, "caption": result.caption, "base_n": result.base_n, "language": language}, caption)


def run(snakemake) -> None:
    """Entry point of workflow/scripts/run_figure.py."""
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(str(snakemake.log[0]), mode="w", encoding="utf-8"))
    name = snakemake.wildcards.figure
    logging.basicConfig(level=logging.INFO, format=f"[{snakemake.rule} {name}] %(message)s", handlers=handlers, force=True)
    language = snakemake.params.language
    edition = getattr(snakemake.wildcards, "edition", None) or snakemake.params.edition
    try:
        result = draw(name, figure_data(snakemake.input, language, edition))
        save(result, name, language, snakemake.output.png, snakemake.output.svg, snakemake.output.caption)
    except BarometerError as err:
        log.error("%s", err)
        sys.exit(1)
    log.info("%s (base N %d)", snakemake.output.png, result.base_n)
