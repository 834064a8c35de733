"""The codebook: raw columns, answer codes, who was asked, wording, and the indicators derived.

An indicator id is ``<item>.<scale indicator>`` (``tech_rpa.use``, ``barrier_ethics.yes``,
``impact_cost_reduction_pct.mean``) or an expression indicator of the codebook (``adoption.any``).
Item ids are stable across editions: the longitudinal comparison matches editions on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import SCHEMAS, check_schema, read_yaml
from .errors import ConfigError, InputError

CODEBOOK_SCHEMA = SCHEMAS / "codebook.schema.yaml"
UNIVERSES = {"all": "True", "adopters": "adopter", "non_adopters": "not adopter"}


@dataclass(frozen=True)
class Codebook:
    path: Path
    raw: dict
    items: pd.DataFrame  # item, column, block, scale, scale_type, asked, wording_nl, label_en, ...
    indicators: pd.DataFrame  # indicator, item, block, kind, codes, universe, base, label_en, label_nl, ...

    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        path = Path(path)
        raw = check_schema(read_yaml(path), CODEBOOK_SCHEMA, path)
        items, indicators = _tables(raw, path)
        return cls(path=path, raw=raw, items=items, indicators=indicators)

    # -- raw columns ------------------------------------------------------------------------------
    @property
    def identifier_columns(self) -> dict[str, str]:
        return dict(self.raw["identifiers"])

    @property
    def metadata_columns(self) -> dict[str, str]:
        return dict(self.raw["metadata"])

    @property
    def screening_columns(self) -> dict[str, str]:
        return {k: v["column"] for k, v in self.raw["screening"].items()}

    def raw_columns(self) -> list[str]:
        """Every column the raw export must have, in codebook order."""
        cols = [*self.identifier_columns.values(), *self.metadata_columns.values(), *self.screening_columns.values()]
        return cols + list(self.items["column"])

    def scale(self, name: str) -> dict:
        return self.raw["scales"][name]

    def block_items(self, block: str) -> list[str]:
        return list(self.items.loc[self.items["block"] == block, "item"])

    # -- derived variables and indicators ---------------------------------------------------------
    def derive(self, answers: pd.DataFrame) -> pd.DataFrame:
        """Add the codebook's derived variables (counts of codes, expressions) to item-level answers."""
        out = answers.copy()
        for name, spec in (self.raw.get("derived") or {}).items():
            if "count_codes" in spec:
                cols = self.block_items(spec["count_codes"]["block"])
                out[name] = out[cols].isin(spec["count_codes"]["codes"]).sum(axis=1)
                out.loc[out[cols].isna().all(axis=1), name] = np.nan
            else:
                out[name] = _evaluate(out, spec["expression"], f"derived.{name}", self.path)
        return out

    def universe_mask(self, data: pd.DataFrame, universe: str) -> np.ndarray:
        expression = UNIVERSES.get(universe, universe)
        result = _evaluate(data, expression, f"universe '{universe}'", self.path)
        return np.asarray(pd.Series(result, index=data.index).fillna(False).astype(bool))

    def indicator_values(self, data: pd.DataFrame) -> pd.DataFrame:
        """One column per indicator: 0/1 for shares, the number for means, NaN outside the universe
        or without an answer. ``data`` holds item answers by item id plus the derived variables."""
        columns = {}
        for row in self.indicators.itertuples():
            universe = self.universe_mask(data, row.universe)
            if row.source == "expression":
                base_items = self.block_items(row.base)
                answered = data[base_items].notna().all(axis=1).to_numpy()
                value = _evaluate(data, row.expression, f"indicator {row.indicator}", self.path)
                value = np.where(answered, np.asarray(value, dtype=float), np.nan)
            else:
                answer = data[row.item].to_numpy(dtype=float)
                if row.kind == "mean":
                    value = answer
                else:
                    value = np.where(np.isnan(answer), np.nan, np.isin(answer, row.codes).astype(float))
            columns[row.indicator] = np.where(universe, value, np.nan)
        return pd.DataFrame(columns, index=data.index)


def _evaluate(data: pd.DataFrame, expression: str, what: str, path: Path):
    try:
        return data.eval(expression, engine="python")
    except Exception as err:  # pandas raises many types for a bad expression
        raise ConfigError(f"cannot evaluate {what} = \"{expression}\": {err}", path=path) from None


def _tables(raw: dict, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    item_rows = []
    indicator_rows = []
    seen_columns: dict[str, str] = {}
    for block_name, block in raw["blocks"].items():
        scale_name = block["scale"]
        scale = raw["scales"].get(scale_name)
        if scale is None:
            raise ConfigError(f"unknown scale '{scale_name}'", key=f"blocks.{block_name}.scale", path=path)
        chosen = block.get("indicators") or [k for k, v in scale["indicators"].items() if v.get("default", True)]
        for name in chosen:
            if name not in scale["indicators"]:
                raise ConfigError(f"scale '{scale_name}' has no indicator '{name}'", key=f"blocks.{block_name}.indicators", path=path)
        for item in block["items"]:
            column = item["column"]
            if column in seen_columns:
                raise ConfigError(f"column '{column}' is used by items '{seen_columns[column]}' and '{item['id']}'", key=f"blocks.{block_name}.items", path=path)
            seen_columns[column] = item["id"]
            item_rows.append(
                {
                    "item": item["id"],
                    "column": column,
                    "block": block_name,
                    "figure": block.get("figure", ""),
                    "scale": scale_name,
                    "scale_type": scale["type"],
                    "asked": block["asked"],
                    "wording_nl": item["wording_nl"],
                    "label_en": item["label_en"],
                    "wording_source": item.get("wording_source", "questionnaire"),
                    "wording_changed": bool(item.get("wording_changed", False)),
                    "codes": sorted(int(c) for c in scale.get("codes", {})),
                    "min": scale.get("min"),
                    "max": scale.get("max"),
                }
            )
            for name in chosen:
                spec = scale["indicators"][name]
                indicator_rows.append(
                    {
                        "indicator": f"{item['id']}.{name}",
                        "item": item["id"],
                        "block": block_name,
                        "figure": block.get("figure", ""),
                        "source": "item",
                        "kind": "mean" if scale["type"] == "numeric" else "share",
                        "codes": tuple(spec.get("codes", ())),
                        "universe": block["asked"],
                        "base": block_name,
                        "expression": "",
                        "label_en": f"{item['label_en']}: {spec['en']}",
                        "label_nl": f"{item['wording_nl']}: {spec['nl']}",
                        "item_label_en": item["label_en"],
                        "item_label_nl": item["wording_nl"],
                        "level_en": spec["en"],
                        "level_nl": spec["nl"],
                    }
                )
    for spec in raw.get("indicators") or []:
        if spec["base"] not in raw["blocks"]:
            raise ConfigError(f"indicator {spec['id']}: unknown base block '{spec['base']}'", key="indicators", path=path)
        indicator_rows.append(
            {
                "indicator": spec["id"],
                "item": spec["id"].split(".")[0],
                "block": spec["base"],
                "figure": raw["blocks"][spec["base"]].get("figure", ""),
                "source": "expression",
                "kind": "share",
                "codes": (),
                "universe": "all",
                "base": spec["base"],
                "expression": spec["expression"],
                "label_en": spec["en"],
                "label_nl": spec["nl"],
                "item_label_en": spec["en"],
                "item_label_nl": spec["nl"],
                "level_en": "",
                "level_nl": "",
            }
        )
    items = pd.DataFrame(item_rows)
    indicators = pd.DataFrame(indicator_rows)
    duplicated = indicators["indicator"][indicators["indicator"].duplicated()]
    if len(duplicated):
        raise ConfigError(f"indicator ids defined twice: {sorted(set(duplicated))}", path=path)
    return items, indicators


def check_answers(frame: pd.DataFrame, codebook: Codebook, path: str | Path) -> None:
    """Every answer is a code of its scale (or within a numeric scale's range); names the row."""
    for row in codebook.items.itertuples():
        values = frame[row.column]
        present = values.notna()
        if row.scale_type == "categorical":
            bad = present & ~values.isin(row.codes)
            expected = f"one of the codes {row.codes}"
        else:
            low = -np.inf if row.min is None else row.min
            high = np.inf if row.max is None else row.max
            bad = present & ~values.between(low, high)
            expected = f"a number between {low:g} and {high:g}"
        if bad.any():
            first = bad.idxmax()
            raise InputError(
                f"value {values[first]!r} is not {expected} ({int(bad.sum())} such value(s))",
                path=path, row=_row_number(first), column=row.column,
            )


def _row_number(index) -> int | str:
    """Data rows are numbered from 2 in a CSV file with a header line."""
    return int(index) + 2 if isinstance(index, (int, np.integer)) else index
