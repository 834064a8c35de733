"""Forest plot of the harmonised comparisons: the Barometer re-estimated on the other survey's
domain minus the published figure, with its CI, grouped by concept. Like-for-like comparisons and
comparisons of the same measure in another region, year or scope are drawn in separate panels, each
on its own axis; context figures (another or unknown instrument or population, press and blog
figures) are never drawn as differences."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from . import style
from .cross_survey import frame, geo_label, publisher, xs_finish
from .data import FigureData, FigureResult
from ..support import difference_bounds, needs_bounds
from .panels import bottom_legend, bound_range, number_axis, support_handles, support_note
from .style import FIG_WIDTH
from .text import num, wrap

TITLE = {"en": "The AI-Barometer next to other surveys: harmonised differences",
         "nl": "De AI-Barometer naast andere enquêtes: geharmoniseerde verschillen"}
TEXT = {
    "x": {"en": "Barometer minus published figure (percentage points)", "nl": "Barometer min gepubliceerd cijfer (procentpunten)"},
    "vs": {"en": "Barometer: {domain}", "nl": "Barometer: {domain}"},
    "firms": {"en": "Flemish firms with {size} employees", "nl": "Vlaamse bedrijven met {size} werknemers"},
    "edition": {"en": "AI-Barometer {year} ({publisher})", "nl": "AI-Barometer {year} ({publisher})"},
    "like_for_like": {"en": "Like for like: same instrument, scope, region and year",
                      "nl": "Gelijk tegenover gelijk: zelfde vragen, afbakening, regio en jaar"},
    "same_measure": {"en": "Same measure, not like for like: another region, year or scope",
                     "nl": "Zelfde maatstaf, niet gelijk tegenover gelijk: andere regio, ander jaar of andere afbakening"},
    "differs": {"en": "differs: {what}", "nl": "verschilt: {what}"},
    "region": {"en": "region", "nl": "regio"},
    "year": {"en": "year", "nl": "jaar"},
    "scope": {"en": "scope", "nl": "afbakening"},
    "values": {"en": "Barometer vs published", "nl": "Barometer vs gepubliceerd"},
    "none": {"en": "No published figure is like for like with the Barometer (same instrument, scope, region and year, from an "
                   "official release or report): every difference drawn compares another region, year or scope",
             "nl": "Geen enkel gepubliceerd cijfer is gelijk tegenover gelijk met de Barometer (zelfde vragen, afbakening, regio en "
                   "jaar, uit een officiële publicatie of rapport): elk getekend verschil vergelijkt een andere regio, jaar of afbakening"},
    "notes": {"en": "Where the published figure has no known sampling error (all official releases here), the interval holds "
                    "the Barometer's alone and is too narrow. Context figures (another or unknown instrument or population, figures "
                    "known only from press or blogs) are not drawn as differences",
              "nl": "Waar de steekproeffout van het gepubliceerde cijfer onbekend is (alle officiële cijfers hier), bevat het "
                    "interval enkel die van de Barometer en is het te smal. Contextcijfers (andere of onbekende vragen of populatie, "
                    "cijfers enkel bekend uit pers of blogs) worden niet als verschil getekend"},
}
PANELS = {"like_for_like": ("o", style.PALETTE[0]), "same_measure": ("s", style.PALETTE[1])}
COLUMNS = ["concept", "barometer_domain", "source", "geo", "year", "comparability", "differs", "barometer", "published",
           "difference", "ci_low", "ci_high", "value_id"]


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
        return spec.get(f"label_{data.language}") or spec.get("label_en") or domain
    low, high = int(kept["min_employees"].min()), kept["max_employees"]
    return TEXT["firms"][data.language].format(size=f"{low}+" if high.isna().any() else f"{low}-{int(high.max())}")


def differs_label(differs: str, language: str) -> str:
    what = [TEXT[k][language] for k in str(differs if isinstance(differs, str) else "").split(";") if k in ("region", "year", "scope")]
    return TEXT["differs"][language].format(what=", ".join(what)) if what else ""


def layout(diffs) -> tuple[list, list, list, float]:
    """Rows, their y positions and the concept headers of one panel (concepts in order of appearance)."""
    rows, ys, headers, y = [], [], [], 0.0
    for concept, group in diffs.groupby("concept", sort=False):
        headers.append((y, concept))
        y += 0.9
        for r in group.itertuples():
            rows.append(r)
            ys.append(y)
            y += 1.0
        y += 0.3
    return rows, ys, headers, y


def draw(data: FigureData) -> FigureResult:
    lang = data.language
    comparison = frame(data, "comparison", ["value_id", "survey", "source_grade", "comparability", "barometer_domain", "concept", "n"])
    # the range of each difference every data set consistent with the published tables allows (bundled reconstruction)
    diffs = difference_bounds(frame(data, "differences", COLUMNS), comparison)
    survey = comparison.dropna(subset=["value_id"]).set_index("value_id")
    panels = [(grade, diffs[diffs["comparability"] == grade]) for grade in PANELS]
    panels = [(grade, rows) for grade, rows in panels if len(rows)]
    layouts = [layout(rows) for _, rows in panels]
    heights = [max(y, 1.0) for *_, y in layouts]
    fig, axes = plt.subplots(len(panels), 1, figsize=(FIG_WIDTH, 1.4 + 0.3 * sum(heights) + 0.5 * len(panels)), sharex=True,
                             height_ratios=heights, layout="constrained", squeeze=False)
    for ax, (grade, _), (rows, ys, headers, y) in zip(axes[:, 0], panels, layouts):
        marker, colour = PANELS[grade]
        labels = []
        for yi, r in zip(ys, rows):
            hollow = needs_bounds(r)
            if hollow:
                bound_range(ax, yi + 0.32, r, 0.8)
            ax.errorbar(r.difference, yi, xerr=[[r.difference - r.ci_low], [r.ci_high - r.difference]], fmt="none",
                        ecolor=colour, elinewidth=1.1, capsize=2.5)
            ax.plot(r.difference, yi, marker=marker, color=colour, markeredgewidth=1.3, markersize=6, linestyle="none",
                    markerfacecolor="white" if hollow else colour)
            ax.annotate(f"{num(r.barometer, lang)} vs {num(r.published, lang)}", (1.0, yi), xycoords=("axes fraction", "data"),
                        xytext=(6, 0), textcoords="offset points", va="center", fontsize=7, color="#333333")
            if survey["survey"].get(r.value_id) == "ai_barometer":
                name = TEXT["edition"][lang].format(year=r.year, publisher=publisher(data, r.source))
            else:
                name = f"{publisher(data, r.source)}, {geo_label(r.geo, lang)} {r.year}"
            differs = differs_label(r.differs, lang)
            labels.append(f"{name}{' (' + differs + ')' if differs else ''}\n"
                          f"{wrap(TEXT['vs'][lang].format(domain=domain_label(data, r.barometer_domain)), 52)}")
        ax.set_yticks(ys, labels, fontsize=7)
        for yh, concept in headers:
            ax.annotate(wrap(concept_label(data, concept), 44), (0, yh), xycoords=("figure fraction", "data"), va="center",
                        ha="left", fontsize=8.5, fontweight="bold")
        ax.axvline(0, color="#333333", linewidth=0.9)
        ax.set_ylim(y - 0.3, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="y", visible=False)
        # the panel's grade from the figure's left edge, above its first concept; the column of printed
        # values is headed at the height of that concept
        text = wrap(TEXT[grade][lang], 75)
        ax.set_title("\n".join(" " for _ in text.split("\n")), loc="left", fontsize=9)
        ax.annotate(text, xy=(0, 1), xycoords=("figure fraction", "axes fraction"), xytext=(0, 5), textcoords="offset points",
                    ha="left", va="bottom", fontsize=9, color=colour, fontweight="bold")
        ax.annotate(TEXT["values"][lang], (1.0, headers[0][0]), xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", fontsize=7, fontweight="bold", va="center")
    axes[-1, 0].set_xlabel(TEXT["x"][lang])
    number_axis(axes[-1, 0].xaxis, lang)
    bottom_legend(fig, [Line2D([], [], marker=PANELS[g][0], color=PANELS[g][1], linestyle="none",
                               label=TEXT[g][lang].split(":")[0]) for g, _ in panels] + support_handles(diffs, lang))
    reference = comparison[(comparison["comparability"] == "reference")
                           & comparison.set_index(["concept", "barometer_domain"]).index.isin(list(zip(diffs["concept"], diffs["barometer_domain"])))]
    base = int(np.nanmax(reference["n"])) if len(reference) else 0
    notes = ([] if (diffs["comparability"] == "like_for_like").any() else [TEXT["none"][lang]]) + [TEXT["notes"][lang],
                                                                                                   support_note(diffs, lang)]
    return xs_finish(fig, data, TITLE, base, notes)
