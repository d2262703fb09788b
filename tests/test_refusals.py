"""Credentials PACER refused are not tried again the next night (account lockout)."""

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harvest_support import HarvestDir, harvester_env, start_sandbox

from harvester.credentials import Credentials, Secret
from harvester.errors import LoginFailed
from harvester.run.refusals import KEY_FILE, REFUSAL_FILE, RefusedLogins


def creds(password: str, otp: str | None = None) -> Credentials:
    return Credentials("lab-account", Secret(password), Secret(otp) if otp else None)


def test_refused_credentials_are_remembered_without_the_password(tmp_path):
    refusals = RefusedLogins(tmp_path)
    refusals.check(creds("Wr0ng-Pass!"))  # nothing recorded yet
    refusals.record(creds("Wr0ng-Pass!"), "Invalid username or password.", datetime.now(UTC))
    with pytest.raises(LoginFailed, match="--retry-login"):
        refusals.check(creds("Wr0ng-Pass!"))
    refusals.check(creds("Fixed-Pass!"))  # other credentials are tried
    refusals.check(creds("Wr0ng-Pass!", otp="JBSWY3DPEHPK3PXP"))  # a new TOTP secret too
    for name in (REFUSAL_FILE, KEY_FILE):
        path = tmp_path / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"Wr0ng-Pass!" not in path.read_bytes()
    refusals.clear()
    refusals.check(creds("Wr0ng-Pass!"))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    running = start_sandbox(tmp_path_factory.mktemp("refusals") / "sandbox", cases=4, clock_speed=0)
    yield running
    running.stop()


def test_the_next_run_does_not_send_a_refused_password(tmp_path, sandbox):
    good = sandbox.config["credentials"]
    work = HarvestDir.create(tmp_path / "run", sandbox, account={"login_id": good["login_id"], "password": "typo-pass"})

    def logins_during(*args: str) -> tuple[int, int]:
        start = len(sandbox.request_log.records())
        result = work.run(*args)
        sent = sandbox.request_log.records()[start:]
        return result.returncode, sum(1 for r in sent if r["endpoint"] == "cso-auth")

    refusal = Path(work.sections["harvest"]["state_dir"]) / REFUSAL_FILE
    assert logins_during() == (5, 1)  # tonight: refused once
    assert refusal.exists()
    assert logins_during() == (5, 0)  # tomorrow: the same password is not sent again
    retry = ["run", "--config", str(work.config), "--retry-login"]
    assert logins_during(*retry) == (5, 1)  # asked for: one more try
    work.env = harvester_env(good["login_id"], good["password"])
    assert logins_during() == (0, 1)  # fixed credentials log in, and the refusal is forgotten
    assert not refusal.exists()
