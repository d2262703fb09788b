"""Credentials PACER refused are not tried again the next night.

A run tries a password once; but a cron job that fails every night with the same bad
password would, night after night, walk the account into PACER's lockout. When PACER
refuses the credentials, this remembers *which* credentials (a keyed fingerprint, never
the password: HMAC-SHA256 under a random key kept beside it, both files mode 0600 in
the state directory), and later runs with the same credentials stop before any request.
Changing the password or TOTP secret, or ``harvester run --retry-login``, clears it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime
from pathlib import Path

from harvester.credentials import Credentials
from harvester.errors import LoginFailed

REFUSAL_FILE = "login-refused.json"
KEY_FILE = "login-fingerprint.key"


class RefusedLogins:
    """The refusal record of one state directory."""

    def __init__(self, state_dir: str | Path) -> None:
        self.dir = Path(state_dir)

    def check(self, credentials: Credentials) -> None:
        """Raise LoginFailed when PACER already refused exactly these credentials."""
        record = self._read()
        if not record:  # nothing refused: no key is needed (and none is written)
            return
        if hmac.compare_digest(record.get("fingerprint", ""), self._fingerprint(credentials)):
            raise LoginFailed(
                f"PACER refused these credentials on {record.get('at', '?')} ({record.get('reason', 'no reason given')}); "
                "not trying them again, since repeated failures lock PACER accounts. Fix PACER_PASSWORD "
                "(or PACER_OTP_SECRET), or run once with --retry-login."
            )

    def record(self, credentials: Credentials, reason: str, at: datetime) -> None:
        self._write(REFUSAL_FILE, json.dumps({"fingerprint": self._fingerprint(credentials), "reason": reason,
                                              "at": at.isoformat(timespec="seconds")}).encode())  # fmt: skip

    def clear(self) -> None:
        (self.dir / REFUSAL_FILE).unlink(missing_ok=True)

    def _fingerprint(self, credentials: Credentials) -> str:
        secret_parts = [credentials.username, credentials.password.reveal(),
                        credentials.otp_secret.reveal() if credentials.otp_secret else ""]  # fmt: skip
        return hmac.new(self._key(), "\0".join(secret_parts).encode(), hashlib.sha256).hexdigest()

    def _key(self) -> bytes:
        path = self.dir / KEY_FILE
        if not path.exists():
            self._write(KEY_FILE, secrets.token_bytes(32))
        return path.read_bytes()

    def _read(self) -> dict | None:
        try:
            return json.loads((self.dir / REFUSAL_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, name: str, data: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
