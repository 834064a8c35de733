"""Figure 11: change in the employment of high-skilled workers due to AI (adopters): decrease,
no change, increase, and the mean size of the decrease and of the increase."""

from .catalogue import blocks
from .data import FigureData, FigureResult
from .panels import shares_and_means_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Impact of AI technologies on the employment of high-skilled workers",
         "nl": "Impact AI-technologieën op tewerkstelling hoogopgeleide werknemers"}


def draw(data: FigureData) -> FigureResult:
    return shares_and_means_figure(data, BLOCKS[0], TITLE, ["employment_high_skilled"])
