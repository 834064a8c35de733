"""Table 3 as a heatmap: use of each AI technology by sector group (all firms)."""

from .common import FigureData, FigureResult, heatmap_figure

BLOCKS = ("technologies",)
TITLE = {"en": "Adoption by AI technology and sector", "nl": "Adoptiegraad type AI-technologieën per bedrijfssector"}


def draw(data: FigureData) -> FigureResult:
    return heatmap_figure(data, BLOCKS[0], "use", "sector", TITLE)
