"""Bad input through the real workflow: a clear message naming file, row or column (or the
configuration key); a non-zero exit; nothing partial under results/; no identifier of the raw export
anywhere under results/ (logs included). Legitimate format variants (semicolons with decimal commas
and thousands dots, a byte-order mark, quoted line breaks, blank lines, the bundled file at another
path) are read correctly instead. See data/raw/microdata/README.md and the README's "Running on the
real microdata" for the choices."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_workflow

RAW_PATH = ROOT / "data/raw/microdata/ai_barometer_2021_responses.csv"
RAW = RAW_PATH.read_text(encoding="utf-8")
LINES = RAW.splitlines()
HEADER = LINES[0].split(",")
SALT = {"BAROMETER_SALT": "a-secret-salt-for-tests"}
CLEAN = "results/2021/clean/respondents.csv"
ID_COLUMNS = ("ResponseId", "contact_email", "bedrijfsnaam", "Q1_ondernemingsnummer")


def _identifiers() -> set[str]:
    raw = pd.read_csv(RAW_PATH, dtype=str)
    values = set()
    for column in ID_COLUMNS:
        values |= set(raw[column].dropna())
    numbers = raw["Q1_ondernemingsnummer"].dropna()
    values |= {n.replace("BE", "").replace(".", "") for n in numbers}  # 0613669015
    return values


IDENTIFIERS = _identifiers()


def cell(line: str, column: str, value: str, sep: str = ",") -> str:
    parts = line.split(sep)
    parts[HEADER.index(column)] = value
    return sep.join(parts)


def value_of(line: str, column: str) -> str:
    return line.split(",")[HEADER.index(column)]


def replace_line(number: int, new: str, lines: list[str] = LINES) -> str:
    lines = list(lines)
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def semicolons(lines: list[str]) -> list[str]:
    return [line.replace(",", ";") for line in lines]


def use_microdata(repo: Path, text: str | bytes, name: str = "raw_export.csv") -> Path:
    path = repo / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return configure(repo, {"editions": {"2021": {"microdata": str(path)}}})


def configure(repo: Path, settings: dict, name: str = "real.yaml") -> Path:
    override = repo / name
    override.write_text(yaml.safe_dump(settings))
    return override


def results_files(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / "results").rglob("*") if p.is_file())


def assert_no_identifier(repo: Path, *extra: str, output: str = "") -> None:
    """No value of an identifier column of the raw export (nor ``extra``) in any file under results/,
    logs included, nor in what the run printed."""
    corpus = "\n".join(p.read_bytes().decode("utf-8", errors="ignore") for p in results_files(repo)) + output
    leaked = [v for v in IDENTIFIERS | set(extra) if v in corpus]
    assert not leaked, f"{len(leaked)} identifiers under results/ or in the output, e.g. {leaked[:3]}"


def assert_nothing_made(repo: Path) -> None:
    """Only logs and the run record: no output, not even a partial one."""
    made = [p.relative_to(repo) for p in results_files(repo)
            if p.suffix != ".log" and p.name != ".gitkeep" and p.relative_to(repo) != Path("results/.provenance/run.json")]
    assert not made, f"outputs left behind: {made}"


def assert_refused(repo: Path, result, fragments: list[str], *extra_identifiers: str, traceback: bool = False) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for fragment in fragments:
        assert fragment in output, f"'{fragment}' not in the message:\n{output[-3000:]}"
    if not traceback:
        assert "Traceback" not in output, output[-3000:]
    assert_nothing_made(repo)
    assert_no_identifier(repo, *extra_identifiers, output=output)


def run_clean(repo: Path, override: Path, env: dict | None = SALT):
    return run_workflow(repo, CLEAN, "--configfile", str(override), env=env, check=False)


# ------------------------------------------------------------------------------------------------
# malformed exports: each stops the clean stage naming the file, the (physical) row and the column
# ------------------------------------------------------------------------------------------------
MICRO = next(i for i, line in enumerate(LINES[1:], start=2) if value_of(line, "frame_stratum").endswith("_micro"))
SEMI = semicolons(LINES)
QUOTED_NEWLINE = [*LINES[:4], cell(LINES[4], "bedrijfsnaam", '"Lemmens\nDrukkerij BV"'), *LINES[5:]]
BLANK_LINES = [*LINES[:3], "", "", *LINES[3:]]
CORRUPT_EXPORTS = {
    "missing column": ("\n".join(",".join(line.split(",")[:-1]) for line in LINES) + "\n", ["column 'Q13_7'", "required column missing"]),
    "renamed column": (RAW.replace("Q2_werknemers", "employees", 1), ["column 'Q2_werknemers'", "renamed?"]),
    "unknown extra column": ("\n".join([LINES[0] + ",remarks"] + [line + ",x" for line in LINES[1:]]) + "\n", ["column 'remarks'", "unknown column"]),
    "column named twice": ("\n".join([LINES[0].replace(",Q4_1,", ",Q4_2,", 1)] + LINES[1:]) + "\n", ["row 1", "column 'Q4_2'", "appears twice"]),
    "non-numeric employee count": (replace_line(12, cell(LINES[11], "Q2_werknemers", "veel")), ["row 12", "column 'Q2_werknemers'", "'veel' is not a number"]),
    "out-of-range answer code": (replace_line(8, cell(LINES[7], "Q4_1", "7")), ["row 8", "column 'Q4_1'", "value 7 is not allowed (expected one of 1, 2, 3)"]),
    "unknown stratum code": (replace_line(6, cell(LINES[5], "frame_stratum", "99-99_micro")), ["row 6", "column 'frame_stratum'", "'99-99_micro' is not allowed (expected one of '"]),
    "duplicate respondent id": (replace_line(21, cell(LINES[20], "ResponseId", value_of(LINES[10], "ResponseId"))), ["column 'ResponseId'", "duplicate value", "rows 11, 21"]),
    "empty file": ("", ["file is empty"]),
    "header only": (LINES[0] + "\n", ["header but no data rows"]),
    "truncated last line": ("\n".join(LINES[:-1]) + "\n" + LINES[-1][:30], [f"row {len(LINES)}", "the file may be truncated"]),
    "tab-separated": (RAW.replace(",", "\t"), ["row 1", "tab-separated"]),
    # numbers that could be read two ways, and numbers that cannot be right
    "a decimal point in a semicolon file": (replace_line(12, cell(SEMI[11], "Q2_werknemers", "1.5", ";"), SEMI),
                                            ["row 12", "column 'Q2_werknemers'", "'1.5' is ambiguous"]),
    "an employee count 1,500 in a semicolon file": (replace_line(12, cell(SEMI[11], "Q2_werknemers", "1,500", ";"), SEMI),
                                                    ["row 12", "column 'Q2_werknemers'", "'1,500' is ambiguous"]),
    "an employee count 1.500 in a comma file": (replace_line(12, cell(LINES[11], "Q2_werknemers", "1.500")),
                                                ["row 12", "column 'Q2_werknemers'", "'1.500' is ambiguous"]),
    "a quoted decimal comma in a comma file": (replace_line(9, cell(LINES[8], "Progress", '"94,5"')),
                                               ["row 9", "column 'Progress'", "'94,5' is ambiguous"]),
    "employees above the plausibility limit": (replace_line(MICRO, cell(LINES[MICRO - 1], "Q2_werknemers", "1000000000")),
                                               [f"row {MICRO}", "column 'Q2_werknemers'", "above the plausibility limit of 100,000 employees",
                                                "cleaning.max_employees"]),
    "employees written 1e9": (replace_line(MICRO, cell(LINES[MICRO - 1], "Q2_werknemers", "1e9")),
                              [f"row {MICRO}", "column 'Q2_werknemers'", "plausibility limit"]),
    "infinite employees": (replace_line(12, cell(LINES[11], "Q2_werknemers", "inf")), ["row 12", "column 'Q2_werknemers'", "'inf' is not a finite number"]),
    "NaN progress": (replace_line(7, cell(LINES[6], "Progress", "NaN")), ["row 7", "column 'Progress'", "'NaN' is not a finite number"]),
    "an answer of 1e400": (replace_line(7, cell(LINES[6], "Q4_1", "1e400")), ["row 7", "column 'Q4_1'", "not a finite number"]),
    "end before start": (replace_line(9, cell(cell(LINES[8], "StartDate", value_of(LINES[8], "EndDate")), "EndDate", value_of(LINES[8], "StartDate"))),
                         ["row 9", "column 'EndDate'", "ends (2021-05-03 08:39:44) before it starts (StartDate 2021-05-03 08:54:07)"]),
    "a malformed timestamp": (replace_line(10, cell(LINES[9], "StartDate", "31/05/2021 10:00")), ["row 10", "column 'StartDate'", "is not a timestamp"]),
    # physical line numbers: the record number is off after a quoted line break or blank lines
    "a bad value after a quoted line break": (replace_line(12, cell(LINES[11], "Q2_werknemers", "veel"), QUOTED_NEWLINE),
                                              ["row 13", "column 'Q2_werknemers'", "'veel' is not a number"]),
    "a bad value after blank lines": (replace_line(14, cell(LINES[11], "Q2_werknemers", "veel"), BLANK_LINES),
                                      ["row 14", "column 'Q2_werknemers'", "'veel' is not a number"]),
    "a field longer than the CSV limit": (replace_line(15, cell(LINES[14], "bedrijfsnaam", '"' + "x" * 200_000 + '"')),
                                          ["row 15", "longer than 131,072 characters", "closing quote missing?"]),
    "an unclosed quote": (replace_line(15, cell(LINES[14], "bedrijfsnaam", '"Lemmens Drukkerij BV')), ["row 15", "closing quote missing?"]),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_EXPORTS))
def test_a_corrupt_export_fails_clearly_and_leaves_nothing(repo_copy, case):
    text, fragments = CORRUPT_EXPORTS[case]
    result = run_clean(repo_copy, use_microdata(repo_copy, text))
    assert "raw_export.csv" in result.stderr
    assert_refused(repo_copy, result, fragments)


# identifiers are named by row and column, never printed: the message masks them
MALFORMED_IDENTIFIERS = {
    "contact_email": ("jan peeters@bakkerij-peeters.example.invalid", "j***@b***.invalid"),
    "Q1_ondernemingsnummer": ("BE 0613.669.01", "B*** (14 characters)"),
    "ResponseId": (value_of(LINES[10], "ResponseId"), f"R*** ({len(value_of(LINES[10], 'ResponseId'))} characters)"),  # a duplicate
}


@pytest.mark.parametrize("column", sorted(MALFORMED_IDENTIFIERS))
def test_a_malformed_identifier_is_named_by_row_and_column_but_never_printed(repo_copy, column):
    value, masked = MALFORMED_IDENTIFIERS[column]
    result = run_clean(repo_copy, use_microdata(repo_copy, replace_line(21, cell(LINES[20], column, value))))
    assert_refused(repo_copy, result, ["raw_export.csv", f"column '{column}'", masked], value)
    assert "row 21" in result.stderr or "rows 11, 21" in result.stderr
    log = (repo_copy / "results/2021/logs/clean.log").read_text(encoding="utf-8")
    assert f"column '{column}'" in log and masked in log and value not in log


def test_a_company_name_shifted_into_a_numeric_column_is_masked_too(repo_copy):
    name = value_of(LINES[30], "bedrijfsnaam")
    result = run_clean(repo_copy, use_microdata(repo_copy, replace_line(31, cell(LINES[30], "Progress", name))))
    assert_refused(repo_copy, result, ["row 31", "column 'Progress'", f"{name[0]}*** ({len(name)} characters) is not a number"])


def _conversion(result, repo: Path) -> bytes:
    """Run the iconv command the message gives, in the folder of the export, and return its output."""
    command = re.search(r"iconv -f \S+ -t UTF-8 '[^']+' > '[^']+'", result.stderr).group(0)
    subprocess.run(command, shell=True, cwd=repo, check=True)
    return (repo / command.rsplit("'", 2)[-2]).read_bytes()


def test_latin1_is_rejected_naming_the_line_and_the_iconv_command_that_converts_it(repo_copy):
    lines = list(LINES[:30])
    lines[19] = cell(lines[19], "bedrijfsnaam", "Café Zénith BV")
    lines[24] = cell(lines[24], "bedrijfsnaam", "Crèmerie Noël CV")
    text = "\n".join(lines) + "\n"
    result = run_clean(repo_copy, use_microdata(repo_copy, text.encode("latin-1")))
    assert_refused(repo_copy, result, ["raw_export.csv", "not UTF-8 encoded (byte 0xe9 on line 20)", "iconv -f CP1252 -t UTF-8"],
                   "Café Zénith BV", "Crèmerie Noël CV")
    assert _conversion(result, repo_copy) == text.encode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_is_rejected_with_the_iconv_command_that_converts_it(repo_copy, encoding):
    result = run_clean(repo_copy, use_microdata(repo_copy, RAW.encode(encoding)))
    name = "UTF-16" if encoding == "utf-16" else "UTF-16LE"
    assert_refused(repo_copy, result, ["raw_export.csv", f"is {name} encoded, not UTF-8", f"iconv -f {name} -t UTF-8"])
    assert "latin1" not in result.stderr
    assert _conversion(result, repo_copy) == RAW.encode("utf-8")


# ------------------------------------------------------------------------------------------------
# accepted variants: read to exactly the same respondents
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """respondents.csv of the bundled export under a secret salt (the salt the variants use)."""
    from conftest import copy_repository

    repo = copy_repository(tmp_path_factory.mktemp("reference"))
    run_workflow(repo, CLEAN, "--configfile", str(use_microdata(repo, RAW)), env=SALT)
    return (repo / CLEAN).read_bytes()


def test_semicolons_with_decimal_commas_thousands_dots_and_a_byte_order_mark_are_read_correctly(repo_copy, reference):
    """1.500 employees in a semicolon file is fifteen hundred: 135 firms with 1,000 or more employees
    stay usable large firms rather than being excluded as "fewer than 5 employees"."""
    employees = HEADER.index("Q2_werknemers")
    belgian, grouped = [], 0
    for number, line in enumerate(SEMI):
        parts = line.split(";")
        value = parts[employees]
        if number and value and int(value) >= 1000:
            parts[employees] = f"{int(value):,}".replace(",", ".")  # 1500 -> 1.500
            grouped += 1
        elif number == 1:
            parts[employees] = value + ",0"  # 82 written 82,0
        belgian.append(";".join(parts))
    assert grouped == 135
    run_workflow(repo_copy, CLEAN, "--configfile", str(use_microdata(repo_copy, b"\xef\xbb\xbf" + ("\n".join(belgian) + "\n").encode())), env=SALT)
    assert (repo_copy / CLEAN).read_bytes() == reference
    accounting = pd.read_csv(repo_copy / "results/2021/clean/accounting.csv").set_index("count")["records"]
    assert accounting["excluded (a)"] == 300 and accounting["usable responses"] == 1717


def test_quoted_line_breaks_and_blank_lines_keep_physical_line_numbers(repo_copy, reference):
    text = "\n".join([*QUOTED_NEWLINE[:10], "", *QUOTED_NEWLINE[10:]]) + "\n"
    run_workflow(repo_copy, CLEAN, "--configfile", str(use_microdata(repo_copy, text)), env=SALT)
    got = pd.read_csv(repo_copy / CLEAN)
    expected = pd.read_csv(pd.io.common.BytesIO(reference))
    # a record after the quoted break (one extra line) and the blank line (another) starts two lines later
    shift = (expected["raw_line"] > 5).astype(int) + (expected["raw_line"] > 10).astype(int)
    assert got["raw_line"].tolist() == (expected["raw_line"] + shift).tolist()
    pd.testing.assert_frame_equal(got.drop(columns="raw_line"), expected.drop(columns="raw_line"))


def test_the_bundled_file_is_recognised_by_its_content_wherever_it_lies(repo_copy):
    """A byte-identical copy of the bundled export at another path may use the public salt."""
    run_workflow(repo_copy, CLEAN)
    bundled = (repo_copy / CLEAN).read_bytes()
    shutil.rmtree(repo_copy / "results")
    run_workflow(repo_copy, CLEAN, "--configfile", str(use_microdata(repo_copy, RAW, name="elsewhere.csv")))
    assert (repo_copy / CLEAN).read_bytes() == bundled
    origin = pd.read_csv(repo_copy / "results/2021/clean/origin.csv").iloc[0]
    assert origin["microdata"] == "bundled reconstruction" and origin["bundled_reconstruction"]


# ------------------------------------------------------------------------------------------------
# the salt: any export but the bundled one needs a secret salt of 16+ characters
# ------------------------------------------------------------------------------------------------
NOT_BUNDLED = "\n".join(LINES[:-1]) + "\n"  # one response fewer: another file
SALT_CASES = {
    "no salt": (None, "a secret salt is required"),
    "a blank salt": ("   ", "is blank"),
    "the public default salt": ("bundled-reconstruction-public-salt", "holds the public default salt"),
    "a short salt": ("fifteen-chars!!", "has 15 characters, fewer than 16"),
}


@pytest.mark.parametrize("case", sorted(SALT_CASES))
def test_real_microdata_without_a_proper_secret_salt_are_refused(repo_copy, case):
    salt, words = SALT_CASES[case]
    result = run_clean(repo_copy, use_microdata(repo_copy, NOT_BUNDLED), env=None if salt is None else {"BAROMETER_SALT": salt})
    assert_refused(repo_copy, result, ["key 'pseudonymisation.salt_env'", words, "export BAROMETER_SALT="])


def test_a_checksum_file_beside_an_export_does_not_make_it_the_bundled_one(repo_copy):
    """The salt bypass: any `sha256sum` output beside a real export used to pass it as the bundled
    reconstruction, with the public salt."""
    override = use_microdata(repo_copy, NOT_BUNDLED)
    digest = hashlib.sha256(NOT_BUNDLED.encode()).hexdigest()
    (repo_copy / "raw_export.csv.sha256").write_text(f"{digest}  raw_export.csv\n")
    result = run_clean(repo_copy, override, env=None)
    assert_refused(repo_copy, result, ["key 'pseudonymisation.salt_env'", "not the bundled reconstruction"])


# ------------------------------------------------------------------------------------------------
# every configured input must be a readable file, whatever results/ holds
# ------------------------------------------------------------------------------------------------
def test_a_mistyped_microdata_path_stops_the_run_even_with_results_in_place(repo_copy):
    run_workflow(repo_copy, CLEAN)
    before = {p: p.read_bytes() for p in results_files(repo_copy) if p.suffix != ".log"}
    override = configure(repo_copy, {"editions": {2021: {"microdata": "/secure/ai_barometer_2021_exprot.csv"}}}, "my-data.yaml")
    for target in ([], [CLEAN]):
        result = run_workflow(repo_copy, *target, "--configfile", str(override), env=SALT, check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "Nothing to be done" not in output
        assert "key 'editions.2021.microdata': /secure/ai_barometer_2021_exprot.csv does not exist" in output
    assert {p: p.read_bytes() for p in results_files(repo_copy) if p.suffix != ".log"} == before


@pytest.mark.parametrize(("key", "make"), [
    ("microdata", lambda repo: repo / "data/raw/microdata"),                                   # a directory
    ("microdata", lambda repo: os.symlink(repo / "gone.csv", repo / "link.csv") or repo / "link.csv"),  # a broken link
    ("codebook", lambda repo: repo / "config/editions/2021/codebok.yaml"),
    ("frame", lambda repo: repo / "config/editions/2021/frame_2021.csv"),
    ("errata", lambda repo: repo / "config/editions/2021/erata.yaml"),
    ("strata", lambda repo: (repo / "strata.yaml").mkdir() or repo / "strata.yaml"),
], ids=["microdata is a directory", "microdata is a broken link", "missing codebook", "missing frame", "missing errata",
        "strata is a directory"])
def test_a_configured_input_that_is_not_a_readable_file_stops_the_run_naming_key_and_path(repo_copy, key, make):
    path = make(repo_copy)
    result = run_workflow(repo_copy, "--configfile", str(configure(repo_copy, {"editions": {2021: {key: str(path)}}})),
                          env=SALT, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"key 'editions.2021.{key}': {path} " in output
    assert ("is a directory" if path.is_dir() else "broken symbolic link" if path.is_symlink() else "does not exist") in output
    assert not (repo_copy / "results/2021").exists()


# ------------------------------------------------------------------------------------------------
# configuration the schema accepts but the workflow cannot run: refused at start, naming the key
# ------------------------------------------------------------------------------------------------
CONFIGURATIONS = {
    "B = 2 with percentile intervals": ({"bootstrap": {"replicates": 2}, "ci": {"method": "percentile"}}, "ci.method",
                                        "percentile intervals need at least 1000 bootstrap replicates"),
    "percentile means with B = 500": ({"bootstrap": {"replicates": 500}, "ci": {"mean_method": "percentile"}}, "ci.mean_method",
                                      "bootstrap.replicates is 500"),
    "report.edition not configured": ({"report": {"edition": 2019}}, "report.edition", "edition 2019 is not configured"),
    "report.edition not a year": ({"report": {"edition": "latest"}}, "report.edition", "'latest' is not of type 'integer'"),
    "no domains": ({"estimation": {"domains": []}}, "estimation.domains", "missing: sector, size, adopter_status"),
    "domains: [sector]": ({"estimation": {"domains": ["sector"]}}, "estimation.domains", "missing: size, adopter_status"),
    "no dimensions": ({"differences": {"dimensions": []}}, "differences.dimensions", "at least one dimension"),
    "an unknown dimension": ({"differences": {"dimensions": ["region"]}}, "differences.dimensions.0", "'region' is not one of"),
    "negative replicates": ({"bootstrap": {"replicates": -10}}, "bootstrap.replicates", "less than the minimum of 2"),
    "negative seed": ({"seed": -4}, "seed", "less than the minimum of 0"),
    "a level above 1": ({"ci": {"level": 1.5}}, "ci.level", "1.5"),
    "no employee limit": ({"cleaning": {"max_employees": 0}}, "cleaning.max_employees", "less than or equal to the minimum of 0"),
    "a malformed bundled checksum": ({"editions": {2021: {"bundled_sha256": "abc"}}}, "editions.2021.bundled_sha256", "does not match"),
}


@pytest.mark.parametrize("case", sorted(CONFIGURATIONS))
def test_a_configuration_that_cannot_run_stops_before_anything_runs(repo_copy, case):
    settings, key, words = CONFIGURATIONS[case]
    result = run_workflow(repo_copy, "--configfile", str(configure(repo_copy, settings, "bad.yaml")), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"key '{key}'" in output and words in output, output[-3000:]
    assert "KeyError" not in output
    assert not (repo_copy / "results/2021").exists()


def test_reporting_an_edition_without_published_numbers_is_refused(repo_copy):
    """The fixture edition 2099 is configured but publishes nothing the report could reproduce."""
    override = configure(repo_copy, {"report": {"edition": 2099}}, "report.yaml")
    result = run_workflow(repo_copy, "--configfile", "tests/fixtures/edition_2099/config.yaml", str(override),
                          env={"BAROMETER_SALT": "salt for the fixture edition"}, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "key 'report.edition': edition 2099 has no published numbers (editions.2099.published)" in output
    assert not (repo_copy / "results/2021").exists() and not (repo_copy / "results/2099").exists()


# ------------------------------------------------------------------------------------------------
# later stages
# ------------------------------------------------------------------------------------------------
def assert_no_results(repo: Path, stage: str) -> None:
    produced = list((repo / "results/2021" / stage).glob("*")) if (repo / "results/2021" / stage).exists() else []
    assert not produced, f"partial outputs left behind: {produced}"


def test_a_stratum_without_respondents_stops_weighting(repo_copy):
    stratum, company = HEADER.index("frame_stratum"), HEADER.index("Q1_ondernemingsnummer")
    dropped = {line.split(",")[company] for line in LINES[1:] if line.split(",")[stratum] == "35-39_large"}
    # a duplicate response of one of these firms would otherwise become usable in its place
    kept = [LINES[0]] + [line for line in LINES[1:] if line.split(",")[company] not in dropped]
    override = use_microdata(repo_copy, "\n".join(kept) + "\n")
    result = run_workflow(repo_copy, "results/2021/weights/weights.csv", "--configfile", str(override), env=SALT, check=False)
    assert result.returncode != 0
    assert "stratum '35-39_large' has 23 firms in the frame but no usable response" in result.stderr
    assert_no_results(repo_copy, "weights")
    assert_no_identifier(repo_copy, output=result.stdout + result.stderr)


def test_population_smaller_than_respondents_stops_weighting(repo_copy):
    frame = repo_copy / "config/editions/2021/frame.csv"
    frame.write_text(frame.read_text().replace("10-33,large,227,183", "10-33,large,50,40"))
    override = configure(repo_copy, {"editions": {"2021": {"frame": str(frame)}}}, "frame.yaml")
    result = run_workflow(repo_copy, "results/2021/weights/weights.csv", "--configfile", str(override), check=False)
    assert result.returncode != 0
    assert "stratum '10-33_large' has 85 usable responses but only 50 firms in the frame (N_h < n_h)" in result.stderr
    assert_no_results(repo_copy, "weights")
    assert_no_identifier(repo_copy, output=result.stdout + result.stderr)


def test_a_malformed_published_value_names_row_and_field(repo_copy):
    table = repo_copy / "data/raw/published/ai_barometer_2021.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",=,1482,", ",=,abc,")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_workflow(repo_copy, "results/2021/audit/source_checks.csv", check=False)
    assert result.returncode != 0
    assert "ai_barometer_2021.csv" in result.stderr and "row 2" in result.stderr and "column 'value'" in result.stderr
    assert_no_results(repo_copy, "audit")
