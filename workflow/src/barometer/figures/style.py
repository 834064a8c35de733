"""One style for every figure, and deterministic saving (PNG for HTML, SVG for print)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

# Okabe-Ito, the colour-blind-safe palette (also seaborn's "colorblind" family)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
NEUTRAL = "#7F7F7F"
BOUNDS = "#000000"  # the range the published tables allow (thin bar under a hollow value)
UNRELIABLE_HATCH = "////"
WIDTH = 7.0  # inches: the text width of an A4 page with 2.5 cm margins, minus a little
FIG_WIDTH = WIDTH - 0.2  # save() pads 0.1 inch on each side
ROW_INCH = 0.3  # height of one bar
# Adopters and non-adopters keep their colours in every figure; ordered answer scales run from the
# unfavourable end (vermillion) over grey to the favourable end (blue).
DOMAIN_COLOURS = {"all": PALETTE[0], "adopter": PALETTE[0], "non_adopter": PALETTE[1]}
ORDINAL = ["#D55E00", "#E69F00", NEUTRAL, "#56B4E9", "#0072B2"]
PAIR = [PALETTE[0], PALETTE[4]]  # two levels of one item (use / plans)

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "ai-barometer",  # fixed ids in SVG output
    "svg.fonttype": "path",
    "path.simplify": False,
}


def ordinal_colours(n: int) -> list[str]:
    return [ORDINAL[round(k)] for k in np.linspace(0, len(ORDINAL) - 1, n)] if n > 1 else [PALETTE[0]]


def apply() -> None:
    sns.set_theme(context="paper", style="whitegrid", palette=PALETTE, rc=RC)
    plt.rcParams.update(RC)


def save(fig: plt.Figure, png: str | Path, svg: str | Path) -> None:
    """PNG and SVG without timestamps or software versions: reruns give identical bytes."""
    for path in (png, svg):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, format="png", bbox_inches="tight", metadata={"Software": None})
    fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
