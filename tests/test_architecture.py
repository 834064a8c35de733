"""The structure the code keeps (issue: architecture).

1. The survey library (barometer/survey/) imports nothing else of the project.
2. Every rule of workflow/rules/<file>.smk has its stage function in barometer/stages/<file>.py, named as
   the rule, and every stage function is a rule of that file; each rule declares its own code.
3. A rule's code inputs are the modules its stage function imports, computed: editing any module of the
   package reruns every rule that ran it (as `snakemake -n` sees it, one edit at a time in a scratch copy
   of a complete run), checked against the modules each job actually imported.
4. The configuration meets the code in one place: no stage takes the whole config, and the library
   takes no dict of settings.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from barometer import code_inputs
from barometer.stages import stage_modules
from conftest import IMPORT_TRACE, ROOT, run_workflow

PACKAGE = ROOT / "workflow" / "src" / "barometer"
RULES = ROOT / "workflow" / "rules"
RULE = re.compile(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", re.S | re.M)


def rules_by_file() -> dict[str, dict[str, str]]:
    """{rule file stem: {rule name: rule body}}."""
    return {path.stem: {m.group(1): m.group(2) for m in RULE.finditer(path.read_text(encoding="utf-8"))}
            for path in sorted(RULES.glob("*.smk"))}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import statement anywhere in a file (relative imports keep their level)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(0, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
    return out


def test_the_survey_library_imports_nothing_else_of_the_project():
    files = sorted((PACKAGE / "survey").glob("*.py"))
    assert {f.stem for f in files} >= {"__init__", "design", "replicates", "estimation", "intervals", "reliability",
                                       "contrasts", "errors"}
    outside = [(f.name, level, module) for f in files for level, module in imported_modules(f)
               if level > 1 or (level == 0 and module.split(".")[0] == "barometer")]
    assert not outside, f"survey/ imports from outside itself: {outside}"


def test_the_boundary_test_would_see_an_import_from_outside(tmp_path):
    """The check above is not vacuous: both forms of an import from the project are found."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ..config import read_yaml\n\ndef f():\n    import barometer.io\n")
    assert imported_modules(probe) == [(2, "config"), (0, "barometer.io")]


def test_every_rule_has_its_stage_function_and_every_stage_function_its_rule():
    stages = stage_modules()
    scripted = {}
    for stem, rules in rules_by_file().items():
        for rule, body in rules.items():
            if "script:" not in body:
                assert "input:" in body and "output:" not in body, f"rule {rule} runs no stage but is not an aggregate"
                continue
            assert "STAGE" in body.split("script:")[1], f"rule {rule} does not run workflow/scripts/stage.py"
            scripted[rule] = stem
            # the rule declares its own code: stage_code("<this rule>")
            assert re.search(rf'code=stage_code\("{rule}"', body), f"rule {rule} declares another rule's code"
    assert scripted == stages, {"rules without stage": set(scripted) - set(stages), "stages without rule": set(stages) - set(scripted)}
    for rule, stem in scripted.items():
        tree = ast.parse((PACKAGE / "stages" / f"{stem}.py").read_text(encoding="utf-8"))
        function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == rule)
        assert [a.arg for a in function.args.args] == ["i", "o", "params", "wildcards"], rule


def test_no_stage_reads_the_whole_configuration():
    for path in sorted((PACKAGE / "stages").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "config[" not in text and "snakemake.config" not in text, path.name


def test_the_library_takes_typed_settings_not_dicts():
    """No function of the library takes a configuration block: no parameter named after the config,
    none an untyped dict (data mappings, e.g. stratum -> population count, are typed)."""
    for path in sorted((PACKAGE / "survey").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for arg in node.args.args + node.args.kwonlyargs:
                    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                    assert "config" not in arg.arg and annotation not in ("dict", "Mapping"), (path.name, node.name, arg.arg)


def test_code_inputs_follow_relative_and_lazy_imports():
    """The computed closure of bootstrap_estimates holds the claims logic it imports inside the
    function, the library it imports at module level, and not the reproduction, which only the
    module's other rule imports."""
    modules = code_inputs.stage_modules("estimate", "bootstrap_estimates")
    assert {"barometer.claims", "barometer.differences", "barometer.survey.estimation", "barometer.survey.replicates",
            "barometer.stages", "barometer.stages.estimate", "barometer"} <= modules
    assert "barometer.reproduction" not in modules
    assert "barometer.reproduction" in code_inputs.stage_modules("estimate", "reproduce")


# --------------------------------------------------------------------------------------------- 3.
def package_modules() -> list[str]:
    return sorted(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
                  for p in PACKAGE.rglob("*.py"))


def planned(result) -> set[str]:
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return set()
    table = text.split("Job stats:")[1].split("Reasons:")[0] if "Job stats:" in text else ""
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+$", table, re.M)} - {"total", "default", "all"}


@pytest.fixture(scope="module")
def scratch(full_run, tmp_path_factory):
    copy = tmp_path_factory.mktemp("freshness") / "repo"
    shutil.copytree(full_run, copy, symlinks=True)
    return copy


@pytest.fixture(scope="module")
def trace(full_run) -> dict[str, set[str]]:
    """{rule: package modules its jobs imported} from the session's complete run."""
    out: dict[str, set[str]] = {}
    for line in (full_run.parent / IMPORT_TRACE).read_text(encoding="utf-8").splitlines():
        job = json.loads(line)
        out.setdefault(job["rule"], set()).update(job["modules"])
    return out


@pytest.mark.slow
def test_editing_any_module_reruns_every_rule_that_ran_it(scratch, trace):
    assert {"clean", "weight", "bootstrap_estimates", "figure", "report", "compare_surveys"} <= set(trace)
    checked = 0
    for module in package_modules():
        relative = code_inputs.module_file(module).relative_to(PACKAGE)
        rerun = planned_after_edit(scratch, str(relative))
        expected = {rule for rule, modules in trace.items() if module in modules}
        assert expected <= rerun, f"editing {relative} leaves {sorted(expected - rerun)} stale"
        checked += bool(expected)
    assert checked >= 40
    # the report's own code runs in the report's kernel (barometer.reporting), not in the stage process
    assert "report" in planned_after_edit(scratch, "reporting.py")
    # and the finding that started this: the claims verdicts and the differences
    assert "bootstrap_estimates" in planned_after_edit(scratch, "claims.py")
    assert planned(run_workflow(scratch, "-n")) == set()


def planned_after_edit(scratch: Path, relative: str) -> set[str]:
    file = scratch / "workflow" / "src" / "barometer" / relative
    before, stat = file.read_bytes(), file.stat()
    try:
        file.write_bytes(before + b"\n# an edit\n")
        os.utime(file, (stat.st_atime, time.time() + 5))
        return planned(run_workflow(scratch, "-n"))
    finally:
        file.write_bytes(before)
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_snakemake_lint_is_clean():
    import subprocess

    from conftest import SNAKEMAKE

    result = subprocess.run([*SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "Congratulations, your workflow is in a good condition" in result.stdout + result.stderr, result.stderr[-3000:]
