"""What the public record supports, as the report, the figures and the README show it.

The identification stage (``identification.py``, docs/identification.md) gives every number of the
bundled reconstruction a column ``identified_by`` and the range ``[bound_low, bound_high]`` that every
data set consistent with the 2021 report's published tables allows. This module holds the few pure
rules the displays share, so that the report, every figure and the tests apply the same ones:

* a number that is ``published`` or ``derived`` from published numbers stands alone;
* any other number of the reconstruction (``bounded`` or ``reconstruction``) is only shown with the
  range the published tables allow, or marked (hollow in the figures);
* on real microdata (``microdata``) or outputs without the columns nothing changes.

Ranges are rounded outward to the shown decimals (a lower limit down, an upper limit up), so the
printed range still contains every consistent value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SUPPORTED_ALONE = ("published", "derived")
NEEDS_BOUNDS = ("bounded", "reconstruction")


def support_of(row) -> str:
    """The row's ``identified_by`` ('' when the row has none: real microdata of older outputs)."""
    value = row.get("identified_by") if hasattr(row, "get") else getattr(row, "identified_by", None)
    return value if isinstance(value, str) else ""


def needs_bounds(row) -> bool:
    """Whether a number comes from the reconstruction alone (the published tables do not pin it down)."""
    return support_of(row) in NEEDS_BOUNDS


def bounds_of(row) -> tuple[float, float] | None:
    """The row's finite (bound_low, bound_high), else None."""
    get = row.get if hasattr(row, "get") else (lambda k: getattr(row, k, None))
    try:
        low, high = float(get("bound_low")), float(get("bound_high"))
    except (TypeError, ValueError):
        return None
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None


def outward(low: float, high: float, decimals: int = 1) -> tuple[float, float]:
    """The range rounded outward to ``decimals`` (37.0499 -> 37.0, 81.6501 -> 81.7). A tolerance of
    1e-9 keeps a limit that is already round (100.0) from moving."""
    scale = 10 ** decimals
    return math.floor(low * scale + 1e-9) / scale, math.ceil(high * scale - 1e-9) / scale


def sign_established(low: float, high: float) -> int:
    """+1 when every consistent value is positive, -1 when every one is negative, 0 when the range
    holds zero (the sign is not established by the published tables)."""
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0


def any_needs_bounds(table: pd.DataFrame) -> bool:
    """Whether a table holds any number of the reconstruction that needs its bounds (False on real
    microdata and on tables without the column)."""
    return "identified_by" in table and table["identified_by"].isin(NEEDS_BOUNDS).any()


def difference_bounds(differences: pd.DataFrame, comparison: pd.DataFrame) -> pd.DataFrame:
    """Bounds of the cross-survey differences (Barometer on a harmonised domain minus a published
    figure): [B_low - P_high, B_high - P_low], from the comparison's reference row of the concept
    and domain (the Barometer) and the published figure's row (its rounding). Adds the columns
    ``identified_by`` (the Barometer side's: the published figure is published), ``bound_low`` and
    ``bound_high``; without bounds in the comparison (real microdata) the differences are returned
    with ``identified_by`` of the reference rows and no bounds."""
    out = differences.copy()
    if "identified_by" not in comparison:
        return out
    reference = comparison[comparison["comparability"] == "reference"].drop_duplicates(["concept", "barometer_domain"])
    reference = reference.set_index(["concept", "barometer_domain"])
    published = comparison.dropna(subset=["value_id"]).drop_duplicates("value_id").set_index("value_id")
    keys = list(zip(out["concept"], out["barometer_domain"]))
    support, low, high = [], [], []
    for key, value_id in zip(keys, out["value_id"]):
        b = reference.loc[key] if key in reference.index else None
        p = published.loc[value_id] if value_id in published.index else None
        support.append(support_of(b) if b is not None else "")
        bb = bounds_of(b) if b is not None else None
        pb = bounds_of(p) if p is not None else None
        if bb is None or pb is None:
            low.append(np.nan)
            high.append(np.nan)
        else:
            low.append(bb[0] - pb[1])
            high.append(bb[1] - pb[0])
    return out.assign(identified_by=support, bound_low=low, bound_high=high)
