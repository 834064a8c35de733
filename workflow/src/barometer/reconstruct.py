"""Reconstruction of the 2021 microdata from the published tables (the bundled, not the real, data).

The real responses are confidential. This generator writes a raw survey export that is consistent
with every number the report publishes, so that the workflow runs end to end and reproduces the
report. Method, in stages (each stage's integers come from a controlled-rounding MILP, see
allocation.py, whose margins are the published percentages within their printed rounding):

1. usable respondents per stratum: Table 2 after errata;
2. technology use per stratum: raking of Tables 3 and 4 gives prior rates, the MILP integer counts
   meeting Tables 3, 4 and Figure 2;
3. number of technologies per firm: a MILP over the count of firms using 0..7 technologies per
   stratum meeting Figure 1, subject to the Gale-Ryser conditions, so that a firm x technology
   matrix with those margins exists; it is then built by Ryser's construction;
4. plans within a year (Figures 2-3 and the 13.4% of non-adopters with plans);
5. item non-response: the base N of each figure;
6. every other item per stratum x adopter status: published shares (figures, Table 5, the text's
   sector and size figures), invented shares where the report gives none (reconstruction.yaml), the
   text's comparative claims as soft constraints; answers are given to firms within a cell by a
   latent propensity per block, which correlates items of a block as real answers are;
7. numeric follow-ups (impact and employment magnitudes): integer percentages meeting the means;
8. identifiers, timestamps, screening answers, and the 1,024 excluded records of the four kinds.
Everything random comes from one seed; the MILPs are solved to optimality, so the output is
byte-identical on every run.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ipfn import ipfn

from .allocation import Contrast, ItemGroup, Margin, MilpBuilder, allocate, allocate_block, allocate_values
from .codebook import Codebook
from .identities import company_names, email_addresses, enterprise_numbers, response_ids
from .published import split_domain
from .strata import Strata

TEXT_TOLERANCE = 0.09  # a hair inside the +-0.1 the reproduction is held to
TEXT_WEIGHT = 10000.0  # per percentage point: text quotes first, then table cells (100), invented values (10)


# ---------------------------------------------------------------------------------------------
# targets from published values
# ---------------------------------------------------------------------------------------------
def target_intervals(published: pd.DataFrame, invented: list[dict]) -> pd.DataFrame:
    """Intervals per (indicator, domain) the reconstruction aims at.

    A number quoted in the text must be met within +-0.1 point: it gives a heavy interval of
    +-TEXT_TOLERANCE. Every printed value also gives its rounding interval (+-half a unit of its last
    printed digit; several printed values intersected), at the weight of a table cell. Bounds stated
    in words narrow it; invented values (reconstruction.yaml) give +-0.5 at a low weight."""
    rows = []
    for (indicator, domain), group in published.groupby(["indicator", "domain"], sort=True):
        lo, hi = 0.0, 100.0
        text = group[(group["kind"] == "text") & (group["comparator"] == "=")]
        weight = TEXT_WEIGHT if (group["kind"] == "text").any() else 100.0
        for r in group.itertuples():
            if r.comparator == "=":
                half = 0.5 * 10.0 ** -int(r.decimals)
                lo, hi = max(lo, r.value - half), min(hi, r.value + half)
            elif r.comparator == "<":
                hi = min(hi, r.value - 0.05)
            elif r.comparator == ">":
                lo = max(lo, r.value + 0.05)
            else:
                lo, hi = max(lo, r.range_low), min(hi, r.range_high)
        if lo > hi:  # printed values that disagree beyond rounding: follow the most precise one
            best = group[group["comparator"] == "="].sort_values("decimals").iloc[-1]
            lo = hi = best.value
        statistic = group["statistic"].iloc[0]
        if len(text):
            value = float(text.sort_values("decimals").iloc[-1]["value"])
            text_lo, text_hi = value - TEXT_TOLERANCE, value + TEXT_TOLERANCE
            rows.append((indicator, domain, statistic, text_lo, text_hi, TEXT_WEIGHT, "text"))
            rows.append((indicator, domain, statistic, lo, hi, 100.0, "rounding"))
        else:
            rows.append((indicator, domain, statistic, lo, hi, weight, "published"))
    out = pd.DataFrame(rows, columns=["indicator", "domain", "statistic", "low", "high", "weight", "origin"])
    exact = set(zip(published.loc[published["comparator"] == "=", "indicator"], published.loc[published["comparator"] == "=", "domain"]))
    for item in invented:
        key = (item["indicator"], item["domain"])
        if key in exact:
            raise ValueError(f"invented value for {key} while the report prints it")
        low, high = item["value"] - 0.5, item["value"] + 0.5
        hit = (out["indicator"] == key[0]) & (out["domain"] == key[1]) & (out["origin"] != "rounding")
        if hit.any():  # a bound stated in words: the invented value must lie within it
            row = out.index[hit][0]
            low, high = max(low, out.at[row, "low"]), min(high, out.at[row, "high"])
            if low > high:
                raise ValueError(f"invented value for {key} contradicts the published bound")
            out.loc[row, ["low", "high", "origin"]] = [low, high, "published bound, invented value"]
        else:
            statistic = "mean" if key[0].endswith(".mean") else "share"
            out.loc[len(out)] = [key[0], key[1], statistic, low, high, 10.0, "invented"]
    return out


@dataclass
class Context:
    codebook: Codebook
    strata: Strata
    frame: pd.DataFrame  # stratum, sector, size, population, n (usable)
    targets: pd.DataFrame
    claims: pd.DataFrame
    settings: dict
    rng_seed: int

    def rng(self, stage: str) -> np.random.Generator:
        key = int.from_bytes(hashlib.sha256(stage.encode()).digest()[:4], "little")
        return np.random.default_rng(np.random.SeedSequence(self.rng_seed, spawn_key=(self.settings["stream"], key)))


def domain_mask(cells: pd.DataFrame, domain: str) -> np.ndarray:
    mask = np.ones(len(cells), dtype=bool)
    for key, value in split_domain(domain).items():
        if value == "any":
            continue
        mask &= (cells[key] == value).to_numpy()
    return mask


# ---------------------------------------------------------------------------------------------
# stage 2: technology use per stratum
# ---------------------------------------------------------------------------------------------
def raked_rates(frame: pd.DataFrame, targets: pd.DataFrame, indicator: str, default: float) -> np.ndarray:
    """Prior rate per stratum by iterative proportional fitting of the sector and size margins."""
    sectors = list(dict.fromkeys(frame["sector"]))
    sizes = list(dict.fromkeys(frame["size"]))
    N = frame.pivot(index="sector", columns="size", values="population").loc[sectors, sizes].to_numpy(float)
    t = targets[targets["indicator"] == indicator].drop_duplicates("domain").set_index("domain")
    mid = (t["low"] + t["high"]) / 2 / 100
    overall = mid.get("all", default)
    seed = N * overall
    aggregates, dims = [], []
    for key, labels, axis in (("sector", sectors, 0), ("size", sizes, 1)):
        shares = [mid.get(f"{key}={x}") for x in labels]
        if all(s is not None for s in shares):
            totals = np.asarray(shares) * N.sum(axis=1 - axis)
            aggregates.append(totals)
            dims.append([axis])
    if aggregates:
        scale = aggregates[0].sum()
        aggregates = [a * scale / a.sum() for a in aggregates]
        seed = ipfn.ipfn(seed, aggregates, dims, convergence_rate=1e-10, max_iteration=2000, verbose=0).iteration()
    rates = np.clip(seed / N, 0.002, 0.95)
    lookup = {(s, z): rates[i, j] for i, s in enumerate(sectors) for j, z in enumerate(sizes)}
    return np.array([lookup[(s, z)] for s, z in zip(frame["sector"], frame["size"])])


def margins_for(cells: pd.DataFrame, targets: pd.DataFrame, indicator: str, categories: np.ndarray,
                universe: np.ndarray | None = None) -> list[Margin]:
    out = []
    for t in targets[targets["indicator"] == indicator].itertuples():
        mask = domain_mask(cells, t.domain)
        if universe is not None:
            mask &= universe
        out.append(Margin(f"{indicator}|{t.domain}", mask, categories, t.low, t.high, t.weight))
    return out


def claims_for(cells: pd.DataFrame, claims: pd.DataFrame, indicator: str, categories: np.ndarray,
               universe: np.ndarray, delta: float) -> list[Contrast]:
    out = []
    for c in claims[claims["indicator"] == indicator].itertuples():
        if c.direction == "none":
            continue
        mask = domain_mask(cells, c.domain) & universe
        out.append(Contrast(f"{indicator}|{c.domain}|{c.direction}", mask, categories,
                            1 if c.direction == "higher" else -1, delta, 1.0, universe))
    return out


# ---------------------------------------------------------------------------------------------
# stage 3: number of technologies per firm (Gale-Ryser) and the firm x technology matrix
# ---------------------------------------------------------------------------------------------
def technologies_per_firm(ctx: Context, use: np.ndarray, weights: np.ndarray, min_adopters: int) -> np.ndarray:
    """Counts k[h, j] of firms using exactly j technologies in stratum h."""
    n = ctx.frame["n"].to_numpy()
    H, T = use.shape
    J = T + 1
    m = MilpBuilder()
    k = m.add_variables(H * J, low=0, high=np.repeat(n, J), integer=True).reshape(H, J)
    for h in range(H):
        m.add_constraint({int(k[h, j]): 1.0 for j in range(J)}, n[h], n[h])
        m.add_constraint({int(k[h, j]): float(j) for j in range(J)}, use[h].sum(), use[h].sum())
        ordered = np.sort(use[h])[::-1]
        for r in range(1, T):
            m.add_constraint({int(k[h, j]): float(min(j, r)) for j in range(J)}, low=ordered[:r].sum())
    # prior: AI technologies cluster in firms (an adopter of one often uses several), more so where
    # rates are high: with S_h the sum of the technology rates of stratum h, a share
    # a_h = S_h / (1 + kappa S_h) adopts, kappa set so that the overall adoption is the published
    # one; adopters use 1 + Poisson(S_h / a_h - 1) technologies
    for h, dist in enumerate(_clustered_prior(ctx, use, n, weights, J)):
        plus = m.add_variables(J, cost=0.01)
        minus = m.add_variables(J, cost=0.01)
        for j in range(J):
            m.add_constraint({int(k[h, j]): 1.0, int(plus[j]): -1.0, int(minus[j]): 1.0}, n[h] * dist[j], n[h] * dist[j])
    N = ctx.frame["population"].sum()
    groups = {"adoption.n_tech_0": [0], "adoption.n_tech_1": [1], "adoption.n_tech_2": [2], "adoption.n_tech_3": [3],
              "adoption.n_tech_4plus": list(range(4, J)), "adoption.any": list(range(1, J))}
    for indicator, js in groups.items():
        terms = {int(k[h, j]): 100.0 * weights[h] / N for h in range(H) for j in js}
        for t in ctx.targets[(ctx.targets["indicator"] == indicator) & (ctx.targets["domain"] == "all")].itertuples():
            slack = int(m.add_variables(1, cost=t.weight)[0])
            m.add_constraint({**terms, slack: -1.0}, high=t.high)
            m.add_constraint({**terms, slack: 1.0}, low=t.low)
    m.add_constraint({int(k[h, j]): 1.0 for h in range(H) for j in range(1, J)}, low=min_adopters)
    for stratum, count in ctx.settings.get("_forced_adopters", {}).items():
        h = int(np.flatnonzero(ctx.frame["stratum"].to_numpy() == stratum)[0])
        m.add_constraint({int(k[h, j]): 1.0 for j in range(1, J)}, low=count)
    # Questions asked of adopters with a published share per sector and overall (Table 5, Figure 6):
    # the overall share is the sector shares weighted by the sectors' adopters, which pins down how
    # adopters spread over sectors. Keep that spread consistent with both.
    adoption = ctx.targets[(ctx.targets["indicator"] == "adoption.any") & (ctx.targets["domain"] == "all")]
    share = round(float(((adoption["low"] + adoption["high"]) / 2).iloc[0]) / 100, 4) if len(adoption) else 0.25
    expected = share * N  # weighted adopters: the scale of the slack below
    sectors = ctx.frame["sector"].to_numpy()
    for _indicator, sector_low, sector_high, low, high in _adopter_sector_margins(ctx):
        # a soft nudge only: each sector share may move half a point (the application stage then
        # holds the cells to their rounding where the overall allows)
        for bound, coefficients, sign in ((high, sector_low, 1.0), (low, sector_high, -1.0)):
            coefficient = np.array([coefficients[s] for s in sectors]) - sign * 0.5
            terms = {int(k[h, j]): sign * weights[h] * (coefficient[h] - bound) for h in range(H) for j in range(1, J)}
            slack = int(m.add_variables(1, cost=10.0)[0])  # percentage points of the overall share
            m.add_constraint({**terms, slack: -expected}, high=0.0)
    return m.solve(600)[k].astype(int)


def exact_compositions(ctx: Context, max_respondents: int = 30) -> dict[str, dict[str, int]]:
    """Respondent compositions that small sectors' published shares force.

    In a sector with few respondents, a published share of an adopters-only question is a subset sum
    of a handful of design weights divided by their total. Enumerating how many respondents each of
    the sector's strata contributes tells which compositions can produce every published share of
    the sector within its interval. Returns {sector: {stratum: respondents}} for sectors where such a
    composition exists (the one closest to an even response when several do)."""
    universes = ctx.codebook.indicators.set_index("indicator")["universe"]
    frame = ctx.frame
    out = {}
    for sector, rows in frame.groupby("sector", sort=True):
        if rows["n"].sum() > max_respondents:
            continue
        targets = ctx.targets[(ctx.targets["domain"] == f"sector={sector}") & ctx.targets["indicator"].map(
            lambda i: universes.get(i) == "adopters")]
        if targets.empty:
            continue
        targets = targets.groupby("indicator").agg(low=("low", "min"), high=("high", "max")).reset_index()
        weights = rows["weight"].to_numpy()
        ranges = [range(int(k) + 1) for k in rows["n"]]
        best = None
        for counts in itertools.product(*ranges):
            counts = np.asarray(counts)
            total = (counts * weights).sum()
            if total == 0:
                continue
            sums = np.array([(np.asarray(sub) * weights).sum() for sub in itertools.product(*[range(c + 1) for c in counts])])
            shares = 100 * sums / total
            if all(np.any((shares >= t.low - 1e-9) & (shares <= t.high + 1e-9)) for t in targets.itertuples()):
                spread = float(np.abs(counts / rows["n"].to_numpy() - counts.sum() / rows["n"].sum()).sum())
                if best is None or (spread, tuple(counts)) < best[0]:
                    best = ((spread, tuple(counts)), counts)
        if best is not None:
            out[sector] = dict(zip(rows["stratum"], (int(c) for c in best[1])))
    return out


def _clustered_prior(ctx: Context, use: np.ndarray, n: np.ndarray, weights: np.ndarray, J: int) -> list[np.ndarray]:
    from scipy.optimize import brentq
    from scipy.stats import poisson

    rates = use / np.maximum(n, 1)[:, None]
    total = rates.sum(axis=1)
    floor = rates.max(axis=1)
    target = ctx.targets[(ctx.targets["indicator"] == "adoption.any") & (ctx.targets["domain"] == "all")]
    goal = float((target["low"] + target["high"]).iloc[0] / 200) if len(target) else 0.25

    def adoption(kappa: float) -> np.ndarray:
        return np.clip(total / (1 + kappa * total), floor, np.minimum(total, 1.0))

    N = (weights * n).sum()
    kappa = brentq(lambda kp: (weights * n * adoption(kp)).sum() / N - goal, 0.0, 100.0) if (weights * n * adoption(0.0)).sum() / N > goal else 0.0
    out = []
    for h in range(len(n)):
        a = adoption(kappa)[h]
        dist = np.zeros(J)
        dist[0] = 1 - a
        if a > 0:
            extra = poisson.pmf(np.arange(J - 1), max(total[h] / a - 1, 0.0))
            dist[1:] = a * extra / extra.sum()
        out.append(dist)
    return out


def _adopter_sector_margins(ctx: Context):
    """(indicator, low and high share per sector, overall low, overall high) for adopters-only
    indicators published for every sector and overall."""
    universes = ctx.codebook.indicators.set_index("indicator")["universe"]
    sectors = set(ctx.frame["sector"])
    for indicator, group in ctx.targets.groupby("indicator", sort=True):
        if universes.get(indicator) != "adopters":
            continue
        rows = group[group["domain"].str.startswith("sector=")]
        sector_low = {d.split("=", 1)[1]: lo for d, lo in zip(rows["domain"], rows["low"])}
        sector_high = {d.split("=", 1)[1]: hi for d, hi in zip(rows["domain"], rows["high"])}
        overall = group[group["domain"] == "all"]
        if set(sector_low) == sectors and len(overall):
            yield indicator, sector_low, sector_high, float(overall["low"].iloc[0]), float(overall["high"].iloc[0])


def ryser_matrix(rng: np.random.Generator, row_sums: np.ndarray, column_sums: np.ndarray) -> np.ndarray:
    """A 0/1 matrix with the given margins (Ryser's construction; ties broken at random)."""
    remaining = column_sums.astype(int).copy()
    matrix = np.zeros((len(row_sums), len(column_sums)), dtype=int)
    order = np.lexsort((rng.random(len(row_sums)), -row_sums))
    for i in order:
        need = int(row_sums[i])
        if need == 0:
            continue
        choice = np.lexsort((rng.random(len(remaining)), -remaining))[:need]
        if np.any(remaining[choice] <= 0):
            raise RuntimeError("technology margins violate the Gale-Ryser conditions")
        matrix[i, choice] = 1
        remaining[choice] -= 1
    if remaining.any():
        raise RuntimeError("technology margins violate the Gale-Ryser conditions")
    return matrix


# ---------------------------------------------------------------------------------------------
# stage 4: plans within a year
# ---------------------------------------------------------------------------------------------
def plan_counts(ctx: Context, use: np.ndarray, firms_by_k: np.ndarray, weights: np.ndarray, techs: list[str]):
    H, T = use.shape
    N = ctx.frame["population"].sum()
    non_adopters = firms_by_k[:, 0]
    adopters = firms_by_k[:, 1:].sum(axis=1)
    m = MilpBuilder()
    q = m.add_variables(H, low=0, high=non_adopters, integer=True)
    plan_non = m.add_variables(H * T, low=0, high=np.repeat(non_adopters, T), integer=True).reshape(H, T)
    plan_adopt = m.add_variables(H * T, low=0, high=(adopters[:, None] - use).clip(0).ravel(), integer=True).reshape(H, T)
    for h in range(H):
        m.add_constraint({int(plan_non[h, t]): 1.0 for t in range(T)} | {int(q[h]): -1.0}, low=0)
        for t in range(T):
            m.add_constraint({int(plan_non[h, t]): 1.0, int(q[h]): -1.0}, high=0)
        # prior: a sixth of non-adopters plan something; a tenth of adopters plan each tech they lack
        for var, expected in [(q[h], non_adopters[h] / 6)] + [(plan_adopt[h, t], (adopters[h] - use[h, t]) / 10) for t in range(T)]:
            plus, minus = m.add_variables(2, cost=0.01)
            m.add_constraint({int(var): 1.0, int(plus): -1.0, int(minus): 1.0}, expected, expected)

    def margin(indicator: str, terms: dict[int, float], offset: float = 0.0) -> None:
        for t in ctx.targets[(ctx.targets["indicator"] == indicator) & (ctx.targets["domain"] == "all")].itertuples():
            slack = int(m.add_variables(1, cost=t.weight)[0])
            m.add_constraint({**terms, slack: -1.0}, high=t.high - offset)
            m.add_constraint({**terms, slack: 1.0}, low=t.low - offset)

    margin("adoption.none_with_plans", {int(q[h]): 100.0 * weights[h] / N for h in range(H)})
    for t, tech in enumerate(techs):
        terms = {}
        for h in range(H):
            terms[int(plan_non[h, t])] = 100.0 * weights[h] / N
            terms[int(plan_adopt[h, t])] = 100.0 * weights[h] / N
        margin(f"{tech}.plan", terms)
        margin(f"{tech}.potential", terms, offset=100.0 * (weights * use[:, t]).sum() / N)
    x = m.solve(600)
    return x[q].astype(int), x[plan_non].astype(int), x[plan_adopt].astype(int)


# ---------------------------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------------------------
def reconstruct(published: pd.DataFrame, claims: pd.DataFrame, codebook: Codebook, strata: Strata,
                frame: pd.DataFrame, settings: dict, seed: int) -> pd.DataFrame:
    """The raw export (one row per response, raw column names, codes as in the codebook)."""
    usable = published[(published["indicator"] == "response.usable") & (published["kind"] == "table_cell")]
    n_by_domain = dict(zip(usable["domain"], usable["value"].astype(int)))
    frame = frame.copy()
    frame["n"] = [n_by_domain[f"sector={s};size={z}"] for s, z in zip(frame["sector"], frame["size"])]
    frame["weight"] = frame["population"] / frame["n"]
    settings = dict(settings)
    settings["_bases"] = published.dropna(subset=["base_n"]).groupby("location")["base_n"].max().astype(int).to_dict()
    ctx = Context(codebook, strata, frame, target_intervals(published, settings.get("invented") or []), claims, settings, seed)
    forced = exact_compositions(ctx)
    settings["_forced_adopters"] = {stratum: count for sector in forced.values() for stratum, count in sector.items()}

    firms = _technology_answers(ctx)
    firms = _item_answers(ctx, firms)
    raw = _export(ctx, firms)
    return raw


def _technology_answers(ctx: Context) -> pd.DataFrame:
    frame = ctx.frame
    n = frame["n"].to_numpy()
    weights = frame["weight"].to_numpy()
    techs = ctx.codebook.block_items("technologies")
    cells = frame[["stratum", "sector", "size"]].assign(adopter_status="any")
    use = np.zeros((len(frame), len(techs)), dtype=int)
    for t, tech in enumerate(techs):
        indicator = f"{tech}.use"
        rates = raked_rates(frame, ctx.targets, indicator, 0.05)
        margins = margins_for(cells, ctx.targets, indicator, np.array([True, False]))
        allocation = allocate(n, weights, np.c_[rates, 1 - rates], margins)
        use[:, t] = allocation.counts[:, 0]

    # enough adopters for those answering the applications block, plus item non-response
    base = _figure_base(ctx, ctx.settings["block_respondents"]["applications"]["figure"])
    min_adopters = base + int(ctx.settings.get("extra_adopters_min", 0))
    firms_by_k = technologies_per_firm(ctx, use, weights, min_adopters)
    q, plan_non, plan_adopt = plan_counts(ctx, use, firms_by_k, weights, techs)

    rng = ctx.rng("technologies")
    records = []
    for h, row in enumerate(frame.itertuples()):
        degrees = np.repeat(np.arange(firms_by_k.shape[1]), firms_by_k[h])
        rng.shuffle(degrees)
        matrix = ryser_matrix(rng, degrees, use[h])
        answers = np.where(matrix == 1, 1, 3)
        adopter = matrix.sum(axis=1) > 0
        non = np.flatnonzero(~adopter)
        planners = rng.permutation(non)[: q[h]]
        load = np.zeros(len(planners), dtype=int)
        for t in range(len(techs)):
            if plan_non[h, t]:
                pick = np.lexsort((rng.random(len(planners)), load))[: plan_non[h, t]]
                answers[planners[pick], t] = 2
                load[pick] += 1
            candidates = np.flatnonzero(adopter & (matrix[:, t] == 0))
            chosen = rng.permutation(candidates)[: plan_adopt[h, t]]
            answers[chosen, t] = 2
        for i in range(n[h]):
            records.append({"stratum": row.stratum, "sector": row.sector, "size": row.size,
                            "weight": row.weight, **dict(zip(techs, answers[i]))})
    firms = pd.DataFrame(records)
    firms["adopter"] = (firms[techs] == 1).any(axis=1)
    firms["adopter_status"] = np.where(firms["adopter"], "adopter", "non_adopter")
    return firms


def _figure_base(ctx: Context, figure: str) -> int:
    return int(ctx.settings["_bases"][figure])


def _item_answers(ctx: Context, firms: pd.DataFrame) -> pd.DataFrame:
    """Every categorical block: who answers it and what, allocated jointly per block."""
    codebook = ctx.codebook
    firms = firms.copy()
    cells = firms.groupby(["stratum", "adopter_status"], sort=True).agg(
        sector=("sector", "first"), size=("size", "first"), weight=("weight", "first")).reset_index()
    index = {k: i for i, k in enumerate(zip(cells["stratum"], cells["adopter_status"]))}
    firms["_cell"] = [index[k] for k in zip(firms["stratum"], firms["adopter_status"])]
    cell_of = firms["_cell"].to_numpy()
    joint = [list(g) for g in ctx.settings.get("joint_items") or []]
    joint_members = {item for group in joint for item in group}
    answered: dict[str, np.ndarray] = {}
    rng = ctx.rng("items")
    numeric_blocks = []
    for block, block_spec in codebook.raw["blocks"].items():
        if block == "technologies":
            continue
        if codebook.scale(block_spec["scale"])["type"] == "numeric":
            numeric_blocks.append(block)
            continue
        items = codebook.block_items(block)
        spec = ctx.settings["block_respondents"][block]
        asked = codebook.universe_mask(firms, block_spec["asked"])
        pool = asked & (answered[spec["within"]] if "within" in spec else True)
        eligible = np.bincount(cell_of[pool], minlength=len(cells))
        groups_items = [g for g in joint if set(g) <= set(items)] + [[i] for i in items if i not in joint_members]
        groups = [_item_group(ctx, cells, group, eligible > 0) for group in groups_items]
        weights = cells["weight"].to_numpy()
        if "same_as" in spec:
            mask = answered[spec["same_as"]].copy()
            m = np.bincount(cell_of[mask], minlength=len(cells))
        else:
            total = _figure_base(ctx, spec["figure"])
            # who answers: chosen jointly with all the block's margins (item regularisation off,
            # which keeps this program small); then each item is allocated with them fixed
            forced = _forced_cells(ctx, cells, block_spec["asked"])
            m, _ = allocate_block(eligible, weights, [g for g, _ in groups], total=total,
                                  expected=eligible * total / max(eligible.sum(), 1), item_regularisation=False, forced=forced)
            mask = np.zeros(len(firms), dtype=bool)
            for c in np.flatnonzero(m):
                members = np.flatnonzero(pool & (cell_of == c))
                mask[rng.permutation(members)[: m[c]]] = True
        counts = [allocate(m, weights, g.prior, g.margins, g.contrasts, g.minimum_counts, g.compositions).counts for g, _ in groups]
        answered[block] = mask
        latent = rng.normal(size=len(firms))
        for (_, combos), count in zip(groups, counts):
            values = np.full((len(firms), len(combos.columns)), np.nan)
            for c in np.flatnonzero(m):
                members = np.flatnonzero(mask & (cell_of == c))
                order = members[np.argsort(-(latent[members] + rng.normal(scale=0.7, size=len(members))), kind="stable")]
                labels = np.repeat(np.arange(len(combos)), count[c])
                values[order] = combos.to_numpy(dtype=float)[labels]
            for j, item in enumerate(combos.columns):
                firms[item] = values[:, j]
    for block in numeric_blocks:
        firms = _allocate_numeric(ctx, firms, block)
    return firms.drop(columns="_cell")


def _forced_cells(ctx: Context, cells: pd.DataFrame, asked: str) -> dict[int, int]:
    """Respondents per adopter cell fixed by exact_compositions (adopters-only blocks)."""
    if asked != "adopters":
        return {}
    out = {}
    for stratum, count in ctx.settings.get("_forced_adopters", {}).items():
        hit = np.flatnonzero((cells["stratum"] == stratum).to_numpy() & (cells["adopter_status"] == "adopter").to_numpy())
        if len(hit):
            out[int(hit[0])] = count
    return out


def _item_group(ctx, cells, group, universe) -> tuple[ItemGroup, pd.DataFrame]:
    codebook = ctx.codebook
    scale = codebook.scale(codebook.items.set_index("item").at[group[0], "scale"])
    codes = sorted(int(c) for c in scale["codes"])
    combo_frame = pd.DataFrame(list(itertools.product(codes, repeat=len(group))), columns=group)
    categories: dict[str, np.ndarray] = {}
    for item in group:
        for name, spec in scale["indicators"].items():
            categories[f"{item}.{name}"] = combo_frame[item].isin(spec.get("codes", ())).to_numpy()
    for spec in codebook.raw.get("indicators") or []:
        used = set(re.findall(r"[a-z_]+", spec["expression"])) & set(codebook.items["item"])
        if used and used <= set(group):
            categories[spec["id"]] = combo_frame.eval(spec["expression"]).to_numpy(bool)
    margins, contrasts = [], []
    for indicator, cats in categories.items():
        margins += margins_for(cells, ctx.targets, indicator, cats, universe)
        contrasts += claims_for(cells, ctx.claims, indicator, cats, universe, ctx.settings.get("claim_delta_pp", 1.0))
    prior = _prior(cells, ctx.targets, categories, combo_frame, group, scale)
    minimum, compositions = _follow_up_constraints(ctx, cells, group, combo_frame)
    return ItemGroup("+".join(group), prior, margins, contrasts, minimum, compositions), combo_frame


def _prior(cells, targets, categories, combo_frame, group, scale) -> np.ndarray:
    """Category probabilities per cell: each item's most specific target (overall, then adopter
    status, size class, sector), items independent within a cell."""
    C = len(cells)
    codes = sorted(int(c) for c in scale["codes"])
    single = {name: spec["codes"][0] for name, spec in scale["indicators"].items() if len(spec.get("codes", ())) == 1}
    probs = np.ones((C, len(combo_frame)))
    for item in group:
        p_item = np.full((C, len(codes)), np.nan)
        for key in ("all", "adopter_status=", "size=", "sector="):
            for name, code in single.items():
                t = targets[(targets["indicator"] == f"{item}.{name}") & targets["domain"].str.startswith(key)]
                for r in t.itertuples():
                    p_item[domain_mask(cells, r.domain), codes.index(code)] = (r.low + r.high) / 200
        known = np.nan_to_num(p_item).sum(axis=1, keepdims=True)
        unknown = np.isnan(p_item).sum(axis=1, keepdims=True)
        fill = np.clip(1 - known, 0.02, None) / np.maximum(unknown, 1)
        p_item = np.where(np.isnan(p_item), fill, p_item).clip(1e-3, None)
        p_item /= p_item.sum(axis=1, keepdims=True)
        for k, value in enumerate(combo_frame[item]):
            probs[:, k] *= p_item[:, codes.index(value)]
    return probs / probs.sum(axis=1, keepdims=True)


def _follow_up_constraints(ctx, cells, group, combo_frame):
    """A mean published for a domain needs firms there giving the answer it follows up (at least
    two), and room for the overall mean: if the domain's mean is above the overall one, the domain
    must not dominate the weight of those firms (the others averaging at least a third of the
    overall mean), and likewise below."""
    minimum, compositions = [], []
    for block, spec in ctx.codebook.raw["blocks"].items():
        condition = re.search(r"([a-z_]+) == (\d+)", spec["asked"])
        if not condition or condition.group(1) not in group:
            continue
        item, code = condition.group(1), int(condition.group(2))
        categories = (combo_frame[item] == code).to_numpy()
        for follow in ctx.codebook.block_items(block):
            t = ctx.targets[ctx.targets["indicator"] == f"{follow}.mean"]
            overall = t[t["domain"] == "all"]
            for r in t.itertuples():
                mask = domain_mask(cells, r.domain)
                minimum.append((mask, categories, 2))
                if r.domain == "all" or overall.empty:
                    continue
                mean_all = float((overall["low"] + overall["high"]).iloc[0] / 2)
                mean_domain = (r.low + r.high) / 2
                if mean_domain > mean_all:
                    floor = max(1.0, mean_all / 3)
                    share = (mean_all - floor) / (mean_domain - floor)
                else:
                    ceiling = min(100.0, 3 * mean_all)
                    share = (ceiling - mean_all) / (ceiling - mean_domain)
                compositions.append((mask, categories, float(np.clip(share, 0.05, 0.95))))
    return minimum, compositions


def _allocate_numeric(ctx, firms, block):
    codebook = ctx.codebook
    spec = codebook.raw["blocks"][block]
    scale = codebook.scale(spec["scale"])
    rng = ctx.rng(f"numeric:{block}")
    for item in codebook.block_items(block):
        eligible = codebook.universe_mask(firms, spec["asked"])
        idx = np.flatnonzero(eligible)
        targets = ctx.targets[ctx.targets["indicator"] == f"{item}.mean"]
        overall = targets[targets["domain"] == "all"]
        centre = float((overall["low"] + overall["high"]).mean() / 2) if len(overall) else 10.0
        prior = np.clip(np.round(rng.lognormal(np.log(centre * 0.8), 0.6, len(idx))), 1, 100)
        sub = firms.iloc[idx]
        means = [(r.domain, domain_mask(sub, r.domain), r.low, r.high, r.weight) for r in targets.itertuples()]
        values = allocate_values(sub["weight"].to_numpy(), prior, means, max(scale.get("min", 0), 1), scale.get("max", 100))
        column = np.full(len(firms), np.nan)
        column[idx] = values
        firms[item] = column
    return firms


# ---------------------------------------------------------------------------------------------
# stage 8: the export
# ---------------------------------------------------------------------------------------------
NON_SURVEYED_NACE = ["01.11", "01.41", "02.10", "08.12", "64.19", "64.20", "65.12", "66.19", "84.11", "85.20",
                     "85.31", "86.10", "86.21", "87.10", "88.91", "90.01", "93.12", "94.99", "96.02"]


def _nace_codes(rng, strata: Strata, sectors: list[str]) -> list[str]:
    out = []
    for sector in sectors:
        spec = strata.sectors.set_index("id").at[sector, "nace"]
        choice = spec[int(rng.integers(len(spec)))] if len(spec) > 1 and rng.random() < 0.1 else spec[0]
        choice = str(choice)
        if "-" in choice:
            low, high = (int(x) for x in choice.split("-"))
            division = int(rng.integers(low, high + 1))
            out.append(f"{division:02d}.{int(rng.integers(1, 10)):d}{int(rng.integers(0, 10)):d}")
        else:
            out.append(f"{choice}{int(rng.integers(1, 3))}")
    return out


def _employees(rng, strata: Strata, sizes: list[str]) -> list[int]:
    table = strata.sizes.set_index("id")
    out = []
    for size in sizes:
        low = int(table.at[size, "min_employees"])
        high = table.at[size, "max_employees"]
        high = 4000 if pd.isna(high) else int(high)
        out.append(int(np.round(np.exp(rng.uniform(np.log(low), np.log(high + 1)))).clip(low, high)))
    return out


def _timestamps(rng, settings, count: int, complete: np.ndarray):
    start = pd.Timestamp(settings["fieldwork"]["start"])
    end = pd.Timestamp(settings["fieldwork"]["end"])
    span = (end - start).total_seconds()
    # invitations, then two reminders: responses cluster after each mailing
    waves = rng.choice([0.0, 0.18, 0.42], size=count, p=[0.5, 0.3, 0.2])
    offsets = np.clip(waves + rng.exponential(0.08, count), 0, 0.995) * span
    starts = start + pd.to_timedelta(np.round(offsets), unit="s") + pd.Timedelta(hours=8)
    minutes = np.where(complete, rng.lognormal(np.log(16), 0.45, count), rng.lognormal(np.log(4), 0.6, count))
    ends = starts + pd.to_timedelta(np.round(minutes * 60), unit="s")
    fmt = "%Y-%m-%d %H:%M:%S"
    return [s.strftime(fmt) for s in starts], [e.strftime(fmt) for e in ends]


def _export(ctx: Context, firms: pd.DataFrame) -> pd.DataFrame:
    codebook, strata, settings = ctx.codebook, ctx.strata, ctx.settings
    rng = ctx.rng("export")
    items = list(codebook.items["item"])
    columns = dict(zip(codebook.items["item"], codebook.items["column"]))
    ids = codebook.identifier_columns
    meta = codebook.metadata_columns
    scr = codebook.screening_columns
    ex = settings["exclusions"]

    usable = firms.copy()
    usable["_kind"] = "usable"
    usable["_employees"] = _employees(rng, strata, list(usable["size"]))
    usable["_nace"] = _nace_codes(rng, strata, list(usable["sector"]))

    frame = ctx.frame
    draw_strata = rng.choice(frame["stratum"].to_numpy(), size=sum(ex.values()), p=(frame["sampled"] / frame["sampled"].sum()).to_numpy())
    extra = pd.DataFrame({"stratum": draw_strata})
    extra["sector"] = extra["stratum"].str.rsplit("_", n=1).str[0]
    extra["size"] = extra["stratum"].str.rsplit("_", n=1).str[1]
    kinds = np.repeat(["a", "b", "c", "d"], [ex["a"], ex["b"], ex["c"], ex["d"]])
    extra["_kind"] = kinds
    extra["_employees"] = _employees(rng, strata, list(extra["size"]))
    extra["_nace"] = _nace_codes(rng, strata, list(extra["sector"]))
    is_a = extra["_kind"] == "a"
    extra.loc[is_a, "_employees"] = rng.integers(1, int(strata.min_employees), is_a.sum())
    is_b = extra["_kind"] == "b"
    extra.loc[is_b, "_nace"] = rng.choice(NON_SURVEYED_NACE, is_b.sum())
    # (a), (b) and (d) records answered part of the questionnaire like usable ones; (c) none of it
    donors = usable.sample(n=len(extra), replace=True, random_state=rng.integers(2**31))
    for item in items:
        extra[item] = donors[item].to_numpy()
    extra.loc[extra["_kind"] == "c", items] = np.nan
    later_blocks = [i for i in items if i not in codebook.block_items("technologies")]
    partial = extra["_kind"] == "d"
    extra.loc[partial, later_blocks] = np.nan  # duplicates: an abandoned second attempt

    records = pd.concat([usable, extra], ignore_index=True)
    numbers = enterprise_numbers(rng, len(records))
    names = company_names(rng, [s if k != "b" else None for s, k in zip(records["sector"], records["_kind"])])
    records["_number"] = numbers
    records["_name"] = names
    # duplicates take the company number and name of a usable firm with many answers
    full = np.flatnonzero((records["_kind"] == "usable").to_numpy() & (records[items].notna().sum(axis=1) >= 20).to_numpy())
    partners = rng.choice(full, size=int(partial.sum()), replace=False)
    dup_rows = np.flatnonzero((records["_kind"] == "d").to_numpy())
    records.loc[dup_rows, "_number"] = records.loc[partners, "_number"].to_numpy()
    records.loc[dup_rows, "_name"] = records.loc[partners, "_name"].to_numpy()
    records.loc[dup_rows, "_employees"] = records.loc[partners, "_employees"].to_numpy()
    records.loc[dup_rows, "_nace"] = records.loc[partners, "_nace"].to_numpy()
    records["_email"] = email_addresses(rng, list(records["_name"]))

    answered = records[items].notna().sum(axis=1).to_numpy()
    complete = answered >= len(items) * 0.5
    starts, ends = _timestamps(rng, settings, len(records), complete)
    progress = np.clip(np.round(15 + 85 * answered / max(answered.max(), 1)), 5, 100).astype(int)

    out = pd.DataFrame({
        meta["start"]: starts,
        meta["end"]: ends,
        meta["progress"]: progress,
        ids["response_id"]: response_ids(rng, len(records)),
        ids["email"]: records["_email"],
        ids["company_name"]: records["_name"],
        meta["frame_stratum"]: records["stratum"],
        ids["company_number"]: records["_number"],
        scr["employees"]: records["_employees"].astype(int),
        scr["nace"]: records["_nace"],
    })
    for item in items:
        out[columns[item]] = records[item].astype("Int64")
    out = out.sort_values([meta["start"], ids["response_id"]], kind="stable").reset_index(drop=True)
    return out


def write_export(raw: pd.DataFrame, path) -> None:
    raw.to_csv(path, index=False, lineterminator="\n")
