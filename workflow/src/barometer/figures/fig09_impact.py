"""Figure 9: impact of AI on competitiveness (adopters): shares reporting each effect and, below,
its mean magnitude among the firms reporting it."""

from .catalogue import blocks
from .data import FigureData, FigureResult
from .panels import shares_and_means_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Impact of AI technologies on competitiveness", "nl": "Impact AI-technologieën op competitiviteit"}


def draw(data: FigureData) -> FigureResult:
    return shares_and_means_figure(data, BLOCKS[0], TITLE)
