"""The sandbox is an explicit mode: `--sandbox` or a config that watches nothing, into its own database.

- the shipped default configuration (it watches nothing) harvests the sandbox into
  data/sandbox.db, with a warning, never into data/pacer.db;
- a sandbox harvest never writes into a database of real runs, nor a real one into a sandbox's;
- every case records its origin, and sandbox cases link to the sandbox, never to a court;
- `status` and `serve` without --db open the real database when it exists, else the sandbox's, and say which.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from harvest_support import harvester_env, toml_text
from researcher_support import HARVESTER

from harvester.errors import EXIT_CONFIG
from harvester.store import ledger
from harvester.store.connection import open_db
from harvester.store.migrations import migrate
from harvester.web.plugin import SANDBOX_COURT_URL, pacer_case_url
from harvester.web.serve import build_datasette

REPO = Path(__file__).resolve().parents[1]


def harvester(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(HARVESTER), *args], cwd=cwd, env=env or harvester_env(None, None), capture_output=True,
                          text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def default_harvest(tmp_path_factory) -> Path:
    """`harvester run` with the shipped config/harvester.toml (a smaller sandbox), no credentials."""
    root = tmp_path_factory.mktemp("default")
    (root / "config").mkdir()
    shipped = (REPO / "config" / "harvester.toml").read_text(encoding="utf-8")
    (root / "config" / "harvester.toml").write_text(shipped + "\n[sandbox]\ncases = 4\n", encoding="utf-8")
    result = harvester(root, "run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "watches no courts" in result.stderr
    assert "Run 1 (sandbox): done" in result.stdout and "database: data/sandbox.db" in result.stdout
    return root


@pytest.mark.e2e
def test_the_shipped_config_harvests_the_sandbox_into_its_own_database(default_harvest):
    assert (default_harvest / "data" / "sandbox.db").exists()
    assert not (default_harvest / "data" / "pacer.db").exists()
    conn = sqlite3.connect(default_harvest / "data" / "sandbox.db")
    origins = dict(conn.execute("SELECT origin, count(*) FROM cases GROUP BY origin").fetchall())
    assert set(origins) == {"sandbox"} and origins["sandbox"] > 0
    assert conn.execute("SELECT DISTINCT mode FROM runs").fetchall() == [("sandbox",)]


@pytest.mark.e2e
def test_sandbox_cases_link_to_the_sandbox(default_harvest):
    ds = build_datasette(default_harvest / "data" / "sandbox.db")
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(ds.invoke_startup())
        page = loop.run_until_complete(ds.client.get("/sandbox/cases")).text
        entries = loop.run_until_complete(ds.client.get("/sandbox/attorney_appearances")).text  # no origin column
    finally:
        for database in ds.databases.values():
            database.close()
        loop.close()
    sandbox_base = SANDBOX_COURT_URL.split("{court}")[0]
    for html in (page, entries):
        assert 'class="pacer-link"' in html
        assert sandbox_base in html
        assert not re.search(r"https://ecf\.\w+\.uscourts\.gov", html)  # no court's CM/ECF


@pytest.mark.e2e
def test_status_and_serve_open_the_sandbox_database_when_there_is_no_real_one(default_harvest, tmp_path):
    result = harvester(default_harvest, "status")
    assert result.returncode == 0, result.stderr
    assert "data/sandbox.db (the sandbox's" in result.stderr
    assert "Database: data/sandbox.db" in result.stdout
    # Once a real database exists, it is the default.
    root = tmp_path / "both"
    shutil.copytree(default_harvest / "data", root / "data")
    shutil.copytree(default_harvest / "config", root / "config")
    db = open_db(root / "data" / "pacer.db")
    db.close()
    result = harvester(root, "status")
    assert "Database: data/pacer.db (the real harvest" in result.stderr
    serve = harvester(root, "serve", "--port", "80000")
    assert serve.returncode == 2 and "80000 is not in the range" in serve.stderr and "Traceback" not in serve.stderr


def test_pacer_links_for_each_origin():
    assert pacer_case_url("cand", "199229") == "https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?199229"
    assert pacer_case_url("cand", "199229", origin="sandbox") == "https://127.0.0.1:8443/ecf/cand/cgi-bin/DktRpt.pl?199229"
    assert pacer_case_url("ca9", "1", "17-16510", origin="sandbox").startswith("https://127.0.0.1:8443/ecf/ca9/")


def database_with_a_run(path: Path, mode: str) -> Path:
    db = open_db(path)
    ledger.start_run(db, mode=mode)
    db.close()
    return path


def test_a_sandbox_harvest_never_writes_into_a_database_of_real_runs(tmp_path):
    real = database_with_a_run(tmp_path / "pacer.db", "pacer")
    result = harvester(tmp_path, "run", "--sandbox", "--db", str(real))
    assert result.returncode == EXIT_CONFIG, result.stderr[-2000:]
    assert "holds real PACER runs" in result.stderr and "Traceback" not in result.stderr
    assert sqlite3.connect(real).execute("SELECT count(*), min(mode) FROM runs").fetchone() == (1, "pacer")


def test_a_real_harvest_never_writes_into_a_sandbox_database(tmp_path):
    sandbox_db = database_with_a_run(tmp_path / "sandbox.db", "sandbox")
    config = tmp_path / "harvester.toml"
    config.write_text(toml_text({"watch": {"courts": ["cand"]}, "database": {"path": str(sandbox_db)},
                                 "log": {"file": str(tmp_path / "h.log")}}), encoding="utf-8")  # fmt: skip
    result = harvester(tmp_path, "run", "--config", str(config), env=harvester_env("lab-account", "Secret-Pass-1"))
    assert result.returncode == EXIT_CONFIG, result.stderr[-2000:]
    assert "holds sandbox runs" in result.stderr and "Traceback" not in result.stderr


def test_the_origin_migration_marks_earlier_sandbox_cases(tmp_path):
    db = open_db(tmp_path / "old.db", migrate=False)
    migrate(db, target=5)  # a database from before the origin column (v6)
    ledger.start_run(db, mode="sandbox")
    db.execute("INSERT INTO courts (court_id) VALUES ('cand')")
    db.execute("INSERT INTO cases (court_id, pacer_case_id, kind, case_name) VALUES ('cand', '1', 'district', 'A v. B')")
    db.conn.commit()
    migrate(db)
    assert db.execute("SELECT origin FROM cases").fetchall() == [("sandbox",)]
    db.close()
