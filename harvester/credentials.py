"""PACER credentials: from environment variables or a private file, never from git.

Secrets are wrapped in :class:`Secret`, whose ``repr``/``str`` never show the value, so
a stray log line or exception message cannot leak them. ``reveal()`` is called only
where the value is sent to the login API.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harvester.errors import ConfigError

ENV_VARS = {
    "username": "PACER_USERNAME",
    "password": "PACER_PASSWORD",
    "otp_secret": "PACER_OTP_SECRET",
    "client_code": "PACER_CLIENT_CODE",
}

# Accounts created before 2014-08-11 have login names of 6 characters or fewer and must
# be upgraded before NextGen courts accept them.
LEGACY_NAME_MAX = 6


class Secret:
    """A value that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self):  # never pickled: a queue saved to disk must not carry a secret
        raise TypeError("a Secret cannot be serialized")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: Secret
    otp_secret: Secret | None = None
    client_code: str = ""

    def secrets(self) -> list[str]:
        """Every secret value, for redaction filters."""
        return [s.reveal() for s in (self.password, self.otp_secret) if s]

    @property
    def is_legacy_name(self) -> bool:
        return len(self.username) <= LEGACY_NAME_MAX


def load(file: str = "", environ: dict[str, str] | None = None, repo_root: Path | None = None) -> Credentials | None:
    """Credentials from the environment, else from ``file``; None when none are configured.

    Environment variables win over the file, key by key, so a cron line can override
    one value without editing the file.
    """
    env = os.environ if environ is None else environ
    values = {k: env.get(v, "").strip() for k, v in ENV_VARS.items()}
    if file:
        for key, value in _read_file(Path(file).expanduser(), repo_root).items():
            values[key] = values[key] or value
    if not values["username"] and not values["password"]:
        return None
    if not values["username"] or not values["password"]:
        missing = "username" if not values["username"] else "password"
        raise ConfigError(f"PACER {missing} missing: set {ENV_VARS[missing]} or add '{missing}' to the credentials file")
    return Credentials(
        username=values["username"],
        password=Secret(values["password"]),
        otp_secret=Secret(values["otp_secret"].replace(" ", "")) if values["otp_secret"] else None,
        client_code=values["client_code"],
    )


def check_file(file: str, repo_root: Path | None = None) -> None:
    """Every check a run makes of the credentials file (exists, private, outside the repo, known keys)."""
    _read_file(Path(file).expanduser(), repo_root)


def _read_file(path: Path, repo_root: Path | None) -> dict[str, str]:
    try:
        return _parse_file(path, repo_root)
    except PermissionError:
        raise ConfigError(f"credentials.file: {path}: permission denied (the harvester's user must be able to read it)") from None
    except OSError as exc:
        raise ConfigError(f"credentials.file: {path}: cannot read: {exc.strerror or type(exc).__name__}") from None


def _parse_file(path: Path, repo_root: Path | None) -> dict[str, str]:
    if not path.is_file():
        raise ConfigError(f"credentials.file: no such file: {path}")
    root = (repo_root or Path.cwd()).resolve()
    if path.resolve().is_relative_to(root):
        raise ConfigError(f"credentials.file: {path} is inside the repository; keep it outside, e.g. ~/.config/pacer/credentials.toml")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"credentials.file: {path} is readable by others (mode {stat.filemode(mode)}); run: chmod 600 {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        # The parser's message may quote the file's content: say only where it failed.
        raise ConfigError(f"credentials.file: {path} is not valid TOML") from None
    unknown = set(raw) - set(ENV_VARS)
    if unknown:
        raise ConfigError(f"credentials.file: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(ENV_VARS)})")
    bad = [k for k, v in raw.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(f"credentials.file: {', '.join(bad)} must be a string")
    return {k: v.strip() for k, v in raw.items()}
