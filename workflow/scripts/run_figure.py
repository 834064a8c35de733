"""Draws the figure named by the rule's ``figure`` wildcard (see barometer.figures.stage)."""
from barometer.figures.stage import run

run(snakemake)  # noqa: F821 - injected by Snakemake
