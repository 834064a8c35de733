"""Reading the raw survey export and validating it against the codebook (pandera schema).

Accepted variants, decided once and documented in data/raw/microdata/README.md:
- delimiter: comma, or semicolon as Belgian spreadsheets write it (then a decimal comma is read
  correctly); anything else (e.g. tabs) is rejected;
- encoding: UTF-8, with or without a byte-order mark; anything else (e.g. Latin-1) is rejected with
  the line of the first undecodable byte, rather than guessed;
- every row must have as many fields as the header (a truncated last line is an error);
- columns exactly those of the codebook, in any order: a missing, renamed or unknown extra column
  is an error, since an export that does not match its codebook cannot be trusted to mean the same.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import InputError

# pandera (~0.45 s to import) is imported by the functions that validate: read_text and
# sniff_delimiter serve the command line, which validates nothing with it.

COMPANY_NUMBER = r"^BE ?0?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}$"
NACE = r"^[0-9]{2}(\.[0-9]{1,2})?$"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def read_text(path: str | Path) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 encoded (byte 0x{data[err.start]:02x} on line {line}); re-export the file as "
            "UTF-8 (e.g. iconv -f latin1 -t utf-8)",
            path=path,
        ) from None
    if not text.strip():
        raise InputError("file is empty", path=path)
    return text


def sniff_delimiter(header: str, path: Path) -> str:
    counts = {d: header.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise InputError("the header line has a single column; expected a comma- or semicolon-separated file", path=path, row=1)
    if best not in (",", ";"):
        name = {"\t": "tab", "|": "pipe"}[best]
        raise InputError(f"the file is {name}-separated; expected commas or semicolons", path=path, row=1)
    return best


def read_export(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read the raw export as strings, check its shape and columns. Row labels: file line numbers."""
    path = Path(path)
    text = read_text(path)
    header = text.splitlines()[0]
    delimiter = sniff_delimiter(header, path)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width and any(cell.strip() for cell in row):
            truncated = " (the file may be truncated)" if number == len(rows) else ""
            raise InputError(f"has {len(row)} fields, the header has {width}{truncated}", path=path, row=number)
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=True)
    if frame.empty:
        raise InputError("has a header but no data rows", path=path)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # the file's line numbers
    frame = frame.replace("", np.nan)
    _check_columns(frame, codebook, path)
    frame.attrs["delimiter"] = delimiter
    return frame


def _check_columns(frame: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    expected = codebook.raw_columns()
    duplicated = [c for c in frame.columns if "." in c and c.rsplit(".", 1)[0] in frame.columns]
    if duplicated:
        raise InputError("column name appears twice in the header", path=path, row=1, column=duplicated[0].rsplit(".", 1)[0])
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing:
        hint = f"; the file has unknown column(s) {extra} - renamed?" if extra else ""
        raise InputError(f"required column missing (the codebook {codebook.path} expects it){hint}", path=path, row=1, column=missing[0])
    if extra:
        raise InputError(f"unknown column, not in the codebook {codebook.path}", path=path, row=1, column=extra[0])


def export_schema(codebook: Codebook, strata: list[str], decimal: str = ".") -> pa.DataFrameSchema:
    """pandera schema of a raw export, built from the codebook (types are coerced from strings)."""
    import pandera.pandas as pa

    ids = codebook.identifier_columns
    meta = codebook.metadata_columns
    screening = codebook.screening_columns
    columns: dict[str, pa.Column] = {
        ids["response_id"]: pa.Column(str, unique=True, nullable=False),
        ids["company_number"]: pa.Column(str, pa.Check.str_matches(COMPANY_NUMBER), nullable=True),
        ids["company_name"]: pa.Column(str, nullable=True),
        ids["email"]: pa.Column(str, pa.Check.str_matches(r"^[^@\s]+@[^@\s]+$"), nullable=True),
        meta["start"]: pa.Column(pd.Timestamp, nullable=False),
        meta["end"]: pa.Column(pd.Timestamp, nullable=False),
        meta["progress"]: pa.Column(float, pa.Check.in_range(0, 100), nullable=False),
        meta["frame_stratum"]: pa.Column(str, pa.Check.isin(strata), nullable=False),
        screening["employees"]: pa.Column(float, pa.Check.ge(0), nullable=True),
        screening["nace"]: pa.Column(str, pa.Check.str_matches(NACE), nullable=True),
    }
    for row in codebook.items.itertuples():
        if row.scale_type == "categorical":
            check = pa.Check.isin([float(c) for c in row.codes])
        else:
            check = pa.Check.in_range(-np.inf if row.min is None else row.min, np.inf if row.max is None else row.max)
        columns[row.column] = pa.Column(float, check, nullable=True)
    return pa.DataFrameSchema(columns, strict=True, coerce=False)


def coerce(frame: pd.DataFrame, codebook: Codebook, path: Path) -> pd.DataFrame:
    """Convert string columns to numbers and timestamps, naming the first cell that does not parse."""
    out = frame.copy()
    meta = codebook.metadata_columns
    decimal_comma = frame.attrs.get("delimiter") == ";"
    numeric = [meta["progress"], codebook.screening_columns["employees"], *codebook.items["column"]]
    for column in numeric:
        text = out[column]
        if decimal_comma:
            text = text.str.replace(",", ".", regex=False)
        values = pd.to_numeric(text.str.strip(), errors="coerce")
        bad = text.notna() & values.isna()
        if bad.any():
            first = bad.idxmax()
            raise InputError(f"value {frame.at[first, column]!r} is not a number", path=path, row=first, column=column)
        out[column] = values.astype(float)
    for column in (meta["start"], meta["end"]):
        values = pd.to_datetime(out[column], format=TIMESTAMP_FORMAT, errors="coerce")
        bad = out[column].notna() & values.isna()
        if bad.any():
            first = bad.idxmax()
            raise InputError(f"value {frame.at[first, column]!r} is not a timestamp like 2021-05-17 09:30:00", path=path, row=first, column=column)
        out[column] = values
    return out


def load_export(path: str | Path, codebook: Codebook, strata: list[str]) -> pd.DataFrame:
    """Read, coerce and validate the raw export; any problem raises InputError naming row and column."""
    path = Path(path)
    frame = coerce(read_export(path, codebook), codebook, path)
    from pandera.errors import SchemaErrors

    schema = export_schema(codebook, strata)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        raise _schema_error(err, schema, path) from None
    return frame


def _value(value) -> str:
    """A cell as the user wrote it: 7 rather than np.float64(7.0)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return repr(int(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def _schema_error(err: SchemaErrors, schema: pa.DataFrameSchema, path: Path) -> InputError:
    cases = err.failure_cases
    cases = cases[cases["column"].notna()] if "column" in cases else cases
    first = cases.iloc[0]
    column = first.get("column")
    index = first.get("index")
    check = str(first.get("check"))
    in_column = cases[cases["column"] == column] if "column" in cases else cases
    count = len(in_column)
    row = None if index is None or pd.isna(index) else int(index)
    if check.startswith("field_uniqueness"):
        rows = sorted(int(i) for i in in_column["index"].dropna())
        message = f"duplicate value {_value(first['failure_case'])} (must be unique): rows {', '.join(map(str, rows[:5]))}"
        count = 1
    elif check.startswith("isin"):
        isin = next(c for c in schema.columns[column].checks if c.name == "isin")
        allowed = [_value(x) for x in isin.statistics["allowed_values"]]
        shown = ", ".join(allowed[:6]) + (f", ... ({len(allowed)} values)" if len(allowed) > 6 else "")
        message = f"value {_value(first['failure_case'])} is not allowed (expected one of {shown})"
    elif check.startswith("not_nullable"):
        message = "value missing (required)"
    elif check.startswith("str_matches"):
        message = f"value {_value(first['failure_case'])} does not have the expected format ({check})"
    else:
        message = f"value {_value(first['failure_case'])} fails check {check}"
    if count > 1:
        message += f"; {count} failing values in this column"
    return InputError(message, path=path, row=row, column=column)
