"""Figure 5: lack of AI knowledge and skills, every gap level (large, some, none) of each item;
adopters and non-adopters in two panels on one scale."""

import matplotlib.pyplot as plt
import pandas as pd

from .catalogue import blocks
from .data import (ADOPTER, NON_ADOPTER, FigureData, FigureResult, block_levels, block_question, descending, item_series, level_series)
from .panels import bar_panel, bottom_legend, figure_title, finish, item_labels, legend_handles, panel_height, present
from .style import FIG_WIDTH, ordinal_colours
from .text import t

BLOCKS = blocks(__name__)
TITLE = {"en": "Lack of AI knowledge and skills", "nl": "Gebrekkige kennis AI"}


def draw(data: FigureData) -> FigureResult:
    name = BLOCKS[0]
    levels = block_levels(data, name)
    panels = [(d, [level_series(data, name, lv, c, d) for lv, c in zip(levels, ordinal_colours(len(levels)))])
              for d in (ADOPTER, NON_ADOPTER)]
    everyone = item_series(data, name, levels[0])
    keys = present(descending(everyone), [s for _, series in panels for s in series])
    fig, axes = plt.subplots(1, 2, sharey=True, sharex=True, layout="constrained",
                             figsize=(FIG_WIDTH, 1.4 + panel_height(keys, panels[0][1])))
    drawn, groups = [], []
    for ax, (domain, series) in zip(axes, panels):
        rows = bar_panel(ax, keys, item_labels(data, keys, series, 30), series, data.language)
        drawn.append(rows)
        groups.append((data.domain_label(domain), rows))
        ax.set_title(data.domain_label(domain), loc="left", fontsize=9)
        ax.set_xlabel(t("share", data.language))
    axes[0].set_xlim(0, 100)
    figure_title(fig, block_question(data, name))
    drawn = pd.concat(drawn)
    bottom_legend(fig, legend_handles(panels[0][1], drawn, data))
    return finish(fig, data, TITLE, drawn, base=everyone, groups=groups, notes=[t("sorted_pooled", data.language, level=data.level_label(everyone["indicator"].iloc[0]).lower() + " ")])
