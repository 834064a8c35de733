# Configuration checks and the input functions every rule uses.
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# the workflow's own package (the stage script finds it the same way, from its own folder)
PACKAGE_SRC = Path(workflow.current_basedir).parent / "src"
sys.path.insert(0, str(PACKAGE_SRC))

from barometer import code_inputs  # noqa: E402
from barometer.config import (CONFIG_SCHEMA, ConfigError, check_config, check_input_files, config_hash,  # noqa: E402
                              normalise_editions, read_yaml, validate_config)
from barometer.figures import catalogue  # noqa: E402
from barometer.stages import stage_modules  # noqa: E402

CONFIG_SOURCE = "config/config.yaml (and any --configfile)"
config["editions"] = normalise_editions(config)["editions"]
try:
    validate(config, str(CONFIG_SCHEMA))
except WorkflowError:
    try:
        validate_config(config, source=CONFIG_SOURCE)
    except ConfigError as err:
        raise WorkflowError(str(err)) from None
    raise
# what the schema cannot say (keys that must agree), and every configured input file must be
# readable: checked before anything runs, whatever results/ already holds
try:
    check_config(config, source=CONFIG_SOURCE)
    check_input_files(config, source=CONFIG_SOURCE)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

EDITIONS = sorted(config["editions"])
# the edition the cross-survey comparison re-estimates (config/crosswalk.yaml)
CROSSWALK_EDITION = str(read_yaml(config["cross_survey"]["crosswalk"])["barometer_edition"])
if CROSSWALK_EDITION not in EDITIONS:
    raise WorkflowError(f"{config['cross_survey']['crosswalk']}: barometer_edition {CROSSWALK_EDITION} is not configured under editions")
REPORT_EDITION = str(config["report"].get("edition", CROSSWALK_EDITION))
# The report in each language (report.languages): English is results/report/barometer.html (.pdf),
# another language <lang> barometer_<lang>.html; every figure is drawn in every language.
LANGUAGES = list(config["report"]["languages"])
REPORTS = {("barometer" if lang == "en" else f"barometer_{lang}"): lang for lang in LANGUAGES}
ENV = "../../envs/barometer.yaml"
# the script of every step; it calls barometer/stages/<rule file>.py, the function named as the rule
STAGE = "../scripts/stage.py"
# the bootstrap's replicate blocks run on worker threads (workflow/scripts/stage.py); Snakemake gives a
# job at most --cores of them, and a cluster job asks for them (a profile can raise it: set-threads)
BOOTSTRAP_THREADS = 2
# the bootstrap block of the rules that estimate: without export_replicates, which only the replicate
# export (rule replicate_weights) uses, so that changing it reruns no estimation
BOOTSTRAP = {key: value for key, value in config["bootstrap"].items() if key != "export_replicates"}


def edition(wildcards):
    return config["editions"][wildcards.edition]


def edition_file(key):
    """Input function: a path of the edition's config block (empty when the block lacks it)."""

    def get(wildcards):
        return edition(wildcards).get(key) or []

    return get


def _relative(paths):
    # relative to the working directory, so that a moved or copied checkout stays up to date
    return [os.path.relpath(p) for p in paths]


def stage_code(rule, also=()):
    """The package modules the rule's stage function can run (and the modules in ``also``, e.g. what
    a report imports), computed from their imports: declared as inputs, editing any reruns the rule.
    The rule must be defined in the rule file its stage module is named after."""
    stage = stage_modules().get(rule)
    here = Path(workflow.included_stack[-1].get_path_or_uri(secret_free=True)).stem
    if stage != here:
        raise WorkflowError(f"no stage function barometer/stages/{here}.py::{rule} for the rule {rule} in rules/{here}.smk")
    modules = code_inputs.stage_modules(stage, rule) | code_inputs.closure(set(also))
    return _relative(code_inputs.files(modules))


def figure_code(wildcards):
    """The figure module a figure job draws with, and what it imports."""
    return _relative(code_inputs.files(code_inputs.closure({f"barometer.figures.{wildcards.figure}"})))


def identification_files(edition):
    """The identify outputs an estimate stage merges (none for an edition without published values)."""
    if not config["editions"][str(edition)].get("published"):
        return {}
    base = f"results/{edition}/identification"
    return {"bounds": f"{base}/bounds.csv", "difference_bounds": f"{base}/difference_bounds.csv",
            "harmonised_bounds": f"{base}/harmonised_bounds.csv"}


def published_editions():
    return [e for e in EDITIONS if config["editions"][e].get("published")]


def reconstructed_editions():
    return [e for e in EDITIONS if config["editions"][e].get("reconstruction")]


def figure_targets(scope, edition=None, languages=None):
    """The figures of a scope (barometer/figures/catalogue.py), in each language: for an edition,
    those its codebook has the blocks of."""
    if scope == "edition":
        blocks = read_yaml(config["editions"][edition]["codebook"])["blocks"]
        names = [f for f in catalogue.names("edition") if catalogue.drawable(f, blocks)]
        folder = f"results/{edition}"
    else:
        names, folder = catalogue.names(scope), f"results/{scope}"
    return expand("{folder}/figures/{language}/{figure}.{ext}", folder=folder, language=languages or LANGUAGES, figure=names,
                  ext=["png", "svg", "caption.json"])


def figure_outputs(folder, ext):
    """A figure rule's outputs of one kind: one file per language (the wildcards of ``folder`` and the
    figure kept)."""
    return [f"{folder}/figures/{language}/{{figure}}.{ext}" for language in LANGUAGES]


def report_language(wildcards):
    return REPORTS[wildcards.document]


def report_figures(suffix):
    """Input function: the figures of a report in its language: those of the report's edition, the
    cross-survey and longitudinal ones."""

    def get(wildcards):
        language = [report_language(wildcards)]
        figures = (figure_targets("edition", REPORT_EDITION, language) + figure_targets("cross_survey", languages=language)
                   + figure_targets("longitudinal", languages=language))
        return [f for f in figures if f.endswith(suffix)]

    return get


def all_targets():
    targets = []
    for e in EDITIONS:
        targets += [
            f"results/{e}/clean/respondents.csv",
            f"results/{e}/weights/diagnostics.csv",
            f"results/{e}/estimates/point_estimates.csv",
            f"results/{e}/estimates/estimates.csv",
        ]
        targets += figure_targets("edition", e)
    for e in published_editions():
        targets += [f"results/{e}/audit/source_checks.csv", f"results/{e}/estimates/reproduction.csv"]
    targets += ["results/cross_survey/comparison.csv", "results/cross_survey/gap_decomposition.csv", "results/longitudinal/changes.csv"]
    targets += figure_targets("cross_survey") + figure_targets("longitudinal")
    targets += expand("results/report/{document}.{ext}", document=REPORTS, ext=["html", "pdf"])
    targets += ["results/datapackage.json"]
    return targets


def described_outputs():
    """Every file a default run writes under results/ (logs and the manifest aside): what the data
    dictionary (rule data_dictionary) describes."""
    files = []
    for e in EDITIONS:
        base = f"results/{e}"
        files += [f"{base}/clean/{name}.csv" for name in ("respondents", "exclusions", "accounting", "origin")]
        files += [f"{base}/weights/{name}.csv" for name in ("weights", "diagnostics", "summary", "variance_strata")]
        files += [f"{base}/estimates/{name}.csv" for name in ("point_estimates", "estimates", "differences", "claims")]
        files += figure_targets("edition", e)
    for e in published_editions():
        base = f"results/{e}"
        files += [f"{base}/audit/source_checks.csv", f"{base}/audit/published_values.csv",
                  f"{base}/estimates/reproduction.csv", f"{base}/estimates/reproduction_summary.csv"]
        files += list(identification_files(e).values())
    files += [f"results/cross_survey/{name}.csv" for name in
              ("source_checks", "harmonised_estimates", "comparison", "differences", "gap_decomposition")]
    files += ["results/longitudinal/changes.csv", "results/longitudinal/editions.csv"]
    files += figure_targets("cross_survey") + figure_targets("longitudinal")
    files += expand("results/report/{document}.{ext}", document=REPORTS, ext=["html", "pdf", "render.json", "context.json"])
    return files
