"""Write the small example survey for the command line (run from the repository root; fixed seed).

    .venv/bin/python examples/make_examples.py

A made-up stratified sample of 4 sectors x 3 size classes (12 strata, every stratum with at least 2
respondents) from a made-up population of 2,300 firms: examples/population.csv (stratum,N) and
examples/survey.csv with one row per responding firm. Variables: adopter (0/1), uses_rpa (0/1,
robotic process automation; 0 for non-adopters), cost_reduction_pct (asked of adopters only, empty
otherwise), sector. The numbers mean nothing; they exist so that the README's command runs as written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20260101
SECTORS = ["manufacturing", "construction", "trade", "services"]
# size class: (population per sector, respondents per sector, adoption probability)
SIZES = {"small": (400, 12, 0.15), "medium": (150, 8, 0.35), "large": (25, 5, 0.60)}


def build(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    population, rows = [], []
    for sector in SECTORS:
        for size, (N, n, p_adopt) in SIZES.items():
            stratum = f"{sector}_{size}"
            population.append({"stratum": stratum, "N": N})
            for i in range(n):
                adopter = int(rng.random() < p_adopt)
                uses_rpa = int(adopter and rng.random() < 0.4)
                cost = round(float(rng.gamma(2.0, 6.0)), 1) if adopter else None
                rows.append({"firm": f"{stratum}_{i + 1:02d}", "stratum": stratum, "sector": sector,
                             "adopter": adopter, "uses_rpa": uses_rpa, "cost_reduction_pct": cost})
    return pd.DataFrame(rows), pd.DataFrame(population)


def main() -> None:
    survey, population = build()
    survey.to_csv(HERE / "survey.csv", index=False, lineterminator="\n")
    population.to_csv(HERE / "population.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
