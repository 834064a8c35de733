"""What every figure needs: its data, labels in the report language, intervals and reliability marks."""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..codebook import Codebook
from ..strata import Strata
from . import style

TEXT = {
    "share": {"en": "Share of firms (%)", "nl": "Aandeel bedrijven (%)"},
    "share_adopters": {"en": "Share of adopters (%)", "nl": "Aandeel adopters (%)"},
    "mean_percent": {"en": "Mean (%)", "nl": "Gemiddelde (%)"},
    "adopter": {"en": "Adopters", "nl": "Adopters"},
    "non_adopter": {"en": "Non-adopters", "nl": "Niet-adopters"},
    "all": {"en": "All firms", "nl": "Alle bedrijven"},
    "ci": {"en": "95% confidence interval", "nl": "95%-betrouwbaarheidsinterval"},
    "review": {"en": "hatched: interpret with care (reliability review)", "nl": "gearceerd: voorzichtig interpreteren (betrouwbaarheid)"},
    "suppress": {"en": "×: too unreliable to publish (suppressed)", "nl": "×: te onbetrouwbaar om te publiceren (onderdrukt)"},
    "base": {"en": "N", "nl": "N"},
    "source": {"en": "Source: AI-Barometer {edition}, design-based re-estimation", "nl": "Bron: AI-Barometer {edition}, design-gebaseerde herschatting"},
}


def t(key: str, language: str, **kwargs) -> str:
    return TEXT[key][language].format(**kwargs)


@dataclass
class FigureData:
    """Inputs of every figure: the edition's estimates (shares in percent) and its codebook."""

    estimates: pd.DataFrame
    codebook: Codebook
    strata: Strata
    edition: str
    language: str = "en"
    ci_level: float = 0.95
    extra: dict = field(default_factory=dict)

    def select(self, indicators: list[str], domain: str = "all") -> pd.DataFrame:
        """Rows for the indicators in one domain, in the order given (missing ones are skipped)."""
        e = self.estimates[(self.estimates["indicator"].isin(indicators)) & (self.estimates["domain"] == domain)]
        order = {k: i for i, k in enumerate(indicators)}
        return e.assign(_o=e["indicator"].map(order)).sort_values("_o").drop(columns="_o")

    def item_label(self, indicator: str) -> str:
        """Label of the item behind an indicator ('barrier_ethics.yes' -> 'Ethical considerations')."""
        meta = self.codebook.indicators.set_index("indicator")
        row = meta.loc[indicator]
        return row["item_label_en"] if self.language == "en" else row["item_label_nl"]

    def level_label(self, indicator: str) -> str:
        meta = self.codebook.indicators.set_index("indicator")
        return meta.at[indicator, "level_en" if self.language == "en" else "level_nl"]

    def domain_label(self, domain: str) -> str:
        if domain == "all":
            return t("all", self.language)
        dimension, level = domain.split("=", 1)
        if dimension == "adopter_status":
            return t(level, self.language)
        return self.strata.labels(self.language)[dimension][level]

    def base_n(self, rows: pd.DataFrame) -> int:
        return int(rows["n"].max()) if len(rows) else 0


@dataclass
class FigureResult:
    figure: plt.Figure
    caption: str  # with the base N
    base_n: int


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


def caption(title: str, base_n: int | str, data: FigureData, rows: pd.DataFrame | None = None, extra: str = "") -> str:
    parts = [f"{title} ({t('base', data.language)} = {base_n})", f"{int(round(data.ci_level * 100))}%-CI"]
    if rows is not None:
        note = reliability_note(rows, data.language)
        if note:
            parts.append(note)
    if extra:
        parts.append(extra)
    parts.append(t("source", data.language, edition=data.edition))
    return ". ".join(parts) + "."



# ---------------------------------------------------------------------------------------------
# Helpers shared by the figure modules
import re  # noqa: E402
import textwrap  # noqa: E402

from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from ..errors import BarometerError  # noqa: E402

TEXT.update({
    "asked_adopters": {"en": "Asked only of firms using at least one AI technology",
                       "nl": "Enkel gevraagd aan bedrijven die minstens één AI-technologie gebruiken"},
    "review_key": {"en": "Interpret with care", "nl": "Voorzichtig interpreteren"},
    "suppress_key": {"en": "Suppressed (too unreliable)", "nl": "Onderdrukt (te onbetrouwbaar)"},
    "mean_among": {"en": "Mean (%) among the firms reporting the effect", "nl": "Gemiddelde (%) bij de bedrijven die het effect melden"},
    "means_n": {"en": "means over the firms reporting the effect (n per bar)",
                "nl": "gemiddelden over de bedrijven die het effect melden (n per balk)"},
    "mean_clipped": {"en": "intervals of means truncated at 0", "nl": "intervallen van gemiddelden afgekapt op 0"},
    "cell": {"en": "Cells: estimate (%) and 95% confidence interval; columns sorted by the all-firms estimate",
             "nl": "Cellen: schatting (%) en 95%-betrouwbaarheidsinterval; kolommen gesorteerd volgens alle bedrijven"},
    "sorted": {"en": "sorted by the all-firms estimate", "nl": "gesorteerd volgens de schatting voor alle bedrijven"},
})
# Adopters and non-adopters keep their colours in every figure; ordered answer scales run from the
# unfavourable end (vermillion) over grey to the favourable end (blue).
DOMAIN_COLOURS = {"all": style.PALETTE[0], "adopter": style.PALETTE[0], "non_adopter": style.PALETTE[1]}
ORDINAL = ["#D55E00", "#E69F00", style.NEUTRAL, "#56B4E9", "#0072B2"]
PAIR = [style.PALETTE[0], style.PALETTE[4]]  # two levels of one item (use / plans)
ADOPTER, NON_ADOPTER = "adopter_status=adopter", "adopter_status=non_adopter"
ESTIMATE_COLUMNS = ["indicator", "domain", "estimate", "ci_low", "ci_high", "n", "flag"]
ROW_INCH = 0.3  # height of one bar
FIG_WIDTH = style.WIDTH - 0.2  # save() pads 0.1 inch on each side
Series = tuple  # (legend label, colour, rows indexed by key); a 'colour' column of the rows overrides
Panel = tuple  # (title, keys, labels, series, xlabel key)


def wrap(text: str, width: int = 42) -> str:
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def num(value: float, language: str, digits: int = 1) -> str:
    """A number as the report's language writes it (decimal comma in Dutch)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "nl" else text


def ordinal_colours(n: int) -> list[str]:
    return [ORDINAL[round(k)] for k in np.linspace(0, len(ORDINAL) - 1, n)] if n > 1 else [style.PALETTE[0]]


def block(data: FigureData, name: str) -> dict:
    """A question block of the codebook; a clear error when this edition's codebook lacks it."""
    blocks = data.codebook.raw["blocks"]
    if name not in blocks:
        raise BarometerError(f"{data.codebook.path}: the codebook of edition {data.edition} has no block "
                             f"'{name}' (it has: {', '.join(blocks)})")
    return blocks[name]


def block_question(data: FigureData, name: str) -> str:
    return block(data, name)[f"question_{data.language}"]


def block_levels(data: FigureData, name: str) -> list[str]:
    """The scale indicators estimated for the block that stand for one answer code each, in code order."""
    scale = data.codebook.scale(block(data, name)["scale"])
    estimated = set(data.codebook.indicators.loc[data.codebook.indicators["block"] == name, "indicator"].str.rsplit(".", n=1).str[1])
    single = [(spec["codes"][0], k) for k, spec in scale["indicators"].items() if len(spec.get("codes", [])) == 1 and k in estimated]
    return [k for _, k in sorted(single)]


def level_code(data: FigureData, name: str, level: str) -> int:
    return data.codebook.scale(block(data, name)["scale"])["indicators"][level]["codes"][0]


def asked_note(data: FigureData, *names: str) -> str:
    return t("asked_adopters", data.language) if any(block(data, n)["asked"] == "adopters" for n in names) else ""


def conditional_means(data: FigureData, item: str) -> list[tuple[int, str]]:
    """(answer code, mean indicator) of the numeric blocks asked only of the firms that gave ``item``
    that code: the magnitudes behind a share ("by what percentage did costs fall?")."""
    out = []
    for name, spec in data.codebook.raw["blocks"].items():
        hit = re.search(rf"\b{re.escape(item)}\s*==\s*(\d+)", str(spec["asked"]))
        if hit and data.codebook.scale(spec["scale"])["type"] == "numeric":
            out += [(int(hit.group(1)), f"{i}.mean") for i in data.codebook.block_items(name)]
    return sorted(out)


def item_series(data: FigureData, name: str, level: str, domain: str = "all") -> pd.DataFrame:
    """One scale level of every item of a block in one domain, indexed by item id."""
    block(data, name)
    rows = data.select([f"{i}.{level}" for i in data.codebook.block_items(name)], domain)
    return rows.set_axis(rows["indicator"].str.rsplit(".", n=1).str[0])


def level_series(data: FigureData, name: str, level: str, colour: str, domain: str = "all") -> Series:
    """A series of one scale level over the block's items, labelled with the level ('Uses')."""
    spec = data.codebook.scale(block(data, name)["scale"])["indicators"][level]
    return cap(spec[data.language]), colour, item_series(data, name, level, domain)


def domain_series(data: FigureData, name: str, level: str, domains: list[str]) -> list[Series]:
    return [(data.domain_label(d), DOMAIN_COLOURS[d.split("=")[-1]], item_series(data, name, level, d)) for d in domains]


def level_rows(data: FigureData, name: str, item: str | None = None, domain: str = "all") -> pd.DataFrame:
    """The single-code levels of one item (by default the block's first) ('decrease', 'unchanged',
    'increase'), indexed by level, each with its colour on the ordered scale."""
    levels = block_levels(data, name)
    item = item or data.codebook.block_items(name)[0]
    rows = data.select([f"{item}.{level}" for level in levels], domain)
    rows = rows.set_axis(rows["indicator"].str.rsplit(".", n=1).str[1])
    return rows.assign(colour=rows.index.map(dict(zip(levels, ordinal_colours(len(levels))))))


def expression_indicators(data: FigureData, name: str) -> list[str]:
    """Indicators the codebook defines by an expression over the block's items (sources.adapted_any)."""
    meta = data.codebook.indicators
    return list(meta.loc[(meta["source"] == "expression") & (meta["base"] == name), "indicator"])


def indicator_series(data: FigureData, indicators: list[str], domain: str = "all") -> pd.DataFrame:
    return data.select(indicators, domain).set_index("indicator", drop=False)


def descending(rows: pd.DataFrame) -> list[str]:
    """Index keys by estimate, largest first (suppressed or missing estimates last)."""
    return list(rows.assign(_e=rows["estimate"].fillna(-1)).sort_values("_e", ascending=False, kind="stable").index)


def draw_bar(ax: plt.Axes, y: float, r, color: str, height: float) -> None:
    """One bar with its CI whisker, marked like interval_bars (review: hatched and lighter; suppress:
    × at the estimate, or at 0 without one, and no bar). Intervals of means are cut at 0."""
    if r.flag == "suppress":
        ax.plot([0 if pd.isna(r.estimate) else r.estimate], [y], marker="x", color=style.NEUTRAL, markersize=6, zorder=3)
        return
    ok = r.flag == "ok"
    ax.barh(y, r.estimate, height=height, color=color, alpha=0.85 if ok else 0.45, linewidth=0.6,
            hatch=None if ok else style.UNRELIABLE_HATCH, edgecolor="white" if ok else color)
    ax.errorbar(r.estimate, y, xerr=[[r.estimate - max(r.ci_low, 0.0)], [r.ci_high - r.estimate]], fmt="none",
                ecolor="#333333", elinewidth=0.9, capsize=2, zorder=3)


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
    ax.set_xlim(0, (drawn["ci_high"].max() if len(drawn) else 1.0) * 1.12 + 1.0)
    number_axis(ax.xaxis, language)
    return drawn


def number_axis(axis, language: str) -> None:
    """Ticks at round numbers (1, 2, 5 x 10^k), with the language's decimal separator."""
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: num(v, language, 0 if float(v).is_integer() else 1)))


def item_labels(data: FigureData, keys: list[str], series: list[Series], width: int = 42) -> list[str]:
    indicator = {k: rows.at[k, "indicator"] for _, _, rows in reversed(series) for k in rows.index}
    return [wrap(data.item_label(indicator[k]), width) for k in keys]


def legend_handles(series: list[Series], rows: pd.DataFrame, language: str, *, whisker: bool = True) -> list:
    """Series (when more than one), the CI whisker, and the reliability marks that occur."""
    handles = [Patch(facecolor=c, alpha=0.85, label=label) for label, c, _ in series] if len(series) > 1 else []
    if whisker:
        handles.append(Line2D([], [], color="#333333", marker="|", markersize=7, linewidth=0.9, label=t("ci", language)))
    if (rows["flag"] == "review").any():
        handles.append(Patch(facecolor="white", edgecolor=style.NEUTRAL, hatch=style.UNRELIABLE_HATCH, label=t("review_key", language)))
    if (rows["flag"] == "suppress").any():
        handles.append(Line2D([], [], color=style.NEUTRAL, marker="x", linestyle="none", label=t("suppress_key", language)))
    return handles


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
           groups: list[tuple[str, pd.DataFrame]] = (), notes: list[str] = ()) -> FigureResult:
    """Caption and base N: the largest n among the rows drawn (and ``base``, e.g. the all-firms rows
    that sort a comparison of groups), with each group's respondents."""
    rows = drawn if base is None else pd.concat([drawn, base])
    n = data.base_n(rows)
    text = str(n) + (": " + ", ".join(f"{label} {data.base_n(g)}" for label, g in groups) if groups else "")
    if "kind" in drawn and ((drawn["kind"] == "mean") & (drawn["ci_low"] < 0)).any():
        notes = [*notes, t("mean_clipped", data.language)]
    return FigureResult(figure=fig, caption=caption_text(data, title, text, drawn, notes), base_n=n)


def caption_text(data: FigureData, title: dict, base: str, rows: pd.DataFrame | None, notes: list[str]) -> str:
    """caption() with the notes joined into one sentence, every sentence capitalised."""
    text = caption(title[data.language], base, data, rows, "; ".join(x[:1].lower() + x[1:] for x in notes if x))
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
    bottom_legend(fig, [*handles, *legend_handles(series, drawn, data.language)])
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
    bottom_legend(fig, legend_handles([], drawn, data.language))
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
    bottom_legend(fig, legend_handles([], cells, data.language, whisker=False))
    return finish(fig, data, title, cells, notes=[asked_note(data, name), t("cell", data.language)])


def short_label(text: str, limit: int = 30) -> str:
    """A long label without its closing explanation in brackets, as the report heads its tables
    ('Autonome machines (autonome robots, ...)' -> 'Autonome machines')."""
    return re.sub(r"\s*\([^()]*\)$", "", text) if len(text) > limit else text


def interval_text(r, language: str) -> str:
    return f"{num(r.estimate, language)}\n[{num(max(r.ci_low, 0.0), language)}–{num(r.ci_high, language)}]"


# ---------------------------------------------------------------------------------------------
# Cross-survey figures
TEXT.update({
    "geo_BE": {"en": "Belgium", "nl": "België"},
    "geo_EU27_2020": {"en": "EU27", "nl": "EU27"},
    "geo_VL": {"en": "Flanders", "nl": "Vlaanderen"},
    "secondary": {"en": "Open marker: figure reported by press or a blog", "nl": "Open symbool: cijfer uit pers of blog"},
    "primary": {"en": "Filled marker: official release or report", "nl": "Gevuld symbool: officiële publicatie of rapport"},
    "published": {"en": "published figures with their source and its grade as transcribed in data/raw/published",
                  "nl": "gepubliceerde cijfers met hun bron en de kwaliteit ervan zoals overgenomen in data/raw/published"},
})
SECONDARY_GRADES = {"press", "blog"}


def geo_label(geo: str, language: str) -> str:
    return t(f"geo_{geo}", language) if f"geo_{geo}" in TEXT else str(geo)


def frame(data: FigureData, key: str, columns: list[str]) -> pd.DataFrame:
    """A cross-survey table of ``data.extra``; a clear error when it is absent or lacks a column."""
    table = data.extra.get(key)
    if table is None:
        raise BarometerError(f"the figure needs the cross-survey table '{key}' (results/cross_survey/{key}.csv)")
    missing = [c for c in columns if c not in table]
    if missing:
        raise BarometerError(f"results/cross_survey/{key}.csv lacks the column(s) {', '.join(missing)}")
    return table


def publisher(data: FigureData, source_id: str) -> str:
    """Short name of a source's publisher ('Statbel (Belgian statistical office)' -> 'Statbel')."""
    sources = data.extra.get("sources")
    if sources is None or source_id not in set(sources["source_id"]):
        return source_id
    name = sources.set_index("source_id").at[source_id, "publisher"]
    return re.split(r" \(|, ", str(name))[0]


def xs_finish(fig: plt.Figure, data: FigureData, title: dict, base: int, notes: list[str]) -> FigureResult:
    text = caption_text(data, title, str(base), None, [*notes, t("published", data.language)])
    return FigureResult(figure=fig, caption=text, base_n=base)
