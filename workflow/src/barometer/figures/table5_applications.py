"""Table 5 as a heatmap: applications of AI by sector group (adopters). Few adopters per sector:
many cells are unreliable or suppressed."""

from .catalogue import blocks
from .data import FigureData, FigureResult
from .panels import heatmap_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Applications of AI technologies by sector", "nl": "Toepassing AI-technologieën per bedrijfssector"}


def draw(data: FigureData) -> FigureResult:
    return heatmap_figure(data, BLOCKS[0], "yes", "sector", TITLE)
