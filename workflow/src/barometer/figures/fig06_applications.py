"""Figure 6: what adopters use AI for (share of adopters per application)."""

from . import style
from .common import FigureData, FigureResult, descending, item_figure, level_series

TITLE = {"en": "Applications of AI technologies", "nl": "Toepassing AI-technologieën"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, "applications", "yes", style.PALETTE[0])]
    return item_figure(data, "applications", series, descending(series[0][2]), TITLE, xlabel="share_adopters")
