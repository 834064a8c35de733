"""What the report shows, computed from declared pipeline outputs only, in the report's language.

reports/barometer.qmd calls these functions; each returns Markdown text or a display object of
``report_blocks`` (a text table, a figure). The report reads nothing but the files listed in its
context file, which are the inputs of the Snakemake rule that renders it, so a changed estimate
re-renders the report. One source serves every language: the prose is written in the .qmd once per
language side by side (``show(ctx, en=..., nl=...)``), the words of the tables here (``WORDS``), the
labels of indicators and domains come from the codebook and the strata file, and numbers are
written as the language writes them (``report_blocks.number``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import report_blocks as B
from .support import any_needs_bounds, bounds_of, needs_bounds, outward, sign_established
from .io import sha256_file

CONTEXT_VARIABLE = "BAROMETER_REPORT_CONTEXT"
ROOT_VARIABLE = "BAROMETER_REPORT_ROOT"
REVIEW, SUPPRESSED = "†", "×"


@dataclass
class Context:
    files: dict[str, str]
    figures: dict[str, dict]  # id -> {"png", "svg", "caption"}: paths
    meta: dict
    _cache: dict = field(default_factory=dict)
    cited: list = field(default_factory=list)  # keys of references.yaml cited so far, in order

    def table(self, name: str, **kwargs) -> pd.DataFrame:
        if name not in self._cache:
            if name not in self.files:
                raise KeyError(f"the report's context has no input named '{name}'")
            self._cache[name] = pd.read_csv(self.files[name], **kwargs)
        return self._cache[name]

    @property
    def edition(self) -> str:
        return str(self.meta["edition"])

    @property
    def language(self) -> str:
        return self.meta.get("language", "en")

    def tr(self, en: str, nl: str) -> str:
        """The text in the report's language."""
        return nl if self.language == "nl" else en

    def num(self, value, decimals: int = 1, sign: bool = False) -> str:
        return B.number(value, self.language, decimals, sign=sign)

    def pct(self, value, decimals: int = 1) -> str:
        return B.percent(value, self.language, decimals)

    def count(self, value) -> str:
        return B.count(value, self.language)

    @property
    def level(self) -> str:
        """The interval level as the text prints it ('95%')."""
        return f"{round(100 * float(self.meta.get('ci_level', 0.95)))}%"


def load_context(path: str | None = None, root: str | None = None) -> Context:
    """The context the report rule wrote; its paths are relative to the repository root, which is
    taken from BAROMETER_REPORT_ROOT (default: two folders above the context file)."""
    path = path or os.environ.get(CONTEXT_VARIABLE)
    if not path:
        raise RuntimeError(f"no report context: set {CONTEXT_VARIABLE} to the context JSON the report rule writes")
    path = Path(path)
    base = Path(root or os.environ.get(ROOT_VARIABLE) or path.resolve().parents[2])
    data = json.loads(path.read_text(encoding="utf-8"))
    files = {name: str(base / p) for name, p in data["files"].items()}
    figures = {name: {k: str(base / v) for k, v in spec.items()} for name, spec in data["figures"].items()}
    return Context(files=files, figures=figures, meta={**data["meta"], "root": str(base)})


# ---------------------------------------------------------------------------------------------
# words of the tables, in every language
# ---------------------------------------------------------------------------------------------
WORDS = {
    "figure": {"en": "Figure", "nl": "Figuur"},
    "table": {"en": "Table", "nl": "Tabel"},
    "continued": {"en": "continued", "nl": "vervolg"},
    "all_firms": {"en": "All firms", "nl": "Alle bedrijven"},
    "adopters": {"en": "Adopters", "nl": "Adopters"},
    "non_adopters": {"en": "Non-adopters", "nl": "Niet-adopters"},
    "respondents": {"en": "respondents", "nl": "respondenten"},
    "marks": {"en": "{review} interpret with care ({standard}); {suppressed} suppressed: too unreliable to publish.",
              "nl": "{review} voorzichtig interpreteren ({standard}); {suppressed} onderdrukt: te onbetrouwbaar om te publiceren."},
    "cells": {"en": "Cells: estimate (%) and, below it, its {level} confidence interval.",
              "nl": "Cellen: schatting (%) en daaronder het {level}-betrouwbaarheidsinterval."},
    "yes": {"en": "yes", "nl": "ja"},
    "no": {"en": "NO", "nl": "NEE"},
}


def word(ctx: Context, key: str, **kwargs) -> str:
    return WORDS[key][ctx.language].format(**kwargs)


def show(ctx: Context, en: str, nl: str):
    """Markdown in the report's language, as a display object."""
    from IPython.display import Markdown

    return Markdown(ctx.tr(en, nl))


def heading(ctx: Context, level: int, en: str, nl: str):
    from IPython.display import Markdown

    return Markdown("#" * level + " " + ctx.tr(en, nl))


def decap(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym ('ICT security' stays)."""
    text = str(text)
    return text if len(text) > 1 and (text[1].isupper() or text[1].isdigit()) else text[:1].lower() + text[1:]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# numbers with their interval, reliability and support
# ---------------------------------------------------------------------------------------------
def mark(flag) -> str:
    return {"review": " " + REVIEW, "suppress": " " + SUPPRESSED}.get(str(flag), "")


def with_ci(ctx: Context, row, decimals: int = 1, unit: str = "%") -> str:
    """'23.2% (95% CI 20.8–25.7)', '†' when to interpret with care; a suppressed cell has no number."""
    if row.get("flag") == "suppress":
        return ctx.tr("suppressed", "onderdrukt") + " " + SUPPRESSED
    ci = B.interval(row["ci_low"], row["ci_high"], ctx.language, decimals)
    text = f"{ctx.num(row['estimate'], decimals)}{unit}"
    if ci:
        text += f" ({ctx.tr(ctx.level + ' CI', ctx.level + '-BI')} {ci})"
    return text + mark(row.get("flag"))


# How an estimate is supported (the column 'identified_by', when the estimates carry it): numbers the
# 2021 report published or that follow from published numbers stand alone; any other number is shown
# with the range the published tables allow (bound_low, bound_high; barometer.support).
def bounds_phrase(ctx: Context, row, decimals: int = 1, unit: str = "%", sign: bool = False) -> str:
    """'reconstruction; the published tables allow 20.7–81.7%' for a number of the reconstruction
    that the published tables do not pin down (its range rounded outward), '' for any other (published,
    derived, real microdata, no bounds column)."""
    if not needs_bounds(row):
        return ""
    bounds = bounds_of(row)
    if bounds is None:
        return ctx.tr("reconstruction only; no bounds", "enkel reconstructie; geen grenzen")
    low, high = outward(*bounds, decimals)
    text = B.interval(low, high, ctx.language, decimals) if not sign else \
        f"{ctx.num(low, decimals, sign=True)} {ctx.tr('to', 'tot')} {ctx.num(high, decimals, sign=True)}"
    return ctx.tr(f"reconstruction; the published tables allow {text}{unit}",
                  f"reconstructie; de gepubliceerde tabellen laten {text}{unit} toe")


def with_support(ctx: Context, row, decimals: int = 1) -> str:
    """A key number as the report states it: estimate, interval and reliability mark (``with_ci``)
    and, for a number that is neither published nor derived from published numbers, the range the
    published tables allow: '37.4% (95% CI 33.1–41.8; reconstruction; the published tables allow
    20.7–81.7%)'. Estimates without the support columns (real microdata) show the interval only."""
    phrase = bounds_phrase(ctx, row, decimals)
    if not phrase or row.get("flag") == "suppress":  # a suppressed number is not shown at all
        return with_ci(ctx, row, decimals)
    ci = B.interval(row["ci_low"], row["ci_high"], ctx.language, decimals)
    inside = [f"{ctx.tr(ctx.level + ' CI', ctx.level + '-BI')} {ci}"] if ci else []
    return f"{ctx.num(row['estimate'], decimals)}% ({'; '.join([*inside, phrase])})" + mark(row.get("flag"))


def published(ctx: Context, value_id: str) -> float:
    """A published cross-survey figure of the comparison, by its value_id."""
    c = ctx.table("comparison")
    hit = c.loc[c["value_id"] == value_id, "value"]
    if hit.empty:
        raise KeyError(f"no published value {value_id} in the comparison")
    return float(hit.iloc[0])


def estimate(ctx: Context, indicator: str, domain: str = "all") -> pd.Series:
    e = ctx.table("estimates")
    hit = e[(e["indicator"] == indicator) & (e["domain"] == domain)]
    if hit.empty:
        raise KeyError(f"no estimate for {indicator} in {domain}")
    return hit.iloc[0]


def p_value(ctx: Context, value) -> str:
    if not B.finite(value):
        return B.MISSING
    return "<" + ctx.num(0.001, 3) if value < 0.001 else ctx.num(value, 3)


def estimate_cell(ctx: Context, row, decimals: int = 1) -> B.Cell:
    """A table cell: estimate over its interval; † and italics to interpret with care, × suppressed."""
    if row is None or row.get("flag") == "suppress" or not B.finite(row.get("estimate")):
        return B.cell(SUPPRESSED if row is not None and row.get("flag") == "suppress" else B.MISSING)
    flag = row.get("flag")
    ci = B.interval(max(float(row["ci_low"]), 0.0), row["ci_high"], ctx.language, decimals)
    return B.cell(ctx.num(row["estimate"], decimals) + mark(flag), f"({ci})" if ci else "", nowrap=True, italic=flag == "review")


def value_with_ci(ctx: Context, value, low, high, decimals: int = 1, sign: bool = False) -> B.Cell:
    """'+15.6 (10.6 to 20.6)' on one unbreakable line."""
    if not B.finite(value):
        return B.cell(B.MISSING)
    ci = B.interval(low, high, ctx.language, decimals)
    return B.cell(ctx.num(value, decimals, sign=sign) + (f" ({ci})" if ci else ""), nowrap=True)


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------
def codebook(ctx: Context):
    from .codebook import Codebook

    if "codebook" not in ctx._cache:
        ctx._cache["codebook"] = Codebook.load(ctx.files["codebook"])
    return ctx._cache["codebook"]


def strata_labels(ctx: Context) -> dict:
    from .strata import Strata

    key = ("strata", ctx.language)
    if key not in ctx._cache:
        ctx._cache[key] = Strata.load(ctx.files["strata"]).labels(ctx.language)
    return ctx._cache[key]


def indicator_label(ctx: Context, name: str, level: bool = True) -> str:
    """The codebook's label of an indicator in the report's language, with its level unless 'yes'."""
    meta = codebook(ctx).indicators.set_index("indicator")
    if name not in meta.index:
        return name.replace("_", " ")
    row = meta.loc[name]
    label = row[f"item_label_{ctx.language}"]
    lv = row[f"level_{ctx.language}"]
    # 'yes' adds nothing, and a mean's level ('mean (%)') repeats what its label says ('Cost reduction (%)')
    if level and lv and row["level_en"] not in ("yes",) and not str(row["level_en"]).startswith("mean"):
        label += f" ({lv})"
    return str(label)


def domain_label(ctx: Context, name: str) -> str:
    if name == "all":
        return word(ctx, "all_firms")
    labels = strata_labels(ctx)
    parts = []
    for part in name.split(";"):
        key, value = part.split("=", 1)
        if key == "adopter_status":
            parts.append(word(ctx, "adopters" if value == "adopter" else "non_adopters"))
        else:
            parts.append(labels.get(key, {}).get(value, value))
    return ", ".join(parts)


def labeller(ctx: Context):
    """(indicator label, domain label) in the report's language."""
    return (lambda name: indicator_label(ctx, name)), (lambda name: domain_label(ctx, name))


def where(ctx: Context, location: str, section: str) -> str:
    short = location.replace("Figure ", ctx.tr("Fig. ", "Fig. ")).replace("Table ", ctx.tr("Tab. ", "Tab. "))
    return f"{short}, {ctx.tr('summary', 'samenvatting') if section == 'Summary' else '§' + str(section)}"


def reliability_name(ctx: Context) -> str:
    """The reliability standard by name, with its reference (cited)."""
    if ctx.meta.get("reliability") == "cv":
        return ctx.tr("Statistics Canada's CV rule", "CV-regel van Statistics Canada") + f" ({cite(ctx, 'statcan_cv')})"
    return ctx.tr("NCHS data presentation standard for proportions", "NCHS-standaard voor proporties") + f" ({cite(ctx, 'parker_2017')})"


def marks_note(ctx: Context) -> str:
    return word(ctx, "marks", review=REVIEW, suppressed=SUPPRESSED, standard=reliability_name(ctx))


# ---------------------------------------------------------------------------------------------
# front matter
# ---------------------------------------------------------------------------------------------
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
}


def long_date(iso: str, language: str) -> str:
    """'2026-12-02' -> '2 December 2026' / '2 december 2026'; '' stays ''."""
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    return f"{d.day} {MONTHS[language][d.month - 1]} {d.year}"


def translate_months(text: str, language: str) -> str:
    """English month names in a configured text ('May-August 2021') in the report's language."""
    for en, other in zip(MONTHS["en"], MONTHS[language]):
        text = re.sub(rf"\b{en}\b", other, text)
    return text


def citation_file(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def author_names(cff: dict) -> list[str]:
    names = []
    for a in cff.get("authors") or []:
        if "name" in a:
            names.append(str(a["name"]))
        else:
            names.append(" ".join(str(a[k]) for k in ("given-names", "family-names") if a.get(k)))
    return names


TITLES = {
    "en": ("{edition}: a reproducible, design-based re-analysis",
           "Adoption of artificial intelligence by Flemish firms, with honest uncertainty"),
    "nl": ("{edition}: een reproduceerbare, designgebaseerde heranalyse",
           "Adoptie van artificiële intelligentie door Vlaamse bedrijven, met eerlijke onzekerheid"),
}


def version_text(meta: dict, cff: dict) -> str:
    """'0.1.0 (a273b78)': the release in CITATION.cff and the git describe of the checkout."""
    described = meta.get("version") or "no git commit"
    return f"{cff.get('version', '')} ({described})"


def render_metadata(meta: dict, citation: str | Path) -> dict:
    """The title block of a rendering (title, subtitle, authors, date line, document language and
    the title of the table of contents), in the rendering's language."""
    language = meta.get("language", "en")
    cff = citation_file(citation)
    title, subtitle = TITLES[language]
    rendered = long_date(meta.get("render_date", ""), language)
    version = version_text(meta, cff)
    if language == "nl":
        line = f"Versie {version}" + (f" · gegenereerd op {rendered}" if rendered else "")
    else:
        line = f"Version {version}" + (f" · rendered {rendered}" if rendered else "")
    return {"title": title.format(edition=meta["edition_label"]), "subtitle": subtitle, "author": author_names(cff),
            "date": line, "lang": language, "toc-title": "Inhoudsopgave" if language == "nl" else "Contents"}


def front_matter(ctx: Context) -> str:
    """Version, the data and the render date; how to cite this re-analysis and the 2021 report."""
    cff = citation_file(ctx.files["citation"])
    meta = ctx.meta
    version = version_text(meta, cff)
    rendered = long_date(meta.get("render_date", ""), ctx.language)
    data = ctx.tr("bundled reconstruction of the microdata", "meegeleverde reconstructie van de microdata") \
        if meta.get("bundled_reconstruction") else ctx.tr("microdata supplied by the user", "door de gebruiker aangeleverde microdata")
    fieldwork = translate_months(str(meta.get("fieldwork") or ""), ctx.language)
    date_source = ctx.tr("the date of the commit (or SOURCE_DATE_EPOCH), so that two runs give identical files",
                         "de datum van de commit (of SOURCE_DATE_EPOCH), zodat twee runs identieke bestanden geven")
    year = (meta.get("render_date") or "")[:4] or str(cff.get("date-released", ""))[:4] or "n.d."
    authors = ", ".join(author_names(cff))
    cite = f"{authors} ({year}). {cff.get('title', '')}. {ctx.tr('Version', 'Versie')} {version}."
    if cff.get("repository-code") or cff.get("url"):
        cite += f" {cff.get('repository-code') or cff.get('url')}"
    original = source_citation(ctx, f"ai_barometer_{ctx.edition}")
    lines = [
        f"**{ctx.tr('Version', 'Versie')}:** {version} ({ctx.tr('release in CITATION.cff; git describe of the checkout', 'release volgens CITATION.cff; git describe van de checkout')})  ",
        f"**{ctx.tr('Data', 'Gegevens')}:** {meta['edition_label']}, {ctx.tr('fieldwork', 'veldwerk')} {fieldwork} ({data})  ",
        f"**{ctx.tr('Rendered', 'Gegenereerd')}:** {rendered or ctx.tr('undated (no commit and no SOURCE_DATE_EPOCH)', 'ongedateerd (geen commit en geen SOURCE_DATE_EPOCH)')}"
        + (f" ({date_source})" if rendered else ""),
        "",
        f"**{ctx.tr('Cite this re-analysis as', 'Citeer deze heranalyse als')}:** {B.markdown_escape(cite)}",
        "",
    ]
    if original:
        lines.append(f"**{ctx.tr('The survey it re-analyses', 'De heranalyseerde enquête')}:** {B.markdown_escape(original)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------
def references(ctx: Context) -> dict:
    if "references" not in ctx._cache:
        ctx._cache["references"] = yaml.safe_load(Path(ctx.files["references"]).read_text(encoding="utf-8"))
    return ctx._cache["references"]


def cite(ctx: Context, *keys: str) -> str:
    """The short citation of references.yaml entries ('Parker et al. 2017'); each is listed under
    References."""
    refs = references(ctx)
    out = []
    for key in keys:
        if key not in refs:
            raise KeyError(f"{ctx.files['references']}: no reference '{key}'")
        if key not in ctx.cited:
            ctx.cited.append(key)
        out.append(refs[key]["short"])
    return "; ".join(out)


def sources(ctx: Context) -> pd.DataFrame:
    return ctx.table("sources", dtype=str, keep_default_na=False).set_index("source_id")


def source_citation(ctx: Context, source_id: str) -> str:
    s = sources(ctx)
    return str(s.at[source_id, "citation"]) if source_id in s.index else ""


def author_year(citation: str, fallback: str) -> str:
    """The author and year of a formal citation, as the text cites it: 'Statbel (2023). Nearly ...'
    -> 'Statbel 2023'; 'Computable.be (2025, 28 October). ...' -> 'Computable.be 2025'."""
    match = re.match(r"^(.+?) \((\d{4})[^)]*\)", str(citation))
    return f"{match.group(1)} {match.group(2)}" if match else fallback


def source_short(ctx: Context, source_id: str) -> str:
    """A source as the text cites it: the author and year of its citation ('Eurostat 2025'), with a
    letter where one author has several sources of one year (the reference list uses the same)."""
    if "source_short" not in ctx._cache:
        s = sources(ctx)
        short = {k: author_year(r["citation"], f"{r['publisher']} {r['year']}") for k, r in s.iterrows()}
        names = {}
        for key in sorted(short):
            names.setdefault(short[key], []).append(key)
        for name, keys in names.items():
            if len(keys) > 1:
                for k, key in enumerate(keys):
                    short[key] = f"{name}{'abcdefghijklmnopqrstuvwxyz'[k]}"
        ctx._cache["source_short"] = short
    return ctx._cache["source_short"].get(source_id, source_id)


def cited_sources(ctx: Context) -> list[str]:
    """The sources of every published figure the report shows: the edition's report, the cross-survey
    comparison and the editions' series."""
    ids = [f"ai_barometer_{ctx.edition}"]
    ids += list(ctx.table("comparison")["source"])
    if "series" in ctx.files:
        ids += list(ctx.table("series")["source"])
    known = sources(ctx).index
    return [s for s in dict.fromkeys(ids) if s in known]


def reference_list(ctx: Context) -> str:
    """Every method cited (in the order of the alphabet) and every source of a published figure, as
    a Markdown list."""
    refs = references(ctx)
    methods = sorted(ctx.cited, key=lambda k: refs[k]["citation"])
    lines = [f"**{ctx.tr('Methods', 'Methoden')}**", ""]
    lines += [f"- {B.markdown_escape(' '.join(refs[k]['citation'].split()))}" for k in methods]
    lines += ["", f"**{ctx.tr('Sources of the published figures', 'Bronnen van de gepubliceerde cijfers')}**", ""]
    s = sources(ctx)
    for key in sorted(cited_sources(ctx), key=lambda k: source_short(ctx, k).lower()):
        url = s.at[key, "url"]
        lines.append(f"- \\[{B.markdown_escape(source_short(ctx, key))}\\] {B.markdown_escape(s.at[key, 'citation'])}"
                     + (f" <{url}>" if url else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def typst_setup():
    """Typst rules of this report (no effect on the HTML): figures numbered by their captions (the
    report keeps the 2021 report's numbers), captions left-aligned in small print. Figures stay where
    the text puts them (floating figures would land above their section's heading). No hyphenation:
    words and numbers copied from the PDF come out whole."""
    return B.Raw(typst_text=(
        "#set figure(numbering: none, gap: 0.6em)\n"
        "#set text(hyphenate: false)\n"
        "#show figure.caption: set text(size: 9pt)\n"
        "#show figure.caption: set align(left)\n"
        "#show figure.caption: set par(justify: false)\n"
        "#show heading.where(level: 1): set block(above: 1.6em)\n"))


def reconstruction_note(ctx: Context) -> str:
    if not ctx.meta.get("bundled_reconstruction"):
        return ""
    return ctx.tr(
        "> **These results come from the bundled reconstruction, not from the real survey responses.** "
        "The 2021 microdata are confidential; the workflow ships a synthetic export reconstructed so that "
        "it reproduces every number the 2021 report publishes (see *Reproduction*). Everything the report "
        "does not publish (for instance adoption by size class, the correlation between answers, the "
        "split of the excluded responses) is invented by the reconstruction and must not be read as a "
        "finding. Run the workflow on the real export to obtain real results.\n",
        "> **Deze resultaten komen uit de meegeleverde reconstructie, niet uit de echte antwoorden.** "
        "De microdata van 2021 zijn vertrouwelijk; de workflow levert een synthetische export mee, zo "
        "gereconstrueerd dat ze elk getal van het rapport van 2021 reproduceert (zie *Reproductie*). Alles wat "
        "het rapport niet publiceert (bijvoorbeeld adoptie per grootteklasse, de samenhang tussen antwoorden, "
        "de opsplitsing van de uitgesloten antwoorden) is door de reconstructie verzonnen en mag niet als "
        "bevinding gelezen worden. Draai de workflow op de echte export voor echte resultaten.\n")


KEY_FINDINGS = [
    # (English, Dutch, indicator, domain); shares of the domain named
    ("Firms using at least one AI technology", "Bedrijven die minstens één AI-technologie gebruiken", "adoption.any", "all"),
    ("Among firms with 50-249 employees", "Bij bedrijven met 50-249 werknemers", "adoption.any", "size=medium"),
    ("Among firms with 250+ employees", "Bij bedrijven met 250+ werknemers", "adoption.any", "size=large"),
    ("Non-adopters planning AI within a year, as a share of non-adopters",
     "Niet-adopters met plannen voor AI binnen het jaar, als aandeel van de niet-adopters",
     "adoption.none_with_plans", "adopter_status=non_adopter"),
    ("Firms that do not use AI but plan to within a year, as a share of all firms",
     "Bedrijven die geen AI gebruiken maar dat binnen het jaar plannen, als aandeel van alle bedrijven",
     "adoption.none_with_plans", "all"),
    ("Most used technology, text mining", "Meest gebruikte technologie, tekstanalyse", "tech_text_mining.use", "all"),
    ("Adopters lacking relevant knowledge and skills", "Adopters met een gebrek aan relevante kennis en vaardigheden",
     "barrier_lack_expertise.yes", "adopter_status=adopter"),
    ("Non-adopters seeing limited usefulness", "Niet-adopters die weinig nut zien", "barrier_limited_usefulness.yes",
     "adopter_status=non_adopter"),
    ("Adopters reporting cost reduction thanks to AI", "Adopters die kostendaling dankzij AI melden",
     "impact_cost_reduction.yes", "adopter_status=adopter"),
    ("Firms aware of the Flemish AI action plan", "Bedrijven die het Vlaamse AI-beleidsplan kennen", "policy_action_plan_aware.yes", "all"),
]


def key_findings_rows(ctx: Context) -> list[tuple[str, pd.Series]]:
    """(label, estimate row) of each key finding this edition has."""
    out = []
    for en, nl, indicator, domain in KEY_FINDINGS:
        try:
            row = estimate(ctx, indicator, domain)
        except KeyError:
            if domain.startswith("adopter_status=adopter"):
                try:
                    row = estimate(ctx, indicator, "all")  # questions asked of adopters only
                except KeyError:
                    continue
            else:
                continue
        out.append((ctx.tr(en, nl), row))
    return out


def key_findings(ctx: Context) -> str:
    """Headline numbers with their intervals, each a share of the group it names; a number the
    published tables do not pin down with the range they allow (``with_support``)."""
    return "\n".join(f"- **{label}:** {with_support(ctx, row)}, {ctx.count(row['n'])} {word(ctx, 'respondents')}"
                     for label, row in key_findings_rows(ctx))


def key_findings_support(ctx: Context) -> str:
    """The sentence under the key findings that says what the ranges are, when one is shown (the
    bundled reconstruction); '' on real microdata."""
    if not any(needs_bounds(row) for _, row in key_findings_rows(ctx)):
        return ""
    return ctx.tr(
        "Numbers the 2021 report publishes, or that follow from its published numbers alone, stand as they are. Any "
        "other number is the reconstruction's and is given with the range that every data set consistent with the "
        "published tables allows (*reconstruction; the published tables allow ...*): only that range is a finding.",
        "Getallen die het rapport van 2021 publiceert, of die enkel uit zijn gepubliceerde getallen volgen, staan er "
        "zoals ze zijn. Elk ander getal komt uit de reconstructie en staat er met het bereik dat elke dataset die met de "
        "gepubliceerde tabellen overeenstemt toelaat (*reconstructie; de gepubliceerde tabellen laten ... toe*): enkel "
        "dat bereik is een bevinding.")


def methods_numbers(ctx: Context) -> dict:
    accounting = ctx.table("accounting")
    strata = ctx.table("diagnostics")
    counts = dict(zip(accounting["count"], accounting["records"]))
    total = ctx.table("weight_summary").iloc[0]
    variance = ctx.table("variance_strata")
    frame = ctx.table("frame", dtype={"sector": str, "size": str})
    invited = (frame["sampled"] / frame["population"]) if "sampled" in frame else pd.Series(dtype=float)
    f_max = float(strata["f_h"].max())
    return {
        "raw": int(counts["raw responses"]), "usable": int(counts["usable responses"]),
        "excluded": int(counts["excluded (all)"]),
        "exclusions": {k[-2]: int(v) for k, v in counts.items() if k.startswith("excluded (") and k != "excluded (all)"},
        "kish": float(total["kish_effective_n"]), "deff": float(total["design_effect_weighting"]),
        "weight_min": float(strata["weight"].min()), "weight_max": float(strata["weight"].max()),
        "f_min": float(strata["f_h"].min()), "f_max": f_max, "fpc_factor": 1.0 / (1.0 - f_max),
        "invited_min": float(invited.min()) if len(invited) else float("nan"),
        "invited_max": float(invited.max()) if len(invited) else float("nan"),
        "collapsed": variance[variance["policy"] == "collapsed"]["variance_stratum"].tolist(),
        "certainty": variance[variance["policy"] == "certainty"]["variance_stratum"].tolist(),
        "strata": int((strata["n_usable"] > 0).sum()),
    }


ACCOUNTING = {
    "raw responses": ("Raw responses", "Ruwe antwoorden"),
    "excluded (all)": ("Excluded, all reasons", "Uitgesloten, alle redenen"),
    "usable responses": ("Usable responses", "Bruikbare antwoorden"),
    "usable, stratum differs from frame": ("Usable, stratum differs from the frame", "Bruikbaar, stratum wijkt af van het kader"),
}
EXCLUSION_REASONS = {
    "fewer than the minimum number of employees": "minder dan het minimum aantal werknemers",
    "main activity outside the surveyed sectors": "hoofdactiviteit buiten de bevraagde sectoren",
    "no AI question answered": "geen enkele AI-vraag beantwoord",
    "second response for the same company": "tweede antwoord van hetzelfde bedrijf",
    "weighted in the stratum their answers give": "gewogen in het stratum dat hun antwoorden aangeven",
}


def exclusion_table(ctx: Context) -> B.Table:
    accounting = ctx.table("accounting")
    rows = []
    for r in accounting.fillna("").itertuples():
        letter = re.match(r"excluded \((\w)\)$", r.count)
        label = (ctx.tr(f"Excluded ({letter.group(1)})", f"Uitgesloten ({letter.group(1)})") if letter
                 else ctx.tr(*ACCOUNTING.get(r.count, (r.count, r.count))))
        detail = str(r.detail)
        if ctx.language == "nl":
            detail = EXCLUSION_REASONS.get(detail, detail)
        rows.append([label, detail, ctx.count(r.records)])
    return B.Table([ctx.tr("Records", "Records"), ctx.tr("Reason", "Reden"), ctx.tr("Number", "Aantal")], rows,
                   caption=ctx.tr("Responses: raw, excluded and usable", "Antwoorden: ruw, uitgesloten en bruikbaar"),
                   align=["l", "l", "r"], widths=[3, 5, 1.2])


def reliability_summary(ctx: Context) -> B.Table:
    e = ctx.table("estimates")
    counts = e.groupby(["dimension", "flag"]).size().unstack(fill_value=0)
    names = {"all": ctx.tr("all firms", "alle bedrijven"), "adopter_status": ctx.tr("adopter status", "adopterstatus"),
             "sector": ctx.tr("sector", "sector"), "size": ctx.tr("size class", "grootteklasse")}
    flags = [("ok", ctx.tr("reliable", "betrouwbaar")), ("review", ctx.tr(f"with care {REVIEW}", f"voorzichtig {REVIEW}")),
             ("suppress", ctx.tr(f"suppressed {SUPPRESSED}", f"onderdrukt {SUPPRESSED}"))]
    rows = [[names.get(d, d)] + [ctx.count(counts.at[d, f]) if f in counts else "0" for f, _ in flags] for d in counts.index]
    return B.Table([ctx.tr("Estimates by domain", "Schattingen per domein")] + [label for _, label in flags], rows,
                   caption=ctx.tr(f"Reliability of every estimate ({reliability_name(ctx)})",
                                  f"Betrouwbaarheid van elke schatting ({reliability_name(ctx)})"),
                   widths=[3, 1.5, 1.5, 1.5])


# ---------------------------------------------------------------------------------------------
# Tables 3-5 as text
# ---------------------------------------------------------------------------------------------
def block_levels_table(ctx: Context, number: str, block: str, level: str, dimension: str, title: tuple[str, str]) -> B.Table:
    """A table of the 2021 report as text: one row per domain of ``dimension`` and a last row for
    everyone asked, one column per item of ``block`` (sorted by the last row, as the heatmap), each
    cell the estimate over its interval with the reliability marks."""
    cb = codebook(ctx)
    e = ctx.table("estimates")
    items = cb.block_items(block)
    indicators = [f"{i}.{level}" for i in items]
    e = e[e["indicator"].isin(indicators)]
    everyone = e[e["domain"] == "all"].set_index("indicator")
    order = [i for i in everyone.assign(_e=everyone["estimate"].fillna(-1)).sort_values("_e", ascending=False, kind="stable").index]
    if not order:
        raise KeyError(f"no estimates for block '{block}'")
    levels = strata_labels(ctx)[dimension]
    asked = cb.raw["blocks"][block].get("asked")
    last = word(ctx, "adopters" if asked == "adopters" else "all_firms")
    cells = e.set_index(["domain", "indicator"])
    from .figures.text import short_label

    rows = []
    for key, label in [*((f"{dimension}={k}", v) for k, v in levels.items()), ("all", last)]:
        row = [B.cell(label, bold=key == "all")]
        for ind in order:
            r = cells.loc[(key, ind)] if (key, ind) in cells.index else None
            row.append(estimate_cell(ctx, r))
        rows.append(row)
    meta = cb.indicators.set_index("indicator")
    header = [ctx.tr("Sector" if dimension == "sector" else "Size class", "Sector" if dimension == "sector" else "Grootteklasse")]
    header += [short_label(str(meta.at[i, f"item_label_{ctx.language}"]), 24) for i in order]
    base = int(everyone["n"].max())
    note = (f"{word(ctx, 'cells', level=ctx.level)} {ctx.tr('Columns sorted by the last row.', 'Kolommen gesorteerd volgens de laatste rij.')} "
            f"{marks_note(ctx)} N = {ctx.count(base)}.")
    if asked == "adopters":
        note = ctx.tr("Asked only of firms using at least one AI technology. ",
                      "Enkel gevraagd aan bedrijven die minstens één AI-technologie gebruiken. ") + note
    return B.Table(header, rows, caption=f"{word(ctx, 'table')} {number}: {ctx.tr(*title)}", notes=note,
                   align=["l"] + ["r"] * len(order), widths=[2.4] + [1.0] * len(order), size=7.5, split=7,
                   continued=word(ctx, "continued"), label=f"tbl-{number}")


def thin_domains(ctx: Context, block: str, level: str, dimension: str) -> list[tuple[str, int]]:
    """The domains of ``dimension`` in which every cell of the block is suppressed: (label, respondents)."""
    e = ctx.table("estimates")
    indicators = [f"{i}.{level}" for i in codebook(ctx).block_items(block)]
    out = []
    for key, label in strata_labels(ctx)[dimension].items():
        rows = e[(e["domain"] == f"{dimension}={key}") & e["indicator"].isin(indicators)]
        if len(rows) and (rows["flag"] == "suppress").all():
            out.append((label, int(rows["n"].max())))
    return out


def published_mean_note(ctx: Context, indicator: str) -> dict | None:
    """The largest value the 2021 report publishes for ``indicator`` in a domain other than all
    firms, with the workflow's estimate there: published, domain label, n, interval and flag."""
    r = ctx.table("reproduction")
    rows = r[(r["indicator"] == indicator) & (r["domain"] != "all")]
    if rows.empty:
        return None
    top = rows.loc[rows["published"].idxmax()]
    try:
        e = estimate(ctx, indicator, top["domain"])
    except KeyError:
        return None
    return {"published": float(top["published"]), "domain": domain_label(ctx, top["domain"]), "n": int(e["n"]),
            "low": max(float(e["ci_low"]), 0.0), "high": float(e["ci_high"]), "flag": e["flag"]}


# ---------------------------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------------------------
VERDICTS = {
    "supported": ("supported", "bevestigd"),
    "direction only, not significant": ("right direction, not significant", "juiste richting, niet significant"),
    "opposite direction, not significant": ("opposite direction, not significant", "tegengestelde richting, niet significant"),
    "opposite direction": ("opposite direction", "tegengestelde richting"),
    "supported: no significant difference": ("supported: no significant difference", "bevestigd: geen significant verschil"),
    "contradicted": ("contradicted", "weerlegd"),
    "not assessable": ("not assessable", "niet te beoordelen"),
    "no evidence either way": ("no evidence either way", "geen bewijs in een of andere richting"),
    "not estimated": ("not estimated", "niet geschat"),
}


def verdict_label(ctx: Context, verdict: str) -> str:
    """A verdict of claims.csv in the report's language. 'not supported: N significant differences'
    with the right number; a verdict not known here is shown as written."""
    verdict = str(verdict)
    if verdict in VERDICTS:
        return ctx.tr(*VERDICTS[verdict])
    many = re.match(r"not supported: (\d+) significant differences?$", verdict)
    if many:
        k = int(many.group(1))
        return ctx.tr(f"not supported: {k} significant difference{'s' if k != 1 else ''}",
                      f"niet bevestigd: {k} significant{'e' if k != 1 else ''} verschil{'len' if k != 1 else ''}")
    return verdict.replace("_", " ")


def claim_statement(ctx: Context, indicator: str, domain: str, direction: str) -> str:
    label = decap(indicator_label(ctx, indicator))
    dimension, _, level = domain.partition("=")
    if level == "any":  # a test of no difference across all levels of one dimension
        what = {"sector": ctx.tr("Sector groups", "Sectoren"), "size": ctx.tr("Size classes", "Grootteklassen")}.get(dimension, dimension)
        test = {"sector": ctx.tr("test across the sector groups", "toets over de sectoren"),
                "size": ctx.tr("test across the size classes", "toets over de grootteklassen")}.get(dimension, dimension)
        return ctx.tr(f"{what}: no difference on {label} ({test})", f"{what}: geen verschil voor {label} ({test})")
    who = cap(domain_label(ctx, domain))
    if direction == "higher":
        return ctx.tr(f"{who}: above average on {label}", f"{who}: boven het gemiddelde voor {label}")
    if direction == "lower":
        return ctx.tr(f"{who}: below average on {label}", f"{who}: onder het gemiddelde voor {label}")
    return ctx.tr(f"{who}: no different from average on {label}", f"{who}: niet verschillend van het gemiddelde voor {label}")


PUBLISHED_VERDICTS = {
    "supported by the published tables": (("supported by the published tables", "bevestigd door de gepubliceerde tabellen"),
                                          ("supported", "bevestigd")),
    "not determined by the published tables": (("not determined by the published tables", "niet bepaald door de gepubliceerde tabellen"),
                                               ("not determined", "niet bepaald")),
    "contradicted by the published tables": (("contradicted by the published tables", "weerlegd door de gepubliceerde tabellen"),
                                             ("contradicted", "weerlegd")),
}


def published_verdicts(ctx: Context) -> bool:
    """Whether the claims carry the verdict of the published record (the bundled reconstruction)."""
    c = ctx.table("claims")
    return "verdict_published" in c and c["verdict_published"].fillna("").astype(str).str.len().gt(0).any()


def published_verdict_label(ctx: Context, verdict, short: bool = False) -> str:
    verdict = "" if pd.isna(verdict) else str(verdict)
    if verdict in PUBLISHED_VERDICTS:
        return ctx.tr(*PUBLISHED_VERDICTS[verdict][1 if short else 0])
    return verdict


def published_verdict_counts(ctx: Context) -> dict:
    """Statements by the verdict of the published record ('supported by the published tables': 11, ...)."""
    if not published_verdicts(ctx):
        return {}
    return ctx.table("claims")["verdict_published"].value_counts().to_dict()


def claims_summary(ctx: Context) -> B.Table:
    """Statements by their sampling verdict; on the bundled reconstruction, beside it, how many of
    them the published tables support, leave open or contradict whatever the microdata."""
    c = ctx.table("claims")
    counts = c.groupby("verdict").size()
    if not published_verdicts(ctx):
        rows = [[verdict_label(ctx, v), ctx.count(n)] for v, n in counts.items()]
        return B.Table([ctx.tr("Verdict", "Oordeel"), ctx.tr("Statements", "Uitspraken")], rows,
                       caption=ctx.tr("Statements of the 2021 report by verdict", "Uitspraken van het rapport van 2021 per oordeel"),
                       widths=[4, 1])
    cross = c.groupby(["verdict", "verdict_published"]).size().unstack(fill_value=0)
    columns = [v for v in PUBLISHED_VERDICTS if v in cross.columns] + [v for v in cross.columns if v not in PUBLISHED_VERDICTS]
    rows = [[verdict_label(ctx, v), ctx.count(n)] + [ctx.count(cross.at[v, k]) for k in columns] for v, n in counts.items()]
    rows.append([B.cell(ctx.tr("All statements", "Alle uitspraken"), bold=True), ctx.count(len(c))]
                + [ctx.count(cross[k].sum()) for k in columns])
    return B.Table([ctx.tr("Verdict of the sample (reconstruction)", "Oordeel van de steekproef (reconstructie)"),
                    ctx.tr("Statements", "Uitspraken")] + [cap(published_verdict_label(ctx, k)) for k in columns], rows,
                   caption=ctx.tr("Statements of the 2021 report by verdict: the sample's, and the published tables' whatever the microdata",
                                  "Uitspraken van het rapport van 2021 per oordeel: dat van de steekproef, en dat van de gepubliceerde "
                                  "tabellen, wat de microdata ook zijn"),
                   notes=ctx.tr("The published tables' verdict compares the range of the difference that every data set consistent "
                                "with them allows with zero: supported when the range excludes zero in the stated direction.",
                                "Het oordeel van de gepubliceerde tabellen vergelijkt het bereik van het verschil dat elke dataset "
                                "die ermee overeenstemt toelaat met nul: bevestigd als het bereik nul in de vermelde richting uitsluit."),
                   align=["l", "r"] + ["r"] * len(columns), widths=[3.2, 1.1] + [1.6] * len(columns))


def section_label(ctx: Context, section) -> str:
    return ctx.tr("sum.", "samenv.") if str(section) == "Summary" else f"§{section}"


def published_cell(ctx: Context, r) -> B.Cell:
    """The published tables' verdict over the range of the difference they allow ('not determined'
    over '−12.4 to +40.2'), the range rounded outward."""
    label = published_verdict_label(ctx, r.verdict_published, short=True)
    bounds = bounds_of(r)
    if bounds is None:
        return B.cell(label)
    low, high = outward(*bounds)
    return B.cell(label, f"{ctx.num(low, sign=True)} {ctx.tr('to', 'tot')} {ctx.num(high, sign=True)}", nowrap=True)


def claims_table(ctx: Context) -> B.Table:
    """Each statement: its difference (the reconstruction's, with the interval matching the adjusted
    p-value), the sample's verdict and, on the bundled reconstruction, the published tables' verdict."""
    c = ctx.table("claims")
    published = published_verdicts(ctx)
    rows = []
    for r in c.itertuples():
        rows.append([section_label(ctx, r.section), claim_statement(ctx, r.indicator, r.domain, r.direction),
                     # the interval that matches the adjusted p-value beside it (it excludes 0 exactly when p (adj.) < alpha)
                     value_with_ci(ctx, r.difference, r.ci_low_adjusted, r.ci_high_adjusted, sign=True), p_value(ctx, r.p_adjusted),
                     verdict_label(ctx, r.verdict)] + ([published_cell(ctx, r)] if published else []))
    header = ["§", ctx.tr("Statement of the 2021 report", "Uitspraak van het rapport van 2021"),
              ctx.tr("Difference, pp (adjusted CI)", "Verschil, pp (gecorrigeerd BI)"), ctx.tr("p (adj.)", "p (gecorr.)"),
              ctx.tr("Verdict", "Oordeel")]
    if published:
        header[-1] = ctx.tr("Verdict (sample)", "Oordeel (steekproef)")
        header.append(ctx.tr("Published tables", "Gepubliceerde tabellen"))
    return B.Table(header, rows,
                   caption=ctx.tr("The report's comparative statements, one by one", "De vergelijkende uitspraken van het rapport, één voor één"),
                   notes=ctx.tr("Difference: the domain minus the rest of the population, in percentage points; a test "
                                "across sector groups or size classes has no single difference.",
                                "Verschil: het domein min de rest van de populatie, in procentpunten; een toets over alle "
                                "sectoren of grootteklassen heeft geen enkelvoudig verschil.")
                   + (ctx.tr(" The difference and the sample's verdict are the reconstruction's; the last column gives the verdict "
                             "of the published tables and, below it, the range of the difference (pp) that every data set "
                             "consistent with them allows.",
                             " Het verschil en het oordeel van de steekproef zijn die van de reconstructie; de laatste kolom geeft "
                             "het oordeel van de gepubliceerde tabellen en daaronder het bereik van het verschil (pp) dat elke "
                             "dataset die ermee overeenstemt toelaat.") if published else ""),
                   align=["l", "l", "r", "r", "l"] + (["l"] if published else []),
                   widths=[0.7, 5.2, 2.4, 0.9, 2.2] if not published else [0.6, 4.0, 2.2, 0.8, 1.8, 1.9], size=8)


# ---------------------------------------------------------------------------------------------
# reproduction
# ---------------------------------------------------------------------------------------------
def reproduction_target(ctx: Context, group: str) -> str:
    tol = ctx.meta.get("reproduction") or {}
    text_tol = ctx.num(tol.get("text_tolerance_pp", 0.1))
    median, most = ctx.num(tol.get("table_median_tolerance_pp", 0.1)), ctx.num(tol.get("table_max_tolerance_pp", 1.5))
    if group == "text quotes":
        return ctx.tr(f"every value within ±{text_tol} pp", f"elke waarde binnen ±{text_tol} pp")
    if group == "Table 2":
        return ctx.tr("every count exact", "elke telling exact")
    if group.startswith("Table"):
        return ctx.tr(f"median |diff| ≤ {median} pp, every cell within ±{most} pp",
                      f"mediaan |verschil| ≤ {median} pp, elke cel binnen ±{most} pp")
    if group.startswith("bounds"):
        return ctx.tr("every bound met", "elke grens gehaald")
    return group


def reproduction_group(ctx: Context, group: str) -> str:
    if group == "text quotes":
        return ctx.tr("Numbers quoted in the text", "Getallen in de tekst")
    if group.startswith("bounds"):
        return ctx.tr("Bounds stated in words", "In woorden vermelde grenzen")
    return group.replace("Table", word(ctx, "table"))


def reproduction_summary(ctx: Context) -> B.Table:
    s = ctx.table("reproduction_summary")
    rows = []
    for r in s.itertuples():
        rows.append([reproduction_group(ctx, r.group), ctx.count(r.values),
                     B.MISSING if pd.isna(r.median_abs_diff_pp) else ctx.num(r.median_abs_diff_pp, 3),
                     B.MISSING if pd.isna(r.max_abs_diff_pp) else ctx.num(r.max_abs_diff_pp, 3),
                     reproduction_target(ctx, r.group), word(ctx, "yes") if bool(r.met) else word(ctx, "no")])
    return B.Table([ctx.tr("Published numbers", "Gepubliceerde getallen"), ctx.tr("Values", "Waarden"),
                    ctx.tr("Median |diff|, pp", "Mediaan |verschil|, pp"), ctx.tr("Max |diff|, pp", "Max. |verschil|, pp"),
                    ctx.tr("Target", "Doel"), ctx.tr("Met", "Gehaald")], rows,
                   caption=ctx.tr("Reproduction of the published numbers: summary", "Reproductie van de gepubliceerde getallen: overzicht"),
                   align=["l", "r", "r", "r", "l", "c"], widths=[2.6, 0.9, 1.3, 1.3, 3.6, 0.8])


def _reproduction_rows(ctx: Context, rows: pd.DataFrame, with_n: bool = False) -> list[list]:
    out = []
    for r in rows.itertuples():
        row = [where(ctx, r.table_or_figure, r.section), f"{indicator_label(ctx, r.indicator)}, {domain_label(ctx, r.domain)}",
               ctx.num(r.published, 1 if float(r.published) != int(r.published) else 0),
               ctx.num(r.reproduced, 2), ctx.num(r.diff_pp, 2, sign=True)]
        if with_n:
            row.append("" if pd.isna(r.n) else ctx.count(r.n))
        out.append(row)
    return out


def _reproduction_header(ctx: Context, with_n: bool = False) -> list[str]:
    header = [ctx.tr("Where", "Waar"), ctx.tr("Number", "Getal"), ctx.tr("Published", "Gepubliceerd"),
              ctx.tr("Reproduced", "Gereproduceerd"), ctx.tr("Diff (pp)", "Verschil (pp)")]
    return header + (["n"] if with_n else [])


def reproduction_text_quotes(ctx: Context) -> B.Table:
    r = ctx.table("reproduction")
    quotes = r[(r["kind"] == "text") & (r["comparator"] == "=") & (r["indicator"] != "response.usable")]
    quotes = quotes.drop_duplicates(["indicator", "domain", "published"])
    return B.Table(_reproduction_header(ctx), _reproduction_rows(ctx, quotes),
                   caption=ctx.tr("Every number quoted in the 2021 report's text, published against reproduced",
                                  "Elk getal uit de tekst van het rapport van 2021, gepubliceerd tegenover gereproduceerd"),
                   align=["l", "l", "r", "r", "r"], widths=[1.6, 5.2, 1.2, 1.3, 1.2], size=8)


def worst_table_cells(ctx: Context, k: int = 8) -> B.Table:
    r = ctx.table("reproduction")
    cells = r[(r["kind"] == "table_cell") & (r["indicator"] != "response.usable")].copy()
    cells = cells.assign(abs=cells["diff_pp"].abs()).sort_values("abs", ascending=False, kind="stable").head(k)
    return B.Table(_reproduction_header(ctx, True), _reproduction_rows(ctx, cells, with_n=True),
                   caption=ctx.tr("The table cells furthest from their published value",
                                  "De tabelcellen die het verst van hun gepubliceerde waarde liggen"),
                   align=["l", "l", "r", "r", "r", "r"], widths=[1.6, 5.0, 1.2, 1.3, 1.2, 0.6], size=8)


# ---------------------------------------------------------------------------------------------
# cross-survey
# ---------------------------------------------------------------------------------------------
GAP_ROWS = {
    "total gap": (("Total gap: Barometer (5+) minus Eurostat Belgium (10+)", "Totale kloof: Barometer (5+) min Eurostat België (10+)"),
                  ("Barometer interval only (Eurostat's N unknown)", "Enkel het interval van de Barometer (N van Eurostat onbekend)")),
    "explained by the domain": (("Domain: Barometer (5+) minus Barometer (10+)", "Domein: Barometer (5+) min Barometer (10+)"),
                                ("the effect of including firms with 5-9 employees; negative: they lower the estimate",
                                 "het effect van de bedrijven met 5-9 werknemers; negatief: zij verlagen de schatting")),
    "remaining": (("Remaining: Barometer (10+) minus Eurostat Belgium (10+)", "Rest: Barometer (10+) min Eurostat België (10+)"),
                  ("region (Flanders against Belgium), response rate and non-response bias, instrument context",
                   "regio (Vlaanderen tegenover België), responsgraad en non-responsvertekening, context van de vragenlijst")),
    "adoption among non-respondents": (("Adoption among in-scope non-respondents that would close the remaining gap",
                                        "Adoptie bij niet-responderende bedrijven binnen de afbakening die de resterende kloof zou dichten"),
                                       ("in-scope response rate {rate}: usable responses / (firms reached - excluded responses)",
                                        "responsgraad binnen de afbakening {rate}: bruikbare antwoorden / (bereikte bedrijven - uitgesloten antwoorden)")),
}


def gap_key(component: str) -> str:
    for key in GAP_ROWS:
        if str(component).startswith(key):
            return key
    raise KeyError(f"gap_decomposition.csv: unknown component '{component}'")


def gap_values(ctx: Context) -> dict:
    """The gap's components by key ('total gap', 'explained by the domain', 'remaining', 'adoption
    among non-respondents'): the point values."""
    g = ctx.table("gap")
    return {gap_key(c): float(v) for c, v in zip(g["component"], g["value"])}


def gap_bounds(ctx: Context) -> dict:
    """The range every data set consistent with the published tables allows for each component of
    the gap, by key, rounded outward to one decimal; {} on real microdata (no bounds)."""
    g = ctx.table("gap")
    if "identified_by" not in g:
        return {}
    out = {}
    for r in g.itertuples():
        bounds = bounds_of(r)
        if bounds is not None and r.identified_by not in ("microdata",):
            out[gap_key(r.component)] = outward(*bounds)
    return out


def signed_range(ctx: Context, low: float, high: float, decimals: int = 1) -> str:
    """'−10.4 to +5.5': a range of differences with their signs."""
    return f"{ctx.num(low, decimals, sign=True)} {ctx.tr('to', 'tot')} {ctx.num(high, decimals, sign=True)}"


def reference_bounds(ctx: Context, concept: str, domain: str) -> tuple[float, float] | None:
    """The range the published tables allow for the Barometer's re-estimate of a concept on a
    harmonised domain (the comparison's reference row), rounded outward; None without bounds or
    when the number is published or derived."""
    c = ctx.table("comparison")
    hit = c[(c["comparability"] == "reference") & (c["concept"] == concept) & (c["barometer_domain"] == domain)]
    if hit.empty or not needs_bounds(hit.iloc[0]):
        return None
    bounds = bounds_of(hit.iloc[0])
    return outward(*bounds) if bounds else None


def gap_table(ctx: Context) -> B.Table:
    """The gap's components with their intervals; on the bundled reconstruction also the range every
    data set consistent with the published tables allows (the sign of a component is established only
    when that range excludes zero)."""
    g = ctx.table("gap")
    rate = ctx.pct(100 * ctx.meta.get("in_scope_response_rate", float("nan")))
    bounded = gap_bounds(ctx)
    rows = []
    for r in g.itertuples():
        key = gap_key(r.component)
        (label, note) = GAP_ROWS[key]
        percent = r.unit == "percent"
        value = value_with_ci(ctx, r.value, r.ci_low, r.ci_high, sign=not percent)
        value = B.cell(value.text + ("%" if percent else " pp"), nowrap=True)
        row = [ctx.tr(*label), value, ctx.tr(*note).format(rate=rate)]
        if bounded:
            low, high = bounded[key]
            text = (B.interval(low, high, ctx.language) + "%") if percent else signed_range(ctx, low, high) + " pp"
            row.insert(2, B.cell(text, nowrap=True))
        rows.append(row)
    header = [ctx.tr("Component", "Component"), ctx.tr(f"Value ({ctx.level} CI)", f"Waarde ({ctx.level}-BI)"), ctx.tr("Note", "Toelichting")]
    notes = ctx.tr("Total gap = domain + remaining.", "Totale kloof = domein + rest.")
    if bounded:
        header.insert(2, ctx.tr("Published tables allow", "Gepubliceerde tabellen laten toe"))
        notes += ctx.tr(" Values and intervals are the reconstruction's; the published tables allow any value in the range "
                        "beside them, whatever the microdata.",
                        " Waarden en intervallen zijn die van de reconstructie; de gepubliceerde tabellen laten elke waarde "
                        "in het bereik ernaast toe, wat de microdata ook zijn.")
    return B.Table(header, rows,
                   caption=ctx.tr("The gap between the Barometer and Eurostat's Belgian figure, decomposed",
                                  "De kloof tussen de Barometer en het Belgische cijfer van Eurostat, ontleed"),
                   notes=notes, align=["l", "r", "r", "l"] if bounded else ["l", "r", "l"],
                   widths=[3.2, 2.1, 1.9, 3.0] if bounded else [3.6, 2.2, 4.0])


GRADE_NAMES = {
    "reference": ("The Barometer, re-estimated from its microdata", "De Barometer, herschat uit de microdata"),
    "like_for_like": ("Like for like: same instrument, scope, region and year", "Gelijk tegenover gelijk: zelfde vragen, afbakening, regio en jaar"),
    "same_measure": ("Same measure, not like for like: another region, year or scope",
                     "Zelfde maatstaf, niet gelijk tegenover gelijk: andere regio, ander jaar of andere afbakening"),
    "context": ("Context only: never read as a difference", "Enkel context: nooit als verschil te lezen"),
}
SOURCE_GRADES = {"official_release": ("official release", "officiële publicatie"), "report": ("report", "rapport"),
                 "press": ("press", "pers"), "blog": ("blog", "blog")}
DIFFERS = {"instrument": ("other instrument or definition", "andere vragen of definitie"),
           "instrument_unknown": ("instrument not stated", "vragen niet vermeld"),
           "scope_unknown": ("population not stated", "populatie niet vermeld"),
           "secondary_source": ("known only from press or a blog", "enkel bekend uit pers of blog"),
           "scope": ("other scope", "andere afbakening"), "region": ("other region", "andere regio"),
           "year": ("other year", "ander jaar")}
REGIONS = {"VL": ("Flanders", "Vlaanderen"), "BE": ("Belgium", "België"), "EU27_2020": ("EU27", "EU27")}


def crosswalk(ctx: Context) -> dict:
    if "crosswalk" not in ctx._cache:
        ctx._cache["crosswalk"] = yaml.safe_load(Path(ctx.files["crosswalk"]).read_text(encoding="utf-8"))
    return ctx._cache["crosswalk"]


def concept_label(ctx: Context, concept: str) -> str:
    for c in crosswalk(ctx).get("concepts", []):
        if c["id"] == concept:
            return c.get(f"label_{ctx.language}") or c.get("label_en") or concept
    return concept


def scope_label(ctx: Context, domain: str) -> str:
    spec = (crosswalk(ctx).get("domains") or {}).get(domain) or {}
    return spec.get(f"label_{ctx.language}") or spec.get("label_en") or domain


def source_grade_label(ctx: Context, grade: str) -> str:
    return ctx.tr(*SOURCE_GRADES[grade]) if grade in SOURCE_GRADES else str(grade)


def differs_label(ctx: Context, differs) -> str:
    keys = [k for k in str(differs if isinstance(differs, str) else "").split(";") if k]
    return "; ".join(ctx.tr(*DIFFERS[k]) if k in DIFFERS else k for k in keys)


def comparison_table(ctx: Context, concepts: list[str] | None = None) -> B.Table:
    """The published figures next to the Barometer, grouped by how far they can be compared, each
    source by its citation and its grade (official release, report, press, blog) by name."""
    c = ctx.table("comparison")
    if concepts:
        c = c[c["concept"].isin(concepts)]
    rows = []
    for grade in GRADE_NAMES:
        part = c[c["comparability"] == grade]
        if grade == "like_for_like" and part.empty and (c["comparability"] != "reference").any():
            rows.append(B.Group(ctx.tr(*GRADE_NAMES[grade]) + ctx.tr(": none", ": geen")))
            continue
        if part.empty:
            continue
        rows.append(B.Group(ctx.tr(*GRADE_NAMES[grade])))
        for r in part.itertuples():
            if grade == "reference":
                source, kind, what = f"AI-Barometer {r.year}", ctx.tr("microdata", "microdata"), scope_label(ctx, r.barometer_domain)
            else:
                source, kind = source_short(ctx, r.source), source_grade_label(ctx, r.source_grade)
                what = differs_label(ctx, r.differs) or ctx.tr("nothing", "niets")
            region = ctx.tr(*REGIONS[r.geo]) if r.geo in REGIONS else str(r.geo)
            value = value_with_ci(ctx, r.value, r.ci_low, r.ci_high)
            if grade == "reference" and needs_bounds(r) and bounds_of(r):
                # the range every data set consistent with the published tables allows, below the value
                low, high = outward(*bounds_of(r))
                value = B.cell(*value.lines, ctx.tr("allowed: ", "toegelaten: ") + B.interval(low, high, ctx.language), nowrap=True)
            rows.append([B.cell(source), kind, concept_label(ctx, r.concept), f"{region}, {r.year}", value,
                         "" if pd.isna(r.n) else ctx.count(r.n), what])
    return B.Table([ctx.tr("Source", "Bron"), ctx.tr("Source type", "Soort bron"), ctx.tr("Measure", "Maatstaf"),
                    ctx.tr("Region, year", "Regio, jaar"), ctx.tr(f"Value, % ({ctx.level} CI)", f"Waarde, % ({ctx.level}-BI)"), "N",
                    ctx.tr("Barometer domain / what differs", "Barometerdomein / wat verschilt")], rows,
                   caption=ctx.tr("Published figures next to the Barometer, by comparability",
                                  "Gepubliceerde cijfers naast de Barometer, naar vergelijkbaarheid"),
                   notes=ctx.tr("Sources: see References (author and year). A published figure gets an interval only when it "
                                f"comes from a probability sample of known size: the Wilson interval ({cite(ctx, 'wilson_1927')}) "
                                "under simple random sampling, a lower bound of its uncertainty.",
                                "Bronnen: zie Referenties (auteur en jaar). Een gepubliceerd cijfer krijgt enkel een interval als "
                                f"het uit een kanssteekproef van gekende omvang komt: het Wilson-interval ({cite(ctx, 'wilson_1927')}) "
                                "onder enkelvoudige aselecte steekproef, een ondergrens van de onzekerheid.")
                   + (ctx.tr(" 'Allowed': the range of a Barometer re-estimate that every data set consistent with the 2021 "
                             "report's published tables allows (the value above it is the reconstruction's).",
                             " 'Toegelaten': het bereik van een herschatting van de Barometer dat elke dataset die met de "
                             "gepubliceerde tabellen van het rapport van 2021 overeenstemt toelaat (de waarde erboven is die van "
                             "de reconstructie).") if any_needs_bounds(c[c["comparability"] == "reference"]) else ""),
                   align=["l", "l", "l", "l", "r", "r", "l"], widths=[1.8, 1.4, 2.2, 1.5, 2.0, 0.8, 2.6], size=7.5)


def comparability_counts(ctx: Context) -> dict:
    c = ctx.table("comparison")
    return c[c["comparability"] != "reference"]["comparability"].value_counts().to_dict()


# ---------------------------------------------------------------------------------------------
# editions
# ---------------------------------------------------------------------------------------------
def longitudinal_table(ctx: Context, domain: str = "all") -> B.Table:
    c = ctx.table("changes")
    c = c[c["domain"] == domain]
    rows = []
    for r in c.itertuples():
        rows.append([indicator_label(ctx, r.indicator) + (" ‡" if r.wording_changed else ""), f"{r.edition_from} → {r.edition_to}",
                     value_with_ci(ctx, r.estimate_from, r.ci_low_from, r.ci_high_from),
                     value_with_ci(ctx, r.estimate_to, r.ci_low_to, r.ci_high_to),
                     value_with_ci(ctx, r.change, r.ci_low, r.ci_high, sign=True)])
    return B.Table([ctx.tr("Indicator", "Indicator"), ctx.tr("Editions", "Edities"), ctx.tr("From, %", "Van, %"), ctx.tr("To, %", "Naar, %"),
                    ctx.tr(f"Change, pp ({ctx.level} CI)", f"Verandering, pp ({ctx.level}-BI)")], rows,
                   caption=ctx.tr("Change between editions", "Verandering tussen edities"),
                   notes=ctx.tr("‡ wording or definition changed: not like for like.", "‡ formulering of definitie gewijzigd: niet vergelijkbaar."),
                   align=["l", "l", "r", "r", "r"], widths=[3.6, 1.2, 1.8, 1.8, 2.0], size=8)


# ---------------------------------------------------------------------------------------------
# audit
# ---------------------------------------------------------------------------------------------
STATUS = {"pass": ("passed", "in orde"), "resolved": ("resolved by an erratum", "opgelost met een erratum"),
          "not_checkable": ("not checkable", "niet controleerbaar"),
          "accepted": ("accepted as printed", "aanvaard zoals gedrukt"), "fail": ("failed", "mislukt")}
CHECK_KINDS = {"range": ("range", "bereik"), "total": ("cells and total", "cellen en totaal"),
               "repeat": ("number printed twice", "getal dubbel gedrukt"), "base_n": ("base N", "basis-N"),
               "relation": ("relation", "verband"), "sum100": ("shares sum to 100", "aandelen tellen op tot 100"),
               "bound": ("bound stated in words", "grens in woorden")}


def source_checks_summary(ctx: Context) -> B.Table:
    frames = []
    for name, label in (("source_checks", ctx.tr(f"AI-Barometer {ctx.edition} report", f"Rapport AI-Barometer {ctx.edition}")),
                        ("cross_survey_checks", ctx.tr("Cross-survey figures", "Cijfers van andere enquêtes"))):
        if name in ctx.files:
            frames.append(ctx.table(name).groupby("status").size().rename(label))
    table = pd.concat(frames, axis=1).fillna(0).astype(int).T
    statuses = list(table.columns)
    rows = [[index] + [ctx.count(table.at[index, s]) for s in statuses] for index in table.index]
    return B.Table([ctx.tr("Published figures", "Gepubliceerde cijfers")] + [ctx.tr(*STATUS.get(s, (s, s))) for s in statuses], rows,
                   caption=ctx.tr("Consistency checks of the published figures", "Consistentiecontroles van de gepubliceerde cijfers"),
                   widths=[3] + [1.4] * len(statuses))


def _shown(ctx: Context, value) -> str:
    """A checked value as the language writes it, in its shortest form (14184.0 -> 14,184; 8.1 ->
    8,1 in Dutch); text ('~ 33.3') with its numbers' decimal marks in the language."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        text = str(value)
        return re.sub(r"(\d)\.(\d)", r"\1,\2", text) if ctx.language == "nl" else text
    decimals = len(f"{number:g}".partition(".")[2]) if "e" not in f"{number:g}" else 3
    return ctx.num(number, decimals)


def check_domain(ctx: Context, check_id: str) -> str:
    """The domain part of a check id in words: 'total:frame.sampled:sector=45-47' -> ', sector 45-47';
    'repeat:x:geo=BE;year=2025:...' -> ', Belgium 2025'."""
    parts = check_id.split(":")
    if len(parts) < 3 or "=" not in parts[2]:
        return ""
    spec = dict(p.split("=", 1) for p in parts[2].split(";") if "=" in p)
    words = []
    for key, value in spec.items():
        if key == "geo":
            words.append(ctx.tr(*REGIONS[value]) if value in REGIONS else value)
        elif key == "year":
            words.append(value)
        elif key in ("sector", "size"):
            label = strata_labels(ctx).get(key, {}).get(value)
            words.append(label or f"{ctx.tr('sector', 'sector') if key == 'sector' else ctx.tr('size', 'grootte')} {value}")
        else:
            words.append(f"{key} {value}")
    return ", " + " ".join(words)


def resolved_checks(ctx: Context) -> B.Table:
    """Each inconsistency found and the erratum that resolves it: where, what kind of check, the
    expected and found value; the check's full description and the erratum's evidence stay in the
    CSV and the errata files."""
    rows = []
    for name in ("source_checks", "cross_survey_checks"):
        if name not in ctx.files:
            continue
        s = ctx.table(name)
        for r in s[s["status"] == "resolved"].itertuples():
            kind = str(r.check_id).split(":", 1)[0]
            place = str(r.table) if name == "source_checks" else re.split(r",", str(r.table))[0]
            place = place.replace("Table ", word(ctx, "table") + " ").replace("Figure ", word(ctx, "figure") + " ")
            detail = check_domain(ctx, str(r.check_id))
            erratum = re.match(r"^erratum ([^:]+):", str(r.resolution))
            rows.append([place + detail, ctx.tr(*CHECK_KINDS.get(kind, (kind, kind))), _shown(ctx, r.expected), _shown(ctx, r.found),
                         B.cell(erratum.group(1) if erratum else "")])
    return B.Table([ctx.tr("Where", "Waar"), ctx.tr("Check", "Controle"), ctx.tr("Expected", "Verwacht"), ctx.tr("Found", "Gevonden"),
                    ctx.tr("Resolved by erratum", "Opgelost door erratum")], rows,
                   caption=ctx.tr("Inconsistencies found and their resolution", "Gevonden inconsistenties en hun oplossing"),
                   align=["l", "l", "r", "r", "l"], widths=[3.4, 1.8, 1.0, 1.0, 3.4], size=8)


def file_inventory(ctx: Context) -> B.Table:
    """Every file the report reads: folder, file, rows (tables), sha256 (first 16 hex digits)."""
    rows = []
    root = Path(ctx.meta.get("root", "."))
    for _name, path in sorted(ctx.files.items(), key=lambda kv: kv[1]):
        p = Path(path)
        n = ""
        if p.suffix == ".csv":
            with p.open(encoding="utf-8") as handle:
                n = ctx.count(sum(1 for _ in handle) - 1)
        try:
            shown = p.resolve().relative_to(root.resolve())
        except ValueError:
            shown = Path(p.name)
        rows.append([str(shown.parent) + "/", shown.name, n, B.cell(sha256_file(p)[:16], nowrap=True)])
    return B.Table([ctx.tr("Folder", "Map"), ctx.tr("File", "Bestand"), ctx.tr("Rows", "Rijen"), "sha256"], rows,
                   caption=ctx.tr("The files this report reads", "De bestanden die dit rapport leest"),
                   align=["l", "l", "r", "l"], widths=[3.2, 3.2, 0.8, 2.2], size=8)


def software_table(ctx: Context) -> B.Table:
    versions = ctx.meta.get("versions", {})
    return B.Table([ctx.tr("Software", "Software"), ctx.tr("Version", "Versie")], [[k, v] for k, v in sorted(versions.items())],
                   caption=ctx.tr("Software versions", "Softwareversies"), align=["l", "l"], widths=[2, 2])


def renderer_name(ctx: Context) -> str:
    """How this report is rendered: Quarto when it runs the document, else the Jupyter fallback."""
    return ctx.tr("Quarto", "Quarto") if os.environ.get("QUARTO_PROJECT_DIR") or os.environ.get("QUARTO_DOCUMENT_PATH") \
        else ctx.tr("the Jupyter fallback (jupytext, nbclient, nbconvert; pandoc and typst for the PDF)",
                    "de Jupyter-terugvaloptie (jupytext, nbclient, nbconvert; pandoc en typst voor de pdf)")


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
def figure(ctx: Context, figure_id: str, number: str = ""):
    """A figure of the report's language: PNG in the HTML, SVG in the PDF; caption below, with the
    figure's number; the caption is also the image's alt text."""
    from IPython.display import Markdown

    spec = ctx.figures.get(figure_id)
    if spec is None:
        return Markdown(ctx.tr(f"*Figure {figure_id} is not available for this edition.*",
                               f"*Figuur {figure_id} is niet beschikbaar voor deze editie.*"))
    data = json.loads(Path(spec["caption"]).read_text(encoding="utf-8"))
    if data.get("language", ctx.language) != ctx.language:
        raise ValueError(f"{spec['caption']}: the figure is drawn in '{data.get('language')}', the report is in '{ctx.language}'")
    caption = data["caption"]
    prefix = f"{word(ctx, 'figure')} {number}: " if number else ""
    return B.Figure(png=Path(spec["png"]), svg=Path(spec["svg"]), caption=prefix + caption,
                    alt=ctx.tr("Chart. ", "Grafiek. ") + prefix + caption, label=f"fig-{number}" if number else "")
