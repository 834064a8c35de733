"""Table 5 as a heatmap: applications of AI by sector group (adopters). Few adopters per sector:
many cells are unreliable or suppressed."""

from .common import FigureData, FigureResult, heatmap_figure

BLOCKS = ("applications",)
TITLE = {"en": "Applications of AI technologies by sector", "nl": "Toepassing AI-technologieën per bedrijfssector"}


def draw(data: FigureData) -> FigureResult:
    return heatmap_figure(data, BLOCKS[0], "yes", "sector", TITLE)
