"""Figure 10: change in the employment of low-skilled workers due to AI (adopters): decrease,
no change, increase, and the mean size of the decrease and of the increase."""

from .catalogue import blocks
from .data import FigureData, FigureResult
from .panels import shares_and_means_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Impact of AI technologies on the employment of low-skilled workers",
         "nl": "Impact AI-technologieën op tewerkstelling laagopgeleide werknemers"}


def draw(data: FigureData) -> FigureResult:
    return shares_and_means_figure(data, BLOCKS[0], TITLE, ["employment_low_skilled"])
