"""Table 4 as a heatmap: use of each AI technology by size class (all firms)."""

from .catalogue import blocks
from .data import FigureData, FigureResult
from .panels import heatmap_figure

BLOCKS = blocks(__name__)
TITLE = {"en": "Adoption by AI technology and firm size", "nl": "Adoptiegraad type AI-technologieën per bedrijfsgrootte"}


def draw(data: FigureData) -> FigureResult:
    return heatmap_figure(data, BLOCKS[0], "use", "size", TITLE)
