"""Consistency checks of published figures, and their resolution by explicit errata.

Every check the published numbers allow is run on the values as printed: table cells against their
row, column and grand totals; counts that must nest (sampled <= population, responses <= sampled);
the configured sampling frame against the printed table; every number printed more than once; bounds
stated in words; answer shares that must sum to 100 or to a composite share; the codebook's
relations between indicators; sector and size margins against the overall figure; base Ns against
the usable responses; arithmetic between fieldwork numbers (configured per edition).

A check that fails must be resolved by an erratum (config/editions/<year>/errata.yaml) that names
it, gives the evidence and either corrects values (the check is then run again and must pass) or
accepts the inconsistency as printed. Nothing is corrected silently: an unresolved failure raises
SourceCheckError naming the check, and an erratum for a check that passes is an error too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook
from .config import read_yaml
from .errors import ConfigError, SourceCheckError
from .published import split_domain

COUNT_INDICATORS = ("frame.population", "frame.sampled", "response.usable")
EPS = 1e-9


@dataclass
class Check:
    check_id: str
    source: str
    table: str
    check: str
    expected: float | str
    found: float | str
    tolerance: float = 0.0
    status: str = "pass"  # pass | fail | not_checkable
    value_ids: tuple[str, ...] = ()


@dataclass
class CheckContext:
    values: pd.DataFrame  # published values (one edition)
    frame: pd.DataFrame | None  # stratum, sector, size, population, sampled
    codebook: Codebook | None
    relations: list[dict] = field(default_factory=list)
    source: str = ""


def half_unit(decimals) -> float:
    decimals = 0 if pd.isna(decimals) else int(decimals)
    return 0.5 * 10.0 ** (-decimals)


def _compare(check_id, table, text, expected, found, tolerance, source, ids=()) -> Check:
    ok = abs(float(expected) - float(found)) <= tolerance + EPS
    return Check(check_id, source, table, text, round(float(expected), 6), round(float(found), 6),
                 round(tolerance, 6), "pass" if ok else "fail", tuple(ids))


# ---------------------------------------------------------------------------------------------
# generic checks
# ---------------------------------------------------------------------------------------------
def check_ranges(ctx: CheckContext) -> list[Check]:
    out = []
    v = ctx.values
    shares = v[v["unit"].isin(["percent", "mean_percent"])]
    for location, group in shares.groupby("location", sort=True):
        bad = group[(group["value"] > 100) | (group["value"] < 0)]
        for row in bad.itertuples():
            out.append(Check(f"range:{row.value_id}", ctx.source, location, f"{row.value_id} is a percentage in [0, 100]",
                             "0-100", row.value, 0, "fail", (row.value_id,)))
        if bad.empty:
            out.append(Check(f"range:{location}", ctx.source, location, f"all {len(group)} percentages in [0, 100]",
                             "0-100", f"{group['value'].min():g}-{group['value'].max():g}", 0, "pass"))
    return out


def _cells(values: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = values[(values["indicator"] == indicator) & values["kind"].isin(["table_cell", "table_total"])].copy()
    parts = rows["domain"].map(split_domain)
    rows["sector"] = parts.map(lambda d: d.get("sector"))
    rows["size"] = parts.map(lambda d: d.get("size"))
    return rows


def check_table_totals(ctx: CheckContext) -> list[Check]:
    out = []
    for indicator in COUNT_INDICATORS:
        rows = _cells(ctx.values, indicator)
        if rows.empty:
            continue
        table = rows["location"].iloc[0]
        cells = rows[rows["sector"].notna() & rows["size"].notna()]
        col_totals = rows[rows["sector"].notna() & rows["size"].isna()]
        row_totals = rows[rows["sector"].isna() & rows["size"].notna()]
        grand = rows[rows["domain"] == "all"]
        for total in col_totals.itertuples():
            members = cells[cells["sector"] == total.sector]
            out.append(_compare(f"total:{indicator}:{total.domain}", table,
                                f"{indicator}: cells of sector {total.sector} sum to the printed column total",
                                total.value, members["value"].sum(), 0, ctx.source,
                                (total.value_id, *members["value_id"])))
        for total in row_totals.itertuples():
            members = cells[cells["size"] == total.size]
            out.append(_compare(f"total:{indicator}:{total.domain}", table,
                                f"{indicator}: cells of size class {total.size} sum to the printed row total",
                                total.value, members["value"].sum(), 0, ctx.source,
                                (total.value_id, *members["value_id"])))
        for g in grand.itertuples():
            out.append(_compare(f"total:{indicator}:all:cells", table, f"{indicator}: all cells sum to the printed grand total",
                                g.value, cells["value"].sum(), 0, ctx.source, (g.value_id,)))
            if len(col_totals):
                out.append(_compare(f"total:{indicator}:all:columns", table,
                                    f"{indicator}: printed column totals sum to the printed grand total",
                                    g.value, col_totals["value"].sum(), 0, ctx.source, (g.value_id, *col_totals["value_id"])))
            if len(row_totals):
                out.append(_compare(f"total:{indicator}:all:rows", table,
                                    f"{indicator}: printed row totals sum to the printed grand total",
                                    g.value, row_totals["value"].sum(), 0, ctx.source, (g.value_id, *row_totals["value_id"])))
    return out


def check_nesting(ctx: CheckContext) -> list[Check]:
    """sampled <= population and usable responses <= sampled, per stratum."""
    out = []
    for small, large in (("frame.sampled", "frame.population"), ("response.usable", "frame.sampled")):
        a = _cells(ctx.values, small)
        b = _cells(ctx.values, large)
        a = a[a["sector"].notna() & a["size"].notna()].set_index("domain")
        b = b[b["sector"].notna() & b["size"].notna()].set_index("domain")
        common = a.index.intersection(b.index)
        if common.empty:
            continue
        bad = [d for d in common if a.at[d, "value"] > b.at[d, "value"]]
        table = f"{a['location'].iloc[0]} / {b['location'].iloc[0]}"
        for d in bad:
            out.append(Check(f"nesting:{small}<= {large}:{d}".replace(" ", ""), ctx.source, table, f"{small} <= {large} in {d}",
                             f"<= {b.at[d, 'value']:g}", a.at[d, "value"], 0, "fail", (a.at[d, "value_id"], b.at[d, "value_id"])))
        if not bad:
            out.append(Check(f"nesting:{small}<={large}", ctx.source, table,
                             f"{small} <= {large} in all {len(common)} strata", "all", "all", 0, "pass"))
    return out


def check_frame(ctx: CheckContext) -> list[Check]:
    """The configured sampling frame equals the published table, stratum by stratum."""
    if ctx.frame is None:
        return []
    out = []
    for indicator, column in (("frame.population", "population"), ("frame.sampled", "sampled")):
        cells = _cells(ctx.values, indicator)
        cells = cells[cells["sector"].notna() & cells["size"].notna()]
        if cells.empty:
            continue
        published = {(r.sector, r.size): r.value for r in cells.itertuples()}
        bad = [(s, z, v, published.get((s, z))) for s, z, v in zip(ctx.frame["sector"], ctx.frame["size"], ctx.frame[column])
               if published.get((s, z)) is None or abs(published[(s, z)] - v) > EPS]
        for s, z, v, p in bad:
            out.append(Check(f"frame:{indicator}:sector={s};size={z}", ctx.source, cells["location"].iloc[0],
                             f"configured frame {column} equals the published cell", p if p is not None else "missing", v, 0, "fail"))
        if not bad:
            out.append(Check(f"frame:{indicator}", ctx.source, cells["location"].iloc[0],
                             f"configured frame ({column}) equals the published cells in all {len(ctx.frame)} strata", "equal", "equal", 0, "pass"))
    return out


def check_duplicates(ctx: CheckContext) -> list[Check]:
    """A number printed more than once (summary and section, table and text) must agree."""
    out = []
    v = ctx.values[ctx.values["comparator"] == "="]
    keys = ["indicator", "domain", "statistic"]
    for key, group in v.groupby(keys, sort=True):
        if len(group) < 2:
            continue
        if group["value"].nunique() == 1:
            out.append(Check(f"repeat:{key[0]}:{key[1]}", ctx.source, ", ".join(sorted(set(group["location"]))),
                             f"{key[0]} ({key[1]}) printed {len(group)} times with the same value",
                             group["value"].iloc[0], group["value"].iloc[0], 0, "pass", tuple(group["value_id"])))
            continue
        # values printed with different precision agree when each lies within the other's rounding
        finest = group.loc[group["decimals"].astype(float).idxmax()]
        for row in group.itertuples():
            if row.value_id == finest.value_id:
                continue
            out.append(_compare(f"repeat:{key[0]}:{key[1]}:{row.value_id}", row.location,
                                f"{key[0]} ({key[1]}) as printed in {_where(row)} vs {_where(finest)}",
                                finest.value, row.value, half_unit(row.decimals) + half_unit(finest.decimals) - half_unit(max(row.decimals, finest.decimals)),
                                ctx.source, (finest.value_id, row.value_id)))
    return out


def _where(row) -> str:
    section = getattr(row, "section", None)
    return f"{row.location} ({section})" if isinstance(section, str) else f"{row.location} [{row.value_id}]"


def _exact(values: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    exact = values[values["comparator"] == "="].sort_values(["decimals", "value_id"], ascending=[False, True])
    return {(r.indicator, r.domain): r for r in exact.drop_duplicates(["indicator", "domain"]).itertuples()}


def check_bounds(ctx: CheckContext) -> list[Check]:
    """Bounds stated in words ('less than one in ten') against the numbers printed elsewhere."""
    out = []
    exact = _exact(ctx.values)
    for row in ctx.values[ctx.values["comparator"] != "="].itertuples():
        other = exact.get((row.indicator, row.domain))
        if other is None:
            continue
        if row.comparator == "<":
            ok = other.value < row.value + half_unit(other.decimals)
        elif row.comparator == ">":
            ok = other.value > row.value - half_unit(other.decimals)
        else:
            ok = row.range_low - half_unit(other.decimals) <= other.value <= row.range_high + half_unit(other.decimals)
        out.append(Check(f"bound:{row.value_id}", ctx.source, row.location,
                         f"{row.indicator} ({row.domain}) {row.comparator} {row.value:g} as worded, against the printed {other.value:g}",
                         f"{row.comparator} {row.value:g}", other.value, 0, "pass" if ok else "fail", (row.value_id, other.value_id)))
    return out


def check_scales(ctx: CheckContext) -> list[Check]:
    """Shares over disjoint codes covering a scale sum to 100; a composite share equals its parts."""
    if ctx.codebook is None:
        return []
    out = []
    exact = _exact(ctx.values)
    ind = ctx.codebook.indicators
    by_item = ind[ind["source"] == "item"]
    items = ctx.codebook.items.set_index("item")
    for item in sorted(by_item["item"].unique()):
        scale = ctx.codebook.scale(items.at[item, "scale"])
        if scale["type"] != "categorical":
            continue
        all_codes = {int(c) for c in scale["codes"]}
        levels = {name: set(spec.get("codes", ())) for name, spec in scale["indicators"].items()}
        domains = {d for (i, d) in exact if i.startswith(item + ".")}
        for domain in sorted(domains):
            published = {name: exact[(f"{item}.{name}", domain)] for name in levels if (f"{item}.{name}", domain) in exact}
            for name, codes in levels.items():
                if name not in published or len(codes) < 2:
                    continue
                parts = [p for p, c in levels.items() if p in published and p != name and c < codes]
                # parts must be disjoint and cover the composite's codes
                covered = set()
                chosen = []
                for p in sorted(parts, key=lambda p: -len(levels[p])):
                    if levels[p] & covered:
                        continue
                    covered |= levels[p]
                    chosen.append(p)
                if covered != codes:
                    continue
                total = sum(published[p].value for p in chosen)
                tol = sum(half_unit(published[p].decimals) for p in chosen) + half_unit(published[name].decimals)
                out.append(_compare(f"composite:{item}.{name}:{domain}", published[name].location,
                                    f"{item}.{name} = {' + '.join(chosen)} ({domain})", published[name].value, total, tol,
                                    ctx.source, tuple(published[p].value_id for p in [name, *chosen])))
            disjoint = [p for p in published if len(levels[p]) == 1]
            if {c for p in disjoint for c in levels[p]} == all_codes and len(disjoint) > 1:
                total = sum(published[p].value for p in disjoint)
                tol = sum(half_unit(published[p].decimals) for p in disjoint)
                out.append(_compare(f"sum100:{item}:{domain}", published[disjoint[0]].location,
                                    f"answer shares of {item} sum to 100 ({domain})", 100, total, tol, ctx.source,
                                    tuple(published[p].value_id for p in disjoint)))
    return out


def check_relations(ctx: CheckContext) -> list[Check]:
    """The codebook's relations between indicators (e.g. 1, 2, 3, 4+ technologies sum to 'any')."""
    if ctx.codebook is None:
        return []
    out = []
    exact = _exact(ctx.values)
    for relation in ctx.codebook.raw.get("indicator_relations") or []:
        domains = {d for (i, d) in exact if i in relation["parts"]}
        for domain in sorted(domains):
            parts = [exact.get((p, domain)) for p in relation["parts"]]
            if any(p is None for p in parts):
                continue
            total_spec = relation["total"]
            if isinstance(total_spec, str):
                total_row = exact.get((total_spec, domain))
                if total_row is None:
                    continue
                expected, tol_total, ids = total_row.value, half_unit(total_row.decimals), (total_row.value_id,)
            else:
                expected, tol_total, ids = float(total_spec), 0.0, ()
            found = sum(p.value for p in parts)
            tol = sum(half_unit(p.decimals) for p in parts) + tol_total
            out.append(_compare(f"relation:{'+'.join(relation['parts'])}={total_spec}:{domain}", parts[0].location,
                                f"{' + '.join(relation['parts'])} = {total_spec} ({domain})", expected, found, tol, ctx.source,
                                ids + tuple(p.value_id for p in parts)))
    return out


def check_margins(ctx: CheckContext) -> list[Check]:
    """Population-weighted sector and size shares reproduce the overall share (asked of all firms)."""
    if ctx.frame is None or ctx.codebook is None:
        return []
    out = []
    frame = ctx.frame
    N = frame["population"].sum()
    weights = {"sector": frame.groupby("sector")["population"].sum() / N, "size": frame.groupby("size")["population"].sum() / N}
    v = ctx.values[(ctx.values["comparator"] == "=") & (ctx.values["statistic"] == "share")]
    v = v[v["kind"] == "table_cell"]
    universes = ctx.codebook.indicators.set_index("indicator")["universe"]
    exact = _exact(ctx.values)
    for indicator, group in v.groupby("indicator", sort=True):
        if indicator not in universes.index:
            continue
        implied = {}
        for dimension, w in weights.items():
            rows = group[group["domain"].str.startswith(dimension + "=")]
            if rows.empty:
                continue
            values = {split_domain(r.domain)[dimension]: r for r in rows.itertuples()}
            if set(values) != set(w.index):
                continue
            if universes[indicator] != "all":
                out.append(Check(f"margin:{indicator}:{dimension}", ctx.source, rows["location"].iloc[0],
                                 f"{dimension} margins of {indicator} against the overall share", "", "", 0, "not_checkable",
                                 tuple(rows["value_id"])))
                continue
            mean = sum(w[k] * values[k].value for k in w.index)
            tol = sum(w[k] * half_unit(values[k].decimals) for k in w.index)
            implied[dimension] = (mean, tol, rows["location"].iloc[0])
            overall = exact.get((indicator, "all"))
            if overall is not None:
                out.append(_compare(f"margin:{indicator}:{dimension}", rows["location"].iloc[0],
                                    f"population-weighted {dimension} shares of {indicator} equal the overall share",
                                    overall.value, mean, tol + half_unit(overall.decimals), ctx.source,
                                    (overall.value_id, *rows["value_id"])))
        if "sector" in implied and "size" in implied:
            (a, ta, la), (b, tb, lb) = implied["sector"], implied["size"]
            out.append(_compare(f"margin:{indicator}:sector-vs-size", f"{la} / {lb}",
                                f"overall share of {indicator} implied by the sector table equals the one implied by the size table",
                                a, b, ta + tb, ctx.source))
    not_checkable = [c for c in out if c.status == "not_checkable"]
    for c in not_checkable:
        c.check += " (not checkable: the indicator is asked of adopters only and adopters per domain are not published)"
    return out


def check_mixture(ctx: CheckContext) -> list[Check]:
    """Shares asked of a subgroup (adopters) and published per sector and overall: the overall share
    is the sector shares averaged with the sectors' (unpublished) subgroup sizes, the same for every
    indicator of the question. Is there one set of sector weights that reproduces every overall
    share, each value within its printed rounding? A linear program answers it."""
    if ctx.codebook is None:
        return []
    from scipy.optimize import linprog

    universes = ctx.codebook.indicators.set_index("indicator")
    v = ctx.values[ctx.values["statistic"] == "share"]
    out = []
    by_block: dict[str, list[tuple[str, dict, pd.Series]]] = {}
    for indicator, group in v[v["kind"] == "table_cell"].groupby("indicator", sort=True):
        if indicator not in universes.index or universes.at[indicator, "universe"] == "all":
            continue
        cells = {split_domain(r.domain).get("sector"): r for r in group.itertuples() if r.domain.startswith("sector=")}
        overall = ctx.values[(ctx.values["indicator"] == indicator) & (ctx.values["domain"] == "all")]
        if None in cells or overall.empty:
            continue
        by_block.setdefault(universes.at[indicator, "block"], []).append((indicator, cells, overall))
    for block, entries in sorted(by_block.items()):
        sectors = sorted(entries[0][1])
        if any(sorted(e[1]) != sectors for e in entries):
            continue
        S, m = len(sectors), len(entries)
        a_ub, b_ub, names = [], [], []
        for i, (indicator, cells, overall) in enumerate(entries):
            low, high = 0.0, 100.0
            for r in overall.itertuples():
                if r.comparator == "=":
                    low, high = max(low, r.value - half_unit(r.decimals)), min(high, r.value + half_unit(r.decimals))
                elif r.comparator == "<":
                    high = min(high, r.value)
                elif r.comparator == ">":
                    low = max(low, r.value)
            upper = np.array([cells[x].value + half_unit(cells[x].decimals) for x in sectors])
            lower = np.array([cells[x].value - half_unit(cells[x].decimals) for x in sectors])
            slack = np.zeros(m)
            slack[i] = -1.0
            a_ub.append(np.r_[-upper, slack])  # sum s * upper >= low - e
            b_ub.append(-low)
            a_ub.append(np.r_[lower, slack])  # sum s * lower <= high + e
            b_ub.append(high)
            names.append(indicator)
        result = linprog(np.r_[np.zeros(S), np.ones(m)], A_ub=np.array(a_ub), b_ub=np.array(b_ub),
                         A_eq=np.r_[np.ones(S), np.zeros(m)][None, :], b_eq=[1.0], bounds=[(0, None)] * (S + m), method="highs")
        violation = result.x[S:]
        worst = ", ".join(f"{names[i]} {violation[i]:.2f} pp" for i in np.argsort(-violation) if violation[i] > 1e-7)
        locations = sorted({e[1][sectors[0]].location for e in entries} | {r for e in entries for r in e[2]["location"]})
        ids = tuple(r.value_id for e in entries for r in e[1].values()) + tuple(i for e in entries for i in e[2]["value_id"])
        check = Check(f"mixture:{block}", ctx.source, " / ".join(locations),
                      f"one set of sector weights averages the sector shares of the {len(entries)} '{block}' items to their "
                      "overall shares, every value within its printed rounding (linear program)",
                      0.0, round(float(result.fun), 4), 0.0, "pass" if result.fun <= 1e-7 else "fail", ids)
        if worst:
            check.found = f"{result.fun:.2f} pp short at best: {worst}"
        out.append(check)
    return out


def check_base_n(ctx: CheckContext) -> list[Check]:
    """Caption Ns are at most the usable responses; the technology questions were asked of all."""
    out = []
    usable = _cells(ctx.values, "response.usable")
    grand = usable[usable["domain"] == "all"]
    if grand.empty:
        return out
    total = grand["value"].iloc[0]
    full_blocks = set()
    if ctx.codebook is not None:
        for spec in (ctx.codebook.raw.get("derived") or {}).values():
            if "count_codes" in spec:
                full_blocks.add(spec["count_codes"]["block"])
    indicator_block = ctx.codebook.indicators.set_index("indicator")["block"] if ctx.codebook is not None else pd.Series(dtype=str)
    with_n = ctx.values[ctx.values["base_n"].notna()]
    for (location, base_n), group in with_n.groupby(["location", "base_n"], sort=True):
        blocks = {indicator_block.get(i) for i in group["indicator"]}
        if blocks & full_blocks:
            out.append(_compare(f"base_n:{location}", location, f"{location}: caption N equals the usable responses of Table 2 (asked of all)",
                                total, base_n, 0, ctx.source, (grand["value_id"].iloc[0],)))
        else:
            ok = base_n <= total
            out.append(Check(f"base_n:{location}", ctx.source, location, f"{location}: caption N at most the usable responses of Table 2",
                             f"<= {total:g}", float(base_n), 0, "pass" if ok else "fail"))
    return out


REFERENCE = re.compile(r"\{([^}]+)\}|([a-z][a-z0-9_]*\.[a-z0-9_.]+)(?:\[([^\]]+)\])?")


def check_configured(ctx: CheckContext) -> list[Check]:
    """Arithmetic between published numbers listed in the edition's source_checks file."""
    out = []
    exact = _exact(ctx.values)
    for relation in ctx.relations:
        refs = []

        def substitute(match: re.Match, relation=relation, refs=refs) -> str:
            if match.group(1):  # {value_id}
                hit = ctx.values[ctx.values["value_id"] == match.group(1)]
                if hit.empty:
                    raise ConfigError(f"relation '{relation['id']}': unknown value_id {match.group(1)}")
                row = next(hit.itertuples())
            else:
                key = (match.group(2), match.group(3) or "all")
                row = exact.get(key)
                if row is None:
                    raise ConfigError(f"relation '{relation['id']}': no published value for {key[0]} in domain {key[1]}")
            refs.append(row)
            return f"__v{len(refs) - 1}"

        values = {}
        sides = []
        for side in ("left", "right"):
            expression = REFERENCE.sub(substitute, relation[side])
            values.update({f"__v{i}": r.value for i, r in enumerate(refs)})
            sides.append(pd.eval(expression, local_dict=values, engine="python"))
        tolerance = float(relation.get("tolerance", max(half_unit(r.decimals) for r in refs)))
        out.append(_compare(f"relation:{relation['id']}", refs[0].location, relation["description"],
                            sides[1], sides[0], tolerance, ctx.source, tuple(r.value_id for r in refs)))
    return out


GENERIC_CHECKS = (check_ranges, check_table_totals, check_nesting, check_frame, check_duplicates, check_bounds,
                  check_scales, check_relations, check_margins, check_mixture, check_base_n, check_configured)


def run_checks(ctx: CheckContext, checks=GENERIC_CHECKS) -> list[Check]:
    out: list[Check] = []
    for check in checks:
        out.extend(check(ctx))
    ids = [c.check_id for c in out]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise RuntimeError(f"check ids are not unique: {dup[:5]}")
    return out


# ---------------------------------------------------------------------------------------------
# errata
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Erratum:
    id: str
    resolves: tuple[str, ...]
    what: str
    evidence: str
    why: str
    corrections: tuple[dict, ...]
    accept: bool

    @property
    def resolution(self) -> str:
        if self.corrections:
            changes = "; ".join(f"{c['value_id']}: {c['published']:g} -> {c['used']:g}" for c in self.corrections)
            return f"erratum {self.id}: {self.what} Corrected: {changes}. {self.why}"
        return f"erratum {self.id}: {self.what} Used as printed. {self.why}"


def load_errata(path: str | Path) -> list[Erratum]:
    path = Path(path)
    raw = read_yaml(path) or {}
    entries = raw.get("errata") or []
    out = []
    for i, entry in enumerate(entries):
        missing = [k for k in ("id", "resolves", "what", "evidence", "why") if k not in entry]
        if missing:
            raise ConfigError(f"erratum #{i + 1} lacks {missing}", key=f"errata[{i}]", path=path)
        corrections = tuple(entry.get("corrections") or ())
        for c in corrections:
            if not {"value_id", "published", "used"} <= set(c):
                raise ConfigError(f"erratum {entry['id']}: every correction needs value_id, published and used", key=f"errata[{i}].corrections", path=path)
        accept = bool(entry.get("accept", False))
        if not corrections and not accept:
            raise ConfigError(f"erratum {entry['id']} neither corrects a value nor accepts the inconsistency (accept: true)", key=f"errata[{i}]", path=path)
        out.append(Erratum(entry["id"], tuple(entry["resolves"]), entry["what"].strip(), entry["evidence"].strip(),
                           entry["why"].strip(), corrections, accept))
    return out


def apply_errata(values: pd.DataFrame, errata: list[Erratum], path: str | Path = "errata") -> pd.DataFrame:
    """Values after errata: ``value_as_printed`` keeps the printed number, ``erratum`` the id."""
    out = values.copy()
    out["value_as_printed"] = out["value"]
    out["erratum"] = pd.Series(pd.NA, index=out.index, dtype="string")
    index = {v: i for i, v in zip(out.index, out["value_id"])}
    for erratum in errata:
        for c in erratum.corrections:
            if c["value_id"] not in index:
                raise ConfigError(f"erratum {erratum.id} corrects unknown value_id {c['value_id']}", path=path)
            i = index[c["value_id"]]
            if abs(out.at[i, "value"] - float(c["published"])) > EPS:
                raise ConfigError(
                    f"erratum {erratum.id}: {c['value_id']} is printed as {out.at[i, 'value']:g}, not {c['published']}", path=path
                )
            out.at[i, "value"] = float(c["used"])
            out.at[i, "erratum"] = erratum.id
    return out


def validate_with_errata(ctx: CheckContext, errata: list[Erratum], errata_path: str | Path, checks=GENERIC_CHECKS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the checks as printed and after errata. Returns (check table, corrected values).

    Raises SourceCheckError listing every failure without a resolution, and ConfigError for an
    erratum that resolves nothing or does not fix what it claims to.
    """
    printed = run_checks(ctx, checks)
    corrected_values = apply_errata(ctx.values, errata, errata_path)
    after_ctx = CheckContext(corrected_values, ctx.frame, ctx.codebook, ctx.relations, ctx.source)
    after = {c.check_id: c for c in run_checks(after_ctx, checks)}
    resolvers: dict[str, Erratum] = {}
    for erratum in errata:
        for check_id in erratum.resolves:
            resolvers[check_id] = erratum
    by_id = {c.check_id: c for c in printed}
    problems = []
    for erratum in errata:
        for check_id in erratum.resolves:
            if check_id not in by_id and check_id not in after:
                problems.append(f"erratum {erratum.id} names check '{check_id}', which does not exist")
            elif check_id in by_id and by_id[check_id].status != "fail":
                problems.append(f"erratum {erratum.id} names check '{check_id}', which passes as printed")
    if problems:
        raise ConfigError("; ".join(problems), path=errata_path)

    rows = []
    unresolved = []
    for check in printed:
        erratum = resolvers.get(check.check_id)
        resolution = ""
        status = check.status
        later = after.get(check.check_id)
        if check.status == "fail":
            if erratum is None:
                unresolved.append(check)
            elif erratum.accept:
                status, resolution = "resolved", erratum.resolution
            elif later is not None and later.status == "pass":
                status, resolution = "resolved", erratum.resolution
            else:
                unresolved.append(check)
                resolution = f"erratum {erratum.id} does not make the check pass"
        elif later is not None and later.status == "fail":
            # a correction must not break a check that held as printed
            unresolved.append(later)
            status, resolution = "fail", "fails after errata are applied"
        rows.append({
            "check_id": check.check_id, "source": check.source, "table": check.table, "check": check.check,
            "expected": check.expected, "found": check.found, "tolerance": check.tolerance,
            "found_after_errata": later.found if later is not None and erratum is not None else "",
            "status": status, "resolution": resolution, "values": " ".join(check.value_ids),
        })
    table = pd.DataFrame(rows)
    if unresolved:
        lines = "\n".join(f"  - {c.check_id}: {c.check}: expected {c.expected}, found {c.found}" for c in unresolved)
        raise SourceCheckError(
            f"{len(unresolved)} published-source inconsistencies have no resolution in {errata_path}:\n{lines}\n"
            "Add an erratum naming each check (what is wrong, the evidence, the value used and why)."
        )
    return table, corrected_values


def cross_survey_values(table: pd.DataFrame, raw_text: pd.DataFrame) -> pd.DataFrame:
    """Cross-survey figures in the shape the generic checks read: the domain is geo and year, the
    printed decimals are read from the file's text (a figure is as precise as it was printed)."""
    out = table.copy()
    out["domain"] = "geo=" + out["geo"].astype(str) + ";year=" + out["year"].astype(str)
    out["statistic"] = np.where(out["unit"] == "count", "count", "share")
    out["kind"] = "text"
    text = raw_text.set_index("value_id")["value"].astype(str)
    out["decimals"] = [len(t.split(".")[1]) if "." in t else 0 for t in text.reindex(out["value_id"])]
    return out


CROSS_SURVEY_CHECKS = (check_ranges, check_duplicates, check_bounds, check_configured)
