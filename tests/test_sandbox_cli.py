"""``harvester sandbox`` as a subprocess: the printed config, ``advance``, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sandbox_support import START, Client

HARVESTER = [sys.executable, "-m", "harvester.cli"]


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(HARVESTER + args, capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture
def running(tmp_path):
    proc = subprocess.Popen(
        HARVESTER + ["sandbox", "--port", "0", "--cases", "8", "--start", START, "--state-dir", str(tmp_path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    yield json.loads(line), tmp_path
    proc.terminate()
    assert proc.wait(timeout=30) == 0  # SIGTERM stops it cleanly


def test_json_config_has_what_a_harvest_needs(running):
    config, state_dir = running
    for key in ("login_url", "logout_url", "court_lookup_url", "court_url_template", "ca_bundle", "clock_url"):
        assert config[key]
    assert config["court_url_template"].endswith("/ecf/{court}/")
    assert config["credentials"] == {"login_id": "sandbox", "password": "sandbox-password"}
    assert Path(config["ca_bundle"]) == state_dir / "ca.pem"
    assert json.loads((state_dir / "config.json").read_text()) == config
    client = Client(config)
    assert client.login()["loginResult"] == "0"


def test_advance_talks_to_the_running_sandbox(running):
    config, state_dir = running
    done = run(["sandbox", "advance", "--state-dir", str(state_dir), "--hours", "30"])
    assert done.returncode == 0, done.stderr
    now = datetime.fromisoformat(json.loads(done.stdout)["now"])
    assert now - datetime.fromisoformat(START + "-06:00") >= timedelta(hours=30)
    assert Client(config).get(config["clock_url"]).json()["now"][:13] == now.isoformat()[:13]
    backwards = run(["sandbox", "advance", "--state-dir", str(state_dir), "--to", "2020-01-01T00:00:00"])
    assert backwards.returncode == 1 and backwards.stderr.startswith("Error: sandbox refused:")
    assert "Traceback" not in backwards.stderr


def test_banner_lists_urls_ca_and_credentials(tmp_path):
    proc = subprocess.Popen(
        HARVESTER + ["sandbox", "--port", "0", "--cases", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    lines = [proc.stdout.readline() for _ in range(13)]
    proc.terminate()
    proc.wait(timeout=30)
    banner = "".join(lines)
    for label in ("login URL", "logout URL", "court lookup URL", "court URL template", "CA bundle", "clock URL",
                  "test credentials", "sandbox / sandbox-password"):
        assert label in banner


def test_user_mistakes_are_one_line_errors(tmp_path):
    bad_court = run(["sandbox", "--port", "0", "--courts", "cand,nowhere", "--state-dir", str(tmp_path)])
    assert bad_court.returncode == 1
    assert bad_court.stderr.strip() == "Error: unknown court id(s): nowhere (not in the court lookup)"
    no_sandbox = run(["sandbox", "advance", "--state-dir", str(tmp_path / "none"), "--hours", "1"])
    assert no_sandbox.returncode == 1 and "no running sandbox found" in no_sandbox.stderr
    both = run(["sandbox", "advance", "--state-dir", str(tmp_path), "--hours", "1", "--to", "2030-01-01T00:00"])
    assert both.returncode == 1 and "exactly one of --hours or --to" in both.stderr


def test_a_busy_port_is_a_one_line_error(running, tmp_path):
    config, _ = running
    busy = run(["sandbox", "--port", str(config["port"]), "--cases", "0", "--state-dir", str(tmp_path / "other")])
    assert busy.returncode == 1
    assert busy.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{config['port']}") and "Traceback" not in busy.stderr
