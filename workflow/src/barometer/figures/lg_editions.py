"""The AI-Barometer over its editions: adoption of at least one AI technology per edition (estimated
from microdata, with its CI, where an edition is configured; otherwise the published figure as a
published-only point, open when it comes from press or a blog), and, when two or more editions are
configured, the change between editions of the indicators they share, with CIs."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from . import style
from .cross_survey import SECONDARY_GRADES, frame, xs_finish
from .data import FigureData, FigureResult
from .panels import bottom_legend
from .style import FIG_WIDTH
from .text import num, wrap

TITLE = {"en": "The AI-Barometer over its editions", "nl": "De AI-Barometer doorheen zijn edities"}
TEXT = {
    "y": {"en": "Firms using at least one AI technology (%)", "nl": "Bedrijven die minstens één AI-technologie gebruiken (%)"},
    "estimated": {"en": "estimated from the microdata ({level}% CI)", "nl": "geschat uit de microdata ({level}%-BI)"},
    "published": {"en": "published only (no microdata configured)", "nl": "enkel gepubliceerd (geen microdata)"},
    "published_secondary": {"en": "published only, known from press or a blog (no microdata)",
                            "nl": "enkel gepubliceerd, bekend uit pers of blog (geen microdata)"},
    "change": {"en": "Change {a} → {b} (percentage points)", "nl": "Verandering {a} → {b} (procentpunten)"},
    "changed": {"en": "‡ wording or definition changed: not like for like", "nl": "‡ formulering of definitie gewijzigd: niet vergelijkbaar"},
    "one": {"en": "Changes between editions appear when two or more editions are configured",
            "nl": "Veranderingen tussen edities verschijnen wanneer twee of meer edities geconfigureerd zijn"},
    "baseline": {"en": "The 2023 and 2025 editions report a 2022 baseline different from the 2021 edition's figure",
                 "nl": "De edities 2023 en 2025 rapporteren een basis 2022 die afwijkt van het cijfer van 2021"},
}
CHANGE_INDICATORS = 12  # the shared indicators with the largest changes are shown


def label_sides(series) -> dict:
    """Where each point's value is printed: right of the marker, except that of two points of one
    year within a few points of each other the lower is printed on the left (25.5 and 26.0 in 2022)."""
    sides = {}
    for year, rows in series.groupby("year", sort=False):
        values = sorted(rows["value"].astype(float))
        for k, value in enumerate(values):
            close = k + 1 < len(values) and values[k + 1] - value < 3.0
            sides[(year, value)] = -1 if close else 1
    return sides


def draw(data: FigureData) -> FigureResult:
    lang = data.language
    series = frame(data, "series", ["year", "value", "ci_low", "ci_high", "kind", "source", "grade"])
    changes = frame(data, "changes", ["indicator", "domain", "edition_from", "edition_to", "change", "ci_low", "ci_high", "wording_changed"])
    changes = changes[changes["domain"] == "all"]
    two = len(changes) > 0
    fig, axes = plt.subplots(1, 2 if two else 1, figsize=(FIG_WIDTH, 4.4), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 1.3]} if two else None)
    ax = axes[0] if two else axes
    colour = style.PALETTE[0]
    drawn = set()
    for r in series.itertuples():
        estimated = r.kind == "estimated from microdata"
        if estimated:
            ax.errorbar(r.year, r.value, yerr=[[r.value - r.ci_low], [r.ci_high - r.value]], fmt="o", color=colour,
                        markersize=6.5, capsize=3, elinewidth=1.1, zorder=3)
            drawn.add("estimated")
        else:
            hollow = r.grade in SECONDARY_GRADES
            ax.plot(r.year, r.value, marker="s", color=style.PALETTE[5], markerfacecolor="white" if hollow else style.PALETTE[5],
                    markersize=6.5, markeredgewidth=1.3, linestyle="none", zorder=3)
            drawn.add("published_secondary" if hollow else "published")
    for (x, y), side in label_sides(series).items():
        ax.annotate(num(y, lang), (x, y), xytext=(7 * side, 0), textcoords="offset points", va="center",
                    ha="left" if side > 0 else "right", fontsize=7)
    years = sorted(series["year"].astype(int))
    ax.set_xticks(range(min(years), max(years) + 1))
    ax.set_xlim(min(years) - 0.6, max(years) + 0.8)
    ax.set_ylim(0, max(np.nanmax(series[["value", "ci_high"]].to_numpy(float)) * 1.15, 10))
    ax.set_ylabel(wrap(TEXT["y"][lang], 38))
    ax.grid(axis="x", visible=False)
    notes = [TEXT["baseline"][lang]] if (series["year"] == 2022).any() else []
    if two:
        ax2 = axes[1]
        top = changes.reindex(changes["change"].abs().sort_values(ascending=False).index).head(CHANGE_INDICATORS)
        labels = []
        known = set(data.codebook.indicators["indicator"])
        for k, r in enumerate(top.itertuples()):
            label = data.item_label(r.indicator) if r.indicator in known else r.indicator
            level = data.level_label(r.indicator) if r.indicator in known else ""
            labels.append(wrap(f"{label}{': ' + level if level else ''}{' ‡' if r.wording_changed else ''}", 34))
            ax2.errorbar(r.change, k, xerr=[[r.change - r.ci_low], [r.ci_high - r.change]], fmt="o", color=style.PALETTE[2],
                         markerfacecolor="white" if r.wording_changed else style.PALETTE[2], capsize=2.5, elinewidth=1.0)
        ax2.axvline(0, color=style.NEUTRAL, linewidth=0.9)
        ax2.set_yticks(range(len(labels)))
        ax2.set_yticklabels(labels, fontsize=7)
        ax2.invert_yaxis()
        first = top.iloc[0]
        ax2.set_xlabel(TEXT["change"][lang].format(a=first.edition_from, b=first.edition_to))
        if top["wording_changed"].any():
            notes.append(TEXT["changed"][lang])
    else:
        notes.append(TEXT["one"][lang])
    # the legend shows the markers as drawn (an open square when the published points come from press or blogs)
    keys = {"estimated": Line2D([], [], color=colour, marker="o", label=TEXT["estimated"][lang].format(level=data.level_percent)),
            "published": Line2D([], [], color=style.PALETTE[5], marker="s", linestyle="none", label=TEXT["published"][lang]),
            "published_secondary": Line2D([], [], color=style.PALETTE[5], marker="s", markerfacecolor="white", markeredgewidth=1.3,
                                          linestyle="none", label=TEXT["published_secondary"][lang])}
    bottom_legend(fig, [handle for key, handle in keys.items() if key in drawn])
    estimated = series[series["kind"] == "estimated from microdata"]
    base = int(data.estimates.loc[(data.estimates["indicator"] == "adoption.any") & (data.estimates["domain"] == "all"), "n"].max()) if len(estimated) else 0
    return xs_finish(fig, data, TITLE, base, notes)
