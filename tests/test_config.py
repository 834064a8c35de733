"""The configuration is validated against its schema at workflow start; errors name the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from barometer.config import ConfigError, load_config, normalise_editions, validate_config
from conftest import ROOT, run_workflow


@pytest.fixture
def config() -> dict:
    return load_config(ROOT / "config" / "config.yaml")


def test_the_shipped_configuration_is_valid(config):
    assert config["editions"]["2021"]["microdata"].endswith("ai_barometer_2021_responses.csv")
    assert config["bootstrap"]["replicates"] == 10000
    assert config["ci"]["method"] == "korn_graubard"
    assert config["differences"]["family"] == "indicator_dimension" and config["differences"]["equivalence_margin"] == 5


@pytest.mark.parametrize(
    ("path", "value", "key", "words"),
    [
        (("bootstrap", "replicates"), -5, "bootstrap.replicates", "minimum"),
        (("seed",), -1, "seed", "minimum"),
        (("ci", "method"), "bayesian", "ci.method", "bayesian"),
        (("report", "languages"), ["en", "fr"], "report.languages.1", "fr"),
        (("editions", "2021", "codebook"), "codebook.json", "editions.2021.codebook", "does not match"),
        (("bootstrap", "singleton_strata", "policy"), "drop", "bootstrap.singleton_strata.policy", "drop"),
        (("differences", "family"), "per_table", "differences.family", "per_table"),
        (("differences", "equivalence_margin"), 0, "differences.equivalence_margin", "less than or equal to the minimum"),
        (("ci", "method"), "korn_graubard_nchs", "ci.method", "korn_graubard_nchs"),
    ],
)
def test_an_invalid_value_is_rejected_naming_its_key(config, path, value, key, words):
    bad = copy.deepcopy(config)
    node = bad
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        validate_config(bad)
    assert f"key '{key}'" in str(err.value)
    assert words in str(err.value)


def test_an_unknown_key_and_a_missing_key_are_rejected(config):
    bad = copy.deepcopy(config)
    bad["bootstrap"]["replicats"] = 100
    with pytest.raises(ConfigError, match="replicats"):
        validate_config(bad)
    bad = copy.deepcopy(config)
    del bad["editions"]["2021"]["microdata"]
    with pytest.raises(ConfigError, match="microdata"):
        validate_config(bad)


def test_edition_keys_written_as_numbers_or_strings_merge():
    merged = normalise_editions({"editions": {2021: {"label": "a", "microdata": "x.csv"}, "2021": {"microdata": "y.csv"}}})
    assert merged["editions"] == {"2021": {"label": "a", "microdata": "y.csv"}}


def test_snakemake_stops_on_an_invalid_config_naming_the_key(repo_copy):
    override = repo_copy / "bad.yaml"
    override.write_text(yaml.safe_dump({"bootstrap": {"replicates": -3}}))
    result = run_workflow(repo_copy, "-n", "--configfile", str(override), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "key 'bootstrap.replicates'" in output
    assert "-3 is less than the minimum of 2" in output


def test_a_dry_run_builds_the_whole_dag(repo_copy):
    result = run_workflow(repo_copy, "-n", "--quiet", "rules")
    for rule in ("validate_sources", "clean", "weight", "point_estimates", "reproduce", "bootstrap_estimates",
                 "validate_cross_survey_sources", "compare_surveys", "figure", "report"):
        assert rule in result.stdout, f"rule {rule} missing from the dry run:\n{result.stdout}"


# every value the schema accepts either works or is refused at start, naming its key
@pytest.mark.parametrize(("change", "key", "words"), [
    ({"report": {"edition": 2019}}, "report.edition", "edition 2019 is not configured"),
    ({"estimation": {"domains": []}}, "estimation.domains", "missing: sector, size, adopter_status"),
    ({"estimation": {"domains": ["sector"]}}, "estimation.domains", "missing: size, adopter_status"),
    ({"differences": {"dimensions": []}}, "differences.dimensions", "at least one dimension"),
    ({"bootstrap": {"replicates": 2}, "ci": {"method": "percentile"}}, "ci.method", "at least 1000 bootstrap replicates"),
    ({"bootstrap": {"replicates": 999}, "ci": {"mean_method": "percentile"}}, "ci.mean_method", "bootstrap.replicates is 999"),
])
def test_a_combination_that_cannot_run_is_refused_naming_the_key(config, change, key, words):
    from barometer.config import check_config, deep_merge

    with pytest.raises(ConfigError) as err:
        check_config(deep_merge(config, change))
    assert f"key '{key}'" in str(err.value) and words in str(err.value)


def test_the_accepted_neighbours_of_the_refused_combinations_pass(config):
    from barometer.config import check_config, deep_merge

    for change in ({"report": {"edition": 2021}}, {"differences": {"dimensions": ["size"]}},
                   {"bootstrap": {"replicates": 1000}, "ci": {"method": "percentile", "mean_method": "percentile"}},
                   {"bootstrap": {"replicates": 2}, "ci": {"method": "korn_graubard"}}):
        check_config(deep_merge(config, change))


def test_an_edition_to_report_needs_published_numbers(config):
    from barometer.config import check_config

    bad = copy.deepcopy(config)
    bad["editions"]["2099"] = {k: v for k, v in bad["editions"]["2021"].items() if k not in ("published", "claims")}
    bad["report"]["edition"] = 2099
    with pytest.raises(ConfigError, match=r"key 'report.edition': edition 2099 has no published numbers"):
        check_config(bad)


def test_every_configured_input_file_must_be_readable(config, tmp_path):
    from barometer.config import check_input_files, configured_files

    check_input_files(config, ROOT)
    keys = dict(configured_files(config))
    assert {"editions.2021.microdata", "editions.2021.codebook", "editions.2021.frame", "editions.2021.errata",
            "editions.2021.strata", "cross_survey.crosswalk", "published_sources"} <= set(keys)
    bad = copy.deepcopy(config)
    bad["editions"]["2021"]["microdata"] = str(tmp_path / "missing.csv")
    bad["editions"]["2021"]["errata"] = str(tmp_path)
    with pytest.raises(ConfigError) as err:
        check_input_files(bad, ROOT)
    message = str(err.value)
    assert f"key 'editions.2021.microdata': {tmp_path / 'missing.csv'} does not exist" in message
    assert f"key 'editions.2021.errata': {tmp_path} is a directory, not a file" in message


def test_an_export_larger_than_the_estimation_stops_naming_the_key(repo_copy):
    override = repo_copy / "small.yaml"
    override.write_text(yaml.safe_dump({"bootstrap": {"replicates": 500}}))  # export_replicates stays 1000
    target = "results/2021/weights/replicate_weights.csv"
    result = run_workflow(repo_copy, target, "--configfile", str(override), check=False)
    assert result.returncode != 0
    assert "key 'bootstrap.export_replicates': 1000 exceeds bootstrap.replicates (500)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo_copy / target).exists() and not (repo_copy / f"{target}.json").exists()
