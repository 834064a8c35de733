"""Stage 6 (rules/report.smk): the report in one language, rendered from its declared inputs only."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..cleaning import bundled
from ..config import DifferenceSettings, IntervalSettings, reliability_standard
from ..crosssurvey import in_scope_response_rate, response_rate
from ..io import read_csv, write_json
from ..manifest import git_commit, git_describe, package_versions, source_date
from ..progress import Progress
from ..render import render_report
from ..reporting import render_metadata
from ..strata import Strata, load_frame

__all__ = ["report", "data_dictionary"]
log = logging.getLogger("barometer")
NOT_TABLES = ("qmd", "figures", "svgs", "captions", "code")


def report(i, o, params, wildcards) -> None:
    root = Path.cwd()
    # paths relative to the repository root: the context (and so the manifest) is the same wherever
    # the checkout lives; the report resolves them from the context file's place (results/report/)
    files = {name: os.path.relpath(path, root) for name, path in i.items() if name not in NOT_TABLES}
    figures = {Path(png).stem: {"png": os.path.relpath(png, root), "svg": os.path.relpath(svg, root),
                                "caption": os.path.relpath(caption, root)}
               for png, svg, caption in zip(i.figures, i.svgs, i.captions)}
    ci = IntervalSettings.from_config(params.ci)
    comparison = read_csv(i.comparison)
    official = comparison.loc[comparison["value_id"] == params.gap["official"], "value"]
    published = read_csv(i.published_values)
    meta = {
        "edition": params.edition, "edition_label": params.edition_label, "fieldwork": params.fieldwork,
        "language": params.language, "document": wildcards.document,
        "replicates": params.bootstrap["replicates"], "seed": params.seed, "ci_method": ci.method.replace("_", "-"),
        "ci_level": ci.level, "mean_method": ci.mean_method,
        "reliability": params.reliability["standard"],
        "reliability_name": reliability_standard(params.reliability, params.publication).name,
        "min_respondents": params.publication["min_respondents"],
        "singleton_policy": params.bootstrap["singleton_strata"]["policy"], "adjust": params.differences["adjust"],
        "reproduction": dict(params.reproduction),
        "adjust_family": DifferenceSettings.from_config(params.differences).family_name,
        "equivalence_margin": params.differences["equivalence_margin"],
        "population": int(load_frame(i.frame, Strata.load(i.strata))["population"].sum()),
        "bundled_reconstruction": bundled(read_csv(i.origin)),
        "gap_official_value": float(official.iloc[0]) if len(official) else float("nan"),
        "response_rate": response_rate(published, params.gap),
        "in_scope_response_rate": in_scope_response_rate(published, params.gap),
        "git_commit": git_commit(root), "version": git_describe(root), "render_date": source_date(root),
        "config_hash": params.config_sha256, "versions": package_versions(),
    }
    context = Path(o.context)
    write_json({"files": files, "figures": figures, "meta": meta}, context)
    # the report's code imports this package, from wherever this stage imported it
    package_src = Path(__file__).resolve().parents[2]
    with Progress(f"render {wildcards.document}", "step") as progress:
        info = render_report(Path(i.qmd), Path(o.html).parent, context_file=context.resolve(), formats=("html", "pdf"),
                             pythonpath=[package_src], stem=wildcards.document,
                             metadata=render_metadata(meta, i.citation), progress=progress)
    log.info("rendered with %s: %s", info["renderer"], ", ".join(x["file"] for x in info["outputs"]))


def data_dictionary(i, o, params, wildcards) -> None:
    """results/datapackage.json: the Frictionless descriptor of every output of the run, from the
    catalogue docs/data_dictionary.yaml (barometer/dictionary.py); stops when a table's columns
    differ from the catalogue's."""
    from ..dictionary import Catalogue, data_package

    root = Path.cwd()
    paths = [os.path.relpath(p, root) for p in i.files]
    package = data_package(Catalogue(i.catalogue), paths, root, dict(params.codebooks))
    write_json(package, o.package)
    log.info("%s: %d resources (%d tables)", o.package, len(package["resources"]),
             sum(r.get("type") == "table" for r in package["resources"]))
