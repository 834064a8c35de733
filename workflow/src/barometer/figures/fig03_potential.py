"""Figure 3: adoption potential (uses or plans within a year) of each AI technology (all firms)."""

from . import style
from .common import FigureData, FigureResult, descending, item_figure, level_series

BLOCKS = ("technologies",)
TITLE = {"en": "Adoption potential by AI technology (uses or plans to use within a year)",
         "nl": "Adoptiepotentieel type AI-technologieën (gebruik of plannen binnen het jaar)"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], "potential", style.PALETTE[0])]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE)
