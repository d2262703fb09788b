"""config/harvester.toml: every key checked against the schema, errors name the key."""

from pathlib import Path

import pytest

from harvester import config
from harvester.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "harvester.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_valid():
    cfg = config.load(REPO / "config" / "harvester.toml")
    assert cfg["endpoints"]["login_url"] == config.PACER_LOGIN_URL
    assert cfg["database"]["path"] == "data/pacer.db"


def test_defaults_point_at_real_pacer():
    cfg = config.from_dict({})
    assert cfg["endpoints"]["court_url"] == "https://ecf.{court}.uscourts.gov"
    assert cfg["endpoints"]["ca_bundle"] == ""


def test_watched_cases_per_court(tmp_path):
    cfg = config.load(write(tmp_path, """
[watch]
courts = ["cand"]
[watch.cases.CAND]
docket_numbers = ["3:12-cv-03879"]
pacer_case_ids = [257622]
"""))
    assert cfg.cases == {"cand": {"docket_numbers": ["3:12-cv-03879"], "pacer_case_ids": ["257622"]}}


@pytest.mark.parametrize("text, words", [
    ("[watch]\ncourts = [\"cand\"\n", ["not valid TOML"]),
    ("[wach]\n", ["unknown section [wach]"]),
    ("[watch]\ncourt = [\"cand\"]\n", ["unknown key watch.court"]),
    ("[rate]\nglobal_per_second = \"fast\"\n", ["rate.global_per_second", "a number"]),
    ("[rate]\nglobal_per_second = 0\n", ["rate.global_per_second", "greater than 0"]),
    ("[budget]\nrun_dollars = true\n", ["budget.run_dollars", "boolean"]),
    ("[watch]\ncourts = [1, 2]\n", ["watch.courts", "list of str"]),
    ("[endpoints]\ncourt_url = \"https://ecf.cand.uscourts.gov\"\n", ["endpoints.court_url", "{court}"]),
    ("[endpoints]\nca_bundle = \"/nonexistent/ca.pem\"\n", ["endpoints.ca_bundle", "no such file"]),
    ("[watch.cases.cand]\ndockets = [\"1\"]\n", ["unknown key watch.cases.cand.dockets"]),
    ("[log]\nlevel = \"LOUD\"\n", ["log.level"]),
    ("[watch]\nrefresh_days = 14\nrefresh_max_days = 7\n", ["watch.refresh_max_days (7) must be at least", "(14)"]),
])
def test_bad_config_names_the_problem(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    for word in words:
        assert word in str(err.value)
    assert err.value.exit_code == 2


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "nope.toml")


def test_docs_list_every_key():
    docs = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert docs.strip() == config.docs_markdown().strip(), "regenerate with: harvester config --docs > docs/configuration.md"
    for section, keys in config.SCHEMA.items():
        assert f"## [{section}]" in docs
        for key in keys:
            assert f"`{key}`" in docs
