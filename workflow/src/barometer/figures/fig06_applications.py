"""Figure 6: what adopters use AI for (share of adopters per application)."""

from .catalogue import blocks
from . import style
from .data import FigureData, FigureResult, descending, level_series
from .panels import item_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Applications of AI technologies", "nl": "Toepassing AI-technologieën"}


def draw(data: FigureData) -> FigureResult:
    series = [level_series(data, BLOCKS[0], "yes", style.PALETTE[0])]
    return item_figure(data, BLOCKS[0], series, descending(series[0][2]), TITLE, xlabel="share_adopters")
