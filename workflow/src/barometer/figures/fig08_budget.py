"""Figure 8: change in the AI budget over the past year (adopters), the answer scale in order."""

from .catalogue import blocks
from .data import FigureData, FigureResult, level_rows
from .panels import item_figure
from .text import cap

BLOCKS = blocks(__name__)
TITLE = {"en": "Change in the AI budget over the past year", "nl": "Evolutie AI-budget"}


def draw(data: FigureData) -> FigureResult:
    rows = level_rows(data, BLOCKS[0])
    labels = {k: cap(data.level_label(ind)) for k, ind in rows["indicator"].items()}
    return item_figure(data, BLOCKS[0], [("", None, rows)], list(rows.index), TITLE, xlabel="share_adopters", labels=labels)
