"""One ACMS session per court, signed on with the run's one PACER login.

ACMS courts sign a user on through PACER's central sign-on (see :mod:`harvester.acms`):
the run's ``NextGenCSO`` token is shown to the court's identity provider, whose
SAML answer buys a session cookie valid for that court only. :class:`AcmsSessions`
keeps those cookies per court (apart from the PACER token, so a PACER re-login
cannot wipe them and one court's cookies never reach another), plus the bearer
token ACMS hands out with the docket for its document API. The three sign-on
requests go through the crawl's downloader, so the gate sees them like any other
(court, cost 0, window, rate limits, TLS).

:class:`AcmsMiddleware` adds the court's cookies (and bearer token) to requests
marked ``meta["acms"]`` when they are sent, never while they wait in a queue. An
answer that sends the harvester back to the sign-on (a redirect, a 401) means the
ACMS session expired: the court is signed on again with the same PACER token (no
new PACER login unless PACER itself refuses the token) and the request retried
once; a court that still refuses is blocked for the night. The docket's bearer
token is taken out of the answer before anything else sees it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy import Request
from scrapy.http import Response

from harvester import acms
from harvester.acms import AcmsLayoutError
from harvester.credentials import Secret
from harvester.errors import LoginFailed
from harvester.gate.attempts import retry_of
from harvester.logs import register_secret
from harvester.parsers.login import is_login_page
from harvester.run.acms_routing import acms_endpoints
from harvester.run.harvest import Harvest, harvest_from_settings
from harvester.run.session import PacerSession
from harvester.shared import SharedInSettings

logger = logging.getLogger(__name__)

META_ACMS = "acms"  # "docket" or "documents": the request needs the court's ACMS session
META_ACMS_RETRY = "acms_session_retry"
META_ACMS_AUTH = "acms_sign_on"  # a sign-on request itself
REDIRECTS = {301, 302, 303, 307, 308}
EXPIRED_STATUSES = {*REDIRECTS, 401, 440}
MAX_SIGN_ONS_PER_COURT = 3  # each costs the court's identity provider a SAML round; a loop must end

_BY_HARVEST: weakref.WeakKeyDictionary[Harvest, AcmsSessions] = weakref.WeakKeyDictionary()


class AcmsSessions(SharedInSettings):
    """Per-court ACMS cookies and bearer tokens of one run."""

    def __init__(self, pacer: PacerSession | None, acms_url: str, api_url: str) -> None:
        self.pacer = pacer
        self.acms_url = acms_url
        self.api_url = api_url
        self.cookies: dict[str, dict[str, Secret]] = {}
        self.tokens: dict[str, Secret] = {}
        self.sign_ons: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def of(cls, crawler: Any) -> AcmsSessions:
        """The run's sessions (one object for every crawler of the run)."""
        harvest = harvest_from_settings(crawler.settings)
        sessions = _BY_HARVEST.get(harvest)
        if sessions is None:
            acms_url, api_url = acms_endpoints(harvest.endpoints) or ("", "")
            sessions = cls(crawler.settings.get("PACER_SESSION"), acms_url, api_url)
            _BY_HARVEST[harvest] = sessions
        return sessions

    def base(self, court: str) -> str:
        return acms.court_url(self.acms_url, court)

    def api_base(self, court: str) -> str:
        return acms.court_url(self.api_url, court)

    def cookie_header(self, court: str) -> str:
        return "; ".join(f"{name}={value.reveal()}" for name, value in self.cookies.get(court, {}).items())

    def take_token(self, court: str, token: str) -> None:
        register_secret(token)
        self.tokens[court] = Secret(token)

    async def ensure(self, crawler: Any, court: str) -> dict[str, Secret]:
        async with self._lock(court):
            if not self.cookies.get(court):
                await self._sign_on(crawler, court)
            return self.cookies[court]

    async def renew(self, crawler: Any, court: str, stale: dict[str, Secret] | None) -> None:
        """Sign on again unless another request already replaced ``stale``."""
        async with self._lock(court):
            if self.cookies.get(court) is stale or not self.cookies.get(court):
                self.cookies.pop(court, None)  # the bearer token stays: it came with a docket, not with the sign-on
                await self._sign_on(crawler, court)

    def _lock(self, court: str) -> asyncio.Lock:
        return self._locks.setdefault(court, asyncio.Lock())

    async def _sign_on(self, crawler: Any, court: str) -> None:
        if self.pacer is None:
            raise LoginFailed("ACMS courts need a PACER login, but no credentials are configured "
                              "(set PACER_USERNAME and PACER_PASSWORD)")  # fmt: skip
        count = self.sign_ons.get(court, 0)
        if count >= MAX_SIGN_ONS_PER_COURT:
            raise AcmsLayoutError(f"{court}: ACMS sign-on needed more than {MAX_SIGN_ONS_PER_COURT} times in one run")
        self.sign_ons[court] = count + 1
        crawler.stats.inc_value("acms/sign_ons")
        token = await self.pacer.ensure(crawler)
        base = self.base(court)
        jar: dict[str, Secret] = {}
        first = await self._fetch(crawler, court, Request(base, headers={"Accept": "text/html"}), jar, base)
        form = acms.saml_form(first.body, first.url)
        if form is None:
            idp = _location(first)
            if idp is None:
                raise AcmsLayoutError(
                    f"{court}: ACMS sign-on did not lead to PACER's sign-on (HTTP {first.status} at {base})"
                )
            form = await self._identity_provider(crawler, court, idp, token, jar, base)
        action, fields = form
        if _host(action) != _host(base):
            raise AcmsLayoutError(f"{court}: the sign-on form posts to {_host(action)}, not to ACMS at {_host(base)}")
        register_secret(fields.get("SAMLResponse", ""))  # a bearer assertion: as good as a password
        post = Request(action, method="POST", body=urlencode(fields),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        await self._fetch(crawler, court, post, jar, base)
        if not jar:
            raise AcmsLayoutError(f"{court}: ACMS accepted the sign-on but set no session cookie (protocol changed?)")
        self.cookies[court] = jar
        logger.info(
            "Signed on to ACMS at %s with the run's PACER login (sign-on %d for %s)", _host(base), count + 1, court
        )

    async def _identity_provider(
        self, crawler: Any, court: str, idp: str, token: Secret, jar: dict[str, Secret], base: str
    ) -> tuple[str, dict[str, str]]:
        """Show the PACER token to the court's identity provider; its self-posting SAML form."""
        if not _may_see_token(idp, base):
            raise AcmsLayoutError(f"{court}: ACMS sent the sign-on to {_host(idp)}, not a uscourts.gov host: "
                                  "the PACER token is not shown there")  # fmt: skip
        for attempt in range(2):
            request = Request(idp, headers={"Accept": "text/html", "Cookie": f"NextGenCSO={token.reveal()}"})
            answer = await self._fetch(crawler, court, request, jar, base, keep_cookies=False)
            form = acms.saml_form(answer.body, answer.url)
            if form is not None:
                return form
            if (
                attempt == 0
                and self.pacer is not None
                and (is_login_page(answer.body) or answer.status in EXPIRED_STATUSES)
            ):
                token = await self.pacer.relogin(crawler, token)  # PACER itself no longer knows the token
                continue
            break
        raise AcmsLayoutError(f"{court}: PACER's sign-on for ACMS answered HTTP {answer.status} without a SAML form")

    async def _fetch(
        self, crawler: Any, court: str, request: Request, jar: dict[str, Secret], base: str, keep_cookies: bool = True
    ) -> Response:
        if keep_cookies and jar and _host(request.url) == _host(base):
            request.headers["Cookie"] = "; ".join(f"{k}={v.reveal()}" for k, v in jar.items())
        request.meta.update({"court": court, "cost_estimate_pages": 0, "dont_redirect": True,
                             "dont_merge_cookies": True, "handle_httpstatus_all": True, META_ACMS_AUTH: True})  # fmt: skip
        response = await crawler.engine.download_async(request)
        if _host(response.url) == _host(base):
            jar.update(new_cookies(response))
        return response


def new_cookies(response: Response) -> dict[str, Secret]:
    """The cookies a response sets (name -> value), registered as secrets."""
    cookies = {}
    for header in response.headers.getlist(b"Set-Cookie"):
        pair = header.decode("latin-1").split(";", 1)[0]
        name, sep, value = pair.partition("=")
        if sep and name.strip() and value.strip():
            register_secret(value.strip())
            cookies[name.strip()] = Secret(value.strip())
    return cookies


def _location(response: Response) -> str | None:
    if response.status not in REDIRECTS:
        return None
    target = response.headers.get(b"Location")
    return response.urljoin(target.decode("latin-1")) if target else None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or ''}"


def _may_see_token(url: str, acms_base: str) -> bool:
    """The PACER token goes to the courts' own hosts only (or to a sandbox on the ACMS host)."""
    host = (urlsplit(url).hostname or "").lower()
    return urlsplit(url).scheme == "https" and (host.endswith(".uscourts.gov") or _host(url) == _host(acms_base))


class AcmsMiddleware:
    """Adds the court's ACMS session to ACMS requests; signs on again when it expired."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # Weakly by request (see SessionMiddleware._sent): a retried request never comes back.
        self._sent: weakref.WeakKeyDictionary[Request, dict[str, Secret]] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Any) -> AcmsMiddleware:
        return cls(crawler)

    @property
    def sessions(self) -> AcmsSessions:
        return AcmsSessions.of(self.crawler)

    async def process_request(self, request: Request) -> None:
        kind = request.meta.get(META_ACMS)
        if not kind or request.meta.get(META_ACMS_AUTH):
            return None
        court = request.meta["court"]
        try:
            jar = await self.sessions.ensure(self.crawler, court)
        except AcmsLayoutError as exc:
            logger.error("%s", exc)  # loud, with the court's name; nothing more goes to this court tonight
            self._block(court, str(exc))
            raise
        self._sent[request] = jar
        request.headers["Cookie"] = "; ".join(f"{k}={v.reveal()}" for k, v in jar.items())
        token = self.sessions.tokens.get(court)
        if kind == "documents" and token:
            request.headers["Authorization"] = f"Bearer {token.reveal()}"
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        jar = self._sent.pop(request, None)
        request.headers.pop(b"Cookie", None)
        request.headers.pop(b"Authorization", None)
        if jar is None:
            return response
        court = request.meta["court"]
        jar.update(new_cookies(response))  # ACMS refreshes its cookies as it goes
        # A document list refused (401) wants a fresher bearer token, which only a docket brings, not a
        # sign-on: it fails and is asked for again another night (it is free, and not stored until then).
        expired = EXPIRED_STATUSES if request.meta.get(META_ACMS) == "docket" else REDIRECTS
        if response.status in expired or is_login_page(response.body):
            return await self._expired(request, response, court, jar)
        if request.meta.get(META_ACMS) == "docket" and response.status == 200:
            return self._without_token(response, court)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        self._sent.pop(request, None)
        request.headers.pop(b"Cookie", None)
        request.headers.pop(b"Authorization", None)
        return None

    async def _expired(
        self, request: Request, response: Response, court: str, jar: dict[str, Secret]
    ) -> Request | Response:
        self.crawler.stats.inc_value("acms/session_expired")
        if request.meta.get(META_ACMS_RETRY):
            self._block(court, "ACMS sends the harvester back to the sign-on even after a fresh one")
            return response
        try:
            await self.sessions.renew(self.crawler, court, jar)
        except AcmsLayoutError as exc:
            logger.error("%s", exc)
            self._block(court, str(exc))
            return response
        logger.info("ACMS session of %s expired; signed on again, retrying %s", court, request.url)
        retry = retry_of(request, status=response.status, size=len(response.body), reason="ACMS session expired")
        retry.headers.pop(b"Authorization", None)
        retry.meta[META_ACMS_RETRY] = 1
        return retry

    def _without_token(self, response: Response, court: str) -> Response:
        body, token = acms.take_token(response.body)
        if token:
            self.sessions.take_token(court, token)
        return response.replace(body=body) if body is not response.body else response

    def _block(self, court: str, reason: str) -> None:
        from harvester.gate.middleware import GateMiddleware

        gate = self.crawler.get_downloader_middleware(GateMiddleware)
        if gate is not None:
            gate.block_court(court, reason)
