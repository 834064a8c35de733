"""The figures' words in English and Dutch, and how each language writes numbers."""

from __future__ import annotations

import re
import textwrap

TEXT = {
    "share": {"en": "Share of firms (%)", "nl": "Aandeel bedrijven (%)"},
    "share_adopters": {"en": "Share of adopters (%)", "nl": "Aandeel adopters (%)"},
    "mean_percent": {"en": "Mean (%)", "nl": "Gemiddelde (%)"},
    "adopter": {"en": "Adopters", "nl": "Adopters"},
    "non_adopter": {"en": "Non-adopters", "nl": "Niet-adopters"},
    "all": {"en": "All firms", "nl": "Alle bedrijven"},
    "ci": {"en": "{level}% confidence interval", "nl": "{level}%-betrouwbaarheidsinterval"},
    "ci_short": {"en": "{level}% CI", "nl": "{level}%-BI"},
    "review": {"en": "hatched: interpret with care (reliability review)", "nl": "gearceerd: voorzichtig interpreteren (betrouwbaarheid)"},
    "suppress": {"en": "×: too unreliable to publish (suppressed)", "nl": "×: te onbetrouwbaar om te publiceren (onderdrukt)"},
    "base": {"en": "N", "nl": "N"},
    "source": {"en": "Source: AI-Barometer {edition}, design-based re-estimation", "nl": "Bron: AI-Barometer {edition}, designgebaseerde herschatting"},
    "asked_adopters": {"en": "Asked only of firms using at least one AI technology",
                       "nl": "Enkel gevraagd aan bedrijven die minstens één AI-technologie gebruiken"},
    "review_key": {"en": "Interpret with care", "nl": "Voorzichtig interpreteren"},
    "suppress_key": {"en": "Suppressed (too unreliable)", "nl": "Onderdrukt (te onbetrouwbaar)"},
    "mean_among": {"en": "Mean (%) among the firms reporting the effect", "nl": "Gemiddelde (%) bij de bedrijven die het effect melden"},
    "means_n": {"en": "means over the firms reporting the effect (n per bar)",
                "nl": "gemiddelden over de bedrijven die het effect melden (n per balk)"},
    "mean_clipped": {"en": "intervals of means truncated at 0", "nl": "intervallen van gemiddelden afgekapt op 0"},
    "cell": {"en": "Cells: estimate (%) and {level}% confidence interval; columns sorted by the estimate in the bottom row",
             "nl": "Cellen: schatting (%) en {level}%-betrouwbaarheidsinterval; kolommen gesorteerd volgens de onderste rij"},
    "sorted_use": {"en": "rows sorted by the share of firms using the technology",
                   "nl": "rijen gesorteerd volgens het aandeel bedrijven dat de technologie gebruikt"},
    # Figures 4 and 5 draw adopters and non-adopters apart but sort by both together, which they do not draw
    "sorted_pooled": {"en": "rows sorted by the share {level}among adopters and non-adopters together (not drawn)",
                      "nl": "rijen gesorteerd volgens het aandeel {level}bij adopters en niet-adopters samen (niet getekend)"},
    "geo_BE": {"en": "Belgium", "nl": "België"},
    "geo_EU27_2020": {"en": "EU27", "nl": "EU27"},
    "geo_VL": {"en": "Flanders", "nl": "Vlaanderen"},
    "secondary": {"en": "Open marker: figure reported by press or a blog", "nl": "Open symbool: cijfer uit pers of blog"},
    "primary": {"en": "Filled marker: official release or report", "nl": "Gevuld symbool: officiële publicatie of rapport"},
    "hollow_key": {"en": "Hollow: the reconstruction's value, not pinned down by the published tables",
                   "nl": "Open: waarde van de reconstructie, niet vastgelegd door de gepubliceerde tabellen"},
    "bounds_key": {"en": "Range the published tables allow", "nl": "Bereik dat de gepubliceerde tabellen toelaten"},
    "hollow_note": {"en": "hollow bars and markers: values of the bundled reconstruction that the 2021 report's published tables do "
                          "not pin down; where these tables narrow them, the thin bar below gives the range every data set "
                          "consistent with them allows",
                    "nl": "open balken en symbolen: waarden van de meegeleverde reconstructie die de gepubliceerde tabellen van het "
                          "rapport van 2021 niet vastleggen; waar die tabellen ze beperken, geeft de dunne balk eronder het bereik "
                          "dat elke dataset die ermee overeenstemt toelaat"},
    "hollow_cell_note": {"en": "cells with a dashed border: values of the bundled reconstruction that the 2021 report's published "
                               "tables do not pin down",
                         "nl": "cellen met een stippelrand: waarden van de meegeleverde reconstructie die de gepubliceerde tabellen "
                               "van het rapport van 2021 niet vastleggen"},
    "published": {"en": "published figures with their source and its grade as transcribed in data/raw/published",
                  "nl": "gepubliceerde cijfers met hun bron en de kwaliteit ervan zoals overgenomen in data/raw/published"},
}


def t(key: str, language: str, **kwargs) -> str:
    return TEXT[key][language].format(**kwargs)


def wrap(text: str, width: int = 42) -> str:
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def num(value: float, language: str, digits: int = 1) -> str:
    """A number as the report's language writes it (decimal comma in Dutch)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "nl" else text


def count(value: int, language: str) -> str:
    """A whole number with its thousands grouped as the language writes them (1,717 / 1.717)."""
    text = f"{int(value):,}"
    return text.replace(",", ".") if language == "nl" else text


def short_label(text: str, limit: int = 30) -> str:
    """A long label without its closing explanation in brackets, as the report heads its tables
    ('Autonome machines (autonome robots, ...)' -> 'Autonome machines')."""
    return re.sub(r"\s*\([^()]*\)$", "", text) if len(text) > limit else text
