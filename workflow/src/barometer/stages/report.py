"""Stage 6 (rules/report.smk): the report, rendered from its declared inputs only."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..cleaning import bundled
from ..config import IntervalSettings, reliability_standard
from ..crosssurvey import response_rate
from ..io import read_csv, write_json
from ..manifest import git_commit, package_versions
from ..render import render_report
from ..strata import Strata, load_frame

__all__ = ["report"]
log = logging.getLogger("barometer")
NOT_TABLES = ("qmd", "figures", "captions", "code", "frame")


def report(i, o, params, wildcards) -> None:
    root = Path.cwd()
    # paths relative to the repository root: the context (and so the manifest) is the same wherever
    # the checkout lives; the report resolves them from the context file's place (results/report/)
    files = {name: os.path.relpath(path, root) for name, path in i.items() if name not in NOT_TABLES}
    figures = {Path(png).stem: {"png": os.path.relpath(png, root), "caption": os.path.relpath(caption, root)}
               for png, caption in zip(i.figures, i.captions)}
    accounting = read_csv(i.accounting)
    ci = IntervalSettings.from_config(params.ci)
    comparison = read_csv(i.comparison)
    official = comparison.loc[comparison["value_id"] == params.gap["official"], "value"]
    meta = {
        "edition": params.edition, "edition_label": params.edition_label, "language": params.language,
        "replicates": params.bootstrap["replicates"], "seed": params.seed, "ci_method": ci.method.replace("_", "-"),
        "ci_level": ci.level, "mean_method": ci.mean_method,
        "reliability_name": reliability_standard(params.reliability, params.publication).name,
        "min_respondents": params.publication["min_respondents"],
        "singleton_policy": params.bootstrap["singleton_strata"]["policy"], "adjust": params.differences["adjust"],
        "population": int(load_frame(i.frame, Strata.load(i.strata))["population"].sum()),
        "bundled_reconstruction": bundled(accounting),
        "gap_official_value": float(official.iloc[0]) if len(official) else float("nan"),
        "response_rate": response_rate(read_csv(i.published_values), params.gap),
        "git_commit": git_commit(root), "config_hash": params.config_sha256, "versions": package_versions(),
    }
    context = Path(o.context)
    write_json({"files": files, "figures": figures, "meta": meta}, context)
    # the report's code imports this package, from wherever this stage imported it
    package_src = Path(__file__).resolve().parents[2]
    info = render_report(Path(i.qmd), Path(o.html).parent, context_file=context.resolve(), formats=("html", "pdf"),
                         pythonpath=[package_src])
    log.info("rendered with %s: %s", info["renderer"], ", ".join(x["file"] if isinstance(x, dict) else str(x) for x in info["outputs"]))
