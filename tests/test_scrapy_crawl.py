"""The spiders also run as plain `scrapy crawl <name>` from the repo root, gate included."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_harvest import write_config

from harvester.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SCRAPY = Path(sys.executable).with_name("scrapy")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(state_dir=tmp_path_factory.mktemp("sandbox"), courts=("cand",), cases=4, seed=5) as running:
        yield running


def crawl(name: str, config: Path, sandbox: Sandbox) -> subprocess.CompletedProcess:
    account = sandbox.config["credentials"]
    env = {**os.environ, "HARVESTER_CONFIG": str(config),
           "PACER_USERNAME": account["login_id"], "PACER_PASSWORD": account["password"]}  # fmt: skip
    return subprocess.run([str(SCRAPY), "crawl", name], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_courts_rss_and_dockets_spiders(tmp_path, sandbox):
    case = sandbox.cases("cand")[0]
    config = write_config(tmp_path / "harvester.toml", sandbox, {"cand": [str(case["pacer_case_id"])]},
                          database=f'path = "{tmp_path / "pacer.db"}"', harvest=f'state_dir = "{tmp_path}"',
                          log=f'file = "{tmp_path / "h.log"}"')  # fmt: skip
    config.write_text(config.read_text().replace('[log]\nlevel = "INFO"\n', ""))
    mark = len(sandbox.request_log.records())
    for name in ("courts", "rss", "dockets"):
        result = crawl(name, config, sandbox)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "pacer.db")
    assert db.execute("SELECT count(*) FROM courts WHERE pacer_code IS NOT NULL").fetchone()[0] > 200
    assert db.execute("SELECT count(*) FROM cases WHERE pacer_case_id = ?", [str(case["pacer_case_id"])]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM runs WHERE outcome = 'done'").fetchone()[0] == 3
    log = sandbox.request_log.records()[mark:]
    assert sum(1 for r in log if r["endpoint"] == "cso-auth") == 1  # only the dockets spider logs in
    assert sum(1 for r in log if r["endpoint"] == "cso-logout") == 1
