"""What the report shows, computed from declared pipeline outputs only.

reports/barometer.qmd calls these functions; each returns Markdown (or a DataFrame to show). The
report reads nothing but the files listed in its context file, which are the inputs of the Snakemake
rule that renders it, so a changed estimate re-renders the report.
"""

from __future__ import annotations

import json
import os
import re
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


ROOT_VARIABLE = "BAROMETER_REPORT_ROOT"


def load_context(path: str | None = None, root: str | None = None) -> Context:
    """The context the report rule wrote; its paths are relative to the repository root, which is
    taken from BAROMETER_REPORT_ROOT (default: two folders above the context file)."""
    path = path or os.environ.get(CONTEXT_VARIABLE)
    if not path:
        raise RuntimeError(f"no report context: set {CONTEXT_VARIABLE} to the context JSON the report rule writes")
    path = Path(path)
    base = Path(root or os.environ.get(ROOT_VARIABLE) or path.resolve().parents[2])
    data = json.loads(path.read_text(encoding="utf-8"))
    files = {name: str(base / p) for name, p in data["files"].items()}
    figures = {name: {k: str(base / v) for k, v in spec.items()} for name, spec in data["figures"].items()}
    return Context(files=files, figures=figures, meta={**data["meta"], "root": str(base)})


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


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".1f", widths: list[int] | None = None) -> str:
    """A pipe table. ``widths``: relative column widths; pandoc reads them from the dashes of the
    separator line, which is rewritten here (tabulate sizes them by content, squeezing short columns
    next to long text). ``floatfmt`` formats numeric columns; text columns are shown as written
    (tabulate would otherwise re-parse '+0.04' and print it as '0.0')."""
    text_columns = [k for k, column in enumerate(frame.columns) if not pd.api.types.is_numeric_dtype(frame[column])]
    align = ["right" if k not in text_columns or _numbers_as_text(frame.iloc[:, k]) else "left" for k in range(frame.shape[1])]
    text = frame.to_markdown(index=False, floatfmt=floatfmt, disable_numparse=text_columns, colalign=align)
    if not widths:
        return text
    lines = text.splitlines()
    cells = lines[1].strip("|").split("|")
    rebuilt = []
    for cell, width in zip(cells, widths):
        left, right = cell.startswith(":"), cell.endswith(":")
        rebuilt.append((":" if left else "") + "-" * max(width, 3) + (":" if right else ""))
    lines[1] = "|" + "|".join(rebuilt) + "|"
    return "\n".join(lines)


def _numbers_as_text(column: pd.Series) -> bool:
    """Formatted numbers ('+0.04', '15.7', '<0.001'), aligned right like numbers."""
    values = column.dropna().astype(str).str.strip().str.lstrip("<")
    values = values[~values.isin(["", "–"])]
    return len(values) > 0 and pd.to_numeric(values.str.replace(",", ""), errors="coerce").notna().all()


def labeller(ctx: Context):
    """Readable labels of indicators and domains, from the edition's codebook and strata."""
    from .codebook import Codebook
    from .strata import Strata

    if "labeller" not in ctx._cache:
        codebook = Codebook.load(ctx.files["codebook"])
        strata = Strata.load(ctx.files["strata"]).labels("en")
        meta = codebook.indicators.set_index("indicator")

        def indicator(name: str) -> str:
            if name not in meta.index:
                return name.replace("_", " ")
            row = meta.loc[name]
            level = f" ({row['level_en']})" if row["level_en"] and row["level_en"] not in ("yes",) else ""
            return f"{row['item_label_en']}{level}"

        def domain(name: str) -> str:
            if name == "all":
                return "all"
            parts = []
            for part in name.split(";"):
                key, value = part.split("=", 1)
                if key == "adopter_status":
                    parts.append("adopters" if value == "adopter" else "non-adopters")
                else:
                    parts.append(strata.get(key, {}).get(value, value))
            return ", ".join(parts)

        ctx._cache["labeller"] = (indicator, domain)
    return ctx._cache["labeller"]


def interval(value: float, low: float, high: float, decimals: int = 1) -> str:
    if not np.isfinite(value):
        return "–"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{value:.{decimals}f}"
    return f"{value:.{decimals}f} ({low:.{decimals}f}; {high:.{decimals}f})"


def where(location: str, section: str) -> str:
    short = location.replace("Figure ", "Fig. ").replace("Table ", "Tab. ")
    return f"{short}, {'summary' if section == 'Summary' else '§' + str(section)}"


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
        ("Among firms with 50-249 employees", "adoption.any", "size=medium"),
        ("Among firms with 250+ employees", "adoption.any", "size=large"),
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
    out = accounting[accounting["count"] != "data"].fillna("")
    return out.rename(columns={"count": "Records", "detail": "Detail", "records": "Number"})


def reproduction_summary(ctx: Context) -> pd.DataFrame:
    s = ctx.table("reproduction_summary")
    out = pd.DataFrame({
        "Published numbers": s["group"], "Values": s["values"],
        "Median |diff| (pp)": s["median_abs_diff_pp"].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}"),
        "Max |diff| (pp)": s["max_abs_diff_pp"].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}"),
        "Target": s["target"], "Met": s["met"].map({True: "yes", False: "NO"}),
    })
    return out


def _reproduction_rows(ctx: Context, rows: pd.DataFrame, with_n: bool = False) -> pd.DataFrame:
    indicator, domain = labeller(ctx)
    out = pd.DataFrame({
        "Where": [where(a, b) for a, b in zip(rows["table_or_figure"], rows["section"])],
        "Number": [f"{indicator(i)}, {domain(d)}" for i, d in zip(rows["indicator"], rows["domain"])],
        "Published": rows["published"].map(lambda v: f"{v:g}"),
        "Reproduced": rows["reproduced"].map(lambda v: f"{v:.2f}"),
        "Diff (pp)": rows["diff_pp"].map(lambda v: f"{v:+.2f}"),
    })
    if with_n:
        out["n"] = rows["n"].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    return out


def reproduction_text_quotes(ctx: Context) -> pd.DataFrame:
    r = ctx.table("reproduction")
    quotes = r[(r["kind"] == "text") & (r["comparator"] == "=") & (r["indicator"] != "response.usable")]
    return _reproduction_rows(ctx, quotes.drop_duplicates(["indicator", "domain", "published"]))


def worst_table_cells(ctx: Context, k: int = 8) -> pd.DataFrame:
    r = ctx.table("reproduction")
    cells = r[(r["kind"] == "table_cell") & (r["indicator"] != "response.usable")].copy()
    cells = cells.assign(abs=cells["diff_pp"].abs()).sort_values("abs", ascending=False).head(k)
    return _reproduction_rows(ctx, cells, with_n=True)


def claims_summary(ctx: Context) -> pd.DataFrame:
    c = ctx.table("claims")
    if c.empty:
        return pd.DataFrame()
    return c.groupby("verdict").size().rename("Statements").reset_index().rename(columns={"verdict": "Verdict"})


def claims_table(ctx: Context) -> pd.DataFrame:
    indicator, domain = labeller(ctx)
    c = ctx.table("claims")
    return pd.DataFrame({
        "§": c["section"].astype(str).str.replace("Summary", "sum."),
        "Statement of the report": [f"{domain(d).capitalize()}: {'above' if x == 'higher' else 'below' if x == 'lower' else 'no difference in'} "
                                    f"average on {indicator(i)[0].lower() + indicator(i)[1:]}" for i, d, x in zip(c["indicator"], c["domain"], c["direction"])],
        # the interval that matches the adjusted p-value beside it (it excludes 0 exactly when p (adj.) < alpha)
        "Difference, pp (adjusted CI)": [interval(v, lo, hi) for v, lo, hi in zip(c["difference"], c["ci_low_adjusted"], c["ci_high_adjusted"])],
        "p (adj.)": c["p_adjusted"].map(lambda v: "–" if pd.isna(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")),
        "Verdict": c["verdict"],
    })


def reliability_summary(ctx: Context) -> pd.DataFrame:
    e = ctx.table("estimates")
    out = e.groupby(["dimension", "flag"]).size().unstack(fill_value=0).reset_index()
    out["dimension"] = out["dimension"].replace({"all": "all firms", "adopter_status": "adopter status"})
    return out.rename(columns={"dimension": "Domains"})


def gap_table(ctx: Context) -> pd.DataFrame:
    g = ctx.table("gap")
    return pd.DataFrame({"Component": g["component"],
                         "pp (95% CI)": [interval(v, lo, hi) for v, lo, hi in zip(g["pp"], g["ci_low"], g["ci_high"])],
                         "Note": g["note"]})


def comparison_table(ctx: Context, concepts: list[str] | None = None) -> pd.DataFrame:
    c = ctx.table("comparison")
    if concepts:
        c = c[c["concept"].isin(concepts)]
    grades = {"reference": "Barometer", "same_instrument_scope": "same instrument and scope",
              "same_construct": "same construct", "related_construct": "related only"}
    return pd.DataFrame({
        "Source": c["source"].str.replace("_", " "),
        "Population, year": [f"{p}, {y}" for p, y in zip(c["population"], c["year"])],
        "Value, % (95% CI)": [interval(v, lo, hi) for v, lo, hi in zip(c["value"], c["ci_low"], c["ci_high"])],
        "N": c["n"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
        "Comparability": c["grade"].map(grades),
    })


def source_checks_summary(ctx: Context) -> pd.DataFrame:
    frames = []
    for name, label in (("source_checks", "AI-Barometer 2021 report"), ("cross_survey_checks", "cross-survey figures")):
        if name in ctx.files:
            s = ctx.table(name)
            frames.append(s.groupby("status").size().rename(label).to_frame().T)
    return pd.concat(frames).fillna(0).astype(int).reset_index().rename(columns={"index": "Published figures"})


def resolved_checks(ctx: Context) -> pd.DataFrame:
    rows = []
    for name in ("source_checks", "cross_survey_checks"):
        if name in ctx.files:
            s = ctx.table(name)
            s = s[s["status"] == "resolved"]
            rows.append(pd.DataFrame({
                "Check": s["check"].map(_breakable),
                "Expected": _shown(s["expected"]),
                "Found": _shown(s["found"]),
                "Resolved by erratum": s["resolution"].str.extract(r"^erratum ([^:]+):")[0],
            }))
    return pd.concat(rows) if rows else pd.DataFrame()


def _breakable(text: str, longest: int = 20) -> str:
    """A check's description for a narrow table column: without the bracketed value ids (the CSV keeps
    them) and with break opportunities (zero-width spaces) in long dotted names and paths, which a
    PDF table cannot otherwise wrap and which would run off the page."""
    text = re.sub(r"\s*\[[^\]]*\]", "", text)
    return re.sub(rf"\S{{{longest},}}", lambda m: re.sub(r"([._/])", "\\1\u200b", m.group(0)), text)


def _shown(values: pd.Series) -> pd.Series:
    """Numbers in their shortest form (14184.0 -> 14184), anything else as written."""
    numbers = pd.to_numeric(values, errors="coerce")
    return values.astype(str).where(numbers.isna(), numbers.map(lambda v: f"{v:g}")).fillna("")


def file_inventory(ctx: Context) -> pd.DataFrame:
    """Every file the report reads: folder, file, rows (tables), sha256 (first 16 hex digits)."""
    rows = []
    root = Path(ctx.meta.get("root", "."))
    for _name, path in sorted(ctx.files.items(), key=lambda kv: kv[1]):
        p = Path(path)
        n = ""
        if p.suffix == ".csv":
            with p.open(encoding="utf-8") as handle:
                n = str(sum(1 for _ in handle) - 1)
        try:
            shown = p.resolve().relative_to(root.resolve())
        except ValueError:
            shown = Path(p.name)
        rows.append({"Folder": str(shown.parent) + "/", "File": shown.name, "Rows": n, "sha256": sha256_file(p)[:16]})
    return pd.DataFrame(rows)


def longitudinal_table(ctx: Context, domain: str = "all") -> pd.DataFrame:
    indicator, _ = labeller(ctx)
    c = ctx.table("changes")
    c = c[c["domain"] == domain]
    return pd.DataFrame({
        "Indicator": [indicator(i) + (" ‡" if w else "") for i, w in zip(c["indicator"], c["wording_changed"])],
        "Editions": [f"{a} → {b}" for a, b in zip(c["edition_from"], c["edition_to"])],
        "From, %": [interval(v, lo, hi) for v, lo, hi in zip(c["estimate_from"], c["ci_low_from"], c["ci_high_from"])],
        "To, %": [interval(v, lo, hi) for v, lo, hi in zip(c["estimate_to"], c["ci_low_to"], c["ci_high_to"])],
        "Change, pp (95% CI)": [interval(v, lo, hi) for v, lo, hi in zip(c["change"], c["ci_low"], c["ci_high"])],
    })


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
