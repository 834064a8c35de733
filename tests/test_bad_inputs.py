"""Bad input through the real workflow: a clear message naming file, row or column; a non-zero exit;
nothing partial under results/. Legitimate format variants (semicolons with decimal commas, a
byte-order mark) are read correctly instead. See data/raw/microdata/README.md for the choices."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_workflow

RAW = (ROOT / "data/raw/microdata/ai_barometer_2021_responses.csv").read_text(encoding="utf-8")
LINES = RAW.splitlines()
HEADER = LINES[0].split(",")
SALT = {"BAROMETER_SALT": "a-secret-salt-for-tests"}


def cell(line: str, column: str, value: str) -> str:
    parts = line.split(",")
    parts[HEADER.index(column)] = value
    return ",".join(parts)


def replace_line(number: int, new: str) -> str:
    lines = list(LINES)
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


CORRUPT_EXPORTS = {
    "missing column": ("\n".join(",".join(l.split(",")[:-1]) for l in LINES) + "\n", ["column 'Q13_7'", "required column missing"]),
    "renamed column": (RAW.replace("Q2_werknemers", "employees", 1), ["column 'Q2_werknemers'", "renamed?"]),
    "unknown extra column": ("\n".join([LINES[0] + ",remarks"] + [l + ",x" for l in LINES[1:]]) + "\n", ["column 'remarks'", "unknown column"]),
    "non-numeric employee count": (replace_line(12, cell(LINES[11], "Q2_werknemers", "veel")), ["row 12", "column 'Q2_werknemers'", "'veel' is not a number"]),
    "out-of-range answer code": (replace_line(8, cell(LINES[7], "Q4_1", "7")), ["row 8", "column 'Q4_1'", "value 7 is not allowed (expected one of 1, 2, 3)"]),
    "unknown stratum code": (replace_line(6, cell(LINES[5], "frame_stratum", "99-99_micro")), ["row 6", "column 'frame_stratum'", "'99-99_micro' is not allowed (expected one of '"]),
    "duplicate respondent id": (replace_line(21, cell(LINES[20], "ResponseId", LINES[10].split(",")[HEADER.index("ResponseId")])), ["column 'ResponseId'", "duplicate value", "rows 11, 21"]),
    "empty file": ("", ["file is empty"]),
    "header only": (LINES[0] + "\n", ["header but no data rows"]),
    "truncated last line": ("\n".join(LINES[:-1]) + "\n" + LINES[-1][:30], [f"row {len(LINES)}", "the file may be truncated"]),
    "tab-separated": (RAW.replace(",", "\t"), ["row 1", "tab-separated"]),
}


def use_microdata(repo: Path, text: str | bytes) -> Path:
    path = repo / "raw_export.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    override = repo / "real.yaml"
    override.write_text(yaml.safe_dump({"editions": {"2021": {"microdata": str(path)}}}))
    return override


def assert_no_results(repo: Path, stage: str) -> None:
    produced = [p for p in (repo / "results" / "2021" / stage).glob("*")] if (repo / "results/2021" / stage).exists() else []
    assert not produced, f"partial outputs left behind: {produced}"


@pytest.mark.parametrize("case", sorted(CORRUPT_EXPORTS))
def test_a_corrupt_export_fails_clearly_and_leaves_nothing(repo_copy, case):
    text, fragments = CORRUPT_EXPORTS[case]
    override = use_microdata(repo_copy, text)
    result = run_workflow(repo_copy, "results/2021/clean/respondents.csv", "--configfile", str(override), env=SALT, check=False)
    assert result.returncode != 0
    assert "raw_export.csv" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{case}: '{fragment}' not in the message:\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    assert_no_results(repo_copy, "clean")


def test_latin1_is_rejected_naming_the_line(repo_copy):
    lines = list(LINES[:30])
    lines[19] = cell(lines[19], "bedrijfsnaam", "Café Zénith BV")
    text = "\n".join(lines) + "\n"
    line = 20
    override = use_microdata(repo_copy, text.encode("latin-1"))
    result = run_workflow(repo_copy, "results/2021/clean/respondents.csv", "--configfile", str(override), env=SALT, check=False)
    assert result.returncode != 0
    assert f"not UTF-8 encoded (byte 0xe9 on line {line})" in result.stderr
    assert_no_results(repo_copy, "clean")


def test_semicolons_with_decimal_commas_and_a_byte_order_mark_are_read_correctly(repo_copy, tmp_path):
    reference = use_microdata(repo_copy, RAW)
    run_workflow(repo_copy, "results/2021/clean/respondents.csv", "--configfile", str(reference), env=SALT)
    expected = (repo_copy / "results/2021/clean/respondents.csv").read_bytes()
    belgian = "\n".join(line.replace(",", ";") for line in LINES) + "\n"
    employees = HEADER.index("Q2_werknemers")
    first = belgian.splitlines()[1].split(";")
    first[employees] = first[employees] + ",0"  # 12 written as 12,0
    belgian = belgian.replace(belgian.splitlines()[1], ";".join(first), 1)
    override = use_microdata(repo_copy, b"\xef\xbb\xbf" + belgian.encode("utf-8"))
    run_workflow(repo_copy, "results/2021/clean/respondents.csv", "--configfile", str(override), env=SALT)
    assert (repo_copy / "results/2021/clean/respondents.csv").read_bytes() == expected


def test_a_stratum_without_respondents_stops_weighting(repo_copy):
    stratum, company = HEADER.index("frame_stratum"), HEADER.index("Q1_ondernemingsnummer")
    dropped = {l.split(",")[company] for l in LINES[1:] if l.split(",")[stratum] == "35-39_large"}
    # a duplicate response of one of these firms would otherwise become usable in its place
    kept = [LINES[0]] + [l for l in LINES[1:] if l.split(",")[company] not in dropped]
    override = use_microdata(repo_copy, "\n".join(kept) + "\n")
    result = run_workflow(repo_copy, "results/2021/weights/weights.csv", "--configfile", str(override), env=SALT, check=False)
    assert result.returncode != 0
    assert "stratum '35-39_large' has 23 firms in the frame but no usable response" in result.stderr
    assert_no_results(repo_copy, "weights")


def test_population_smaller_than_respondents_stops_weighting(repo_copy):
    frame = repo_copy / "config/editions/2021/frame.csv"
    frame.write_text(frame.read_text().replace("10-33,large,227,183", "10-33,large,50,40"))
    override = repo_copy / "frame.yaml"
    override.write_text(yaml.safe_dump({"editions": {"2021": {"frame": str(frame)}}}))
    result = run_workflow(repo_copy, "results/2021/weights/weights.csv", "--configfile", str(override), check=False)
    assert result.returncode != 0
    assert "stratum '10-33_large' has 85 usable responses but only 50 firms in the frame (N_h < n_h)" in result.stderr
    assert_no_results(repo_copy, "weights")


@pytest.mark.parametrize(("settings", "key"), [({"bootstrap": {"replicates": -10}}, "bootstrap.replicates"),
                                               ({"seed": -4}, "seed"),
                                               ({"ci": {"level": 1.5}}, "ci.level")])
def test_bad_configuration_values_stop_before_anything_runs(repo_copy, settings, key):
    override = repo_copy / "bad.yaml"
    override.write_text(yaml.safe_dump(settings))
    result = run_workflow(repo_copy, "--configfile", str(override), check=False)
    assert result.returncode != 0
    assert f"key '{key}'" in result.stdout + result.stderr
    assert not (repo_copy / "results" / "2021").exists()


def test_a_malformed_published_value_names_row_and_field(repo_copy):
    table = repo_copy / "data/raw/published/ai_barometer_2021.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",=,1482,", ",=,abc,")
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_workflow(repo_copy, "results/2021/audit/source_checks.csv", check=False)
    assert result.returncode != 0
    assert "ai_barometer_2021.csv" in result.stderr and "row 2" in result.stderr and "column 'value'" in result.stderr
    assert_no_results(repo_copy, "audit")
