"""Runs the stage of the Snakemake rule: barometer/stages/<rule file>.py, the function named as the rule."""
import os
import sys

# the workflow's package, wherever the checkout is and whichever environment runs the job (also
# snakemake --sdm conda, where it is not installed)
sys.path.insert(0, os.path.join(snakemake.scriptdir, "..", "src"))  # noqa: F821 - injected by Snakemake
# BLAS uses as many threads as the job was given, not one per core: several jobs at once would
# otherwise oversubscribe the machine (set before numpy is imported)
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(snakemake.threads)  # noqa: F821 - injected by Snakemake

from barometer.stages import run  # noqa: E402

run(snakemake)  # noqa: F821
