"""Figure 1: number of AI technologies in use (all firms): non-adopters with and without plans,
then adopters by the number of technologies. The groups come from the codebook's indicator
relations (the parts that add up to the adopter and non-adopter shares)."""

import pandas as pd
from matplotlib.patches import Patch

from .catalogue import blocks
from .data import FigureData, FigureResult, indicator_series
from .panels import item_figure
from .style import DOMAIN_COLOURS
from .text import num

BLOCKS = blocks(__name__)
TITLE = {"en": "Number of AI technologies used", "nl": "Adoptiegraad aantal AI-technologieën"}


def groups(data: FigureData) -> list[tuple[str, list[str]]]:
    """(total, parts) of the relations between the technology-count indicators, non-adopters first."""
    meta = data.codebook.indicators.set_index("indicator")
    adopter = data.codebook.raw["derived"]["adopter"]["expression"].replace(" ", "")
    out = []
    for relation in data.codebook.raw.get("indicator_relations") or []:
        total = relation["total"]
        if isinstance(total, str) and total in meta.index and meta.at[total, "base"] == "technologies":
            out.append((total, list(relation["parts"])))
    return sorted(out, key=lambda g: meta.at[g[0], "expression"].replace(" ", "") == adopter)


def draw(data: FigureData) -> FigureResult:
    rows, handles, totals = [], [], []
    for (total, parts), colour in zip(groups(data), (DOMAIN_COLOURS["non_adopter"], DOMAIN_COLOURS["adopter"])):
        rows.append(indicator_series(data, parts).assign(colour=colour))
        t_row = indicator_series(data, [total])
        totals.append(t_row)
        if len(t_row):
            r = t_row.iloc[0]
            handles.append(Patch(color=colour, alpha=0.85, label=f"{data.item_label(total)}: {num(r.estimate, data.language)}% "
                                 f"[{num(r.ci_low, data.language)}–{num(r.ci_high, data.language)}]"))
    series = [("", None, pd.concat(rows))]
    return item_figure(data, BLOCKS[0], series, list(series[0][2].index), TITLE, base=pd.concat(totals), handles=handles)
