"""Figure 2: use of each AI technology and plans to use it within a year (all firms)."""

from .catalogue import blocks
from .data import FigureData, FigureResult, descending, level_series
from .panels import item_figure
from .style import PAIR
from .text import t

BLOCKS = blocks(__name__)
TITLE = {"en": "Adoption by AI technology: use and plans within a year",
         "nl": "Adoptiegraad type AI-technologieën: gebruik en plannen binnen het jaar"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], level, colour) for level, colour in zip(("use", "plan"), PAIR)]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE, notes=[t("sorted_use", data.language)])
