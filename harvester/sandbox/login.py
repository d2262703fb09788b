"""The sandbox's PACER Authentication API: accounts, tokens, TOTP, lockout, expiry.

Mirrors ``POST /services/cso-auth`` and ``/services/cso-logout``: the reply is
HTTP 200 with ``loginResult`` "0" on success (an ``errorDescription`` then means
pending account actions) and a non-zero code otherwise. Only "0" versus
non-zero is PACER's documented contract; the non-zero codes below are the
sandbox's own, so tests can tell the failure modes apart.

Token lifetime and lockout run on sandbox time; TOTP codes are checked against
real time, because the harvester computes them from the real clock.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field

import pyotp

from .clock import SandboxClock

TOKEN_LENGTH = 128
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class LoginResult:
    """``loginResult`` codes the sandbox answers with."""

    OK = "0"
    MISSING_FIELDS = "12"
    BAD_CREDENTIALS = "13"
    OTP_REQUIRED = "14"
    OTP_INVALID = "15"
    LOCKED = "16"
    TOKEN_UNKNOWN = "17"  # logout of a token that is not (or no longer) valid


MESSAGES = {
    LoginResult.MISSING_FIELDS: "Login ID and password are required.",
    LoginResult.BAD_CREDENTIALS: "Invalid username or password.",
    LoginResult.OTP_REQUIRED: "A one-time passcode is required for this account.",
    LoginResult.OTP_INVALID: "Invalid one-time passcode.",
    LoginResult.LOCKED: "This account is locked after too many failed login attempts. Try again later.",
    LoginResult.TOKEN_UNKNOWN: "Invalid or expired token.",
}

PENDING_ACTIONS_TEXT = (
    "Your account has pending actions: please review and accept the updated "
    "PACER policies at pacer.uscourts.gov."
)


@dataclass
class Account:
    """A sandbox PACER account. The credentials are sandbox-only test values."""

    login_id: str
    password: str
    totp_secret: str | None = None
    pending_actions: str = ""

    def public(self) -> dict:
        """The account as printed in the sandbox config (test credentials only)."""
        out: dict[str, str | bool] = {"login_id": self.login_id, "password": self.password}
        if self.totp_secret:
            out["totp_secret"] = self.totp_secret
        if self.pending_actions:
            out["pending_actions"] = True
        return out


def default_accounts() -> list[Account]:
    """A plain account, a two-factor account and one with pending account actions."""
    return [
        Account("sandbox", "sandbox-password"),
        Account("sandbox-2fa", "sandbox-password", totp_secret="JBSWY3DPEHPK3PXPSANDBOX2"),
        Account("sandbox-pending", "sandbox-password", pending_actions=PENDING_ACTIONS_TEXT),
    ]


@dataclass
class _Session:
    login_id: str
    expires_ts: float


@dataclass
class _Failures:
    count: int = 0
    locked_until_ts: float = 0.0


@dataclass
class LoginSettings:
    """How strict the login server is. Times are in sandbox seconds."""

    token_ttl: float = 8 * 3600.0
    max_failures: int = 5
    lockout_seconds: float = 30 * 60.0


@dataclass
class LoginService:
    """Checks credentials, issues and validates NextGenCSO tokens."""

    clock: SandboxClock
    accounts: list[Account] = field(default_factory=default_accounts)
    settings: LoginSettings = field(default_factory=LoginSettings)

    def __post_init__(self) -> None:
        self._by_id = {a.login_id: a for a in self.accounts}
        self._sessions: dict[str, _Session] = {}
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def login(self, body: dict) -> tuple[dict, str | None]:
        """Answer a cso-auth request body; return (reply, login id the reply concerns)."""
        login_id = str(body.get("loginId") or "")
        password = str(body.get("password") or "")
        if not login_id or not password:
            return _failure(LoginResult.MISSING_FIELDS), login_id or None
        now = self.clock.timestamp()
        with self._lock:
            failures = self._failures.setdefault(login_id, _Failures())
            if failures.locked_until_ts > now:
                return _failure(LoginResult.LOCKED), login_id
            code = self._check(login_id, password, body)
            if code != LoginResult.OK:
                self._count_failure(failures, now)
                return _failure(code), login_id
            failures.count = 0
            token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
            self._sessions[token] = _Session(login_id, now + self.settings.token_ttl)
        account = self._by_id[login_id]
        return {
            "nextGenCSO": token,
            "loginResult": LoginResult.OK,
            "errorDescription": account.pending_actions,
        }, login_id

    def _check(self, login_id: str, password: str, body: dict) -> str:
        account = self._by_id.get(login_id)
        if account is None or not secrets.compare_digest(account.password, password):
            return LoginResult.BAD_CREDENTIALS
        if account.totp_secret:
            code = str(body.get("otpCode") or body.get("twoFactorCode") or "").strip()
            if not code:
                return LoginResult.OTP_REQUIRED
            if not pyotp.TOTP(account.totp_secret).verify(code, valid_window=1):
                return LoginResult.OTP_INVALID
        return LoginResult.OK

    def _count_failure(self, failures: _Failures, now: float) -> None:
        failures.count += 1
        if failures.count >= self.settings.max_failures:
            failures.locked_until_ts = now + self.settings.lockout_seconds
            failures.count = 0

    def logout(self, token: str) -> tuple[dict, str | None]:
        """Answer a cso-logout: the token stops working at once."""
        with self._lock:
            session = self._sessions.pop(token, None)
        if session is None or session.expires_ts <= self.clock.timestamp():
            return _failure(LoginResult.TOKEN_UNKNOWN), None
        return {"loginResult": LoginResult.OK, "errorDescription": ""}, session.login_id

    def account_for(self, token: str | None) -> str | None:
        """The login id a still-valid token belongs to, else None."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None or session.expires_ts <= self.clock.timestamp():
            return None
        return session.login_id

    def owner_of(self, token: str | None) -> str | None:
        """The login id a token was issued to, valid or not (for the request log)."""
        session = self._sessions.get(token) if token else None
        return session.login_id if session else None

    def expire_tokens(self, login_id: str | None = None) -> int:
        """Make tokens (all, or one account's) expire now; return how many."""
        now = self.clock.timestamp()
        count = 0
        with self._lock:
            for session in self._sessions.values():
                if (login_id is None or session.login_id == login_id) and session.expires_ts > now:
                    session.expires_ts = now
                    count += 1
        return count

    def lock_account(self, login_id: str, seconds: float | None = None) -> None:
        """Lock an account as if it had failed too many logins."""
        until = self.clock.timestamp() + (self.settings.lockout_seconds if seconds is None else seconds)
        with self._lock:
            self._failures.setdefault(login_id, _Failures()).locked_until_ts = until

    def unlock_account(self, login_id: str) -> None:
        """Clear an account's lockout and failure count."""
        with self._lock:
            self._failures.pop(login_id, None)


def _failure(code: str) -> dict:
    return {"loginResult": code, "errorDescription": MESSAGES[code]}
