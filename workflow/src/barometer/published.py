"""The published figures: a Frictionless data package, validated on read.

data/raw/published/datapackage.json describes every table (fields, types, constraints, keys);
frictionless checks the files against it, and any error is reported with file, row and field.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from frictionless import Package

from .errors import InputError

VALUE_COLUMNS_DTYPES = {"base_n": "Int64", "decimals": "Int64"}


def validate_package(path: str | Path, resources: list[str] | None = None) -> None:
    """Validate the package (or the named resources); raise InputError for the first error."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    package = Package(str(path))
    names = resources or [r.name for r in package.resources]
    if resources is None:
        report = package.validate()
        tasks = report.tasks
        if report.errors:
            raise InputError(report.errors[0].message, path=path)
    else:
        tasks = []
        for name in names:
            resource = package.get_resource(name)
            tasks.extend(resource.validate().tasks)
    for task in tasks:
        if task.errors:
            error = task.errors[0]
            row = getattr(error, "row_number", None)
            field = getattr(error, "field_name", None)
            raise InputError(
                f"{error.title}: {error.note} ({len(task.errors)} error(s) in this table)",
                path=path.parent / task.name if task.name else path,
                row=row,
                column=field,
            )


def read_resource(package_path: str | Path, name: str, validate: bool = True) -> pd.DataFrame:
    """One table of the package as a DataFrame (after validation)."""
    package_path = Path(package_path)
    if validate:
        validate_package(package_path, [name])
    package = Package(str(package_path))
    resource = package.get_resource(name)
    table = pd.read_csv(package_path.parent / resource.path, dtype=str, keep_default_na=False)
    table = table.replace("", pd.NA)
    for field in resource.schema.fields:
        if field.name not in table:
            continue
        if field.type == "number":
            table[field.name] = pd.to_numeric(table[field.name]).astype(float)
        elif field.type == "integer":
            table[field.name] = pd.to_numeric(table[field.name]).astype("Int64")
    table.attrs["path"] = str(package_path.parent / resource.path)
    return table


def read_values(path: str | Path, package_path: str | Path | None = None) -> pd.DataFrame:
    """Published values of one edition (a resource of the package, given by its file path)."""
    path = Path(path)
    package_path = Path(package_path) if package_path else path.parent / "datapackage.json"
    package = Package(str(package_path))
    for resource in package.resources:
        if (package_path.parent / resource.path).resolve() == path.resolve():
            return read_resource(package_path, resource.name)
    raise InputError(f"not described in {package_path} (add it as a resource with a schema)", path=path)


def split_domain(domain: str) -> dict[str, str]:
    """'sector=10-33;size=micro' -> {'sector': '10-33', 'size': 'micro'}; 'all' -> {}."""
    if domain == "all":
        return {}
    return dict(part.split("=", 1) for part in domain.split(";"))


CLAIM_FIELDS = ["claim_id", "section", "indicator", "domain", "direction"]


def read_claims(path, package_path) -> pd.DataFrame:
    """An edition's comparative statements ("above average"), or none when the edition has no file."""
    if not path:
        return pd.DataFrame(columns=CLAIM_FIELDS)
    return read_values(path, package_path)
