"""Stage 5 (rules/figures.smk): one figure per job, drawn by the module of barometer.figures the
``figure`` wildcard names (see barometer/figures/catalogue.py), saved as PNG, SVG and caption JSON."""

from __future__ import annotations

import importlib
import logging

from ..errors import BarometerError
from ..figures import style
from ..figures.catalogue import BY_NAME
from ..figures.data import FigureData, FigureResult, figure_data
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
    result = draw(name, figure_data(i, params.language, edition, params.level))
    style.save(result.figure, o.png, o.svg)
    write_json({"figure": name, "caption": result.caption, "base_n": result.base_n, "language": params.language}, o.caption)
    log.info("%s (base N %d)", o.png, result.base_n)


def figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, wildcards.edition)


def cross_survey_figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, params.edition)


def longitudinal_figure(i, o, params, wildcards) -> None:
    _draw_and_save(i, o, params, wildcards.figure, params.edition)
