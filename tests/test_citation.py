"""LICENSE and CITATION.cff: present, valid Citation File Format 1.2.0, consistent with pyproject.toml."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib

import jsonschema
import pytest
import yaml

from conftest import ROOT

SCHEMA = ROOT / "tests" / "fixtures" / "cff" / "schema-1.2.0.json"


@pytest.fixture(scope="module")
def citation() -> dict:
    # CFF is YAML 1.2; dates would be read as datetime.date by PyYAML, which the schema rejects, so the
    # file keeps no unquoted dates
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_citation_cff_validates_against_the_cff_1_2_0_schema(citation):
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == "e75f3fe0dedbecbb15ff91e94aac366fd21f82baab05f3529109cec4ac148185"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(citation)


def test_the_schema_rejects_what_cff_forbids(citation):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = dict(citation, **{"cff-version": "1.1.0"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({k: v for k, v in citation.items() if k != "authors"}, schema)


def test_citation_agrees_with_pyproject_and_the_licence(citation, project):
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"] == "MIT"
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "The AI-Barometer re-analysis contributors" in licence
    assert citation["authors"] == [{"name": "The AI-Barometer re-analysis contributors"}]
    primary = citation["references"][0]
    assert primary["type"] == "report" and primary["title"].startswith("AI-Barometer 2021") and primary["year"] == 2021


def test_readme_how_to_cite_matches_citation_cff(citation):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## How to cite\n(.*?)(?=^## )", readme, re.S | re.M).group(1)
    section = " ".join(re.sub(r"^> ?|\*", "", section, flags=re.M).split())  # unwrap the quoted citations
    assert citation["title"] in section and f"version {citation['version']}" in section
    assert citation["references"][0]["title"] in section
