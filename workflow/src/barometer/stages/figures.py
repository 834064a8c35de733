"""Stage 5 (rules/figures.smk): one figure per job, drawn by the module of barometer.figures the
``figure`` wildcard names (see barometer/figures/catalogue.py) in every report language, saved as
PNG, SVG and caption JSON per language."""

from __future__ import annotations

import importlib
import logging
from dataclasses import replace

from ..errors import BarometerError
from ..figures import style
from ..figures.catalogue import BY_NAME
from ..figures.data import FigureData, FigureResult, check_language, figure_data
from ..io import write_json

__all__ = ["figure", "cross_survey_figure", "longitudinal_figure"]
log = logging.getLogger("barometer")


def draw(name: str, data: FigureData) -> FigureResult:
    """Draw a figure of the catalogue with the project's style."""
    if name not in BY_NAME:
        raise BarometerError(f"unknown figure '{name}'; known figures: {', '.join(sorted(BY_NAME))}")
    module = importlib.import_module(f"barometer.figures.{name}")
    style.apply()
    return module.draw(data)


def _draw_and_save(i, o, params, name: str, edition: str) -> None:
    """The figure in each of ``params.languages``; the outputs are lists in the same order."""
    languages = list(params.languages)
    outputs = [list(x) if not isinstance(x, str) else [x] for x in (o.png, o.svg, o.caption)]
    if any(len(x) != len(languages) for x in outputs):
        raise BarometerError(f"figure {name}: {len(languages)} languages but {[len(x) for x in outputs]} outputs")
    data = figure_data(i, languages[0], edition, params.level)
    for language, png, svg, caption in zip(languages, *outputs):
        result = draw(name, replace(data, language=check_language(language)))
        style.save(result.figure, png, svg)
        write_json({"figure": name, "caption": result.caption, "base_n": result.base_n, "language": language}, caption)
        log.info("%s (base N %d)", png, result.base_n)


def figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, wildcards.edition)


def cross_survey_figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, params.edition)


def longitudinal_figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, params.edition)
