"""The password, the TOTP secret and every session token stay out of everything the harvester leaves.

A harvest at DEBUG level with a distinctive password, TOTP secret and login name,
through a token expiry (two tokens), a "please log in" page and a refused
request, then a search for each secret in: every file the run left (database,
WAL, lock, log), the decompressed archived pages, stdout, stderr, the texts of
recorded failures, ``harvester status`` and ``harvester export``. The tokens are
read on the sandbox side, from its login service, as it issues them.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import zlib
from pathlib import Path

import pyotp
import pytest
from harvest_support import (
    BILLABLE_ENDPOINTS,
    HARVESTER_CMD,
    HarvestDir,
    harvester_env,
    start_sandbox,
    toml_text,
    wait_for,
)

from harvester.parsers.receipt import LOGIN_REMOVED
from harvester.sandbox import Account

LOGIN = "h7-night-owl-7731"
PASSWORD = "Quartz-Zebra-9f3K!h7"
TOTP_SECRET = pyotp.random_base32()


def record_tokens(sandbox) -> list[str]:
    """Every NextGenCSO token the sandbox's login service issues from now on."""
    issued: list[str] = []
    service = sandbox.login
    issue = service.login

    def login(body: dict):
        reply, login_id = issue(body)
        if reply.get("nextGenCSO"):
            issued.append(reply["nextGenCSO"])
        return reply, login_id

    service.login = login
    return issued


def leaks(haystack: bytes, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value.encode() in haystack]


def everything_left_behind(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (raw bytes) and every archived page (decompressed)."""
    found = {str(path): path.read_bytes() for path in root.rglob("*") if path.is_file()}
    for db in root.rglob("*.db"):
        conn = sqlite3.connect(db)
        for page_id, body in conn.execute("SELECT id, body FROM raw_pages"):
            found[f"{db} raw page {page_id}"] = zlib.decompress(body)
        conn.close()
    return found


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("secrets")
    account = Account(LOGIN, PASSWORD, totp_secret=TOTP_SECRET)
    sandbox = start_sandbox(root / "sandbox", cases=9, clock_speed=0, accounts=[account])
    tokens = record_tokens(sandbox)
    sandbox.add_fault("*", "latency", seconds=0.3, endpoints=list(BILLABLE_ENDPOINTS))
    sandbox.add_fault("nysb", "login_page", count=1, endpoints=["DktRpt"])
    sandbox.add_fault("cand", "error", status=503, count=1, endpoints=["DktRpt"])
    work = HarvestDir.create(root / "run", sandbox, sections={"log": {"level": "DEBUG"}, "rate": {"backoff_seconds": 0.1}},
                             account=account.public())  # fmt: skip
    proc = work.spawn()
    assert wait_for(lambda: sum(r["endpoint"] == "DktRpt" for r in sandbox.request_log.records()) >= 3, 60)
    sandbox.expire_tokens()  # a second login, a second token
    assert proc.wait(120) == 0, proc.output_files[1].read_text()
    outputs = {"stdout": proc.output_files[0].read_bytes(), "stderr": proc.output_files[1].read_bytes()}
    for command in (["status", "--config", str(work.config)], ["status", "--config", str(work.config), "--json"],
                    ["export", "--db", str(work.db_path)]):  # fmt: skip
        result = work.run(*command)
        assert result.returncode == 0, result.stderr
        outputs[" ".join(command[:1] + command[3:])] = (result.stdout + result.stderr).encode()
    secrets = {"password": PASSWORD, "TOTP secret": TOTP_SECRET, **{f"token {i + 1}": t for i, t in enumerate(tokens)}}
    yield work, secrets, outputs
    sandbox.stop()


def test_the_night_used_every_secret(night):
    work, secrets, _ = night
    assert len(secrets) == 4, "password, TOTP secret and two tokens (a token expired mid-run)"
    conn = work.connect()
    reasons = {row[0] for row in conn.execute("SELECT reason FROM requests WHERE outcome = 'retried'")}
    assert reasons == {"HTTP 503", "login page instead of the report"}, "failure paths were taken too"
    conn.close()


def test_no_secret_in_any_file_or_archived_page(night):
    work, secrets, _ = night
    files = everything_left_behind(work.root)
    assert any(name.endswith(".log") for name in files) and any("raw page" in name for name in files)
    found = {name: hits for name, data in files.items() if (hits := leaks(data, secrets))}
    assert found == {}


def test_no_secret_on_the_terminal_or_in_status_and_export(night):
    _, secrets, outputs = night
    assert set(outputs) == {"stdout", "stderr", "status", "status --json", "export"}
    assert {name: hits for name, data in outputs.items() if (hits := leaks(data, secrets))} == {}


def test_the_receipts_login_name_is_removed_from_archived_pages(night):
    work, _, _ = night
    conn = work.connect()
    bodies = [zlib.decompress(body) for (body,) in conn.execute("SELECT body FROM raw_pages WHERE kind = 'docket'")]
    conn.close()
    assert len(bodies) == 9
    for body in bodies:
        assert LOGIN_REMOVED in body, "each report carried a receipt with the login name"
        assert LOGIN.encode() not in body


def test_a_refused_password_is_not_repeated_in_any_message(tmp_path):
    wrong = "Wrong-Horse-Battery-h7-3391"
    sandbox = start_sandbox(tmp_path / "sandbox", cases=3, clock_speed=0)
    try:
        work = HarvestDir.create(tmp_path / "run", sandbox, account={"login_id": "sandbox", "password": wrong},
                                 sections={"log": {"level": "DEBUG"}})  # fmt: skip
        result = work.run()
    finally:
        sandbox.stop()
    assert result.returncode == 5
    assert wrong not in result.stdout + result.stderr
    assert {name: hits for name, data in everything_left_behind(work.root).items()
            if (hits := leaks(data, {"password": wrong}))} == {}  # fmt: skip


def credentials_file(path: Path, mode: int) -> Path:
    path.write_text(toml_text({}) + f'username = "{LOGIN}"\npassword = "{PASSWORD}"\notp_secret = "{TOTP_SECRET}"\n',
                    encoding="utf-8")  # fmt: skip
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_credentials_file_others_can_read_is_refused(tmp_path, mode):
    secret_file = credentials_file(tmp_path / "credentials.toml", mode)
    work = tmp_path / "run"
    work.mkdir()
    (work / "harvester.toml").write_text(toml_text({"credentials": {"file": str(secret_file)}}), encoding="utf-8")
    result = subprocess.run([*HARVESTER_CMD, "run", "--config", "harvester.toml"], cwd=work,
                            env=harvester_env(None, None), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (f"Error: credentials.file: {secret_file} is readable by others "
                                     f"(mode {stat.filemode(stat.S_IFREG | mode)}); run: chmod 600 {secret_file}")
    assert PASSWORD not in result.stdout + result.stderr
    # Nothing written but the log file, which gets the error too (and never the password).
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == ["data", "data/harvester.log", "harvester.toml"]
    log = (work / "data" / "harvester.log").read_text(encoding="utf-8")
    assert "is readable by others" in log and PASSWORD not in log
    assert os.stat(secret_file).st_mode & 0o777 == mode, "the harvester does not touch the file"


def test_a_private_credentials_file_is_used_and_kept_private(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", cases=3, clock_speed=0, accounts=[Account(LOGIN, PASSWORD, TOTP_SECRET)])
    try:
        secret_file = credentials_file(tmp_path / "credentials.toml", 0o600)
        work = HarvestDir.create(tmp_path / "run", sandbox, sections={"credentials": {"file": str(secret_file)}})
        work.env = harvester_env(None, None)  # only the file
        result = work.run()
        logins = [r for r in sandbox.request_log.records() if r["endpoint"] == "cso-auth"]
    finally:
        sandbox.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [r["account"] for r in logins] == [LOGIN]
    secrets = {"password": PASSWORD, "TOTP secret": TOTP_SECRET}
    assert not leaks((result.stdout + result.stderr).encode(), secrets)
    assert {name: hits for name, data in everything_left_behind(work.root).items() if (hits := leaks(data, secrets))} == {}
