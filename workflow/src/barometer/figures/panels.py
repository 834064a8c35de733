"""Drawing: bars with interval whiskers and reliability marks, heatmaps, legends, titles and captions."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..errors import BarometerError
from ..support import NEEDS_BOUNDS, any_needs_bounds, bounds_of, needs_bounds
from . import style
from .data import (ADOPTER, FigureData, FigureResult, Series, asked_note, block, block_levels, block_question,
                   conditional_means, descending, indicator_series, item_series, level_code, level_rows)
from .style import FIG_WIDTH, ROW_INCH
from .text import cap, count, num, short_label, t, wrap

Panel = tuple  # (title, keys, labels, series, xlabel key)


def interval_bars(ax: plt.Axes, labels: list[str], rows: pd.DataFrame, *, color=None, offset: float = 0.0,
                  height: float = 0.8, label: str | None = None) -> None:
    """Horizontal bars with CI whiskers; 'review' cells hatched, 'suppress' cells drawn as × only."""
    y = np.arange(len(rows)) + offset
    color = color or style.PALETTE[0]
    for yi, r in zip(y, rows.itertuples()):
        if r.flag == "suppress":
            ax.plot([r.estimate], [yi], marker="x", color=style.NEUTRAL, markersize=6)
            continue
        ax.barh(yi, r.estimate, height=height, color=color, alpha=0.85 if r.flag == "ok" else 0.45,
                hatch=style.UNRELIABLE_HATCH if r.flag == "review" else None, edgecolor="white" if r.flag == "ok" else color,
                linewidth=0.6, label=label if yi == y[0] else None)
        ax.errorbar(r.estimate, yi, xerr=[[r.estimate - r.ci_low], [r.ci_high - r.estimate]], fmt="none",
                    ecolor="#333333", elinewidth=0.9, capsize=2)
    if offset == 0.0:
        ax.set_yticks(np.arange(len(rows)))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()


def reliability_note(rows: pd.DataFrame, language: str) -> str:
    notes = []
    if (rows["flag"] == "review").any():
        notes.append(t("review", language))
    if (rows["flag"] == "suppress").any():
        notes.append(t("suppress", language))
    return "; ".join(notes)


def caption(title: str, base_n: int | str, data: FigureData, rows: pd.DataFrame | None = None, extra: str = "",
            support_key: str = "hollow_note") -> str:
    shown = re.sub(r"\d{4,}", lambda m: count(int(m.group(0)), data.language), str(base_n))
    parts = [f"{title} ({t('base', data.language)} = {shown})", t("ci_short", data.language, level=data.level_percent)]
    if rows is not None:
        note = "; ".join(x for x in (reliability_note(rows, data.language), support_note(rows, data.language, support_key)) if x)
        if note:
            parts.append(note)
    if extra:
        parts.append(extra)
    parts.append(t("source", data.language, edition=data.edition))
    return ". ".join(parts) + "."


def draw_bar(ax: plt.Axes, y: float, r, color: str, height: float) -> None:
    """One bar with its CI whisker, marked like interval_bars (review: hatched and lighter; suppress:
    × at the estimate, or at 0 without one, and no bar). Intervals of means are cut at 0. A value of
    the bundled reconstruction that the published tables do not pin down (``support.needs_bounds``)
    is a hollow bar (outline only), with the range the published tables allow as a thin bar along
    its lower edge (``bound_range``)."""
    if r.flag == "suppress":
        ax.plot([0 if pd.isna(r.estimate) else r.estimate], [y], marker="x", color=style.NEUTRAL, markersize=6, zorder=3)
        return
    ok = r.flag == "ok"
    if needs_bounds(r):
        ax.barh(y, r.estimate, height=height, facecolor="white", edgecolor=color, linewidth=1.0,
                hatch=None if ok else style.UNRELIABLE_HATCH)
        bound_range(ax, y + height / 2, r, height)
    else:
        ax.barh(y, r.estimate, height=height, color=color, alpha=0.85 if ok else 0.45, linewidth=0.6,
                hatch=None if ok else style.UNRELIABLE_HATCH, edgecolor="white" if ok else color)
    ax.errorbar(r.estimate, y, xerr=[[r.estimate - max(r.ci_low, 0.0)], [r.ci_high - r.estimate]], fmt="none",
                ecolor="#333333", elinewidth=0.9, capsize=2, zorder=3)


def bound_range(ax: plt.Axes, y: float, r, height: float, vertical: bool = False) -> bool:
    """The range the published tables allow (bound_low, bound_high) as a thin dark bar centred at
    ``y`` (an x position when ``vertical``); nothing when the row has no bounds. Returns whether drawn."""
    bounds = bounds_of(r)
    if bounds is None:
        return False
    low, high = bounds
    thin = max(height * 0.1, 0.04)
    if vertical:
        ax.bar(y, high - low, bottom=low, width=thin, color=style.BOUNDS, linewidth=0, zorder=2)
    else:
        ax.barh(y, high - low, left=low, height=thin, color=style.BOUNDS, linewidth=0, zorder=2)
    return True


def support_handles(rows: pd.DataFrame, language: str, cells: bool = False) -> list:
    """Legend entries for hollow values of the reconstruction and the range the published tables
    allow, when the rows drawn have any (``cells``: a heatmap's dashed cell, no range)."""
    if not any_needs_bounds(rows[rows["flag"] != "suppress"] if "flag" in rows else rows):
        return []
    if cells:
        return [Patch(facecolor="white", edgecolor="#333333", linestyle="--", linewidth=1.0, label=t("hollow_key", language))]
    handles = [Patch(facecolor="white", edgecolor="#333333", linewidth=1.0, label=t("hollow_key", language))]
    shown = rows[rows["identified_by"].isin(NEEDS_BOUNDS)]
    if shown["bound_low"].notna().any():
        handles.append(Line2D([], [], color=style.BOUNDS, linewidth=2.0, label=t("bounds_key", language)))
    return handles


def support_note(rows: pd.DataFrame | None, language: str, key: str = "hollow_note") -> str:
    """The caption's sentence on hollow values, when the rows drawn have any."""
    if rows is None or not any_needs_bounds(rows[rows["flag"] != "suppress"] if "flag" in rows else rows):
        return ""
    return t(key, language)


def bar_panel(ax: plt.Axes, keys: list[str], labels: list[str], series: list[Series], language: str,
              *, annotate: bool = True) -> pd.DataFrame:
    """Horizontal bars: one row per key (top to bottom), the series' bars side by side within a row,
    each value printed right of its whisker. Returns the rows drawn."""
    h = 0.8 / len(series)
    drawn = []
    for i, key in enumerate(keys):
        for j, (_, colour, rows) in enumerate(series):
            if key not in rows.index:
                continue
            r = rows.loc[key]
            y = i + (j - (len(series) - 1) / 2) * h
            own = r.get("colour")
            draw_bar(ax, y, r, own if isinstance(own, str) else colour, h * 0.9)
            drawn.append(r)
            if annotate and r.flag != "suppress":
                ax.text(r.ci_high, y, f" {num(r.estimate, language)}", va="center", ha="left", fontsize=6.5,
                        color="#333333", style="normal" if r.flag == "ok" else "italic")
    ax.set_yticks(range(len(keys)), labels)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.tick_params(axis="y", length=0)
    drawn = pd.DataFrame(drawn)
    right = drawn["ci_high"].max() if len(drawn) else 1.0
    if any_needs_bounds(drawn):
        right = max(right, drawn.loc[drawn["identified_by"].isin(NEEDS_BOUNDS) & (drawn["flag"] != "suppress"), "bound_high"].max())
    ax.set_xlim(0, right * 1.12 + 1.0)
    number_axis(ax.xaxis, language)
    return drawn


def number_axis(axis, language: str) -> None:
    """Ticks at round numbers (1, 2, 5 x 10^k), with the language's decimal separator."""
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: num(v, language, 0 if float(v).is_integer() else 1)))


def item_labels(data: FigureData, keys: list[str], series: list[Series], width: int = 42) -> list[str]:
    indicator = {k: rows.at[k, "indicator"] for _, _, rows in reversed(series) for k in rows.index}
    return [wrap(data.item_label(indicator[k]), width) for k in keys]


def legend_handles(series: list[Series], rows: pd.DataFrame, data: FigureData, *, whisker: bool = True, cells: bool = False) -> list:
    """Series (when more than one), the CI whisker, and the reliability marks that occur."""
    language = data.language
    handles = [Patch(facecolor=c, alpha=0.85, label=label) for label, c, _ in series] if len(series) > 1 else []
    if whisker:
        handles.append(Line2D([], [], color="#333333", marker="|", markersize=7, linewidth=0.9, label=t("ci", language, level=data.level_percent)))
    if (rows["flag"] == "review").any():
        handles.append(Patch(facecolor="white", edgecolor=style.NEUTRAL, hatch=style.UNRELIABLE_HATCH, label=t("review_key", language)))
    if (rows["flag"] == "suppress").any():
        handles.append(Line2D([], [], color=style.NEUTRAL, marker="x", linestyle="none", label=t("suppress_key", language)))
    return handles + support_handles(rows, language, cells=cells)


def legend_columns(labels: list[str], width: float = FIG_WIDTH) -> int:
    """The most legend columns whose entries fit the figure width (legends fill column by column)."""
    inches = [0.6 + 0.062 * max(len(line) for line in str(label).split("\n")) for label in labels]
    for ncol in range(min(len(labels), 4), 1, -1):
        per = -(-len(labels) // ncol)
        if sum(max(inches[c * per:(c + 1) * per] or [0]) for c in range(ncol)) <= width:
            return ncol
    return 1


def bottom_legend(fig: plt.Figure, handles: list) -> None:
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False, handlelength=1.6,
               columnspacing=1.2, ncol=legend_columns([h.get_label() for h in handles]))


def panel_title(ax: plt.Axes, text: str, width: int = 90) -> None:
    """A panel's title from the figure's left edge (like the figure title), not the axes' edge: the
    axes title only reserves the room, so that the layout engine keeps it free."""
    text = wrap(text, width)
    ax.set_title("\n".join(" " for _ in text.split("\n")), loc="left", fontsize=9)
    ax.annotate(text, xy=(0, 1), xycoords=("figure fraction", "axes fraction"), xytext=(0, 5), textcoords="offset points",
                ha="left", va="bottom", fontsize=9)


def figure_title(fig: plt.Figure, text: str, width: int = 85) -> None:
    """The question asked, over the whole figure from its left edge (panels may carry their own)."""
    fig.suptitle(wrap(text, width), x=0.0, ha="left", fontsize=9.5)


def finish(fig: plt.Figure, data: FigureData, title: dict, drawn: pd.DataFrame, *, base: pd.DataFrame | None = None,
           groups: list[tuple[str, pd.DataFrame]] = (), notes: list[str] = (), support_key: str = "hollow_note") -> FigureResult:
    """Caption and base N: the largest n among the rows drawn (and ``base``, e.g. the all-firms rows
    that sort a comparison of groups), with each group's respondents."""
    rows = drawn if base is None else pd.concat([drawn, base])
    n = data.base_n(rows)
    text = str(n) + (": " + ", ".join(f"{label} {data.base_n(g)}" for label, g in groups) if groups else "")
    if "kind" in drawn and ((drawn["kind"] == "mean") & (drawn["ci_low"] < 0)).any():
        notes = [*notes, t("mean_clipped", data.language)]
    return FigureResult(figure=fig, caption=caption_text(data, title, text, drawn, notes, support_key), base_n=n)


def caption_text(data: FigureData, title: dict, base: str, rows: pd.DataFrame | None, notes: list[str],
                 support_key: str = "hollow_note") -> str:
    """caption() with the notes joined into one sentence, every sentence capitalised."""
    text = caption(title[data.language], base, data, rows, "; ".join(x[:1].lower() + x[1:] for x in notes if x), support_key)
    return re.sub(r"\. (\w)", lambda m: ". " + m.group(1).upper(), text)


def panel_height(keys: list, series: list) -> float:
    return len(keys) * ROW_INCH * max(1.0, 0.7 * len(series))


def present(keys: list[str], series: list[Series]) -> list[str]:
    return [k for k in keys if any(k in rows.index for _, _, rows in series)]


def item_figure(data: FigureData, name: str, series: list[Series], order: list[str], title: dict, *,
                xlabel: str = "share", labels: dict | None = None, base: pd.DataFrame | None = None, groups=(),
                notes=(), tail: list[str] = (), handles: list = ()) -> FigureResult:
    """One panel: the rows of ``order`` (then the ``tail`` keys under a rule), the series side by side;
    the block's question as title; legend below. Labels: the item labels, or ``labels[key]``."""
    head, tail = present(order, series), present(list(tail), series)
    keys = head + tail
    if not keys:
        raise BarometerError(f"no estimates for block '{name}' among the estimates of edition {data.edition}")
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 1.2 + panel_height(keys, series)), layout="constrained")
    text = [wrap(labels[k]) for k in keys] if labels else item_labels(data, keys, series)
    drawn = bar_panel(ax, keys, text, series, data.language)
    if head and tail:
        ax.axhline(len(head) - 0.5, color=style.NEUTRAL, linewidth=0.6, linestyle="--")
    figure_title(fig, block_question(data, name))
    ax.set_xlabel(t(xlabel, data.language))
    bottom_legend(fig, [*handles, *legend_handles(series, drawn, data)])
    return finish(fig, data, title, drawn, base=base, groups=groups, notes=[asked_note(data, name), *notes])


def stacked_figure(data: FigureData, panels: list[Panel], title: str | None = None) -> tuple[plt.Figure, pd.DataFrame, list]:
    """Panels one above the other, each as tall as its bars; returns the figure, the rows drawn
    and the legend handles of the series of all panels (each label once)."""
    panels = [p for p in panels if p[1]]
    heights = [panel_height(p[1], p[3]) + 0.35 for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(FIG_WIDTH, 1.0 + sum(heights) + 0.6 * len(panels)),
                             height_ratios=heights, layout="constrained", squeeze=False)
    drawn, series = [], {}
    for ax, (panel, keys, labels, ser, xlabel) in zip(axes[:, 0], panels):
        drawn.append(bar_panel(ax, keys, labels, ser, data.language))
        panel_title(ax, panel)
        ax.set_xlabel(t(xlabel, data.language))
        series.update({label: s for s in ser if (label := s[0])})
    if title:
        figure_title(fig, title)
    return fig, pd.concat(drawn), list(series.values())


def shares_and_means_figure(data: FigureData, name: str, title: dict, items: list[str] | None = None) -> FigureResult:
    """Shares of a block's answers (one item: each answer level; several, by default all: each item)
    and, below, the mean magnitudes the codebook asks of the firms that gave an answer, with their n."""
    block(data, name)
    items = items or data.codebook.block_items(name)
    if len(items) == 1:
        rows = level_rows(data, name, items[0])
        keys = list(rows.index)
        labels = [cap(data.level_label(i)) for i in rows["indicator"]]
        code_colour = {level_code(data, name, k): c for k, c in rows["colour"].items()}
        head = data.item_label(rows["indicator"].iloc[0]) if len(rows) else ""
    else:
        rows = item_series(data, name, block_levels(data, name)[0])
        keys = descending(rows)
        labels = [wrap(data.item_label(rows.at[k, "indicator"])) for k in keys]
        code_colour, head = {}, ""
    means = [m for item in (items if len(items) == 1 else keys) for m in conditional_means(data, item)]
    mean_rows = indicator_series(data, [i for _, i in means])
    mean_rows["colour"] = [code_colour.get(code, style.PALETTE[0]) for code, i in means if i in mean_rows.index]
    mean_labels = [f"{wrap(data.item_label(i))}\n(n = {int(r.n)})" for i, r in mean_rows.iterrows()]
    fig, drawn, _ = stacked_figure(data, [
        (head, keys, [wrap(x) for x in labels], [("", style.PALETTE[0], rows)], "share_adopters"),
        (t("mean_among", data.language), list(mean_rows.index), mean_labels, [("", style.PALETTE[0], mean_rows)], "mean_percent"),
    ], block_question(data, name))
    if drawn.empty:
        raise BarometerError(f"no estimates for block '{name}' among the estimates of edition {data.edition}")
    bottom_legend(fig, legend_handles([], drawn, data))
    return finish(fig, data, title, drawn, notes=[asked_note(data, name), t("means_n", data.language) if len(mean_rows) else ""])


def heatmap_figure(data: FigureData, name: str, level: str, dimension: str, title: dict) -> FigureResult:
    """Rows: the levels of a domain dimension (sectors, sizes), then all firms under a gap; columns:
    the block's items by their all-firms estimate. Cells: estimate and CI, shaded by the estimate;
    'review' cells hatched with italic text, 'suppress' cells blank with a ×."""
    overall = item_series(data, name, level)
    keys = descending(overall)
    if not keys:
        raise BarometerError(f"no estimates for block '{name}' among the estimates of edition {data.edition}")
    levels = data.strata.labels(data.language)[dimension]
    domains = [f"{dimension}={k}" for k in levels] + ["all"]
    grid = {d: item_series(data, name, level, d) for d in domains}
    cells = pd.concat(grid.values())
    shown = cells[cells["flag"] != "suppress"]["estimate"]
    vmax = max(shown.max() if len(shown) else 1.0, 1.0)
    cmap = LinearSegmentedColormap.from_list("share", ["#FFFFFF", style.PALETTE[0]])
    font = 6.5 if len(keys) <= 8 else 5.6
    ys = [i + (0.25 if d == "all" else 0) for i, d in enumerate(domains)]
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 1.6 + 0.5 * len(domains)), layout="constrained")
    for y, d in zip(ys, domains):
        for x, key in enumerate(keys):
            if key not in grid[d].index:
                continue
            r = grid[d].loc[key]
            if r.flag == "suppress":
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="#F2F2F2", edgecolor="white", linewidth=1.5))
                ax.text(x, y, "×", ha="center", va="center", fontsize=9, color=style.NEUTRAL)
                continue
            level_ = r.estimate / vmax
            if needs_bounds(r):  # the reconstruction's value, not pinned down by the published tables: hollow, dashed
                level_ = 0.0
                ax.add_patch(Rectangle((x - 0.45, y - 0.45), 0.9, 0.9, facecolor="white", edgecolor=style.PALETTE[0],
                                       linestyle="--", linewidth=1.0))
            else:
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=cmap(level_), edgecolor="white", linewidth=1.5))
            if r.flag == "review":
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="none", edgecolor=style.NEUTRAL,
                                       hatch=style.UNRELIABLE_HATCH, linewidth=0, alpha=0.6))
            ax.text(x, y, interval_text(r, data.language), ha="center", va="center", fontsize=font, linespacing=1.1,
                    color="white" if level_ > 0.6 else "#222222", style="italic" if r.flag == "review" else "normal")
    ax.set_xlim(-0.5, len(keys) - 0.5)
    ax.set_ylim(ys[-1] + 0.5, -0.5)
    # many columns or long words: slanted labels, as even wrapped ones would collide
    names = [short_label(data.item_label(overall.at[k, "indicator"])) for k in keys]
    slant = len(keys) > 8 or max(len(word) for n in names for word in n.split()) > 13
    ax.set_xticks(range(len(keys)), [wrap(n, 30 if slant else 14) for n in names],
                  fontsize=7, rotation=45 if slant else 0, ha="left" if slant else "center", rotation_mode="anchor")
    everyone = data.domain_label(ADOPTER if block(data, name)["asked"] == "adopters" else "all")
    ax.set_yticks(ys, [wrap(levels[d.split("=", 1)[1]], 24) if d != "all" else everyone for d in domains])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    figure_title(fig, block_question(data, name))
    bottom_legend(fig, legend_handles([], cells, data, whisker=False, cells=True))
    return finish(fig, data, title, cells, notes=[asked_note(data, name), t("cell", data.language, level=data.level_percent)],
                  support_key="hollow_cell_note")


def interval_text(r, language: str) -> str:
    return f"{num(r.estimate, language)}\n[{num(max(r.ci_low, 0.0), language)}–{num(r.ci_high, language)}]"
