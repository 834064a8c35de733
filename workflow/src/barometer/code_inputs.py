"""The package modules a rule runs, computed from the imports, so that editing any of them reruns it.

A rule's code is its stage function (barometer/stages/<rule file>.py, function <rule>) and everything
that function can import inside the package: the stage module's module-level imports, the imports
inside the function itself, and, transitively, every import anywhere in the modules they reach
(including imports inside functions, so lazy imports count), plus the ``__init__.py`` of every
package on the way. The imports are read with ``ast``, without importing anything. Snakemake
declares the result as the rule's ``code`` inputs (workflow/rules/common.smk).

Hand-written because Snakemake tracks only the script a rule names, and modulefinder executes no
function bodies but also misses nothing relative: this is the same walk, limited to one package.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "barometer"
PACKAGE_DIR = Path(__file__).resolve().parent


def module_file(module: str) -> Path | None:
    """The file of a module of the package (``barometer.survey`` -> .../survey/__init__.py)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str, nodes) -> set[str]:
    """Package modules imported by the statements in ``nodes`` (and anything nested in them)."""
    path = module_file(module)
    is_package = path is not None and path.name == "__init__.py"
    found: set[str] = set()
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node, is_package)
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}  # names that are submodules
    return {m for m in found if module_file(m) is not None}


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(module_file(module).read_text(encoding="utf-8"))


def closure(modules: set[str]) -> set[str]:
    """Every package module reachable from ``modules``, with the packages that contain them."""
    todo, seen = list(modules), set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]  # parent packages run first
        todo += sorted(imports(module, _tree(module).body))
    return seen


def stage_modules(stage_module: str, function: str) -> set[str]:
    """The modules the stage function ``function`` of ``barometer.stages.<stage_module>`` can run."""
    module = f"{PACKAGE}.stages.{stage_module}"
    tree = _tree(module)
    top = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    if not body:
        raise KeyError(f"{module_file(module)} has no function '{function}'")
    # helpers of the module the function calls are part of it too
    called = {c.func.id for n in body for c in ast.walk(n) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
    helpers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in called]
    # the stage module itself is run, but only this function's share of its imports
    return {module} | closure({f"{PACKAGE}.stages"} | imports(module, top + body + helpers))


def files(modules: set[str]) -> list[Path]:
    return sorted(module_file(m) for m in modules)
