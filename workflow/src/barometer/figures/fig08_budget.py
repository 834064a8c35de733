"""Figure 8: change in the AI budget over the past year (adopters), the answer scale in order."""

from .common import FigureData, FigureResult, block, cap, item_figure, level_rows

TITLE = {"en": "Change in the AI budget over the past year", "nl": "Evolutie AI-budget"}


def draw(data: FigureData) -> FigureResult:
    (item,) = data.codebook.block_items("budget") if block(data, "budget") else ()
    rows = level_rows(data, "budget", item)
    labels = {k: cap(data.level_label(ind)) for k, ind in rows["indicator"].items()}
    return item_figure(data, "budget", [("", None, rows)], list(rows.index), TITLE, xlabel="share_adopters", labels=labels)
