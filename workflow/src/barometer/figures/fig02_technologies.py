"""Figure 2: use of each AI technology and plans to use it within a year (all firms)."""

from .common import PAIR, FigureData, FigureResult, descending, item_figure, level_series, t

BLOCKS = ("technologies",)
TITLE = {"en": "Adoption by AI technology: use and plans within a year",
         "nl": "Adoptiegraad type AI-technologieën: gebruik en plannen binnen het jaar"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], level, colour) for level, colour in zip(("use", "plan"), PAIR)]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE, notes=[t("sorted", data.language)])
