"""Forest plot of the harmonised comparisons: the Barometer re-estimated on the other survey's
domain minus the published figure, with its CI, grouped by concept; marker by comparability grade,
open where the published figure comes from press or a blog."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from . import style
from .cross_survey import SECONDARY_GRADES, frame, geo_label, publisher, xs_finish
from .data import FigureData, FigureResult
from .panels import bottom_legend, number_axis
from .style import FIG_WIDTH
from .text import num, t, wrap

TITLE = {"en": "The AI-Barometer next to other surveys: harmonised differences",
         "nl": "De AI-Barometer naast andere enquêtes: geharmoniseerde verschillen"}
TEXT = {
    "x": {"en": "Barometer minus published figure (percentage points)", "nl": "Barometer min gepubliceerd cijfer (procentpunten)"},
    "vs": {"en": "Barometer: {domain}", "nl": "Barometer: {domain}"},
    "firms": {"en": "Flemish firms with {size} employees", "nl": "Vlaamse bedrijven met {size} werknemers"},
    "edition": {"en": "AI-Barometer {year} ({publisher})", "nl": "AI-Barometer {year} ({publisher})"},
    "same_instrument_scope": {"en": "Same instrument and scope", "nl": "Zelfde vragen en afbakening"},
    "same_construct": {"en": "Same construct, different population or year", "nl": "Zelfde begrip, andere populatie of jaar"},
    "values": {"en": "Barometer vs published", "nl": "Barometer vs gepubliceerd"},
    "notes": {"en": "Where the published figure has no known sampling error (all official releases here), the interval holds "
                    "the Barometer's alone and is too narrow. Related constructs are not shown as differences",
              "nl": "Waar de steekproeffout van het gepubliceerde cijfer onbekend is (alle officiële cijfers hier), bevat het "
                    "interval enkel die van de Barometer en is het te smal. Verwante begrippen worden niet als verschil getoond"},
}
MARKERS = {"same_instrument_scope": ("o", style.PALETTE[0]), "same_construct": ("s", style.PALETTE[1])}
COLUMNS = ["concept", "barometer_domain", "source", "geo", "year", "grade", "barometer", "published", "difference",
           "ci_low", "ci_high", "value_id"]


def concept_label(data: FigureData, concept: str) -> str:
    """The crosswalk's label in the language, else (no Dutch label there) the codebook's label of the
    concept's Barometer indicator."""
    for c in (data.extra.get("crosswalk") or {}).get("concepts", []):
        if c["id"] == concept:
            indicator = (c.get("barometer") or {}).get("indicator")
            if c.get(f"label_{data.language}") or not indicator or indicator not in set(data.codebook.indicators["indicator"]):
                return c.get(f"label_{data.language}") or c.get("label_en") or concept
            return data.item_label(indicator)
    return concept


def domain_label(data: FigureData, domain: str) -> str:
    """The size classes a crosswalk domain keeps, read off its expression ('size != 'micro'' ->
    '10+ employees'); the crosswalk's label when the expression is about more than size."""
    spec = ((data.extra.get("crosswalk") or {}).get("domains") or {}).get(domain) or {}
    sizes = data.strata.sizes
    try:
        keep = np.broadcast_to(np.asarray(sizes[["id"]].rename(columns={"id": "size"}).eval(spec["expression"], engine="python")), len(sizes))
    except Exception:  # an expression over other variables (sector, ...): no size range to read
        return spec.get(f"label_{data.language}") or spec.get("label_en") or domain
    kept = sizes[keep]
    if kept.empty or len(kept) != kept.index.max() - kept.index.min() + 1:
        return spec.get("label_en") or domain
    low, high = int(kept["min_employees"].min()), kept["max_employees"]
    return TEXT["firms"][data.language].format(size=f"{low}+" if high.isna().any() else f"{low}-{int(high.max())}")


def draw(data: FigureData) -> FigureResult:
    lang = data.language
    diffs = frame(data, "differences", COLUMNS)
    comparison = frame(data, "comparison", ["value_id", "survey", "source_grade", "grade", "barometer_domain", "concept", "n"])
    survey = comparison.dropna(subset=["value_id"]).set_index("value_id")
    rows, ys, headers, y = [], [], [], 0.0
    for concept, group in diffs.groupby("concept", sort=False):
        headers.append((y, concept_label(data, concept)))
        y += 0.9
        for r in group.itertuples():
            rows.append(r)
            ys.append(y)
            y += 1.0
        y += 0.3
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 1.4 + 0.3 * y), layout="constrained")
    labels = []
    for yi, r in zip(ys, rows):
        marker, colour = MARKERS.get(r.grade, ("o", style.NEUTRAL))
        hollow = survey["source_grade"].get(r.value_id) in SECONDARY_GRADES
        ax.errorbar(r.difference, yi, xerr=[[r.difference - r.ci_low], [r.ci_high - r.difference]], fmt="none",
                    ecolor=colour, elinewidth=1.1, capsize=2.5)
        ax.plot(r.difference, yi, marker=marker, color=colour, markerfacecolor="white" if hollow else colour,
                markeredgewidth=1.3, markersize=6, linestyle="none")
        ax.annotate(f"{num(r.barometer, lang)} vs {num(r.published, lang)}", (1.0, yi), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=7, color="#333333")
        if survey["survey"].get(r.value_id) == "ai_barometer":
            name = TEXT["edition"][lang].format(year=r.year, publisher=publisher(data, r.source))
        else:
            name = f"{publisher(data, r.source)}, {geo_label(r.geo, lang)} {r.year}"
        labels.append(f"{name}\n{wrap(TEXT['vs'][lang].format(domain=domain_label(data, r.barometer_domain)), 52)}")
    ax.set_yticks(ys, labels, fontsize=7)
    for yh, text in headers:
        ax.annotate(wrap(text, 44), (0, yh), xycoords=("figure fraction", "data"), va="center", ha="left",
                    fontsize=8.5, fontweight="bold")
    ax.axvline(0, color="#333333", linewidth=0.9)
    ax.set_ylim(y - 0.3, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(TEXT["x"][lang])
    number_axis(ax.xaxis, lang)
    ax.annotate(TEXT["values"][lang], (1.0, 1.0), xycoords="axes fraction", xytext=(6, 4), textcoords="offset points",
                fontsize=7, fontweight="bold", va="bottom")
    handles = [Line2D([], [], marker=m, color=c, linestyle="none", label=TEXT[g][lang]) for g, (m, c) in MARKERS.items()
               if (diffs["grade"] == g).any()]
    handles += [Line2D([], [], marker="o", color="#444444", markerfacecolor="white", linestyle="none", label=t("secondary", lang))]
    bottom_legend(fig, handles)
    reference = comparison[(comparison["grade"] == "reference")
                           & comparison.set_index(["concept", "barometer_domain"]).index.isin(list(zip(diffs["concept"], diffs["barometer_domain"])))]
    base = int(np.nanmax(reference["n"])) if len(reference) else 0
    return xs_finish(fig, data, TITLE, base, [TEXT["notes"][lang]])
