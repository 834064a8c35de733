"""The workflow configuration: read, checked against its schema, and turned into typed objects.

This is the one place where configuration meets the code: the stages hand the config blocks their
rule declares as params to the constructors here (``BootstrapSettings.from_config``,
``IntervalSettings.from_config``, ``reliability_standard``, ...), and the statistics only ever see
the typed objects. Snakemake validates the same schema at workflow start (workflow/rules/common.smk);
``load_config`` gives the same checks and messages to code that runs without Snakemake.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ConfigError
from .survey import NCHS, CVRule, RescaledBootstrap

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CONFIG_SCHEMA = SCHEMAS / "config.schema.yaml"
DEFAULT_CONFIG = Path("config") / "config.yaml"  # relative to the checkout the workflow runs in


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"not valid YAML{where}: {getattr(err, 'problem', err)}", path=path) from None


def deep_merge(base: dict, override: Mapping) -> dict:
    """Recursive dict update, as Snakemake merges --configfile files."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def normalise_editions(config: dict) -> dict:
    """Edition keys as strings. YAML reads ``2021:`` as an integer and ``"2021":`` as a string; an
    override file may use either, so blocks for the same year are merged rather than duplicated."""
    editions = config.get("editions")
    if not isinstance(editions, Mapping):
        return config
    merged: dict[str, Any] = {}
    for key in sorted(editions, key=lambda k: (isinstance(k, str), str(k))):
        value = editions[key]
        name = str(key)
        if name in merged and isinstance(merged[name], Mapping) and isinstance(value, Mapping):
            merged[name] = deep_merge(dict(merged[name]), value)
        else:
            merged[name] = value
    config = dict(config)
    config["editions"] = merged
    return config


def validation_message(err: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"invalid configuration at key '{key}': {err.message}"


def check_schema(data: Any, schema_path: str | Path, source: str | Path) -> Any:
    """Validate ``data`` against a JSON schema (YAML file); raise ConfigError naming the first offending key."""
    validator = jsonschema.Draft202012Validator(read_yaml(schema_path))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        key = ".".join(str(p) for p in err.absolute_path) or None
        raise ConfigError(err.message, key=key, path=source)
    return data


def validate_config(config: dict, source: str | Path = "config") -> dict:
    """Validate the workflow configuration against its schema."""
    return check_schema(config, CONFIG_SCHEMA, source)


def load_config(*paths: str | Path, overrides: Mapping | None = None) -> dict:
    """Read config files in order (later ones override earlier), normalise and validate."""
    config: dict = {}
    for path in paths or (DEFAULT_CONFIG,):
        data = read_yaml(path) or {}
        config = deep_merge(config, normalise_editions(data))
    if overrides:
        config = deep_merge(config, normalise_editions(dict(overrides)))
    config = normalise_editions(config)
    source = ", ".join(map(str, paths)) or "config"
    validate_config(config, source=source)
    check_config(config, source=source)
    return config


# Every path the configuration names, by key: each must be a readable file before anything runs.
EDITION_FILES = ("microdata", "codebook", "strata", "frame", "errata", "source_checks", "published", "claims",
                 "reconstruction")
# what the figures and the report draw on (barometer/figures/catalogue.py, reports/barometer.qmd)
REQUIRED_DOMAINS = ("sector", "size", "adopter_status")
# Efron & Tibshirani (1993), An Introduction to the Bootstrap: a standard error needs a few hundred
# replicates, percentile intervals about a thousand. With B = 2 the 2.5% and 97.5% quantiles are two
# interpolated replicates, which need not even bracket the estimate (the figures then fail).
MIN_PERCENTILE_REPLICATES = 1000


def configured_files(config: Mapping) -> list[tuple[str, str]]:
    """(key, path) of every input file the configuration names."""
    out = []
    for year, block in sorted((config.get("editions") or {}).items()):
        for name in EDITION_FILES:
            if isinstance(block, Mapping) and block.get(name):
                out.append((f"editions.{year}.{name}", str(block[name])))
    if config.get("published_sources"):
        out.append(("published_sources", str(config["published_sources"])))
    for name in ("crosswalk", "checks", "errata"):
        value = (config.get("cross_survey") or {}).get(name)
        if value:
            out.append((f"cross_survey.{name}", str(value)))
    return out


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot serve as an input file, or None."""
    if not path.exists():
        return "does not exist" if not path.is_symlink() else "is a broken symbolic link"
    if path.is_dir():
        return "is a directory, not a file"
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    return None


def check_input_files(config: Mapping, root: Path | None = None, source: str | Path = "config") -> None:
    """Every configured input must be a readable file, whatever is already under results/ (a missing
    export must not pass for one whose results are still there). Raises ConfigError naming every
    offending key and its path."""
    root = root or Path.cwd()
    problems = []
    for key, value in configured_files(config):
        path = Path(value) if Path(value).is_absolute() else root / value
        problem = file_problem(path)
        if problem:
            problems.append(f"key '{key}': {value} {problem}")
    if problems:
        raise ConfigError("configured input files cannot be read:\n  " + "\n  ".join(problems)
                          + "\n(fix the path in the configuration file, or pass the right one with --configfile)",
                          path=source)


def check_config(config: Mapping, source: str | Path = "config") -> None:
    """Checks across keys that the schema cannot express: every value the schema accepts either
    works or is refused here, before anything runs, naming its key."""
    editions = config["editions"]
    report = config["report"]
    if "edition" in report:
        year = str(report["edition"])
        if year not in editions:
            raise ConfigError(f"edition {year} is not configured under editions (configured: {', '.join(sorted(editions))})",
                              key="report.edition", path=source)
        if not editions[year].get("published"):
            raise ConfigError(f"edition {year} has no published numbers (editions.{year}.published), which the report "
                              "reproduces; report an edition that has them", key="report.edition", path=source)
    domains = config["estimation"]["domains"]
    missing = [d for d in REQUIRED_DOMAINS if d not in domains]
    if missing:
        raise ConfigError(f"the figures and the report need the domains {', '.join(REQUIRED_DOMAINS)}; missing: "
                          f"{', '.join(missing)}", key="estimation.domains", path=source)
    dimensions = config["differences"]["dimensions"]
    if not dimensions:
        raise ConfigError("at least one dimension (sector, size) must be tested: the differences and the report's "
                          "claims are tested on them", key="differences.dimensions", path=source)
    untested = [d for d in dimensions if d not in domains]
    if untested:
        raise ConfigError(f"dimension(s) {', '.join(untested)} are not estimated (estimation.domains)",
                          key="differences.dimensions", path=source)
    ci, replicates = config["ci"], config["bootstrap"]["replicates"]
    if "percentile" in (ci["method"], ci["mean_method"]) and replicates < MIN_PERCENTILE_REPLICATES:
        key = "ci.method" if ci["method"] == "percentile" else "ci.mean_method"
        raise ConfigError(f"percentile intervals need at least {MIN_PERCENTILE_REPLICATES} bootstrap replicates, "
                          f"bootstrap.replicates is {replicates}; raise it or choose another interval method",
                          key=key, path=source)


def config_hash(config: Mapping) -> str:
    """sha256 of the configuration in canonical JSON (for the manifest)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Edition:
    """One survey edition's configuration block, with paths resolved against the repository."""

    year: str
    label: str
    microdata: Path
    codebook: Path
    strata: Path
    frame: Path
    errata: Path
    published: Path | None
    reconstruction: Path | None
    fieldwork: str = ""

    @classmethod
    def from_config(cls, config: Mapping, year: str | int, root: Path | None = None) -> Edition:
        root = root or Path.cwd()
        block = config["editions"].get(str(year))
        if block is None:
            raise ConfigError(f"no edition {year} configured", key="editions")

        def resolve(value: str | None) -> Path | None:
            if value is None:
                return None
            path = Path(value)
            return path if path.is_absolute() else root / path

        return cls(
            year=str(year),
            label=block["label"],
            microdata=resolve(block["microdata"]),
            codebook=resolve(block["codebook"]),
            strata=resolve(block["strata"]),
            frame=resolve(block["frame"]),
            errata=resolve(block["errata"]),
            published=resolve(block.get("published")),
            reconstruction=resolve(block.get("reconstruction")),
            fieldwork=block.get("fieldwork", ""),
        )


@dataclass(frozen=True)
class BootstrapSettings:
    """``bootstrap:``: the replicate method, and the singleton-stratum policy of the design.
    ``export_replicates``: how many of the replicates the export for other software holds (the first
    ones); only the export's rule is given the key (None elsewhere), so changing it reruns no estimation."""

    replicates: int
    block_size: int
    centre: str
    singleton_policy: str
    collapse_with: Mapping[str, str]
    export_replicates: int | None = None

    @classmethod
    def from_config(cls, block: Mapping) -> BootstrapSettings:
        singleton = block["singleton_strata"]
        export = block.get("export_replicates")
        return cls(replicates=int(block["replicates"]), block_size=int(block["block_size"]), centre=block["centre"],
                   singleton_policy=singleton["policy"], collapse_with=dict(singleton.get("collapse_with") or {}),
                   export_replicates=None if export is None else int(export))

    def exported(self) -> int:
        """The number of replicates to export: the first ``export_replicates`` of the estimation's."""
        if self.export_replicates is None:
            raise ConfigError("not set", key="bootstrap.export_replicates")
        if self.export_replicates > self.replicates:
            raise ConfigError(f"{self.export_replicates} exceeds bootstrap.replicates ({self.replicates}): the export "
                              "holds the first replicates of the estimation", key="bootstrap.export_replicates")
        return self.export_replicates

    def method(self, seed: int, stream: tuple[int, ...]) -> RescaledBootstrap:
        """The replicate method for one use: the configured seed, and a stream (e.g. the edition)."""
        return RescaledBootstrap(replicates=self.replicates, seed=int(seed), block_size=self.block_size,
                                 stream=tuple(int(x) for x in stream), centre=self.centre)


@dataclass(frozen=True)
class IntervalSettings:
    """``ci:``: the interval method for shares and for means, and the level."""

    method: str
    mean_method: str
    level: float

    @classmethod
    def from_config(cls, block: Mapping) -> IntervalSettings:
        return cls(method=block["method"], mean_method=block["mean_method"], level=float(block["level"]))

    @property
    def keeps_replicates(self) -> bool:
        """The percentile interval needs every replicate estimate, not only their moments."""
        return "percentile" in (self.method, self.mean_method)


@dataclass(frozen=True)
class DifferenceSettings:
    """``differences:``: which dimensions are tested against the rest, the multiplicity adjustment and the
    family of tests it runs over (for the claims), alpha, and the equivalence margin of "no difference"
    claims (in the unit of the differences: percentage points for shares)."""

    dimensions: tuple[str, ...]
    adjust: str
    alpha: float
    family: str = "indicator_dimension"
    equivalence_margin: float = 5.0

    FAMILIES = {"indicator_dimension": "indicator × dimension (every level of one dimension for one indicator)",
                "claim_family": "claim family (the tests the claims of one sentence of the report rest on)",
                "all_claims": "all claims (every test any claim rests on)"}

    @classmethod
    def from_config(cls, block: Mapping) -> DifferenceSettings:
        return cls(dimensions=tuple(block["dimensions"]), adjust=block["adjust"], alpha=float(block["alpha"]),
                   family=block["family"], equivalence_margin=float(block["equivalence_margin"]))

    @property
    def family_name(self) -> str:
        return self.FAMILIES[self.family]


def reliability_standard(reliability: Mapping, publication: Mapping) -> NCHS | CVRule:
    """``reliability:`` and ``publication:`` as the standard the flags follow."""
    shared = dict(mean_max_rse=reliability["mean_max_rse"], mean_min_n=reliability.get("mean_min_n", 10),
                  min_respondents=publication["min_respondents"])
    if reliability["standard"] == "nchs":
        nchs = reliability["nchs"]
        return NCHS(min_effective_n=nchs["min_effective_n"], max_absolute_width=nchs["max_absolute_width"],
                    max_relative_width=nchs["max_relative_width"], min_degrees_of_freedom=nchs["min_degrees_of_freedom"],
                    **shared)
    return CVRule(release=reliability["cv"]["release"], warn=reliability["cv"]["warn"], **shared)


MIN_SALT_LENGTH = 16
HOW_TO_SET_SALT = ("set one with: export {env}=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\" "
                   "(keep it: the same salt gives the same pseudonyms in a later run)")


@dataclass(frozen=True)
class PseudonymSettings:
    """``pseudonymisation:``: where the secret salt comes from."""

    salt_env: str
    default_salt: str

    @classmethod
    def from_config(cls, block: Mapping) -> PseudonymSettings:
        return cls(salt_env=block["salt_env"], default_salt=block["default_salt"])

    def salt(self, *, bundled: bool) -> tuple[str, str]:
        """The salt for keyed pseudonyms and where it came from.

        From the environment variable when set (an empty value counts as unset). A salt that is set
        must be secret: at least 16 characters, not blank and not the public default, whatever the
        data. Without one, the configured default is used, which is public and so only acceptable
        for the bundled reconstruction (``bundled``: recognised by its content, see
        ``bundled_microdata``): real microdata without a secret salt is an error, because anyone
        holding the company numbers could recompute the pseudonyms.
        """
        secret = os.environ.get(self.salt_env, "")
        key = "pseudonymisation.salt_env"
        how = HOW_TO_SET_SALT.format(env=self.salt_env)
        if secret:
            if not secret.strip():
                raise ConfigError(f"the environment variable {self.salt_env} is blank; {how}", key=key)
            if secret.strip() == self.default_salt.strip():
                raise ConfigError(f"the environment variable {self.salt_env} holds the public default salt "
                                  f"(pseudonymisation.default_salt), which anyone can read; {how}", key=key)
            if len(secret) < MIN_SALT_LENGTH:
                raise ConfigError(f"the salt in the environment variable {self.salt_env} has {len(secret)} characters, "
                                  f"fewer than {MIN_SALT_LENGTH}; {how}", key=key)
            return secret, f"environment variable {self.salt_env}"
        if not bundled:
            raise ConfigError(
                f"the microdata are not the bundled reconstruction, so a secret salt is required (pseudonyms "
                f"made with the public default salt could be reversed by anyone holding the company numbers); {how}",
                key=key,
            )
        return self.default_salt, "public default salt (bundled reconstruction only)"


def bundled_microdata(sha256: str, bundled: str | list[str] | None) -> bool:
    """The microdata are the bundled reconstruction when their sha256 is one the configuration
    commits (``editions.<year>.bundled_sha256``). Only the file's content counts: no file beside it,
    name or location can make another export 'bundled'."""
    known = [bundled] if isinstance(bundled, str) else list(bundled or [])
    return sha256.lower() in {k.lower() for k in known}
