"""Figure 12: awareness of the Flemish AI action plan, and participation in (or only knowing) each
of the government's AI initiatives (all firms)."""

from .catalogue import blocks
from .data import FigureData, FigureResult, block_question, descending, level_series
from .panels import bottom_legend, finish, item_labels, legend_handles, stacked_figure
from .style import PAIR

BLOCKS = blocks(__name__)
TITLE = {"en": "Awareness of the Flemish AI action plan and its initiatives", "nl": "Kennis Vlaams Actieplan AI en initiatieven"}


def draw(data: FigureData) -> FigureResult:
    aware = [level_series(data, BLOCKS[0], "yes", PAIR[0])]
    initiatives = [level_series(data, BLOCKS[1], lv, c) for lv, c in zip(("participated", "known_only"), PAIR)]
    part, known = initiatives[0][2], initiatives[1][2]
    order = descending(part.assign(estimate=part["estimate"].add(known["estimate"], fill_value=0)))
    a_keys = list(aware[0][2].index)
    fig, drawn, _ = stacked_figure(data, [
        (block_question(data, BLOCKS[0]), a_keys, item_labels(data, a_keys, aware), aware, "share"),
        (block_question(data, BLOCKS[1]), order, item_labels(data, order, initiatives, 48), initiatives, "share"),
    ])
    for ax in fig.axes:
        ax.set_xlim(0, drawn["ci_high"].max() * 1.12 + 1)
    bottom_legend(fig, legend_handles(initiatives, drawn, data))
    return finish(fig, data, TITLE, drawn)
