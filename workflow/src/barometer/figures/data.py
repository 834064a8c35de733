"""What a figure draws from: the edition's estimates, codebook and strata (``FigureData``), the
selections of a codebook block's items and levels, and reading a figure rule's inputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..codebook import Codebook
from ..config import read_yaml
from ..errors import BarometerError, InputError
from ..io import read_csv
from ..strata import Strata
from . import style
from .style import DOMAIN_COLOURS, ordinal_colours
from .text import cap, t

ESTIMATE_COLUMNS = ["indicator", "domain", "estimate", "ci_low", "ci_high", "n", "flag"]
ADOPTER, NON_ADOPTER = "adopter_status=adopter", "adopter_status=non_adopter"
Series = tuple  # (legend label, colour, rows indexed by key); a 'colour' column of the rows overrides
LANGUAGES = ("en", "nl")
CROSS_SURVEY = {"comparison": ["concept", "source", "source_grade", "survey", "geo", "year", "value", "ci_low", "ci_high",
                               "n", "comparability", "differs", "note", "value_id", "barometer_domain", "indicator"],
                "differences": ["concept", "barometer_domain", "source", "geo", "year", "comparability", "differs", "barometer", "published",
                                "difference", "ci_low", "ci_high", "value_id"],
                "series": ["year", "value", "ci_low", "ci_high", "kind", "source", "grade"],
                "changes": ["indicator", "domain", "edition_from", "edition_to", "change", "ci_low", "ci_high", "wording_changed"]}


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

    @property
    def level_percent(self) -> int:
        """The interval level as captions and legends print it (95)."""
        return int(round(self.ci_level * 100))

    def base_n(self, rows: pd.DataFrame) -> int:
        return int(rows["n"].max()) if len(rows) else 0


@dataclass
class FigureResult:
    figure: plt.Figure
    caption: str  # with the base N
    base_n: int


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


def read_table(path: str | Path, columns: list[str]) -> pd.DataFrame:
    try:
        table = read_csv(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty", path=path) from None
    missing = [c for c in columns if c not in table]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=path, column=missing[0])
    return table


def published_values(package: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published cross-survey figures with the grade of their source, and the sources."""
    from ..published import read_resource

    sources = read_resource(package, "sources")
    values = read_resource(package, "cross_survey").merge(
        sources[["source_id", "grade"]].rename(columns={"grade": "source_grade"}), on="source_id", how="left")
    return values, sources


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise BarometerError(f"report.languages: each must be one of {', '.join(LANGUAGES)}, not '{language}'")
    return language


def figure_data(inputs, language: str, edition: str, level: float = 0.95) -> FigureData:
    """FigureData from a rule's inputs: estimates, codebook and strata; the cross-survey tables,
    published values and crosswalk where the rule has them."""
    check_language(language)
    extra = {key: read_table(getattr(inputs, key), columns) for key, columns in CROSS_SURVEY.items() if hasattr(inputs, key)}
    if hasattr(inputs, "package"):
        extra["published"], extra["sources"] = published_values(inputs.package)
    if hasattr(inputs, "crosswalk"):
        extra["crosswalk"] = read_yaml(inputs.crosswalk)
    estimates = read_table(inputs.estimates, ESTIMATE_COLUMNS)
    return FigureData(estimates=estimates, codebook=Codebook.load(inputs.codebook), strata=Strata.load(inputs.strata),
                      edition=str(edition), language=language, ci_level=level, extra=extra)
