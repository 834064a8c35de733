"""Draws the figure named by the rule's wildcard (see barometer.figures.stage)."""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(snakemake.threads)  # noqa: F821 - injected by Snakemake

from barometer.figures.stage import run  # noqa: E402

run(snakemake)  # noqa: F821
