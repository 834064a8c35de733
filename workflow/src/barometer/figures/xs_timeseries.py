"""AI adoption over time: the AI-Barometer editions (Flanders, 5+ employees; 2021 re-estimated with
its CI, also on the 10+ scope of the official survey), Eurostat for Belgium and the EU27 and
Statbel (10+ employees). Open markers: figures known only from press or blogs. A vertical rule marks
the break in series the sources note (2025: generative AI added)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from . import style
from .cross_survey import SECONDARY_GRADES, frame, geo_label, xs_finish
from .data import FigureData, FigureResult
from ..support import needs_bounds
from .panels import bottom_legend, bound_range, support_note
from .style import FIG_WIDTH
from .text import num, t

TITLE = {"en": "AI adoption over time: AI-Barometer and official statistics",
         "nl": "AI-adoptie doorheen de tijd: AI-Barometer en officiële statistiek"}
TEXT = {
    "y": {"en": "Firms using at least one AI technology (%)", "nl": "Bedrijven die minstens één AI-technologie gebruiken (%)"},
    "break": {"en": "break in series:\ngenerative AI added", "nl": "breuk in de reeks:\ngeneratieve AI toegevoegd"},
    "ai_barometer": {"en": "AI-Barometer, {geo}, 5+ employees", "nl": "AI-Barometer, {geo}, 5+ werknemers"},
    "harmonised": {"en": "AI-Barometer {year} re-estimated for 10+ employees", "nl": "AI-Barometer {year} herschat voor 10+ werknemers"},
    "harmonised_bounded": {"en": "AI-Barometer {year} re-estimated for 10+ employees: the reconstruction's value (hollow)\n"
                                 "and the range the published tables allow (thin black bar)",
                           "nl": "AI-Barometer {year} herschat voor 10+ werknemers: waarde van de reconstructie (open)\n"
                                 "en het bereik dat de gepubliceerde tabellen toelaten (dunne zwarte balk)"},
    "eurostat_ict": {"en": "Eurostat, {geo}, 10+ employees", "nl": "Eurostat, {geo}, 10+ werknemers"},
    "statbel_ict": {"en": "Statbel, {geo}, 10+ employees", "nl": "Statbel, {geo}, 10+ werknemers"},
    "notes": {"en": "Official surveys publish no sampling error; the 2025 Barometer interval is Wilson's under simple random "
                    "sampling (a lower bound). Dotted lines cross the break in series",
              "nl": "Officiële enquêtes publiceren geen steekproeffout; het interval van de Barometer 2025 is dat van Wilson "
                    "onder enkelvoudige aselecte steekproef (een ondergrens). Stippellijnen overbruggen de breuk in de reeks"},
}
# (survey, geo) of the series drawn, their colour and marker; the published indicator of "uses at least one AI technology"
SERIES = {("ai_barometer", "VL"): (style.PALETTE[0], "o"), ("eurostat_ict", "BE"): (style.PALETTE[5], "s"),
          ("statbel_ict", "BE"): (style.PALETTE[2], "^"), ("eurostat_ict", "EU27_2020"): ("#000000", "D")}
INDICATORS = {"barometer.ai_any", "e_ai_tany"}
ADOPTION = "adoption.any"  # the Barometer indicator these figures publish
NUDGE = {"statbel_ict": 0.1}  # Statbel repeats Eurostat's Belgian figure: shift it to keep both visible
COLUMNS = ["concept", "source", "source_grade", "survey", "geo", "year", "value", "ci_low", "ci_high", "n", "comparability",
           "note", "value_id", "barometer_domain", "indicator"]


def points(data: FigureData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The external points (comparison rows, completed by the published values), and the Barometer's
    re-estimate on the domain its later editions use and on the domain of the official survey."""
    comparison = frame(data, "comparison", COLUMNS)
    reference = comparison[(comparison["comparability"] == "reference") & (comparison["indicator"] == ADOPTION)]
    external = comparison[comparison["indicator"].isin(INDICATORS)]
    own, official = (reference[reference["barometer_domain"].isin(external.loc[external["survey"] == s, "barometer_domain"])]
                     .drop_duplicates("barometer_domain") for s in ("ai_barometer", "eurostat_ict"))
    published = data.extra.get("published")
    if published is not None:
        extra = published[published["indicator"].isin(INDICATORS) & (published["survey"] != "ai_barometer")
                          & ~published["value_id"].isin(external["value_id"]) & ~published["value_id"].str.contains(".rev_", regex=False)]
        external = pd.concat([external, extra.assign(ci_low=np.nan, ci_high=np.nan)])
    keep = [k in SERIES for k in zip(external["survey"], external["geo"])]
    external = external[keep].drop_duplicates(["survey", "geo", "year"]).sort_values(["survey", "geo", "year"])
    return external, own, official


def draw(data: FigureData) -> FigureResult:
    lang = data.language
    external, own, harmonised = points(data)
    breaks = external.loc[external["note"].astype(str).str.contains("break in series", case=False), "year"]
    brk = int(breaks.min()) if len(breaks) else None
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 4.2), layout="constrained")
    handles = []
    for (survey, geo), rows in external.groupby(["survey", "geo"], sort=False):
        colour, marker = SERIES[(survey, geo)]
        if survey == "ai_barometer":  # the re-estimated edition opens the series
            rows = pd.concat([own.assign(source_grade="report"), rows]).sort_values("year", kind="stable")
        x = rows["year"].to_numpy(float) + NUDGE.get(survey, 0.0)
        y = rows["value"].to_numpy(float)
        for k in range(len(x) - 1):
            crosses = brk is not None and rows["year"].iloc[k] < brk <= rows["year"].iloc[k + 1]
            ax.plot(x[k:k + 2], y[k:k + 2], color=colour, linewidth=1.2, linestyle=":" if crosses else "-", zorder=2)
        for xi, r in zip(x, rows.itertuples()):
            hollow = r.source_grade in SECONDARY_GRADES
            if np.isfinite(r.ci_low):
                ax.errorbar(xi, r.value, yerr=[[r.value - r.ci_low], [r.ci_high - r.value]], fmt="none", ecolor=colour,
                            elinewidth=1.0, capsize=3, zorder=3)
            ax.plot(xi, r.value, marker=marker, markersize=6.5, color=colour, markerfacecolor="white" if hollow else colour,
                    markeredgewidth=1.3, linestyle="none", zorder=4)
            if survey == "ai_barometer":
                ax.annotate(num(r.value, lang), (xi, r.value), xytext=(7, -6), textcoords="offset points", va="center",
                            fontsize=7, color=colour)
        handles.append(Line2D([], [], color=colour, marker=marker, label=TEXT[survey][lang].format(geo=geo_label(geo, lang))))
    for r in harmonised.itertuples():
        colour = style.PALETTE[4]
        # a value of the reconstruction the published tables do not pin down: hollow, with their range beside it
        hollow = needs_bounds(r) and bound_range(ax, r.year - 0.22, r, 0.3, vertical=True)
        ax.errorbar(r.year - 0.1, r.value, yerr=[[r.value - r.ci_low], [r.ci_high - r.value]], fmt="D", color=colour,
                    markersize=5.5, elinewidth=1.0, capsize=3, zorder=4, markerfacecolor="white" if hollow else colour,
                    markeredgewidth=1.3)
        ax.annotate(num(r.value, lang), (r.year - 0.1, r.value), xytext=(-7 - (10 if hollow else 0), 0), textcoords="offset points",
                    va="center", ha="right", fontsize=7, color=colour)
        label = TEXT["harmonised_bounded" if hollow else "harmonised"][lang].format(year=r.year)
        handles.append(Line2D([], [], color=colour, marker="D", linestyle="none", markerfacecolor="white" if hollow else colour,
                              label=label))
    if brk is not None:
        ax.axvline(brk - 0.5, color=style.NEUTRAL, linestyle="--", linewidth=0.9)
        ax.text(brk - 0.53, 0.98, TEXT["break"][lang], transform=ax.get_xaxis_transform(), va="top", ha="right",
                fontsize=7, color="#444444")
    years = sorted(set(external["year"]) | set(own["year"]))
    ax.set_xticks(range(min(years), max(years) + 1))
    ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
    top = [external["value"], external["ci_high"], own["ci_high"], harmonised["ci_high"]]
    if "bound_high" in harmonised:
        top.append(harmonised.loc[[needs_bounds(r) for r in harmonised.itertuples()], "bound_high"])
    ax.set_ylim(0, np.nanmax(np.r_[tuple(top)]) * 1.12)
    ax.set_ylabel(TEXT["y"][lang])
    ax.grid(axis="x", visible=False)
    handles += [Line2D([], [], color="#444444", marker="o", linestyle="none", label=t("primary", lang)),
                Line2D([], [], color="#444444", marker="o", markerfacecolor="white", linestyle="none", label=t("secondary", lang))]
    bottom_legend(fig, handles)
    base = int(pd.concat([own, harmonised])["n"].max()) if len(own) + len(harmonised) else 0
    return xs_finish(fig, data, TITLE, base, [TEXT["notes"][lang], support_note(harmonised, lang)])
