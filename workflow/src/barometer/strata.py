"""Stratum definitions (sector groups x size classes) and the sampling frame of an edition."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .config import read_yaml
from .errors import ConfigError, InputError


def stratum_id(sector: str, size: str) -> str:
    return f"{sector}_{size}"


@dataclass(frozen=True)
class Strata:
    path: Path
    sectors: pd.DataFrame  # id, label_nl, label_en, nace (list of ranges)
    sizes: pd.DataFrame  # id, min_employees, max_employees, label_nl, label_en

    @classmethod
    def load(cls, path: str | Path) -> Strata:
        path = Path(path)
        raw = read_yaml(path)
        if not isinstance(raw, dict) or "sectors" not in raw or "sizes" not in raw:
            raise ConfigError("expected 'sectors' and 'sizes' lists", path=path)
        sectors = pd.DataFrame(raw["sectors"])
        sizes = pd.DataFrame(raw["sizes"])
        for table, key, required in ((sectors, "sectors", ["id", "nace", "label_nl", "label_en"]),
                                     (sizes, "sizes", ["id", "min_employees", "label_nl", "label_en"])):
            for column in required:
                if column not in table:
                    raise ConfigError(f"every entry needs '{column}'", key=key, path=path)
            if table["id"].duplicated().any():
                raise ConfigError(f"duplicate id {table['id'][table['id'].duplicated()].iloc[0]!r}", key=key, path=path)
        sectors["id"] = sectors["id"].astype(str)
        if "max_employees" not in sizes:
            sizes["max_employees"] = np.nan
        sizes = sizes.sort_values("min_employees").reset_index(drop=True)
        return cls(path=path, sectors=sectors, sizes=sizes)

    @property
    def ids(self) -> list[str]:
        return [stratum_id(s, z) for s in self.sectors["id"] for z in self.sizes["id"]]

    @property
    def min_employees(self) -> float:
        return float(self.sizes["min_employees"].min())

    def sector_of_nace(self, codes: pd.Series) -> pd.Series:
        """Sector group of NACE codes ("62.01", "95.11", "47"); NaN when outside every group."""
        text = codes.astype("string").str.strip()
        division = pd.to_numeric(text.str.slice(0, 2), errors="coerce")
        group = pd.to_numeric(text.str.extract(r"^(\d{2}\.\d)", expand=False), errors="coerce")
        out = pd.Series(pd.NA, index=codes.index, dtype="string")
        for sector in self.sectors.itertuples():
            for spec in sector.nace:
                spec = str(spec)
                if "-" in spec:
                    low, high = (int(x) for x in spec.split("-"))
                    hit = division.between(low, high)
                elif "." in spec:
                    hit = (group - float(spec)).abs() < 1e-9
                else:
                    hit = division == int(spec)
                out = out.mask(hit.fillna(False) & out.isna(), sector.id)
        return out

    def size_of_employees(self, employees: pd.Series) -> pd.Series:
        out = pd.Series(pd.NA, index=employees.index, dtype="string")
        for size in self.sizes.itertuples():
            high = np.inf if pd.isna(size.max_employees) else size.max_employees
            # employee counts are full-time equivalents and may be fractional: classes are contiguous
            upper = high + 1 if np.isfinite(high) else np.inf
            hit = (employees >= size.min_employees) & (employees < upper)
            out = out.mask(hit.fillna(False), size.id)
        return out

    def labels(self, language: str = "en") -> dict[str, dict[str, str]]:
        key = f"label_{language}"
        return {
            "sector": dict(zip(self.sectors["id"], self.sectors[key])),
            "size": dict(zip(self.sizes["id"], self.sizes[key])),
        }


FRAME_SCHEMA = pa.DataFrameSchema(
    {
        "sector": pa.Column(str),
        "size": pa.Column(str),
        "population": pa.Column(int, pa.Check.ge(0)),
        "sampled": pa.Column(int, pa.Check.ge(0)),
    },
    strict=True,
    coerce=True,
    checks=[pa.Check(lambda d: d["sampled"] <= d["population"], error="sampled must not exceed population")],
)


def load_frame(path: str | Path, strata: Strata) -> pd.DataFrame:
    """The sampling frame: population and sample counts per stratum, one row for every stratum."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"sector": str, "size": str})
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty", path=path) from None
    try:
        frame = FRAME_SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as err:
        case = err.failure_cases.iloc[0]
        row = None if pd.isna(case["index"]) else int(case["index"]) + 2
        raise InputError(f"{case['check']}: {case['failure_case']!r}", path=path, row=row, column=case["column"]) from None
    frame["stratum"] = [stratum_id(s, z) for s, z in zip(frame["sector"], frame["size"])]
    duplicated = frame["stratum"].duplicated()
    if duplicated.any():
        raise InputError(f"stratum {frame['stratum'][duplicated].iloc[0]} listed twice", path=path, row=int(duplicated.idxmax()) + 2)
    unknown = sorted(set(frame["stratum"]) - set(strata.ids))
    if unknown:
        raise InputError(f"strata {unknown} are not defined in {strata.path.name}", path=path, column="sector/size")
    missing = sorted(set(strata.ids) - set(frame["stratum"]))
    if missing:
        raise InputError(f"no population count for strata {missing}", path=path)
    return frame.set_index("stratum").loc[strata.ids].reset_index()
