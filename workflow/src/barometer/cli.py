"""Command line: the design-based estimator for any stratified survey file, and workflow helpers.

    barometer estimate DATA.csv --strata COL --population POP.csv --vars a,b,c [--by COL]
                       [--replicates B] [--seed S] [--ci METHOD] [--allow-uncovered-strata] -o OUT.csv
    barometer verify results/manifest.csv
    barometer install-reconstruction
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import BarometerError, InputError

# Start-up: `barometer --help` and argument errors must not pay for numpy/pandas/scipy (~1 s). Every
# module that imports them is imported inside the command that needs it: numpy, pandas, the survey
# library (scipy.sparse, and scipy.special inside the interval functions), io (pandas), rawdata
# (pandas), config, manifest. The method names are repeated here (a test checks they match).
SHARE_METHODS = ("korn_graubard", "korn_graubard_uncapped", "logit", "wilson", "percentile", "wald")  # survey.intervals
OUTPUT_COLUMNS = ["variable", "domain", "unit", "estimate", "se", "se_taylor", "ci_low", "ci_high", "ci_method", "ci_note",
                  "n", "n_eff", "n_eff_kg", "df", "df_effective", "cv", "flag", "flag_reason", "uncovered_share"]
UNITS = {"share": "proportion", "mean": "units of the variable"}  # shares are written as proportions (0-1)


def _read_table(path: str, what: str, raw: bool = False):
    """A comma- or semicolon-separated file (decimal commas with semicolons); ``raw``: every cell as text."""
    import io

    import pandas as pd

    from .rawdata import read_text, sniff_delimiter

    text = read_text(path)
    delimiter = sniff_delimiter(text.splitlines()[0], Path(path))
    options = {"dtype": str, "keep_default_na": False} if raw else {"decimal": "," if delimiter == ";" else "."}
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, **options)
    except pd.errors.ParserError as err:
        raise InputError(f"cannot be read as {what}: {err}", path=path) from None
    if frame.empty:
        raise InputError(f"has a header but no data rows (expected {what})", path=path)
    return frame


def _reject_non_finite(values, path: str, column: str) -> None:
    """Stop at the first infinite value (written as inf, or a number beyond the floating-point range such
    as 1e400, which parses as inf), naming its physical row and its text in the file."""
    import numpy as np

    bad = np.flatnonzero(np.isinf(np.asarray(values, dtype=float)))
    if len(bad):
        row = int(bad[0])
        text = _read_table(path, "text", raw=True)[column].iloc[row]
        raise InputError(f"value {text!r} is not a finite number (infinite, or beyond the floating-point range "
                         "of about 1.8e308)", path=path, row=row + 2, column=column)


def _check_output(args: argparse.Namespace) -> None:
    """-o must name a file that is not one of the inputs (it would be overwritten) and not a directory."""
    output = Path(args.output)
    if output.is_dir():
        raise InputError("is a directory; give the name of the CSV file to write (e.g. -o results.csv)", path=output)
    for given in (args.data, args.population):
        if output.exists() and Path(given).exists() and output.resolve() == Path(given).resolve():
            raise InputError(f"is an input file ({given}); choose another output file: writing the estimates "
                             "would overwrite it", path=output)


def run_estimate(args: argparse.Namespace):
    import numpy as np
    import pandas as pd

    from .survey import NCHS, CVRule, RescaledBootstrap, StratifiedDesign, SurveyError, estimate

    _check_output(args)
    data = _read_table(args.data, "survey data")
    population = _read_table(args.population, "population counts")
    for column in ("stratum", "N"):
        if column not in population:
            raise InputError(f"required column missing (expected columns stratum,N); found {list(population.columns)}",
                             path=args.population, row=1, column=column)
    if population["stratum"].astype(str).duplicated().any():
        dup = population["stratum"].astype(str)[population["stratum"].astype(str).duplicated()].iloc[0]
        raise InputError(f"stratum {dup!r} listed twice", path=args.population, column="stratum")
    counts = pd.to_numeric(population["N"], errors="coerce")
    _reject_non_finite(counts, args.population, "N")
    if counts.isna().any() or (counts <= 0).any():
        bad = int((counts.isna() | (counts <= 0)).idxmax())
        raise InputError(f"N must be a positive number, found {population['N'].iloc[bad]!r}", path=args.population, row=bad + 2, column="N")
    variables = [v.strip() for v in args.vars.split(",") if v.strip()]
    needed = [args.strata, *variables] + ([args.by] if args.by else []) + ([args.weights] if args.weights else [])
    for column in needed:
        if column not in data:
            raise InputError(f"unknown column; the file has {list(data.columns)}", path=args.data, column=column)
    strata = data[args.strata].astype(str)
    if strata.isna().any() or (data[args.strata].isna()).any():
        row = int(data[args.strata].isna().idxmax()) + 2
        raise InputError("stratum missing", path=args.data, row=row, column=args.strata)
    pop = dict(zip(population["stratum"].astype(str), counts))
    missing = sorted(set(strata) - set(pop))
    if missing:
        row = int(strata.isin(missing).idxmax()) + 2
        raise InputError(f"stratum {missing[0]!r} is not in the population file {args.population}", path=args.data, row=row, column=args.strata)
    n_h = strata.value_counts()
    for s, n in n_h.items():
        if pop[s] < n:
            raise InputError(f"stratum {s!r} has {n} sampled units but N = {pop[s]:g} (N_h must be at least n_h)", path=args.population, column="N")
    uncovered_share = _uncovered_share(pop, set(strata), args)

    values, kinds = [], []
    for v in variables:
        column = pd.to_numeric(data[v], errors="coerce")
        bad = data[v].notna() & column.isna()
        if bad.any():
            row = int(bad.idxmax()) + 2
            raise InputError(f"value {data[v][bad.idxmax()]!r} is not numeric (variables must be numbers or 0/1)", path=args.data, row=row, column=v)
        _reject_non_finite(column, args.data, v)
        values.append(column.to_numpy(dtype=float))
        observed = column.dropna()
        kinds.append("share" if len(observed) and observed.isin([0, 1]).all() else "mean")

    weights = None
    if args.weights:
        weights = pd.to_numeric(data[args.weights], errors="coerce")
        bad = ~(weights > 0) | ~np.isfinite(weights)
        if bad.any():
            row = int(bad.idxmax())
            raise InputError(f"weight {data[args.weights][row]!r} is not a positive number", path=args.data, row=row + 2, column=args.weights)
        weights = weights.to_numpy(dtype=float)
    malformed = [pair for pair in args.collapse or [] if pair.count("=") != 1 or "" in pair.split("=")]
    if malformed:
        raise InputError(f"--collapse expects STRATUM=NEIGHBOUR pairs, found {malformed[0]!r}")
    collapse = dict(pair.split("=") for pair in args.collapse or [])
    try:
        design = StratifiedDesign.from_sample(strata, pop, weights=weights, singleton=args.singleton, collapse_with=collapse)
    except SurveyError as err:
        raise InputError(f"{err} (command line: --singleton certainty, or --singleton collapse "
                         "--collapse STRATUM=NEIGHBOUR)", path=args.data) from None

    domains = [("all", np.ones(len(data), dtype=bool))]
    if args.by:
        for level in sorted(data[args.by].dropna().astype(str).unique()):
            domains.append((f"{args.by}={level}", (data[args.by].astype(str) == level).to_numpy()))
    columns, masks, rows = [], [], []
    for v, y, kind in zip(variables, values, kinds):
        for name, mask in domains:
            columns.append(y)
            masks.append(mask)
            rows.append({"variable": v, "domain": name, "kind": kind})
    if args.replicates:
        design = design.with_replicates(RescaledBootstrap(replicates=args.replicates, seed=args.seed, block_size=args.block_size,
                                                          precision=args.precision, threads=args.threads))
    est = estimate(design, np.column_stack(columns), np.column_stack(masks), [r["kind"] for r in rows], pd.DataFrame(rows))
    standard = NCHS() if args.reliability == "nchs" else CVRule()
    table = est.table(ci=args.ci, mean_ci="wald" if args.ci != "percentile" else "percentile", level=args.level, standard=standard)
    # values so large that sums of squares overflow: stop rather than print inf or an empty estimate
    broken = (table["n"] > 0) & ~(np.isfinite(table["estimate"]) & np.isfinite(table["se"]) & np.isfinite(table["se_taylor"]))
    if broken.any():
        first = table[broken].iloc[0]
        largest = np.nanmax(np.abs(data[first["variable"]].to_numpy(dtype=float)))
        raise InputError(f"the estimate for domain {first['domain']!r} is not a finite number: values up to {largest:.3g} "
                         "are too large for floating-point arithmetic; rescale the variable (e.g. to thousands)",
                         path=args.data, column=first["variable"])
    table["unit"] = table["kind"].map(UNITS)
    table["uncovered_share"] = uncovered_share
    return table[OUTPUT_COLUMNS]


def _uncovered_share(population: dict, sampled: set, args: argparse.Namespace) -> float:
    """The share of the population in strata without respondents. Such strata cannot be represented (no
    weight can stand for them): an error, unless --allow-uncovered-strata accepts estimates for the
    covered population only, with the share recorded in every output row (column uncovered_share)."""
    uncovered = sorted(s for s in population if s not in sampled)
    total = sum(population.values())
    missing = sum(population[s] for s in uncovered)
    share = missing / total
    if not uncovered:
        return 0.0
    listed = ", ".join(f"{s!r} (N = {population[s]:,.0f})" for s in uncovered[:10]) + (", ..." if len(uncovered) > 10 else "")
    what = (f"{len(uncovered)} population {'stratum' if len(uncovered) == 1 else 'strata'} without respondents: {listed}; "
            f"together {missing:,.0f} of N = {total:,.0f} firms, {share:.1%} of the population")
    if not args.allow_uncovered_strata:
        raise InputError(f"{what}. No respondent can stand for them, so the estimates would describe the covered "
                         f"{1 - share:.1%} only: add respondents, remove these strata from the population file, or "
                         "rerun with --allow-uncovered-strata to estimate for the covered population (the share is "
                         "recorded in the column uncovered_share)", path=args.population, column="stratum")
    print(f"barometer: warning: {args.population}: {what}; the estimates describe the covered population only "
          "(column uncovered_share)", file=sys.stderr)
    return share


def install_reconstruction(args: argparse.Namespace) -> None:
    """Copy results/reconstruction/<year>/responses.csv to editions.<year>.microdata.

    The bundled file is recognised by its content alone: its sha256 is committed in the configuration
    (editions.<year>.bundled_sha256). A regenerated file is byte-identical to the committed one
    (tests/test_reconstruction.py); if the reconstruction changes on purpose, this says which sha256
    to commit."""
    import shutil

    from .config import bundled_microdata, load_config
    from .io import sha256_file

    config = load_config(*(args.configfile or []))
    for year, block in sorted(config["editions"].items()):
        if not block.get("reconstruction"):
            continue
        built = Path("results/reconstruction") / year / "responses.csv"
        if not built.exists():
            raise BarometerError(f"{built} does not exist: run `snakemake --cores all reconstruct` first")
        target = Path(block["microdata"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)
        digest = sha256_file(target)
        print(f"installed {target} (sha256 {digest})")
        if not bundled_microdata(digest, block.get("bundled_sha256")):
            print(f"its sha256 differs from editions.{year}.bundled_sha256 in the configuration: commit "
                  f"bundled_sha256: {digest} there, or the workflow will treat it as real microdata")


def verify(args: argparse.Namespace) -> int:
    from .manifest import verify_manifest

    problems = verify_manifest(Path(args.manifest))
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} difference(s) from {args.manifest}")
        return 1
    print(f"all files match {args.manifest}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="barometer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    e = sub.add_parser("estimate", help="design-based estimates from a stratified single-stage sample")
    e.add_argument("data", help="survey data (CSV, comma- or semicolon-separated)")
    e.add_argument("--strata", required=True, help="column holding each unit's stratum")
    e.add_argument("--population", required=True, help="CSV with columns stratum,N (population count per stratum)")
    e.add_argument("--vars", required=True, help="comma-separated numeric or 0/1 columns to estimate")
    e.add_argument("--by", help="column defining domains (each value is estimated besides 'all')")
    e.add_argument("--weights", help="column of design weights (default N_h / n_h)")
    e.add_argument("--replicates", type=_replicates, default=1000, help="bootstrap replicates (0: linearisation only, else at least 2)")
    e.add_argument("--seed", type=_integer(0), default=1)
    e.add_argument("--block-size", type=_integer(1), default=250, help="replicates per random-number block")
    e.add_argument("--precision", choices=["single", "double"], default="double",
                   help="replicate products in float64, or float32 (SEs within 1e-6 relative; faster products)")
    e.add_argument("--threads", type=_integer(0), default=0,
                   help="replicate blocks computed at once (default 0: one per core, BLAS single-threaded); "
                        "the results do not depend on it")
    e.add_argument("--ci", choices=SHARE_METHODS, default="korn_graubard", help="interval for 0/1 variables (means: wald, or percentile)")
    e.add_argument("--level", type=_probability, default=0.95)
    e.add_argument("--reliability", choices=["nchs", "cv"], default="nchs")
    e.add_argument("--singleton", choices=["error", "certainty", "collapse"], default="error", help="strata with one unit")
    e.add_argument("--collapse", nargs="*", metavar="STRATUM=NEIGHBOUR", help="with --singleton collapse")
    e.add_argument("--allow-uncovered-strata", action="store_true",
                   help="estimate even if population strata have no respondents (for the covered population; the "
                        "uncovered share is recorded in the output)")
    e.add_argument("-o", "--output", required=True, help="output CSV (shares as proportions; must not be an input file)")

    v = sub.add_parser("verify", help="recompute the manifest's checksums and compare")
    v.add_argument("manifest", nargs="?", default="results/manifest.csv")

    r = sub.add_parser("install-reconstruction", help="install the reconstructed microdata built by `snakemake reconstruct`")
    r.add_argument("--configfile", nargs="*")
    return parser


def _integer(minimum: int):
    """argparse type: an integer of at least ``minimum`` (argparse then names the option in its error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, found {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, found {value}")
        return value
    return parse


def _replicates(text: str) -> int:
    """argparse type of --replicates: 0 (no bootstrap) or at least 2 (one replicate has no variance)."""
    value = _integer(0)(text)
    if value == 1:
        raise argparse.ArgumentTypeError("must be 0 (linearisation only) or at least 2, found 1 (a variance needs "
                                         "two replicates)")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, found {value:g}")
    return value


def main(argv: list[str] | None = None) -> int:
    if "numpy" not in sys.modules:
        # parallel replicate blocks, each with single-threaded BLAS (bootstrap.default_threads);
        # must be set before numpy loads OpenBLAS; a value the user set is kept
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    args = build_parser().parse_args(argv)
    from .survey.errors import SurveyError

    try:
        if args.command == "estimate":
            from .io import write_csv

            table = run_estimate(args)
            write_csv(table, args.output)
            return 0
        if args.command == "verify":
            return verify(args)
        if args.command == "install-reconstruction":
            install_reconstruction(args)
            return 0
    except (BarometerError, SurveyError) as err:
        print(f"barometer: error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
