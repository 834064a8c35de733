"""Cleaning: the report's exclusion rules, record accounting, keyed pseudonyms, Table 2 after errata."""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd
import pytest

from barometer.cleaning import clean, normalise_company_number, usable_counts
from barometer.codebook import Codebook
from barometer.rawdata import load_export
from barometer.strata import Strata
from conftest import ROOT

EDITION = ROOT / "config" / "editions" / "2021"
RAW = ROOT / "data" / "raw" / "microdata" / "ai_barometer_2021_responses.csv"
SALT = "test-salt-not-secret"


@pytest.fixture(scope="module")
def codebook():
    return Codebook.load(EDITION / "codebook.yaml")


@pytest.fixture(scope="module")
def strata():
    return Strata.load(EDITION / "strata.yaml")


@pytest.fixture(scope="module")
def raw(codebook, strata):
    return load_export(RAW, codebook, strata.ids)


@pytest.fixture(scope="module")
def result(raw, codebook, strata):
    return clean(raw, codebook, strata, salt=SALT)


def test_every_raw_record_is_accounted_for(raw, result):
    assert len(raw) == 2741
    assert len(result.respondents) == 1717
    assert len(result.exclusions) == 1024
    assert result.exclusions["reason"].value_counts().to_dict() == {"c": 430, "a": 300, "b": 250, "d": 44}
    lines = set(result.respondents["raw_line"]) | set(result.exclusions["raw_line"])
    assert lines == set(raw.index)


def test_usable_responses_per_stratum_equal_table2_after_errata(result, strata):
    published = pd.read_csv(ROOT / "data/raw/published/ai_barometer_2021.csv")
    cells = published[(published["indicator"] == "response.usable") & (published["kind"] == "table_cell")]
    expected = {d.replace("sector=", "").replace(";size=", "_"): int(v) for d, v in zip(cells["domain"], cells["value"])}
    expected["55-56_small"], expected["55-56_medium"] = 33, 8  # erratum table2-55-56-small-medium-transposed
    assert usable_counts(result.respondents, strata).to_dict() == expected


def test_exclusion_evidence_names_the_rule(result, raw):
    ex = result.exclusions.set_index("raw_line")
    a = ex[ex["reason"] == "a"].iloc[0]
    assert a["evidence"] == "reported fewer than 5 employees"
    assert raw.at[a.name, "Q2_werknemers"] < 5
    b = ex[ex["reason"] == "b"].iloc[0]
    assert b["evidence"] == "reported a NACE code in none of the sector groups"
    assert raw.at[b.name, "Q3_nace"] not in b["evidence"]
    d = ex[ex["reason"] == "d"]
    # the kept response of each duplicate pair is usable and the more complete one
    kept = d["evidence"].str.extract(r"kept line (\d+)")[0].astype(int)
    assert set(kept) <= set(result.respondents["raw_line"])


def test_identifiers_are_replaced_by_keyed_pseudonyms(result, raw):
    row = result.respondents.iloc[0]
    number = raw.at[row["raw_line"], "Q1_ondernemingsnummer"]
    expected = "F" + hmac.new(SALT.encode(), normalise_company_number(number).encode(), hashlib.sha256).hexdigest()[:16]
    assert row["firm"] == expected
    assert hmac.new(b"another salt", normalise_company_number(number).encode(), hashlib.sha256).hexdigest()[:16] not in row["firm"]
    text = result.respondents.to_csv() + result.exclusions.to_csv()
    for column in ("Q1_ondernemingsnummer", "bedrijfsnaam", "contact_email", "ResponseId"):
        for value in raw[column].dropna().head(200):
            assert str(value) not in text, f"{column} value {value!r} leaked"
    assert not {"Q2_werknemers", "Q3_nace", "StartDate"} & set(result.respondents.columns)


def test_company_numbers_in_any_belgian_format_are_one_firm():
    assert normalise_company_number("BE 0123.456.749") == normalise_company_number("0123456749") == "0123456749"
    assert normalise_company_number("123.456.749") == "0123456749"


def test_the_more_complete_duplicate_is_kept(raw, codebook, strata):
    sample = raw.iloc[:40].copy()
    twin = sample.iloc[[0]].copy()
    twin.index = [10_000]
    twin["ResponseId"] = "R_twin"
    items = list(codebook.items["column"])
    sample.loc[sample.index[0], items[7:]] = None  # the first response answered only the technologies
    combined = pd.concat([sample, twin])
    cleaned = clean(combined, codebook, strata, salt=SALT)
    d = cleaned.exclusions[cleaned.exclusions["reason"] == "d"]
    assert list(d["raw_line"]) == [sample.index[0]]
    assert 10_000 in set(cleaned.respondents["raw_line"])


# ------------------------------------------------------------------------------------------------
# what an excluded record keeps: reason, frame stratum, size class; never a count or a NACE code
# ------------------------------------------------------------------------------------------------
def test_exclusions_keep_reason_stratum_and_size_class_not_counts_or_nace_codes(result, raw):
    ex = result.exclusions
    assert list(ex.columns) == ["raw_line", "respondent", "firm", "frame_stratum", "size_class", "reason", "reason_label", "evidence"]
    rows = raw.loc[ex["raw_line"]]
    a = ex["reason"] == "a"
    assert (ex.loc[a, "size_class"] == "under_5").all() and (ex.loc[a, "evidence"] == "reported fewer than 5 employees").all()
    # the size class the answer gives (e.g. a large firm excluded for its sector is 'large')
    others = ~a & rows["Q2_werknemers"].notna().to_numpy()
    sizes = pd.cut(rows.loc[others.to_numpy(), "Q2_werknemers"], [5, 10, 50, 250, float("inf")], right=False,
                   labels=["micro", "small", "medium", "large"]).astype(str)
    assert ex.loc[others, "size_class"].tolist() == sizes.tolist()
    # the evidence names the rule; the only numbers in it are line and answer counts of rule (d)
    assert (ex.loc[ex["reason"] == "b", "evidence"] == "reported a NACE code in none of the sector groups").all()
    assert (ex.loc[ex["reason"] == "c", "evidence"] == "none of the 60 AI items answered").all()
    assert ex.loc[ex["reason"] == "d", "evidence"].str.fullmatch(
        r"second response for firm F[0-9a-f]{16}; kept line \d+ \(\d+ answers vs \d+\)").all()
    assert not ex.drop(columns="evidence").astype(str).apply(lambda c: c.str.contains(r"\d{2}\.\d")).any().any()


# ------------------------------------------------------------------------------------------------
# the raw export: numbers in both dialects, physical line numbers, encodings, masked identifiers
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("delimiter", "text", "value", "problem"), [
    (";", "1.500", 1500.0, None),
    (";", "12.345.678", 12345678.0, None),
    (";", "1.500,5", 1500.5, None),
    (";", "2,5", 2.5, None),
    (";", "82", 82.0, None),
    (";", "1.5", None, "ambiguous"),
    (";", "1.5000", None, "ambiguous"),
    (";", "inf", None, "not a finite number"),
    (",", "1500", 1500.0, None),
    (",", "2.5", 2.5, None),
    (",", "1e3", 1000.0, None),
    (",", "1,500", None, "ambiguous"),
    (",", "-Infinity", None, "not a finite number"),
    (",", "1e999", None, "not a finite number"),
    (",", "veel", None, "is not a number"),
    (",", "", None, None),
])
def test_numbers_are_read_as_the_dialect_writes_them(delimiter, text, value, problem):
    from barometer.rawdata import parse_numbers

    values, problems = parse_numbers(pd.Series([text or None], dtype="str"), delimiter)
    if problem is None:
        assert problems.isna().all()
        assert (pd.isna(values[0]) if value is None else values[0] == value)
    else:
        assert problem in problems[0] and pd.isna(values[0])


@pytest.mark.parametrize(("delimiter", "text", "value"), [(";", "1,500", None), (";", "1,5", 1.5), (";", "1.500", 1500.0),
                                                           (",", "1.500", None), (",", "1.5", 1.5), (",", "1500", 1500.0)])
def test_an_employee_count_with_three_digits_after_the_other_conventions_separator_is_ambiguous(delimiter, text, value):
    from barometer.rawdata import parse_numbers

    values, problems = parse_numbers(pd.Series([text], dtype="str"), delimiter, count=True)
    if value is None:
        assert "ambiguous" in problems[0] and "fifteen hundred" in problems[0]
    else:
        assert problems.isna().all() and values[0] == value


def test_rows_are_physical_lines_after_quoted_line_breaks_and_blank_lines(tmp_path, codebook):
    from barometer.rawdata import read_export

    lines = RAW.read_text(encoding="utf-8").splitlines()[:8]
    parts = lines[2].split(",")
    parts[5] = '"Lemmens\nDrukkerij BV"'
    lines[2] = ",".join(parts)
    path = tmp_path / "export.csv"
    path.write_text("\n".join([*lines[:4], "", "   ", *lines[4:]]) + "\n", encoding="utf-8")
    frame = read_export(path, codebook)
    # header on line 1; records on 2, 3-4 (a quoted line break), 5; a blank and a blank-ish line (6, 7); 8-11
    assert list(frame.index) == [2, 3, 5, 8, 9, 10, 11]
    assert frame.loc[3, "bedrijfsnaam"] == "Lemmens\nDrukkerij BV"


def test_an_identifier_is_masked_in_every_message(tmp_path, codebook, strata):
    from barometer.errors import InputError
    from barometer.privacy import Redactor, mask

    assert mask("jan.peeters@bakkerij-peeters.example.invalid") == "j***@b***.invalid"
    assert mask("BE0613.669.015") == "B*** (14 characters)"
    redactor = Redactor(["Lemmens Drukkerij BV"])
    assert redactor.shown("Lemmens Drukkerij BV") == "L*** (20 characters)"
    assert redactor.shown("0613 669 015") == "0*** (12 characters)"  # an enterprise number, however written
    assert redactor.shown("veel") == "'veel'" and redactor.shown("2021-05-17 09:30:00") == "'2021-05-17 09:30:00'"
    lines = RAW.read_text(encoding="utf-8").splitlines()[:6]
    header = lines[0].split(",")
    parts = lines[3].split(",")
    email = parts[header.index("contact_email")]
    parts[header.index("contact_email")] = email.replace("@", " @")
    path = tmp_path / "export.csv"
    path.write_text("\n".join([*lines[:3], ",".join(parts), *lines[4:]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_export(path, codebook, strata.ids)
    assert "row 4" in str(err.value) and "column 'contact_email'" in str(err.value)
    assert email.split("@")[0] not in str(err.value) and f"{email[0]}***@" in str(err.value)


# ------------------------------------------------------------------------------------------------
# the salt
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("secret", "bundled", "words"), [
    (None, False, "a secret salt is required"),
    ("", False, "a secret salt is required"),
    ("  \t ", False, "is blank"),
    ("  \t ", True, "is blank"),
    ("bundled-reconstruction-public-salt", False, "holds the public default salt"),
    ("short but set", True, "has 13 characters, fewer than 16"),
])
def test_a_missing_blank_public_or_short_salt_is_refused(monkeypatch, secret, bundled, words):
    from barometer.config import ConfigError, PseudonymSettings

    settings = PseudonymSettings(salt_env="BAROMETER_SALT", default_salt="bundled-reconstruction-public-salt")
    monkeypatch.delenv("BAROMETER_SALT", raising=False)
    if secret is not None:
        monkeypatch.setenv("BAROMETER_SALT", secret)
    with pytest.raises(ConfigError) as err:
        settings.salt(bundled=bundled)
    assert words in str(err.value) and "key 'pseudonymisation.salt_env'" in str(err.value)
    assert "export BAROMETER_SALT=" in str(err.value)


def test_a_secret_salt_is_used_and_the_public_one_only_for_the_bundled_file(monkeypatch):
    from barometer.config import PseudonymSettings, bundled_microdata

    settings = PseudonymSettings(salt_env="BAROMETER_SALT", default_salt="bundled-reconstruction-public-salt")
    monkeypatch.delenv("BAROMETER_SALT", raising=False)
    assert settings.salt(bundled=True) == ("bundled-reconstruction-public-salt", "public default salt (bundled reconstruction only)")
    monkeypatch.setenv("BAROMETER_SALT", "sixteen chars ok")
    assert settings.salt(bundled=False)[0] == "sixteen chars ok"
    digest = hashlib.sha256(RAW.read_bytes()).hexdigest()
    assert bundled_microdata(digest, digest.upper()) and not bundled_microdata(digest, "0" * 64)
    assert not bundled_microdata(digest, None) and not bundled_microdata(digest, "")
