"""The figures, in one place: each figure's module, scope, the codebook blocks it draws and the base N
its 2021 original printed. The rules (which figures to draw for which edition), the stage (which
module draws a figure) and the tests all read this list; a new figure is a module plus a line here.

Scopes: ``edition`` figures are drawn for every edition whose codebook has their blocks;
``cross_survey`` figures once, from the comparison; ``longitudinal`` once, from all editions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # the module of barometer.figures that draws it (its ``draw``)
    scope: str  # edition | cross_survey | longitudinal
    blocks: tuple[str, ...] = ()  # codebook blocks it draws
    base_n_2021: int | None = None  # the base N of the figure in the 2021 report (or of its data)


FIGURES = (
    Figure("fig01_adoption", "edition", ("technologies",), 1717),
    Figure("fig02_technologies", "edition", ("technologies",), 1717),
    Figure("fig03_potential", "edition", ("technologies",), 1717),
    Figure("fig04_barriers", "edition", ("barriers",), 1628),
    Figure("fig05_knowledge", "edition", ("knowledge",), 1234),
    Figure("fig06_applications", "edition", ("applications",), 555),
    Figure("fig07_sources", "edition", ("sources",), 545),
    Figure("fig08_budget", "edition", ("budget",), 540),
    Figure("fig09_impact", "edition", ("impact",), 532),
    Figure("fig10_employment_low", "edition", ("employment",), 532),
    Figure("fig11_employment_high", "edition", ("employment",), 532),
    Figure("fig12_policy", "edition", ("policy_awareness", "policy_initiatives"), 1559),
    Figure("table3_sectors", "edition", ("technologies",), 1717),
    Figure("table4_sizes", "edition", ("technologies",), 1717),
    Figure("table5_applications", "edition", ("applications",), 555),
    Figure("xs_timeseries", "cross_survey", (), 1717),
    # the Barometer's re-estimates behind the differences drawn (all on Eurostat's 10+ scope)
    Figure("xs_forest", "cross_survey", (), 1382),
    Figure("lg_editions", "longitudinal"),
)
BY_NAME = {f.name: f for f in FIGURES}


def names(scope: str) -> list[str]:
    return [f.name for f in FIGURES if f.scope == scope]


def blocks(name: str) -> tuple[str, ...]:
    """The blocks a figure draws (a figure module's ``BLOCKS = blocks(__name__)``)."""
    return BY_NAME[name.rsplit(".", 1)[-1]].blocks


def drawable(name: str, codebook_blocks) -> bool:
    """Whether an edition whose codebook has ``codebook_blocks`` can draw the figure."""
    return all(b in codebook_blocks for b in BY_NAME[name].blocks)
