"""Figure 9: impact of AI on competitiveness (adopters): shares reporting each effect and, below,
its mean magnitude among the firms reporting it."""

from .common import FigureData, FigureResult, block, shares_and_means_figure

TITLE = {"en": "Impact of AI technologies on competitiveness", "nl": "Impact AI-technologieën op competitiviteit"}


def draw(data: FigureData) -> FigureResult:
    block(data, "impact")
    return shares_and_means_figure(data, "impact", data.codebook.block_items("impact"), TITLE)
