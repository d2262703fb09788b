"""Credentials come from the environment or a private file, and never print themselves."""

import os
from pathlib import Path

import pytest

from harvester import credentials
from harvester.errors import ConfigError


def test_environment(tmp_path):
    env = {"PACER_USERNAME": "lab-account", "PACER_PASSWORD": "pw-Zq93!", "PACER_OTP_SECRET": "JBSW Y3DP EHPK 3PXP"}
    creds = credentials.load(environ=env, repo_root=tmp_path)
    assert creds.username == "lab-account"
    assert creds.password.reveal() == "pw-Zq93!"
    assert creds.otp_secret.reveal() == "JBSWY3DPEHPK3PXP"
    for text in (repr(creds), str(creds), f"{creds.password}"):
        assert "pw-Zq93!" not in text and "JBSW" not in text


def test_none_configured(tmp_path):
    assert credentials.load(environ={}, repo_root=tmp_path) is None


def test_half_configured_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="PACER_PASSWORD"):
        credentials.load(environ={"PACER_USERNAME": "someone"}, repo_root=tmp_path)


def private_file(directory: Path, text: str, mode: int = 0o600) -> Path:
    path = directory / "credentials.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_private_file_outside_repo(tmp_path):
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir(), home.mkdir()
    path = private_file(home, 'username = "lab-account"\npassword = "from-file"\nclient_code = "proj-7"\n')
    creds = credentials.load(str(path), environ={"PACER_PASSWORD": "from-env"}, repo_root=repo)
    assert creds.password.reveal() == "from-env"  # the environment wins key by key
    assert creds.client_code == "proj-7"


def test_loose_permissions_refused(tmp_path):
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir(), home.mkdir()
    path = private_file(home, 'username = "a"\npassword = "b"\n', mode=0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        credentials.load(str(path), environ={}, repo_root=repo)


def test_file_inside_repo_refused(tmp_path):
    path = private_file(tmp_path, 'username = "a"\npassword = "b"\n')
    with pytest.raises(ConfigError, match="inside the repository"):
        credentials.load(str(path), environ={}, repo_root=tmp_path)


def test_broken_file_does_not_echo_its_content(tmp_path):
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir(), home.mkdir()
    path = private_file(home, 'password = "s3cret-value\n')
    with pytest.raises(ConfigError) as err:
        credentials.load(str(path), environ={}, repo_root=repo)
    assert "s3cret" not in str(err.value)


def test_legacy_login_name_is_recognised(tmp_path):
    creds = credentials.load(environ={"PACER_USERNAME": "abc123", "PACER_PASSWORD": "x"}, repo_root=tmp_path)
    assert creds.is_legacy_name
