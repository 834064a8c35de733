"""Helpers of the cross-survey and longitudinal figures: places, publishers, the published tables."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd

from ..errors import BarometerError
from .data import FigureData, FigureResult
from .panels import caption_text
from .text import TEXT, t

SECONDARY_GRADES = {"press", "blog"}


def geo_label(geo: str, language: str) -> str:
    return t(f"geo_{geo}", language) if f"geo_{geo}" in TEXT else str(geo)


def frame(data: FigureData, key: str, columns: list[str]) -> pd.DataFrame:
    """A cross-survey table of ``data.extra``; a clear error when it is absent or lacks a column."""
    table = data.extra.get(key)
    if table is None:
        raise BarometerError(f"the figure needs the cross-survey table '{key}' (results/cross_survey/{key}.csv)")
    missing = [c for c in columns if c not in table]
    if missing:
        raise BarometerError(f"results/cross_survey/{key}.csv lacks the column(s) {', '.join(missing)}")
    return table


def publisher(data: FigureData, source_id: str) -> str:
    """Short name of a source's publisher ('Statbel (Belgian statistical office)' -> 'Statbel')."""
    sources = data.extra.get("sources")
    if sources is None or source_id not in set(sources["source_id"]):
        return source_id
    name = sources.set_index("source_id").at[source_id, "publisher"]
    return re.split(r" \(|, ", str(name))[0]


def xs_finish(fig: plt.Figure, data: FigureData, title: dict, base: int, notes: list[str]) -> FigureResult:
    text = caption_text(data, title, str(base), None, [*notes, t("published", data.language)])
    return FigureResult(figure=fig, caption=text, base_n=base)
