"""Errors that a user can act on: each names the file, and where it can the row and column."""

from __future__ import annotations

from pathlib import Path


class BarometerError(Exception):
    """Base class: a problem with the inputs or the configuration, reported without a traceback."""


class InputError(BarometerError):
    """Bad input data: says which file, which row(s) and column(s), and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | str | None = None,
        column: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        where = []
        if self.path is not None:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(BarometerError):
    """Invalid configuration: names the configuration key (dotted path) and the file."""

    def __init__(self, message: str, *, key: str | None = None, path: str | Path | None = None) -> None:
        self.key = key
        self.path = None if path is None else str(path)
        where = " ".join(x for x in [self.path and f"{self.path}:", key and f"key '{key}':"] if x)
        super().__init__(f"{where} {message}" if where else message)


class SourceCheckError(BarometerError):
    """A published-source inconsistency without a resolution in the errata file."""


class DesignError(BarometerError):
    """A sampling design that cannot be estimated as configured (e.g. a stratum without respondents)."""
