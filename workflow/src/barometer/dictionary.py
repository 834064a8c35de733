"""The data dictionary of the outputs: docs/data_dictionary.yaml -> results/datapackage.json.

The catalogue (docs/data_dictionary.yaml) is written by hand: per output path pattern what a row is
and every column with its type, unit and meaning. ``data_package`` turns it into a Frictionless Data
Package (https://specs.frictionlessdata.io/data-package/) for the files of one run: one resource per
file, a Table Schema for every CSV (the unit is a custom field property ``unit``, which frictionless
keeps and ignores when it validates), format and media type for the others. The item columns of
respondents.csv come from the edition's codebook (``codebook_fields``), so a new edition with other
items needs no edit of the catalogue.

``check_header`` compares a table's header with its schema, name by name and in order, so that a
run whose outputs have drifted from the dictionary stops; the types are checked by frictionless
against the real files (tests/test_dictionary.py).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .codebook import Codebook
from .config import read_yaml
from .errors import BarometerError, InputError

# the resource name: the file's path under results/, in the characters the Data Package spec allows
_NAME_CHARS = re.compile(r"[^-a-z0-9._/]")
PACKAGE = {"name": "ai-barometer-results", "title": "AI-Barometer re-analysis: the outputs of one workflow run",
           "description": "Every file of results/ (logs and provenance records aside), generated from "
                          "docs/data_dictionary.yaml by the rule data_dictionary.",
           "licenses": [{"name": "MIT", "path": "https://opensource.org/licenses/MIT", "title": "MIT License"}]}


class Catalogue:
    """docs/data_dictionary.yaml, checked: every unit is one of ``units``, every bare column name is
    defined in ``common``, every pattern is unique."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        raw = read_yaml(self.path)
        self.units: dict[str, str] = raw["units"]
        self.common: dict[str, dict] = raw["common"]
        self.items: dict = raw["codebook_items"]
        self.entries: list[dict] = raw["files"]
        seen = set()
        for entry in self.entries:
            if entry["path"] in seen:
                raise BarometerError(f"{self.path}: the path {entry['path']} is catalogued twice")
            seen.add(entry["path"])
            entry["_regex"] = _pattern(entry["path"])
            if "columns" in entry:
                entry["columns"] = [self._column(c, entry["path"]) for c in entry["columns"]]
        for name, item in self.items.items():
            if isinstance(item, dict) and item.get("unit") not in (*self.units, "{scale}"):
                raise BarometerError(f"{self.path}: codebook_items.{name}: unknown unit {item.get('unit')!r}")

    def _column(self, column, where: str) -> dict:
        if isinstance(column, str):
            if column not in self.common:
                raise BarometerError(f"{self.path}: {where}: column {column!r} is not defined under common")
            column = {"name": column, **self.common[column]}
        missing = {"name", "type", "unit", "description"} - set(column)
        if missing:
            raise BarometerError(f"{self.path}: {where}: column {column.get('name')!r} lacks {sorted(missing)}")
        if column["unit"] not in self.units:
            raise BarometerError(f"{self.path}: {where}: column {column['name']!r} has an unknown unit {column['unit']!r}")
        return dict(column)

    def entry_for(self, path: str) -> tuple[dict, dict[str, str]] | None:
        """The catalogue entry whose pattern a path (``results/...``) matches, with its wildcards; an
        error when several do (the catalogue would be ambiguous)."""
        found = [(entry, match.groupdict()) for entry in self.entries if (match := entry["_regex"].fullmatch(path))]
        if len(found) > 1:
            raise BarometerError(f"{self.path}: {path} matches several entries: {[e['path'] for e, _ in found]}")
        return found[0] if found else None


# what a wildcard matches: an edition is a year (so that results/cross_survey/... is not an edition's),
# any other wildcard a part of one path component
WILDCARDS = {"edition": "[0-9]+"}


def _pattern(path: str) -> re.Pattern:
    """``results/{edition}/x/{name}.csv`` -> a regex whose wildcards match within one path component."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{WILDCARDS.get(p, '[^/]+?')})" for i, p in enumerate(parts))
    return re.compile(regex)


def codebook_fields(catalogue: Catalogue, codebook: Codebook) -> list[dict]:
    """One field per codebook item, in codebook order: integer answer codes for categorical scales
    (their codes and labels spelled out), numbers for numeric ones (unit: the scale's name, which must
    be a catalogued unit, e.g. percent)."""
    fields = []
    for item in codebook.items.itertuples():
        scale = codebook.scale(item.scale)
        spec = catalogue.items[item.scale_type]
        if item.scale_type == "categorical":
            answers = "answer codes " + ", ".join(f"{code} = {label['en']}" for code, label in sorted(scale["codes"].items()))
        else:
            answers = f"a number from {scale.get('min')} to {scale.get('max')}"
        unit = spec["unit"].format(scale=item.scale)
        if unit not in catalogue.units:
            raise BarometerError(f"{codebook.path}: scale {item.scale} of item {item.item}: {unit!r} is not a unit of "
                                 f"{catalogue.path}")
        fields.append({"name": item.item, "type": spec["type"], "unit": unit,
                       "description": catalogue.items["description"].format(label_en=item.label_en, block=item.block,
                                                                           asked=item.asked, answers=answers)})
    return fields


def read_header(path: str | Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def check_header(path: str | Path, fields: list[dict]) -> None:
    """The table's columns must be the schema's, by name and in order; raise InputError naming the
    first column that differs."""
    header, names = read_header(path), [f["name"] for f in fields]
    if header == names:
        return
    for position, (found, expected) in enumerate(zip(header, names), start=1):
        if found != expected:
            raise InputError(f"column {position} is {found!r} but docs/data_dictionary.yaml describes {expected!r} "
                             "there: update the dictionary with the table", path=path, row=1, column=found)
    extra = header[len(names):] or names[len(header):]
    which = "not described in" if len(header) > len(names) else "missing, though described in"
    raise InputError(f"columns {extra} are {which} docs/data_dictionary.yaml", path=path, row=1)


def resource(catalogue: Catalogue, path: str, root: Path, codebooks: dict[str, str]) -> dict:
    """The Data Package resource of one output file (``path`` relative to the repository root,
    ``results/...``); its CSV header is checked against the schema."""
    found = catalogue.entry_for(path)
    if found is None:
        raise BarometerError(f"{path}: no entry of docs/data_dictionary.yaml describes this output; add one")
    entry, wildcards = found
    relative = path.removeprefix("results/")
    out = {"name": _NAME_CHARS.sub("-", relative.lower()), "path": relative, "title": entry["title"]}
    if "columns" in entry:
        fields = [{k: v for k, v in c.items()} for c in entry["columns"]]
        if entry.get("columns_from_codebook"):
            edition = wildcards.get("edition")
            if edition not in codebooks:
                raise BarometerError(f"{path}: no codebook given for edition {edition}")
            fields += codebook_fields(catalogue, Codebook.load(codebooks[edition]))
        check_header(root / path, fields)
        out.update({"type": "table", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                    "description": f"One row: {entry['row']}.",
                    "schema": {"fields": fields, "missingValues": [""]}})
    else:
        out.update({"format": entry["format"], "mediatype": entry["mediatype"], "description": entry["description"]})
    return out


def data_package(catalogue: Catalogue, paths: list[str], root: str | Path, codebooks: dict[str, str]) -> dict:
    """The descriptor of results/ for the given output files (sorted: the same files give the same
    bytes): package metadata, the catalogue's units and one resource per file."""
    root = Path(root)
    resources = [resource(catalogue, p, root, codebooks) for p in sorted(set(paths))]
    return {**PACKAGE, "units": catalogue.units, "resources": resources}
