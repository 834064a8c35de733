"""Runs the package stage named after the Snakemake rule (see barometer.pipeline)."""
import os

# The job's threads run replicate blocks in parallel (barometer.bootstrap.default_threads), each with
# single-threaded BLAS: threads of a multi-threaded BLAS inside parallel workers, or of several jobs
# at once, would oversubscribe the machine (set before numpy is imported)
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
os.environ["BAROMETER_THREADS"] = str(snakemake.threads)  # noqa: F821 - injected by Snakemake

from barometer.pipeline import run  # noqa: E402

run(snakemake)  # noqa: F821
