"""Figure 7: how adopters acquired their AI software; below the rule, in another colour, the
codebook's combinations of these answers (adapted commercial or open-source software)."""

import pandas as pd

from .catalogue import blocks
from . import style
from .data import FigureData, FigureResult, descending, expression_indicators, indicator_series, level_series
from .panels import item_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Sources of AI technologies", "nl": "Bronnen van AI-technologieën"}
NOTE = {"en": "below the dashed rule: firms giving either of the answers it combines",
        "nl": "onder de stippellijn: bedrijven die een van de gecombineerde antwoorden gaven"}


def draw(data: FigureData) -> FigureResult:
    label, colour, rows = level_series(data, BLOCKS[0], "yes", style.PALETTE[0])
    combined = indicator_series(data, expression_indicators(data, BLOCKS[0])).assign(colour=style.PALETTE[2])
    series = [(label, colour, pd.concat([rows, combined]))]
    return item_figure(data, BLOCKS[0], series, descending(rows), TITLE, xlabel="share_adopters", tail=list(combined.index),
                       notes=[NOTE[data.language]] if len(combined) else [])
