"""Figure 9: impact of AI on competitiveness (adopters): shares reporting each effect and, below,
its mean magnitude among the firms reporting it."""

from .common import FigureData, FigureResult, shares_and_means_figure

BLOCKS = ("impact",)
TITLE = {"en": "Impact of AI technologies on competitiveness", "nl": "Impact AI-technologieën op competitiviteit"}


def draw(data: FigureData) -> FigureResult:
    return shares_and_means_figure(data, BLOCKS[0], TITLE)
