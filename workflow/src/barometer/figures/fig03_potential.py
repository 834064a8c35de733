"""Figure 3: adoption potential (uses or plans within a year) of each AI technology (all firms)."""

from .catalogue import blocks
from . import style
from .data import FigureData, FigureResult, descending, level_series
from .panels import item_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Adoption potential by AI technology (uses or plans to use within a year)",
         "nl": "Adoptiepotentieel type AI-technologieën (gebruik of plannen binnen het jaar)"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], "potential", style.PALETTE[0])]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE)
