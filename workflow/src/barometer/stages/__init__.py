"""The workflow's stages: one module per rule file, one function per rule, named as the rule.

``workflow/rules/estimate.smk`` -> ``barometer/stages/estimate.py``; its rule ``bootstrap_estimates``
-> the function ``bootstrap_estimates(i, o, params, wildcards)``. A stage reads the inputs its rule
declares, makes one or two calls into the package and writes the outputs; it sees no configuration
beyond its rule's params. Every rule runs ``workflow/scripts/stage.py``, which calls ``run``.

Imports only one rule of a module needs are made inside that rule's function: a rule's code inputs
are computed from the imports of its function (barometer/code_inputs.py), so that they are exactly
the modules it runs.
"""

from __future__ import annotations

import ast
import importlib
import json
import logging
import os
import sys
from functools import cache
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
# When set, each job appends the package modules it imported to this file (one JSON line per job):
# an audit of what a job ran, against which the computed code inputs are tested.
IMPORT_TRACE = "BAROMETER_IMPORT_TRACE"


@cache
def stage_modules() -> dict[str, str]:
    """{rule name: stage module name}, read from the stage modules' ``__all__`` without importing them."""
    out = {}
    for path in sorted(HERE.glob("*.py")):
        if path.stem == "__init__":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                for name in ast.literal_eval(node.value):
                    out[name] = path.stem
    return out


def stage_function(rule: str):
    module = stage_modules().get(rule)
    if module is None:
        raise SystemExit(f"no stage function for rule '{rule}' in {HERE}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), rule)


def run(snakemake) -> None:
    """Entry point of workflow/scripts/stage.py: log to the rule's log file and stderr, call the
    rule's stage function, and report errors a user can act on (the message names file, row and
    column, or the configuration key) in one line, without a traceback, exiting non-zero.

    After the stage, the provenance of each output is recorded (barometer/provenance.py): the
    sha256 of every input as this job read it, and the microdata it descends from."""
    from ..errors import BarometerError
    from ..provenance import forget, record_job
    from ..survey import SurveyError

    label = snakemake.rule + (f" {snakemake.wildcards.figure}" if hasattr(snakemake.wildcards, "figure") else "")
    handlers = [logging.StreamHandler(sys.stderr)]
    if snakemake.log:
        handlers.append(logging.FileHandler(str(snakemake.log[0]), mode="w", encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format=f"[{label}] %(message)s", handlers=handlers, force=True)
    stage = stage_function(snakemake.rule)
    params = SimpleNamespace(**dict(snakemake.params.items()))
    forget(snakemake.output)
    try:
        stage(snakemake.input, snakemake.output, params, snakemake.wildcards)
    except (BarometerError, SurveyError) as err:
        logging.getLogger("barometer").error("%s", err)
        sys.exit(1)
    # the raw export a job reads itself (the clean job): the root of its outputs' microdata lineage
    edition = getattr(snakemake.wildcards, "edition", None)
    microdata = {edition: snakemake.input.microdata} if edition and "microdata" in snakemake.input.keys() else None
    record_job(snakemake.rule, list(snakemake.output), list(snakemake.input), list(snakemake.log), microdata)
    if os.environ.get(IMPORT_TRACE):
        modules = sorted(m for m in sys.modules if m.split(".")[0] == "barometer")
        with open(os.environ[IMPORT_TRACE], "a", encoding="utf-8") as trace:
            trace.write(json.dumps({"rule": snakemake.rule, "modules": modules}) + "\n")
