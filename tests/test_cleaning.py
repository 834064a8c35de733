"""Cleaning: the report's exclusion rules, record accounting, keyed pseudonyms, Table 2 after errata."""

from __future__ import annotations

import hashlib
import hmac

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
    assert "employees (< 5)" in a["evidence"]
    assert raw.at[a.name, "Q2_werknemers"] < 5
    b = ex[ex["reason"] == "b"].iloc[0]
    assert raw.at[b.name, "Q3_nace"] in b["evidence"]
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
