"""Table 4 as a heatmap: use of each AI technology by size class (all firms)."""

from .common import FigureData, FigureResult, heatmap_figure

BLOCKS = ("technologies",)
TITLE = {"en": "Adoption by AI technology and firm size", "nl": "Adoptiegraad type AI-technologieën per bedrijfsgrootte"}


def draw(data: FigureData) -> FigureResult:
    return heatmap_figure(data, BLOCKS[0], "use", "size", TITLE)
