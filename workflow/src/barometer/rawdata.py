"""Reading the raw survey export and validating it against the codebook (pandera schema).

Accepted variants, decided once and documented in data/raw/microdata/README.md and the README:
- delimiter: comma, or semicolon as Belgian spreadsheets write it; in the semicolon dialect the
  decimal mark is the comma and the thousands separator the dot (``1.500`` is fifteen hundred,
  ``2,5`` two and a half, ``1.500,5`` both); anything else (e.g. tabs) is rejected;
- numbers that could be read two ways stop the run, naming row and column: a dot that does not group
  thousands in the semicolon dialect (``1.5``), a comma in the comma dialect (``"1,500"``), and, in
  the employee count, ``1,500`` with semicolons or ``1.500`` with commas (a thousands separator of
  the other convention?); non-finite values (``inf``, ``nan``) are rejected;
- encoding: UTF-8, with or without a byte-order mark; anything else is rejected with the line of the
  first undecodable byte and the iconv command that converts the encoding the file appears to have;
- every record must have as many fields as the header (a truncated last line is an error); a field
  longer than the CSV reader's limit (an unclosed quote, usually) is an error;
- columns exactly those of the codebook, in any order: a missing, renamed or unknown extra column
  is an error, since an export that does not match its codebook cannot be trusted to mean the same;
- rows are the file's physical line numbers (where a record starts), also after quoted line breaks
  and blank lines;
- an identifier's value is never quoted in a message (barometer/privacy.py masks it).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import InputError
from .privacy import Redactor, mask

# pandera (~0.45 s to import) is imported by the functions that validate: read_text and
# sniff_delimiter serve the command line, which validates nothing with it.

COMPANY_NUMBER = r"^BE ?0?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}$"
NACE = r"^[0-9]{2}(\.[0-9]{1,2})?$"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
# Numbers as each dialect writes them. Semicolon dialect: decimal comma, dots grouping thousands.
SEMICOLON_PLAIN = re.compile(r"^[+-]?(\d+(,\d*)?|,\d+)([eE][+-]?\d+)?$")
SEMICOLON_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
COMMA_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
NON_FINITE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
# one to three digits, a separator, three digits: a thousands separator or a decimal mark?
THOUSANDS_LIKE = {",": re.compile(r"^[+-]?\d{1,3},\d{3}$"), ".": re.compile(r"^[+-]?\d{1,3}\.\d{3}$")}
# Python codec names (charset_normalizer's) -> the names GNU iconv knows them by
ICONV_NAMES = {"cp1252": "CP1252", "cp850": "CP850", "mac_roman": "MACINTOSH", "iso8859_15": "ISO-8859-15",
               "latin_1": "ISO-8859-1", "utf_16": "UTF-16", "utf_32": "UTF-32"}
CANDIDATE_ENCODINGS = list(ICONV_NAMES)


def read_text(path: str | Path) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, or an error saying how to convert it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path=path) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", path=path) from None
    except OSError as err:
        raise InputError(f"cannot be read ({err.strerror or err})", path=path) from None
    utf16 = _utf16(data)
    if utf16:
        raise InputError(f"is {utf16} encoded, not UTF-8; convert it first: iconv -f {utf16} -t UTF-8 "
                         f"'{path.name}' > '{path.stem}.utf8{path.suffix}'", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 encoded (byte 0x{data[err.start]:02x} on line {line}); {_conversion_hint(data, path)}",
                         path=path) from None
    if not text.strip():
        raise InputError("file is empty", path=path)
    return text


def _utf16(data: bytes) -> str | None:
    """UTF-16 by its byte-order mark, or by the zero byte beside every ASCII character."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4000]
    if len(head) >= 4 and head.count(0) >= len(head) // 3:
        odd = head[1::2].count(0)
        return "UTF-16LE" if odd > head[0::2].count(0) else "UTF-16BE"
    return None


def _conversion_hint(data: bytes, path: Path) -> str:
    """The encoding the bytes most likely have (charset_normalizer, among the encodings Flemish exports
    come in) and the iconv command that converts it."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None or best.encoding not in ICONV_NAMES:
        return "re-export the file as UTF-8"
    name = ICONV_NAMES[best.encoding]
    return (f"it looks {name} encoded: convert it with iconv -f {name} -t UTF-8 '{path.name}' > "
            f"'{path.stem}.utf8{path.suffix}', or re-export it as UTF-8")


def sniff_delimiter(header: str, path: Path) -> str:
    counts = {d: header.count(d) for d in [",", ";", "\t", "|"]}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        raise InputError("the header line has a single column; expected a comma- or semicolon-separated file", path=path, row=1)
    if best not in (",", ";"):
        name = {"\t": "tab", "|": "pipe"}[best]
        raise InputError(f"the file is {name}-separated; expected commas or semicolons", path=path, row=1)
    return best


def read_records(text: str, delimiter: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The file's records and the physical line each starts on.

    pandas numbers records, not lines: after a quoted line break or a blank line its row numbers are
    off. Python's csv reader reports how many lines it has consumed (``line_num``), which gives the
    line each record starts on. Blank lines are skipped.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, lines = [], []
    start = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise InputError(f"a field is longer than {csv.field_size_limit():,} characters, the CSV reader's limit "
                             "(is a closing quote missing?)", path=path, row=start) from None
        raise InputError(f"cannot be read as CSV: {err}", path=path, row=start) from None
    return records, lines


def read_export(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read the raw export as strings, check its shape and columns. Row labels: the file's line numbers."""
    path = Path(path)
    text = read_text(path)
    delimiter = sniff_delimiter(text.splitlines()[0], path)
    records, lines = read_records(text, delimiter, path)
    header = [name.strip() for name in records[0]]
    width = len(header)
    for number, (record, line) in enumerate(zip(records[1:], lines[1:]), start=1):
        if len(record) != width:
            truncated = " (the file may be truncated)" if number == len(records) - 1 else ""
            raise InputError(f"has {len(record)} fields, the header has {width}{truncated}", path=path, row=line)
    if len(records) == 1:
        raise InputError("has a header but no data rows", path=path)
    _check_columns(header, codebook, path)
    frame = pd.DataFrame(records[1:], columns=header, index=pd.Index(lines[1:]), dtype=str)
    frame = frame.where(frame.apply(lambda column: column.str.strip() != ""))  # empty cells: missing
    frame.attrs["delimiter"] = delimiter
    return frame


def _check_columns(header: list[str], codebook: Codebook, path: Path) -> None:
    expected = codebook.raw_columns()
    seen = set()
    for name in header:
        if name in seen:
            raise InputError("column name appears twice in the header", path=path, row=1, column=name)
        seen.add(name)
    missing = [c for c in expected if c not in seen]
    extra = [c for c in header if c not in expected]
    if missing:
        hint = f"; the file has unknown column(s) {extra} - renamed?" if extra else ""
        raise InputError(f"required column missing (the codebook {codebook.path} expects it){hint}", path=path, row=1, column=missing[0])
    if extra:
        raise InputError(f"unknown column, not in the codebook {codebook.path}", path=path, row=1, column=extra[0])


def export_schema(codebook: Codebook, strata: list[str], max_employees: float = np.inf) -> pa.DataFrameSchema:
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
        screening["employees"]: pa.Column(float, [pa.Check.ge(0), pa.Check.le(max_employees)], nullable=True),
        screening["nace"]: pa.Column(str, pa.Check.str_matches(NACE), nullable=True),
    }
    for row in codebook.items.itertuples():
        if row.scale_type == "categorical":
            check = pa.Check.isin([float(c) for c in row.codes])
        else:
            check = pa.Check.in_range(-np.inf if row.min is None else row.min, np.inf if row.max is None else row.max)
        columns[row.column] = pa.Column(float, check, nullable=True)
    return pa.DataFrameSchema(columns, strict=True, coerce=False)


def parse_numbers(text: pd.Series, delimiter: str, *, count: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers as the file's dialect writes them: ``(values, problem)``, ``problem`` naming why a
    cell is not read (``None`` where it is). ``count``: a column of whole numbers (employees), where
    one to three digits, a separator and three digits could be either convention's thousands."""
    stripped = text.str.strip()
    present = stripped.notna()
    numeric_like = stripped.str.match(r"^[+-]?[0-9.,]+([eE][+-]?[0-9]+)?$", na=False)
    problem = pd.Series(None, index=text.index, dtype=object)
    if delimiter == ";":
        grouped = stripped.str.match(SEMICOLON_GROUPED, na=False)
        ok = stripped.str.match(SEMICOLON_PLAIN, na=False) | grouped
        normalised = stripped.where(~grouped, stripped.str.replace(".", "", regex=False)).str.replace(",", ".", regex=False)
        ambiguous = present & ~ok & numeric_like & stripped.str.contains(".", regex=False, na=False)
        problem[ambiguous] = ("is ambiguous: in a semicolon-separated file the decimal mark is the comma and a dot "
                              "groups thousands (1.500 is fifteen hundred, 1,5 one and a half)")
        if count:
            other = present & stripped.str.match(THOUSANDS_LIKE[","], na=False)
            problem[other] = ("is ambiguous: a decimal comma, or a thousands separator? Write fifteen hundred "
                              "as 1500 or 1.500 in a semicolon-separated file")
            ok &= ~other
    else:
        normalised = stripped
        ok = stripped.str.match(COMMA_PLAIN, na=False)
        ambiguous = present & ~ok & numeric_like & stripped.str.contains(",", regex=False, na=False)
        problem[ambiguous] = ("is ambiguous: a comma-separated file writes decimals with a point and no "
                              "thousands separator")
        if count:
            other = present & stripped.str.match(THOUSANDS_LIKE["."], na=False)
            problem[other] = ("is ambiguous: a decimal point, or a thousands separator? Write fifteen hundred "
                              "as 1500 in a comma-separated file")
            ok &= ~other
    values = pd.to_numeric(normalised.where(ok), errors="coerce").astype(float)
    non_finite = present & (stripped.str.match(NON_FINITE, na=False) | (ok & ~np.isfinite(values.fillna(0.0))))
    problem[non_finite] = "is not a finite number"
    problem[present & ~ok & problem.isna()] = "is not a number"
    return values.where(problem.isna()), problem


def coerce(frame: pd.DataFrame, codebook: Codebook, path: Path, redactor: Redactor | None = None) -> pd.DataFrame:
    """Convert string columns to numbers and timestamps, naming the first cell that does not parse."""
    redactor = redactor or Redactor()
    out = frame.copy()
    meta = codebook.metadata_columns
    delimiter = frame.attrs.get("delimiter", ",")
    employees = codebook.screening_columns["employees"]
    numeric = [meta["progress"], employees, *codebook.items["column"]]
    for column in numeric:
        values, problem = parse_numbers(out[column], delimiter, count=column == employees)
        if problem.notna().any():
            first = problem.notna().idxmax()
            raise InputError(f"value {redactor.shown(frame.at[first, column])} {problem[first]}", path=path, row=first,
                             column=column)
        out[column] = values
    for column in (meta["start"], meta["end"]):
        values = pd.to_datetime(out[column], format=TIMESTAMP_FORMAT, errors="coerce")
        bad = out[column].notna() & values.isna()
        if bad.any():
            first = bad.idxmax()
            raise InputError(f"value {redactor.shown(frame.at[first, column])} is not a timestamp like 2021-05-17 09:30:00",
                             path=path, row=first, column=column)
        out[column] = values
    return out


def load_export(path: str | Path, codebook: Codebook, strata: list[str], max_employees: float = np.inf) -> pd.DataFrame:
    """Read, coerce and validate the raw export; any problem raises InputError naming row and column.
    ``max_employees``: the plausibility limit of the employee count (configuration key
    cleaning.max_employees)."""
    path = Path(path)
    raw = read_export(path, codebook)
    redactor = Redactor(raw[list(codebook.identifier_columns.values())].stack().tolist())
    frame = coerce(raw, codebook, path, redactor)
    from pandera.errors import SchemaErrors

    schema = export_schema(codebook, strata, max_employees)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        raise _schema_error(err, schema, path, redactor, codebook) from None
    start, end = codebook.metadata_columns["start"], codebook.metadata_columns["end"]
    backwards = frame[end] < frame[start]
    if backwards.any():
        first = backwards.idxmax()
        raise InputError(f"the response ends ({frame.at[first, end]}) before it starts ({start} {frame.at[first, start]}); "
                         f"{int(backwards.sum())} such row(s)", path=path, row=first, column=end)
    return frame


def _value(value, redactor: Redactor) -> str:
    """A cell as the user wrote it: 7 rather than np.float64(7.0); an identifier masked."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return repr(int(value))
    if isinstance(value, str):
        return redactor.shown(value)
    return repr(value.item() if isinstance(value, np.generic) else value)


def _schema_error(err: SchemaErrors, schema: pa.DataFrameSchema, path: Path, redactor: Redactor,
                  codebook: Codebook) -> InputError:
    cases = err.failure_cases
    cases = cases[cases["column"].notna()] if "column" in cases else cases
    first = cases.iloc[0]
    column = first.get("column")
    index = first.get("index")
    check = str(first.get("check"))
    in_column = cases[cases["column"] == column] if "column" in cases else cases
    count = len(in_column)
    row = None if index is None or pd.isna(index) else int(index)
    # identifier columns: the value is never shown, only that it is malformed
    identifier = column in codebook.identifier_columns.values()
    value = mask(first["failure_case"]) if identifier else _value(first["failure_case"], redactor)
    if check.startswith("field_uniqueness"):
        rows = sorted(int(i) for i in in_column["index"].dropna())
        message = f"duplicate value {value} (must be unique): rows {', '.join(map(str, rows[:5]))}"
        count = 1
    elif check.startswith("isin"):
        isin = next(c for c in schema.columns[column].checks if c.name == "isin")
        allowed = [_value(x, Redactor()) for x in isin.statistics["allowed_values"]]
        shown = ", ".join(allowed[:6]) + (f", ... ({len(allowed)} values)" if len(allowed) > 6 else "")
        message = f"value {value} is not allowed (expected one of {shown})"
    elif check.startswith("not_nullable"):
        message = "value missing (required)"
    elif check.startswith("str_matches"):
        message = f"value {value} does not have the expected format ({check})"
    elif check.startswith("less_than_or_equal_to") and column == codebook.screening_columns["employees"]:
        limit = schema.columns[column].checks[1].statistics["max_value"]
        message = (f"value {value} is above the plausibility limit of {limit:,g} employees "
                   "(configuration key cleaning.max_employees)")
    else:
        message = f"value {value} fails check {check}"
    if count > 1:
        message += f"; {count} failing values in this column"
    return InputError(message, path=path, row=row, column=column)
