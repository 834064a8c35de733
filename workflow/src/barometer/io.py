"""Deterministic file output: the same data always give the same bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.10g"


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV with a fixed float format (10 significant digits: the last bits of floating-point sums,
    which may differ between BLAS builds and thread counts, never reach the file), LF line ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True, **kwargs)


def write_json(data, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
