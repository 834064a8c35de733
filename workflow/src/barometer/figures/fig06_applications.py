"""Figure 6: what adopters use AI for (share of adopters per application)."""

from . import style
from .common import FigureData, FigureResult, descending, item_figure, level_series

BLOCKS = ("applications",)
TITLE = {"en": "Applications of AI technologies", "nl": "Toepassing AI-technologieën"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], "yes", style.PALETTE[0])]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE, xlabel="share_adopters")
