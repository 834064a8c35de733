# Configuration checks and the input functions every rule uses.
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

PACKAGE_SRC = Path(workflow.current_basedir).parent / "src"
sys.path.insert(0, str(PACKAGE_SRC))
# the stage scripts import the package, also inside a conda environment (snakemake --sdm conda)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_SRC), os.environ.get("PYTHONPATH")]))

from barometer.config import ConfigError, normalise_editions, read_yaml, validate_config  # noqa: E402

config["editions"] = normalise_editions(config)["editions"]
try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError:
    try:
        validate_config(config, source="config/config.yaml (and any --configfile)")
    except ConfigError as err:
        raise WorkflowError(str(err)) from None
    raise

EDITIONS = sorted(config["editions"])
# the edition the cross-survey comparison re-estimates (config/crosswalk.yaml)
CROSSWALK_EDITION = str(read_yaml(config["cross_survey"]["crosswalk"])["barometer_edition"])
if CROSSWALK_EDITION not in EDITIONS:
    raise WorkflowError(f"{config['cross_survey']['crosswalk']}: barometer_edition {CROSSWALK_EDITION} is not configured under editions")
ENV = "../../envs/barometer.yaml"
STAGE = "../scripts/run_stage.py"


wildcard_constraints:
    edition="|".join(EDITIONS),


def edition(wildcards):
    return config["editions"][wildcards.edition]


def edition_file(key):
    """Input function: a path of the edition's config block (empty when the block lacks it)."""

    def get(wildcards):
        return edition(wildcards).get(key) or []

    return get


def code(*modules):
    """Package modules a rule runs: declared as inputs, so that editing one reruns the rule.
    Relative to the working directory, so that a moved or copied checkout stays up to date."""
    return [os.path.relpath(PACKAGE_SRC / "barometer" / m) for m in modules]


def published_editions():
    return [e for e in EDITIONS if config["editions"][e].get("published")]


def reconstructed_editions():
    return [e for e in EDITIONS if config["editions"][e].get("reconstruction")]


def all_targets():
    targets = []
    for e in EDITIONS:
        targets += [
            f"results/{e}/clean/respondents.csv",
            f"results/{e}/weights/diagnostics.csv",
            f"results/{e}/estimates/point_estimates.csv",
            f"results/{e}/estimates/estimates.csv",
        ]
    for e in published_editions():
        targets += [f"results/{e}/audit/source_checks.csv", f"results/{e}/estimates/reproduction.csv"]
    targets += ["results/cross_survey/comparison.csv", "results/cross_survey/gap_decomposition.csv", "results/longitudinal/changes.csv"]
    targets += figure_targets() + LONGITUDINAL_FIGURES
    targets += ["results/report/barometer.html", "results/report/barometer.pdf"]
    return targets
