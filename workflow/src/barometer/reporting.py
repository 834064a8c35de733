"""What the report shows, computed from declared pipeline outputs only.

reports/barometer.qmd calls these functions; each returns Markdown (or a DataFrame to show). The
report reads nothing but the files listed in its context file, which are the inputs of the Snakemake
rule that renders it, so a changed estimate re-renders the report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .io import sha256_file

CONTEXT_VARIABLE = "BAROMETER_REPORT_CONTEXT"


@dataclass
class Context:
    files: dict[str, str]
    figures: dict[str, dict]  # id -> {"png": path, "caption": path}
    meta: dict
    _cache: dict = field(default_factory=dict)

    def table(self, name: str, **kwargs) -> pd.DataFrame:
        if name not in self._cache:
            if name not in self.files:
                raise KeyError(f"the report's context has no input named '{name}'")
            self._cache[name] = pd.read_csv(self.files[name], **kwargs)
        return self._cache[name]

    @property
    def edition(self) -> str:
        return str(self.meta["edition"])

    @property
    def language(self) -> str:
        return self.meta.get("language", "en")


def load_context(path: str | None = None) -> Context:
    path = path or os.environ.get(CONTEXT_VARIABLE)
    if not path:
        raise RuntimeError(f"no report context: set {CONTEXT_VARIABLE} to the context JSON the report rule writes")
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Context(files=data["files"], figures=data["figures"], meta=data["meta"])


# ---------------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------------
def pct(value: float, decimals: int = 1) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{decimals}f}%"


def with_ci(row, decimals: int = 1) -> str:
    """'23.2% (95% CI 21.0–25.5)', with the reliability flag when not ok."""
    text = f"{row['estimate']:.{decimals}f}% (CI {row['ci_low']:.{decimals}f}–{row['ci_high']:.{decimals}f})"
    if row.get("flag", "ok") == "review":
        text += " †"
    elif row.get("flag") == "suppress":
        text = "suppressed ‡"
    return text


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".1f") -> str:
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def estimate(ctx: Context, indicator: str, domain: str = "all") -> pd.Series:
    e = ctx.table("estimates")
    hit = e[(e["indicator"] == indicator) & (e["domain"] == domain)]
    if hit.empty:
        raise KeyError(f"no estimate for {indicator} in {domain}")
    return hit.iloc[0]


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------
def reconstruction_note(ctx: Context) -> str:
    if not ctx.meta.get("bundled_reconstruction"):
        return ""
    return (
        "> **These results come from the bundled reconstruction, not from the real survey responses.** "
        "The 2021 microdata are confidential; the workflow ships a synthetic export reconstructed so that "
        "it reproduces every number the 2021 report publishes (see *Reproduction*). Everything the report "
        "does not publish (for instance adoption by size class, the correlation between answers, the "
        "split of the excluded responses) is invented by the reconstruction and must not be read as a "
        "finding. Run the workflow on the real export to obtain real results.\n"
    )


def key_findings(ctx: Context) -> str:
    """Headline numbers with their intervals."""
    rows = [
        ("Firms using at least one AI technology", "adoption.any", "all"),
        ("... of which firms with 50-249 employees", "adoption.any", "size=medium"),
        ("... of which firms with 250+ employees", "adoption.any", "size=large"),
        ("Non-adopters planning AI within a year", "adoption.none_with_plans", "all"),
        ("Most used technology: text mining", "tech_text_mining.use", "all"),
        ("Adopters lacking relevant knowledge and skills", "barrier_lack_expertise.yes", "adopter_status=adopter"),
        ("Non-adopters seeing limited usefulness", "barrier_limited_usefulness.yes", "adopter_status=non_adopter"),
        ("Adopters reporting cost reduction thanks to AI", "impact_cost_reduction.yes", "all"),
        ("Firms aware of the Flemish AI action plan", "policy_action_plan_aware.yes", "all"),
    ]
    lines = []
    for label, indicator, domain in rows:
        try:
            row = estimate(ctx, indicator, domain)
        except KeyError:
            continue
        lines.append(f"- **{label}:** {with_ci(row)}, {int(row['n'])} respondents")
    return "\n".join(lines)


def methods_numbers(ctx: Context) -> dict:
    accounting = ctx.table("accounting")
    diagnostics = ctx.table("diagnostics")
    counts = dict(zip(accounting["count"], accounting["records"]))
    total = diagnostics[diagnostics["stratum"] == "total"].iloc[0]
    strata = diagnostics[diagnostics["stratum"] != "total"]
    variance = ctx.table("variance_strata")
    return {
        "raw": int(counts["raw responses"]), "usable": int(counts["usable responses"]),
        "excluded": int(counts["excluded (all)"]),
        "exclusions": {k[-2]: int(v) for k, v in counts.items() if k.startswith("excluded (") and k != "excluded (all)"},
        "kish": float(total["kish_effective_n"]), "deff": float(total["design_effect_weighting"]),
        "weight_min": float(strata["weight"].min()), "weight_max": float(strata["weight"].max()),
        "f_min": float(strata["f_h"].min()), "f_max": float(strata["f_h"].max()),
        "collapsed": variance[variance["policy"] == "collapsed"]["variance_stratum"].tolist(),
        "certainty": variance[variance["policy"] == "certainty"]["variance_stratum"].tolist(),
        "strata": int((strata["n_usable"] > 0).sum()),
    }


def exclusion_table(ctx: Context) -> pd.DataFrame:
    accounting = ctx.table("accounting")
    return accounting[accounting["count"] != "data"].rename(columns={"count": "Records", "detail": "Detail", "records": "Number"})


def weights_table(ctx: Context) -> pd.DataFrame:
    d = ctx.table("diagnostics")
    d = d[d["stratum"] != "total"][["stratum", "N_frame", "n_usable", "f_h", "weight"]]
    return d.rename(columns={"stratum": "Stratum", "N_frame": "N_h", "n_usable": "n_h", "f_h": "f_h", "weight": "Weight"})


def reproduction_summary(ctx: Context) -> pd.DataFrame:
    s = ctx.table("reproduction_summary")
    return s.rename(columns={"group": "Published numbers", "values": "Values", "median_abs_diff_pp": "Median |diff| (pp)",
                             "max_abs_diff_pp": "Max |diff| (pp)", "within_tolerance": "Within tolerance", "target": "Target", "met": "Met"})


def reproduction_text_quotes(ctx: Context) -> pd.DataFrame:
    r = ctx.table("reproduction")
    quotes = r[(r["kind"] == "text") & (r["comparator"] == "=") & (r["indicator"] != "response.usable")]
    quotes = quotes.drop_duplicates(["indicator", "domain", "published"])
    out = quotes[["table_or_figure", "section", "indicator", "domain", "published", "reproduced", "diff_pp"]].copy()
    return out.rename(columns={"table_or_figure": "Where", "section": "Section", "indicator": "Indicator", "domain": "Domain",
                               "published": "Published", "reproduced": "Reproduced", "diff_pp": "Diff (pp)"})


def worst_table_cells(ctx: Context, k: int = 8) -> pd.DataFrame:
    r = ctx.table("reproduction")
    cells = r[(r["kind"] == "table_cell") & (r["indicator"] != "response.usable")].copy()
    cells["abs"] = cells["diff_pp"].abs()
    out = cells.sort_values("abs", ascending=False).head(k)
    return out[["table_or_figure", "indicator", "domain", "published", "reproduced", "diff_pp", "n"]].rename(
        columns={"table_or_figure": "Table", "indicator": "Indicator", "domain": "Domain", "published": "Published",
                 "reproduced": "Reproduced", "diff_pp": "Diff (pp)", "n": "n"})


def claims_summary(ctx: Context) -> pd.DataFrame:
    c = ctx.table("claims")
    if c.empty:
        return pd.DataFrame()
    return c.groupby("verdict").size().rename("Statements").reset_index().rename(columns={"verdict": "Verdict"})


def claims_table(ctx: Context) -> pd.DataFrame:
    c = ctx.table("claims")
    out = c[["section", "indicator", "domain", "direction", "difference", "ci_low", "ci_high", "p_adjusted", "verdict"]].copy()
    return out.rename(columns={"section": "Section", "indicator": "Indicator", "domain": "Domain", "direction": "Claim",
                               "difference": "Diff (pp)", "ci_low": "CI low", "ci_high": "CI high", "p_adjusted": "p (adj.)",
                               "verdict": "Verdict"})


def reliability_summary(ctx: Context) -> pd.DataFrame:
    e = ctx.table("estimates")
    out = e.groupby(["dimension", "flag"]).size().unstack(fill_value=0).reset_index()
    return out.rename(columns={"dimension": "Domains"})


def gap_table(ctx: Context) -> pd.DataFrame:
    g = ctx.table("gap")
    return g.rename(columns={"component": "Component", "pp": "Percentage points", "ci_low": "CI low", "ci_high": "CI high", "note": "Note"})


def comparison_table(ctx: Context, concepts: list[str] | None = None) -> pd.DataFrame:
    c = ctx.table("comparison")
    if concepts:
        c = c[c["concept"].isin(concepts)]
    out = c[["concept", "source", "geo", "year", "population", "value", "ci_low", "ci_high", "n", "design", "grade"]]
    return out.rename(columns={"concept": "Concept", "source": "Source", "geo": "Geo", "year": "Year", "population": "Population",
                               "value": "Value (%)", "ci_low": "CI low", "ci_high": "CI high", "n": "N", "design": "Design", "grade": "Grade"})


def source_checks_summary(ctx: Context) -> pd.DataFrame:
    frames = []
    for name in ("source_checks", "cross_survey_checks"):
        if name in ctx.files:
            s = ctx.table(name)
            frames.append(s.groupby("status").size().rename(name).to_frame().T)
    return pd.concat(frames).fillna(0).astype(int).reset_index().rename(columns={"index": "Checks"})


def resolved_checks(ctx: Context) -> pd.DataFrame:
    rows = []
    for name in ("source_checks", "cross_survey_checks"):
        if name in ctx.files:
            s = ctx.table(name)
            s = s[s["status"] == "resolved"]
            rows.append(s[["table", "check", "expected", "found", "resolution"]].assign(source=name))
    out = pd.concat(rows) if rows else pd.DataFrame()
    return out.rename(columns={"table": "Table", "check": "Check", "expected": "Expected", "found": "Found", "resolution": "Resolution", "source": "File"})


def file_inventory(ctx: Context) -> pd.DataFrame:
    """Every intermediate file the report reads: path, rows (tables), sha256."""
    rows = []
    root = Path(ctx.meta.get("root", "."))
    for name, path in sorted(ctx.files.items()):
        p = Path(path)
        n = ""
        if p.suffix == ".csv":
            with p.open(encoding="utf-8") as handle:
                n = sum(1 for _ in handle) - 1
        try:
            shown = str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            shown = p.name
        rows.append({"Input": name, "File": shown, "Rows": n, "sha256": sha256_file(p)[:16] + "…"})
    return pd.DataFrame(rows)


def software_table(ctx: Context) -> pd.DataFrame:
    versions = ctx.meta.get("versions", {})
    return pd.DataFrame(sorted(versions.items()), columns=["Software", "Version"])


def figure(ctx: Context, figure_id: str, number: str = ""):
    """The figure's PNG and its caption (with base N), as display objects."""
    from IPython.display import Image, Markdown

    spec = ctx.figures.get(figure_id)
    if spec is None:
        return Markdown(f"*Figure {figure_id} is not available for this edition.*")
    caption = json.loads(Path(spec["caption"]).read_text(encoding="utf-8"))["caption"]
    prefix = f"Figure {number}: " if number else ""
    return Image(filename=spec["png"]), Markdown(f"*{prefix}{caption}*")
