"""Runs the package stage named after the Snakemake rule (see barometer.pipeline)."""
from barometer.pipeline import run

run(snakemake)  # noqa: F821 - injected by Snakemake
