"""Runs the stage of the Snakemake rule: barometer/stages/<rule file>.py, the function named as the rule."""
import os
import sys

# the workflow's package, wherever the checkout is and whichever environment runs the job (also
# snakemake --sdm conda, where it is not installed)
sys.path.insert(0, os.path.join(snakemake.scriptdir, "..", "src"))  # noqa: F821 - injected by Snakemake
# The job's threads run replicate blocks in parallel (barometer.survey.replicates.default_threads),
# each with single-threaded BLAS: threads of a multi-threaded BLAS inside parallel workers, or of
# several jobs at once, would oversubscribe the machine (set before numpy is imported)
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
os.environ["BAROMETER_THREADS"] = str(snakemake.threads)  # noqa: F821 - injected by Snakemake

from barometer.stages import run  # noqa: E402

run(snakemake)  # noqa: F821
