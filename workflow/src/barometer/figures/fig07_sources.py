"""Figure 7: how adopters acquired their AI software; below the rule, the codebook's combinations
(adapted commercial or open-source software)."""

import pandas as pd

from . import style
from .common import FigureData, FigureResult, descending, expression_indicators, indicator_series, item_figure, level_series

TITLE = {"en": "Sources of AI technologies", "nl": "Bronnen van AI-technologieën"}


def draw(data: FigureData) -> FigureResult:
    label, colour, rows = level_series(data, "sources", "yes", style.PALETTE[0])
    combined = indicator_series(data, expression_indicators(data, "sources")).assign(colour=style.PALETTE[2])
    series = [(label, colour, pd.concat([rows, combined]))]
    return item_figure(data, "sources", series, descending(rows), TITLE, xlabel="share_adopters", tail=list(combined.index))
