"""Runs the package stage named after the Snakemake rule (see barometer.pipeline)."""
import os

# BLAS uses as many threads as the job was given, not one per core: several jobs at once would
# otherwise oversubscribe the machine (set before numpy is imported)
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(snakemake.threads)  # noqa: F821 - injected by Snakemake

from barometer.pipeline import run  # noqa: E402

run(snakemake)  # noqa: F821
