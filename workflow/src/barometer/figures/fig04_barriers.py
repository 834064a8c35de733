"""Figure 4: barriers to implementing AI, adopters and non-adopters side by side."""

from .catalogue import blocks
from .data import ADOPTER, NON_ADOPTER, FigureData, FigureResult, descending, domain_series, item_series
from .panels import item_figure
from .text import t

BLOCKS = blocks(__name__)
TITLE = {"en": "Barriers to adopting AI technologies", "nl": "Drempels adoptie AI-technologieën"}


def draw(data: FigureData) -> FigureResult:
    series = domain_series(data, BLOCKS[0], "yes", [ADOPTER, NON_ADOPTER])
    everyone = item_series(data, BLOCKS[0], "yes")
    return item_figure(data, BLOCKS[0], series, descending(everyone), TITLE, base=everyone,
                       groups=[(label, rows) for label, _, rows in series], notes=[t("sorted_pooled", data.language, level="")])
