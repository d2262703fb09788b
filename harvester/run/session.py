"""One PACER login per run, its token reused at every court, logout at the end.

:class:`PacerSession` talks to the PACER Authentication API (``cso-auth``) through the
crawl's own downloader (``engine.download_async``), so the login request passes the
same gate as every other request: window, rate limits, verified TLS.

:class:`SessionMiddleware` adds the ``NextGenCSO`` cookie (and ``PacerSession`` for
older servers, ``PacerClientCode`` when a client code is set) to requests marked
``meta["pacer_login"] = True`` at download time only, so the token is never part of a
request that waits in a queue, and only to the request's own court (``https``, the
court's ``court_url`` base): a request for another host (a meta refresh, a hostile
link) never carries it and is refused. A "please log in" page is retried once with the same
token, then once after a new login (one login serves every request that held the
expired token); a court whose login page outlives the fresh login is blocked for the
night. Logins per run are capped (PACER suspends accounts for excessive
authentication calls), and a refused password is never tried twice. A login service
whose TLS the policy refuses (TLS 1.1 only, a bad certificate) is one handshake and a
:class:`~harvester.errors.LoginTLSRefused` (its own exit code), not "unreachable".
Every failure text is masked by value: a service that echoes the password in its
error description cannot carry it into a message, the database or a file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyotp
from scrapy import Request
from scrapy.http import Response

from harvester.cmecf import court_base
from harvester.credentials import Credentials, Secret
from harvester.errors import LoginFailed, LoginTLSRefused
from harvester.gate.attempts import retry_of
from harvester.gate.tls import describe_tls_error
from harvester.logs import mask, register_secret
from harvester.parsers.login import is_login_page
from harvester.shared import SharedInSettings

if TYPE_CHECKING:
    from harvester.config import Config
    from harvester.run.harvest import Endpoints

logger = logging.getLogger(__name__)

META_LOGIN = "pacer_login"  # the request needs the session cookie
META_AUTH = "pacer_auth_call"  # the request is a login/logout call itself
META_LOGIN_RETRY = "pacer_login_retry"
META_SESSION_END = "pacer_session_end"  # the logout: the gate sends it also after the window closed
LOGIN_COURT = "pacer-login"  # the gate's rate-limit key for the authentication API
# No login takes this long (its timeouts and retries end sooner): a request waiting this
# long for the session is stuck, and the run stops with a login error instead of hanging
# past the window, its lock file keeping every later night from running.
SESSION_WAIT_SECONDS = 900.0


class PacerSession(SharedInSettings):
    """The run's PACER session: token, login count and the logout at the end."""

    def __init__(self, credentials: Credentials, login_url: str, logout_url: str, max_logins: int = 3,
                 court_url: str = "") -> None:  # fmt: skip
        for secret in credentials.secrets():
            register_secret(secret)
        self.credentials = credentials
        self.login_url = login_url
        self.logout_url = logout_url
        self.max_logins = max_logins
        self.logins = 0
        self.token: Secret | None = None
        self.failure: str | None = None  # set once the password was refused: never retried
        self.refused = False  # PACER refused the credentials themselves (not the network, not the cap)
        self.tls_refused = False  # the login service's TLS was refused: no credentials were sent
        self.court_url = court_url  # the courts the session's cookie is for: court_base(court_url, court)
        self._lock = asyncio.Lock()
        self._renewed: Secret | None = None  # the token a re-login (not the night's first login) gave

    @classmethod
    def open(cls, credentials: Credentials | None, endpoints: Endpoints, config: Config) -> PacerSession | None:
        """The run's session at ``endpoints``; None without credentials (free pages only)."""
        if credentials is None:
            return None
        return cls(credentials, endpoints.login_url, endpoints.logout_url, config["login"]["max_logins_per_run"],
                   court_url=endpoints.court_url)  # fmt: skip

    def cookie_refusal(self, url: str, court: str) -> str | None:
        """Why ``url`` may not carry the session cookie of ``court``, or None when it may."""
        if not self.court_url:
            return None
        base = court_base(self.court_url, court)
        want, got = urlsplit(base), urlsplit(url)
        same_origin = (got.scheme, (got.hostname or "").lower(), got.port) == (
            want.scheme, (want.hostname or "").lower(), want.port)
        if got.scheme != "https" and want.scheme == "https":
            return f"the session cookie only travels over https, not to {url}"
        if not same_origin or not got.path.startswith(want.path):
            return f"the session cookie is for {base} only, not {url}"
        return None

    async def ensure(self, crawler: Any) -> Secret:
        """The current token, logging in first when there is none."""
        async with self._locked():
            if self.token is None:
                await self._login(crawler)
            assert self.token is not None
            return self.token

    async def relogin(self, crawler: Any, stale: Secret) -> Secret:
        """Log in again unless another request already replaced ``stale``."""
        async with self._locked():
            if self.token is stale or self.token is None:
                self.token = None
                await self._login(crawler)
                self._renewed = self.token
            assert self.token is not None
            return self.token

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """The session's lock, or LoginFailed once a wait passes ``SESSION_WAIT_SECONDS``."""
        try:
            await asyncio.wait_for(self._lock.acquire(), SESSION_WAIT_SECONDS)
        except TimeoutError:
            self.failure = self.failure or (f"the PACER session was busy for over {SESSION_WAIT_SECONDS:.0f} s "
                                            "(a login that never finished); stopping")  # fmt: skip
            raise LoginFailed(self.failure) from None
        try:
            yield
        finally:
            self._lock.release()

    def is_renewed(self, token: Secret) -> bool:
        """``token`` came from a re-login: a login page with it means a new login would not help.

        Requests take the session's current token just before they leave, so a request
        retried after another request's re-login already carries the fresh token.
        """
        return token is self._renewed

    async def _login(self, crawler: Any) -> None:
        if self.failure:
            raise LoginFailed(self.failure)
        if self.logins >= self.max_logins:
            self.failure = (f"PACER login needed more than {self.max_logins} times in one run; stopping "
                            "(PACER suspends accounts for excessive logins; raise login.max_logins_per_run only if you must)")
            raise LoginFailed(self.failure)
        self.logins += 1
        crawler.stats.inc_value("pacer/logins")
        from harvester.gate.middleware import GateRefused, TLSRefusedError

        try:
            response = await crawler.engine.download_async(self._login_request())
        except GateRefused:
            self.logins -= 1  # not sent (the window closed, the run is stopping): nothing was tried
            raise
        except Exception as exc:  # the gate already retried transient faults: this is final
            tls = describe_tls_error(exc) or (str(exc) if isinstance(exc, TLSRefusedError) else None)
            if tls is not None:
                self.tls_refused = True
                self.failure = mask(f"PACER login service refused by the TLS policy at {self.login_url}: {tls}")
                raise LoginTLSRefused(self.failure) from None
            self.failure = mask(f"PACER login service unreachable at {self.login_url}: {exc}")
            raise LoginFailed(self.failure) from None
        self.token = self._token_from(response)
        logger.info("Logged in to PACER as %s (login %d of at most %d this run)",
                    self.credentials.username, self.logins, self.max_logins)

    def _login_request(self) -> Request:
        creds = self.credentials
        body: dict[str, str] = {"loginId": creds.username, "password": creds.password.reveal()}
        if creds.client_code:
            body["clientCode"] = creds.client_code
        if creds.otp_secret:
            body["otpCode"] = pyotp.TOTP(creds.otp_secret.reveal()).now()
        return _auth_request(self.login_url, body)

    def _token_from(self, response: Response) -> Secret:
        if response.status != 200:
            raise LoginFailed(f"PACER login service answered HTTP {response.status} at {self.login_url}")
        try:
            reply = json.loads(response.body)
        except ValueError:
            raise LoginFailed(f"PACER login service at {self.login_url} did not answer with JSON") from None
        result = str(reply.get("loginResult", ""))
        description = str(reply.get("errorDescription") or "").strip()
        token = str(reply.get("nextGenCSO") or "")
        if result != "0" or not token:
            self.failure = mask(_login_failure_message(self.credentials, result, description))
            self.refused = True
            raise LoginFailed(self.failure)
        register_secret(token)
        if description:
            logger.warning("PACER login succeeded with pending account actions: %s", description)
        return Secret(token)

    async def logout(self, crawler: Any) -> None:
        """End the session (best effort: a failed logout only logs)."""
        if self.token is None:
            return
        token, self.token = self.token, None
        try:
            request = _auth_request(self.logout_url, {"nextGenCSO": token.reveal()})
            request.meta[META_SESSION_END] = True
            response = await crawler.engine.download_async(request)
            logger.info("Logged out of PACER (HTTP %s)", response.status)
        except Exception as exc:  # the run's work is done; a logout failure must not undo it
            logger.warning("PACER logout failed: %s", type(exc).__name__)


def _auth_request(url: str, body: dict[str, str]) -> Request:
    return Request(
        url, method="POST", body=json.dumps(body), dont_filter=True,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        meta={META_AUTH: True, "court": LOGIN_COURT, "cost_estimate_pages": 0, "dont_redirect": True},
    )  # fmt: skip


def _login_failure_message(creds: Credentials, result: str, description: str) -> str:
    # The description is the service's own text; the caller masks it, since a hostile or
    # broken service may echo the password in it.
    text = f"PACER login refused (loginResult {result or '?'}): {description or 'no reason given'}"
    lowered = description.lower()
    if ("otp" in lowered or "two-factor" in lowered or "one-time" in lowered) and not creds.otp_secret:
        text += "; this account uses two-factor login: set PACER_OTP_SECRET"
    if creds.is_legacy_name:
        text += ("; login names of 6 characters or fewer are legacy accounts that NextGen courts refuse: "
                 "upgrade it on the PACER site (My Account and Billing, Manage My Account, Upgrade)")
    return text


class SessionMiddleware:
    """Adds the session cookie to requests that need a login; handles "please log in" pages."""

    def __init__(self, crawler: Any, session: PacerSession | None) -> None:
        self.crawler = crawler
        self.session = session
        # Tokens by request, not in request.meta (meta can be saved to disk, JOBDIR), and
        # weakly: a request whose response another middleware turned into a retry never
        # comes back here, and an entry kept by id() would pass to the next request given
        # that id (the night's re-login once waited for its own token that way).
        self._sent: weakref.WeakKeyDictionary[Request, Secret] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Any) -> SessionMiddleware:
        return cls(crawler, crawler.settings.get("PACER_SESSION"))

    async def process_request(self, request: Request) -> None:
        if request.meta.get(META_AUTH) or not request.meta.get(META_LOGIN):
            return None
        if self.session is None:
            raise LoginFailed("this report needs a PACER login, but no credentials are configured "
                              "(set PACER_USERNAME and PACER_PASSWORD)")
        refusal = self.session.cookie_refusal(request.url, str(request.meta.get("court") or ""))
        if refusal is not None:
            from harvester.gate.middleware import DestinationRefused

            self.crawler.stats.inc_value("gate/refused/destination")
            logger.error("Not sent: %s", refusal)
            raise DestinationRefused(f"gate refused {request.url}: {refusal}")
        token = await self.session.ensure(self.crawler)
        self._sent[request] = token
        request.headers["Cookie"] = self._cookie(token)
        self._hook_into_gate()
        return None

    def _hook_into_gate(self) -> None:
        # The gate may hold a request for a while (rate limits, budget): the token is
        # checked again the moment it leaves, so a re-login meanwhile is not wasted.
        if getattr(self, "_hooked", False):
            return
        from harvester.gate.middleware import GateMiddleware

        gate = self.crawler.get_downloader_middleware(GateMiddleware)
        if gate is not None:
            gate.before_send.append(self.current_token)
            self._hooked = True

    async def current_token(self, request: Request) -> None:
        """Just before ``request`` leaves: swap a token replaced while it waited for the current one."""
        if request.meta.get(META_AUTH):  # the login itself: the re-login it serves holds the session's lock
            return
        sent = self._sent.get(request)
        if sent is None or self.session is None or sent is self.session.token:
            return
        token = await self.session.ensure(self.crawler)
        self._sent[request] = token
        request.headers["Cookie"] = self._cookie(token)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        token = self._sent.pop(request, None)
        request.headers.pop(b"Cookie", None)
        # A token was only sent with a session; the check on it narrows the type.
        if token is None or self.session is None or not is_login_page(response.body):
            return response
        attempt = request.meta.get(META_LOGIN_RETRY, 0)
        self.crawler.stats.inc_value("pacer/login_pages")
        if attempt >= 2:
            self._block_court(request, "login pages even after a fresh PACER login")
            return response  # the spider records it as a failed request
        if attempt == 1:
            if self.session.is_renewed(token):  # the fresh login did not help: stop before the next login
                self._block_court(request, "login pages even after a fresh PACER login")
                return response
            await self.session.relogin(self.crawler, token)
        logger.info("Login page instead of %s; retry %d", request.url, attempt + 1)
        retry = retry_of(request, status=response.status, size=len(response.body), reason="login page instead of the report")
        retry.meta[META_LOGIN_RETRY] = attempt + 1
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> None:
        self._sent.pop(request, None)
        request.headers.pop(b"Cookie", None)
        return None

    def _block_court(self, request: Request, reason: str) -> None:
        # The token was just renewed: logging in again would not help this court, and
        # every further try would count against the account.
        from harvester.gate.middleware import GateMiddleware

        gate = self.crawler.get_downloader_middleware(GateMiddleware)
        court = str(request.meta.get("court") or "")
        if gate is not None and court:
            gate.block_court(court, reason)

    def _cookie(self, token: Secret) -> str:
        value = token.reveal()
        cookie = f"NextGenCSO={value}; PacerSession={value}"
        if self.session and self.session.credentials.client_code:
            cookie += f"; PacerClientCode={self.session.credentials.client_code}"
        return cookie
