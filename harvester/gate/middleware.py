"""The gate: the Scrapy downloader middleware every request must pass to leave.

Contract for spiders -- every request carries in ``request.meta``:

- ``"court"``: the CM/ECF court id (``cand``, ``nysb``, ``ca9``...). The gate
  rate-limits, budgets and breaks circuits per court, and uses it as the
  request's download slot.
- ``"cost_estimate_pages"``: an ``int`` >= 0, the pages the request will
  probably bill (0 for free pages: RSS, court lookup; see
  :func:`harvester.gate.budget.estimate_pages`).

A request without either is refused (:class:`GateContractError`, logged as an
error), never let through.

For each request, in order: its destination (https to the run's own hosts only,
plain http only to loopback, nothing that came from a redirect: see
:mod:`harvester.gate.destinations`), the store (a paid request waits while the
database cannot take writes and is refused once it failed), the court's circuit breaker, the harvest window
(Central time, on the injectable clock), the fee budget (the estimate is held
until the receipt is booked), then the rate limits (per court, global,
per-court concurrency) -- a request whose turn would come in the window's last
``WIND_DOWN_SECONDS`` is not sent: that time is for the requests in flight and
the logout, which then leave inside the window too. When the window closes the gate pauses
the engine and closes the spider with reason ``window_closed``: requests in
flight finish, requests not yet sent go back to the scheduler (``dont_filter``),
so with ``JOBDIR`` they wait on disk for the next night.

After the response: the receipt's real cost is booked; 5xx/408/429, timeouts
and dropped connections are retried with backoff (the court is paused,
``Retry-After`` honoured), and ``breaker_threshold`` requests' worth of such
failures in a row block the court; 403s and login pages on pages that need no
session count towards the court's circuit breaker (login pages of session requests
are the session middleware's: it logs in again and blocks the court when that does
not help); a TLS refusal blocks the court at once, with an error naming court and
host. After :meth:`GateMiddleware.stop_sending` (SIGTERM) nothing more is sent.

Refusals raise subclasses of ``IgnoreRequest`` (:class:`GateRefused`), so a
spider errback can record them. Every decision is counted in the Scrapy stats
under ``gate/...`` (see :data:`STAT_KEYS`).

A paid request is written to the ledger's ``in_flight`` table before it is sent
(``GATE_LEDGER``): a run killed while it waits for the answer leaves the row, and
the next run books it at its estimate. Writing it goes through the store's single
writer, so while the database is locked or full no paid request leaves at all.

The gate must be the last downloader middleware (nearest the downloader, order
:data:`GATE_ORDER`) so that nothing can send or alter a request after it. The
same settings check (:func:`check_settings`) runs in the gate itself, in
:class:`GateGuard` (an extension), in the court-fair queue and in the spiders'
base class, so no single setting removes it: it fails the crawl with a
:class:`GateBypassError` when the gate, the TLS policy, the redirect switches or
the safety switches were removed or changed, or when a gate object (window,
limiter, budget, clock, override) was replaced by anything but its own type; and
:class:`CourtFairPriorityQueue` hands requests out round-robin over courts,
least-loaded court first, so one slow court cannot hold the downloader.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import _load_objects

from harvester.acms import receipt as acms_receipt
from harvester.config import REAL_COURT_MAX_PER_SECOND
from harvester.errors import HarvesterError
from harvester.gate.attempts import retry_of
from harvester.gate.breaker import BackoffPolicy, CircuitBreaker, parse_retry_after
from harvester.gate.budget import Budget, BudgetRefusal, Reservation
from harvester.gate.clock import Clock, SystemClock
from harvester.gate.destinations import Destinations, is_loopback_host
from harvester.gate.ratelimit import RateLimiter, RateLimits
from harvester.gate.tls import CA_FILE_SETTING, describe_tls_error, probe_tls, tls_refused
from harvester.gate.window import Window, WindowSpec, format_both
from harvester.parsers.confirmation_page import looks_like_confirmation_page
from harvester.parsers.login import is_login_page
from harvester.parsers.receipt import parse_receipt
from harvester.run.session import META_AUTH, META_LOGIN, META_SESSION_END

logger = logging.getLogger(__name__)

META_COURT = "court"
META_COST = "cost_estimate_pages"
META_RETRIES = "gate_retries"
META_RECEIPT = "receipt"  # the Transaction Receipt of the response (never its PACER Login)
META_DOCUMENT_RECEIPT = "document_receipt"  # a document's confirmed price, booked when its PDF arrives
META_SENT_AT = "gate_sent_at"  # the clock's monotonic send time, for logs and tests
META_CHARGE = "gate_charge"  # what the gate booked for the response: pages, cents, source
META_HOLD = "gate_in_flight"  # the ledger's in_flight row of a paid request on the wire
GATE_ORDER = 990
# The last seconds of the window start nothing: requests in flight finish and the session
# logs out before the close, so not even the logout leaves outside the window.
WIND_DOWN_SECONDS = 10.0
GATE_PATH = f"{__name__}.GateMiddleware"
GUARD_PATH = f"{__name__}.GateGuard"
QUEUE_PATH = f"{__name__}.CourtFairPriorityQueue"

# Settings the gate reads (objects, built by harvester.run.settings.scrapy_settings). The
# limiter, breaker and budget are shared by every crawler of a run: limits and
# blocked courts carry over from one spider to the next.
S_WINDOW, S_LIMITER, S_BUDGET, S_CLOCK = "GATE_WINDOW", "GATE_LIMITER", "GATE_BUDGET", "GATE_CLOCK"
S_BACKOFF, S_BREAKER, S_OVERRIDE = "GATE_BACKOFF", "GATE_BREAKER", "GATE_OVERRIDE"
S_DESTINATIONS, S_STORE, S_LEDGER = "GATE_DESTINATIONS", "GATE_STORE", "GATE_LEDGER"
# Settings that once existed or that nothing documents: present at all means someone tried.
FORBIDDEN_SETTINGS = ("GATE_WINDOW_OVERRIDE",)
# Scrapy components that would send requests the gate never chose (redirects) or strip it.
REDIRECT_PATHS = ("scrapy.downloadermiddlewares.redirect.RedirectMiddleware",
                  "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware")  # fmt: skip

STAT_KEYS = {
    "gate/sent": "requests the gate let out",
    "gate/delayed": "requests that waited for a rate limit or a concurrency permit",
    "gate/delay_seconds": "total seconds requests waited",
    "gate/refused/window": "requests kept for the next night because the window was closed",
    "gate/refused/budget": "paid requests refused by a budget cap",
    "gate/refused/breaker": "requests to a court blocked for the night",
    "gate/refused/stopping": "requests not sent because the run was told to stop (SIGTERM)",
    "gate/refused/contract": "requests without a court or a cost estimate",
    "gate/refused/destination": "requests to a host or scheme the run may not use, or from a redirect",
    "gate/refused/store": "paid requests not sent because the database refused writes",
    "gate/store_waits": "paid requests that waited for the database to take writes again",
    "gate/retry/scheduled": "retries after a 5xx, 408/429, timeout or dropped connection",
    "gate/retry/gave_up": "requests that failed after the last retry",
    "gate/breaker/tripped": "courts blocked for the night (gate/breaker/tripped/<court> each)",
    "gate/tls_refused": "responses lost to a TLS refusal",
    "gate/budget/run_dollars": "dollars booked this run",
    "gate/budget/run_pages": "billable pages booked this run",
    "gate/budget/booked_from_estimate": "paid pages without a readable receipt, booked at their estimate",
    "gate/window_override": "1 when this run ignored the harvest window (logged)",
}


class GateBypassError(HarvesterError):
    """The crawl was configured without the gate, or with a safety switch turned off."""


class GateRefused(IgnoreRequest):
    """A request the gate did not send; ``reason`` is one of window/budget/breaker/contract."""

    reason = "refused"


class GateContractError(GateRefused):
    reason = "contract"


class BudgetRefused(GateRefused):
    reason = "budget"


class CourtBlocked(GateRefused):
    reason = "breaker"


class DestinationRefused(GateRefused):
    """A request to a host or over a scheme the run may not use (or produced by a redirect)."""

    reason = "destination"


class StoreRefused(GateRefused):
    """A paid request not sent because the database cannot record what it would cost."""

    reason = "store"


class WindowClosed(GateRefused):
    """A login or logout call outside the window: refused, since it cannot wait in the queue."""

    reason = "window"


@dataclass(frozen=True)
class WindowOverride:
    """A documented per-run override of the window (``harvester run --ignore-window REASON``).

    Only this object in ``GATE_OVERRIDE`` overrides the window: a string (``-s`` on
    the command line) is a GateBypassError. The gate records the reason in the run's
    row of ``runs`` (``window_override``) through its ledger.
    """

    reason: str

    def __post_init__(self) -> None:
        from harvester.config import override_reason

        object.__setattr__(self, "reason", override_reason(self.reason))


class StopRequested(GateRefused):
    """The run was told to stop (SIGTERM): requests not sent yet stay unsent."""

    reason = "stopping"


class TLSRefusedError(Exception):
    """A response lost to a TLS refusal; the message names court and host."""


class GateMiddleware:
    """Window, budget, rate limits and circuit breaker around every download."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        check_settings(settings)
        self.crawler = crawler
        self.stats = crawler.stats
        self.clock: Clock = settings.get(S_CLOCK) or SystemClock()
        self.window = Window(settings.get(S_WINDOW) or WindowSpec())
        self.limiter: RateLimiter = settings.get(S_LIMITER) or RateLimiter(RateLimits(), self.clock)
        self.destinations: Destinations = settings.get(S_DESTINATIONS) or Destinations.from_endpoints({})
        self.store: Any = settings.get(S_STORE)  # has .refusal() -> str | None (DatabaseWriter)
        self.ledger: Any = settings.get(S_LEDGER)  # has async hold()/release(), record_override()
        if self.limiter.clock is not self.clock:
            raise GateBypassError(f"the {S_LIMITER} setting must run on the {S_CLOCK} clock")
        budget = settings.get(S_BUDGET)
        if not isinstance(budget, Budget):
            raise GateBypassError(f"the gate needs a Budget in the {S_BUDGET} setting (use harvester.run.settings.scrapy_settings)")
        self.budget: Budget = budget
        self.backoff: BackoffPolicy = settings.get(S_BACKOFF) or BackoffPolicy()
        self.breaker: CircuitBreaker = settings.get(S_BREAKER) or CircuitBreaker()
        override = settings.get(S_OVERRIDE)
        self.window_override: str = override.reason if isinstance(override, WindowOverride) else ""
        self.transient_errors = tuple(_load_objects(settings.getlist("RETRY_EXCEPTIONS")))
        self.closing = False
        self.stopping = False
        self._transient: dict[str, int] = {}  # 5xx/timeouts/resets in a row, per court
        # By request, weakly: an entry kept by id() would pass to the next request given that id.
        self._held: weakref.WeakKeyDictionary[Request, tuple[str, Reservation]] = weakref.WeakKeyDictionary()
        self._tls_checked: set[tuple[str, int]] = set()
        self.ca_file: str | None = settings.get(CA_FILE_SETTING) or None
        # Called (awaited) with each request just before it leaves: the session attaches its current token here.
        self.before_send: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> GateMiddleware:
        _check_gate_is_last(crawler.settings)
        gate = cls(crawler)
        crawler.signals.connect(gate.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(gate.spider_closed, signal=signals.spider_closed)
        return gate

    # -- signals -----------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        now = self.clock.now()
        if self.window_override:
            logger.warning("Harvest window check OVERRIDDEN for this run: %s", self.window_override)
            self.stats.set_value("gate/window_override", 1)
            if self.ledger is not None:
                self.ledger.record_override(self.window_override)
        else:
            logger.info("%s Window: %s", self.window.describe(now), self.window.spec.describe())

    def spider_closed(self, spider: Any, reason: str) -> None:
        blocked = self.breaker.blocked()
        if blocked:
            self.stats.set_value("gate/breaker/blocked", "; ".join(f"{c}: {r}" for c, r in sorted(blocked.items())))
        gate_stats = {k: v for k, v in self.stats.get_stats().items() if k.startswith("gate/")}
        logger.info("Gate summary (%s): %s", reason, gate_stats)

    # -- downloader middleware ---------------------------------------------

    def stop_sending(self) -> None:
        """Send nothing more (a stop was requested); answers already on their way are still handled."""
        self.stopping = True

    def block_court(self, court: str, reason: str) -> None:
        """Block ``court`` for the rest of the run (e.g. its login pages outlive a fresh login)."""
        if self.breaker.block(court, reason):
            self._tripped(court)

    async def process_request(self, request: Request) -> Request | None:
        court, pages = self._contract(request)
        self._check_destination(request)
        request.meta["download_slot"] = court
        request.meta.pop(META_CHARGE, None)
        request.meta.pop(META_HOLD, None)
        if request.meta.get(META_SESSION_END) and pages == 0:
            await self._send_session_end(request, court)
            return None
        if self.stopping:
            self._inc("gate/refused/stopping")
            raise StopRequested(f"not sent, the run is stopping: {request.url}")
        if self.breaker.is_blocked(court):
            self._inc("gate/refused/breaker")
            raise CourtBlocked(f"{court} is blocked for the night: {self.breaker.blocked()[court]}")
        if self.closing or not self._window_open():
            return self._keep_for_next_night(request)
        if pages:
            self._check_store(request)
        self._refuse_if_no_room(court, pages, request)  # hopeless now: refuse before taking a rate-limit turn
        deadline = self._deadline()
        started = self.clock.monotonic()
        sent_at = await self.limiter.acquire(court, deadline)
        if sent_at is None:
            # Nothing for this court fits before the close: wait for it, then stop the night.
            if deadline is not None:
                await self.clock.sleep_until(deadline)
            return self._keep_for_next_night(request)
        self._count_wait(self.clock.monotonic() - started)
        try:  # only a request about to leave holds a reservation; it waits for receipts in flight
            reservation = await self._reserve(court, pages, request)
        except BudgetRefused:
            self.limiter.release(court)
            raise
        if self.stopping:
            self.limiter.release(court)
            self.budget.cancel(reservation)
            self._inc("gate/refused/stopping")
            raise StopRequested(f"not sent, the run stopped while it waited: {request.url}")
        if self.closing or not self._window_open() or self.breaker.is_blocked(court):
            self.limiter.release(court)
            self.budget.cancel(reservation)
            if self.breaker.is_blocked(court):
                self._inc("gate/refused/breaker")
                raise CourtBlocked(f"{court} was blocked for the night while this request waited")
            return self._keep_for_next_night(request)
        if request.meta.get(META_AUTH):
            await self._check_login_tls(request, court, reservation)
        if pages and self.ledger is not None:
            refused = await self._hold_in_ledger(request, court, reservation)
            if refused is not None:
                return refused
        try:
            for hook in self.before_send:
                await hook(request)
        except BaseException:
            self.limiter.release(court)
            self.budget.cancel(reservation)
            await self._release_hold(request)
            raise
        self._held[request] = (court, reservation)
        request.meta[META_SENT_AT] = sent_at
        self._inc("gate/sent")
        return None

    async def _check_login_tls(self, request: Request, court: str, reservation: Reservation) -> None:
        """One handshake with a login host before the credentials go out; a refusal is final.

        A login service that speaks only TLS 1.1 looks like a dropped connection to
        Twisted: retried, it would cost handshakes and end as "unreachable".
        """
        parts = urlsplit(request.url)
        if parts.scheme != "https" or not parts.hostname:
            return
        key = (parts.hostname, parts.port or 443)
        if key in self._tls_checked:
            return
        reason = await asyncio.to_thread(probe_tls, key[0], key[1], self.ca_file)
        self._tls_checked.add(key)
        if reason is None:
            return
        self.limiter.release(court)
        self.budget.cancel(reservation)
        error = tls_refused(court, key[0], reason)
        self._inc("gate/tls_refused")
        logger.error("%s", error)
        self.block_court(court, str(error))
        raise TLSRefusedError(str(error))

    async def _hold_in_ledger(self, request: Request, court: str, reservation: Reservation) -> Request | None:
        """Write the paid request's in_flight row before it leaves; refuse it when that cannot be done.

        The write waits behind every other write of the run, so while the database is
        locked (or full) nothing paid is sent: stop, not slow down.
        """
        started = self.clock.monotonic()
        try:
            hold = await self.ledger.hold(court, request.method, request.url, reservation.pages)
        except Exception as exc:  # locked past the bound, disk full: the pipeline says so too
            self.limiter.release(court)
            self.budget.cancel(reservation)
            self._inc("gate/refused/store")
            raise StoreRefused(f"not sent, the database cannot record it: {type(exc).__name__}: {exc}") from None
        if self.clock.monotonic() - started > 1.0:
            self._inc("gate/store_waits")
        request.meta[META_HOLD] = hold
        if self.stopping or self.closing or not self._window_open() or self.breaker.is_blocked(court):
            # The world changed while the database was busy: not sent after all.
            self.limiter.release(court)
            self.budget.cancel(reservation)
            await self._release_hold(request)
            if self.stopping:
                self._inc("gate/refused/stopping")
                raise StopRequested(f"not sent, the run stopped while it waited: {request.url}")
            if self.breaker.is_blocked(court):
                self._inc("gate/refused/breaker")
                raise CourtBlocked(f"{court} was blocked for the night while this request waited")
            return self._keep_for_next_night(request)
        if self.store is not None and self.store.refusal():
            self.limiter.release(court)
            self.budget.cancel(reservation)
            await self._release_hold(request)
            self._inc("gate/refused/store")
            raise StoreRefused(f"not sent, the database refused writes: {self.store.refusal()}")
        return None

    async def _release_hold(self, request: Request) -> None:
        hold = request.meta.pop(META_HOLD, None)
        if hold is not None and self.ledger is not None:
            try:
                await self.ledger.release(hold)
            except Exception as exc:  # the row stays: the next run books its estimate (over-count, never under)
                logger.warning("Could not clear the in-flight record of %s: %s", request.url, type(exc).__name__)

    async def _send_session_end(self, request: Request, court: str) -> None:
        """The logout goes out even after the window closed (or a stop): it fetches nothing and
        costs nothing, and a session left open is worse. Still paced, still over verified TLS."""
        self._held[request] = (court, await self._reserve(court, 0, request))
        request.meta[META_SENT_AT] = await self.limiter.acquire(court, None)
        self._inc("gate/sent")
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        held = self._held.pop(request, None)
        if held is None:
            return response
        court, reservation = held
        self.limiter.release(court)
        login_page = is_login_page(response.body)
        if not self._book(reservation, request, response, login_page):
            await self._release_hold(request)
        if response.status == 403 or (login_page and not request.meta.get(META_LOGIN)):
            self._strike(court, "HTTP 403" if response.status == 403 else "login page instead of content")
        elif login_page:
            # A page that needs the session: the session middleware retries it, logs in again
            # if need be, and blocks the court when even a fresh login does not help. Counting
            # it here would block every court at once when the token merely expired.
            pass
        elif response.status in self.backoff.retry_http_codes:
            retry_after = parse_retry_after(response.headers.get(b"Retry-After"), self.clock.now())
            return self._retry(request, court, f"HTTP {response.status}", retry_after, response) or response
        else:
            self.breaker.record_success(court)
            self._transient.pop(court, None)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        held = self._held.pop(request, None)
        if held is None:  # a refusal by the gate itself, or nothing the gate sent
            return None
        court, reservation = held
        self.limiter.release(court)
        self.budget.cancel(reservation)
        await self._release_hold(request)
        reason = describe_tls_error(exception)
        if reason is not None:
            error = tls_refused(court, urlsplit(request.url).hostname or "?", reason)
            self._inc("gate/tls_refused")
            logger.error("%s", error)
            if self.breaker.block(court, str(error)):
                self._tripped(court)
            raise TLSRefusedError(str(error)) from None
        if isinstance(exception, self.transient_errors):
            return self._retry(request, court, type(exception).__name__, None)
        return None

    # -- helpers -----------------------------------------------------------

    def _contract(self, request: Request) -> tuple[str, int]:
        court = request.meta.get(META_COURT)
        pages = request.meta.get(META_COST)
        if not isinstance(court, str) or not court.strip():
            self._breach(request, f'request.meta["{META_COURT}"] (the CM/ECF court id) is missing')
        if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
            self._breach(request, f'request.meta["{META_COST}"] must be an int >= 0 (0 for free pages), got {pages!r}')
        return court.strip().lower(), pages

    def _check_destination(self, request: Request) -> None:
        if request.meta.get("redirect_urls") or request.meta.get("redirect_times"):
            self._refuse_destination(request, "redirects are not followed (a page may not send the harvest elsewhere)")
        problem = self.destinations.refusal(request.url)
        if problem is not None:
            self._refuse_destination(request, problem)
        limits = self.limiter.limits
        if max(limits.per_court_per_second, limits.global_per_second) > REAL_COURT_MAX_PER_SECOND and not (
                is_loopback_host(urlsplit(request.url).hostname or "")):  # fmt: skip
            # However the limiter was built (a settings dict, custom_settings): no real court gets more.
            self._refuse_destination(request, f"rate limits above {REAL_COURT_MAX_PER_SECOND:g} requests/s "
                                              "are only for a loopback sandbox")  # fmt: skip

    def _refuse_destination(self, request: Request, problem: str) -> NoReturn:
        self._inc("gate/refused/destination")
        request.headers.pop(b"Cookie", None)
        logger.error("Gate refused %s: %s", request.url, problem)
        raise DestinationRefused(f"gate refused {request.url}: {problem}")

    def _check_store(self, request: Request) -> None:
        refusal = self.store.refusal() if self.store is not None else None
        if refusal:
            self._inc("gate/refused/store")
            raise StoreRefused(f"not sent, the database refused writes: {refusal}")

    def _breach(self, request: Request, problem: str) -> NoReturn:
        self._inc("gate/refused/contract")
        logger.error("Gate refused %s: %s", request.url, problem)
        raise GateContractError(f"gate refused {request.url}: {problem}")

    def _window_open(self) -> bool:
        """Open now and still open once the wind-down is over (or overridden)."""
        if self.window_override:
            return True
        now = self.clock.now()
        return self.window.is_open(now) and self.window.is_open(now + timedelta(seconds=WIND_DOWN_SECONDS))

    def _deadline(self) -> float | None:
        """The monotonic instant the wind-down before the close begins (None when overridden)."""
        if self.window_override:
            return None
        now = self.clock.now()
        close = self.window.closes_at(now)
        if close is None:
            return self.clock.monotonic()
        return self.clock.monotonic() + max(0.0, (close - now).total_seconds() - WIND_DOWN_SECONDS)

    def _refuse_if_no_room(self, court: str, pages: int, request: Request) -> None:
        try:
            self.budget.check_room(court, pages, self.clock.now())
        except BudgetRefusal as refusal:
            self._inc("gate/refused/budget")
            logger.info("Gate refused %s: %s", request.url, refusal)
            raise BudgetRefused(f"gate refused {request.url}: {refusal}") from None

    async def _reserve(self, court: str, pages: int, request: Request) -> Reservation:
        try:
            return await self.budget.reserve_when_room(court, pages, self.clock.now)
        except BudgetRefusal as refusal:
            self._inc("gate/refused/budget")
            logger.info("Gate refused %s: %s", request.url, refusal)
            raise BudgetRefused(f"gate refused {request.url}: {refusal}") from None

    def _book(self, reservation: Reservation, request: Request, response: Response, login_page: bool) -> bool:
        """Book the response's cost; True when it was billed (the audit log books the same charge)."""
        # ACMS answers JSON: its billing figures are the byte counts it reports (harvester.acms.receipt).
        reader = acms_receipt if request.meta.get("acms") == "docket" else parse_receipt
        receipt = reader(response.body) if not login_page else None
        receipt = document_receipt(request, response, receipt)
        request.meta[META_RECEIPT] = receipt  # the audit log records it: parsed once per response
        if receipt is None and (login_page or response.status >= 300):
            self.budget.cancel(reservation)  # error and login pages are not billed
            return False
        charge = self.budget.settle(reservation, self.clock.now(), receipt, size_bytes=len(response.body))
        if charge is None:
            return False
        # The ledger books exactly what the gate counted: a page without a readable receipt
        # costs its estimate in the database too, never NULL.
        request.meta[META_CHARGE] = {"pages": charge.pages, "cents": charge.cents, "source": charge.source}
        if charge.source == "estimate":
            self._inc("gate/budget/booked_from_estimate", charge.pages)
        self.stats.set_value("gate/budget/run_dollars", self.budget.run_cents() / 100)
        self.stats.set_value("gate/budget/run_pages", self.budget.run_pages())
        return True

    def _retry(
        self, request: Request, court: str, why: str, retry_after: float | None, response: Response | None = None
    ) -> Request | None:
        attempt = int(request.meta.get(META_RETRIES, 0)) + 1
        if self._count_transient(court, why):
            return None
        if attempt > self.backoff.max_retries:
            self._inc("gate/retry/gave_up")
            logger.warning("Gave up on %s after %d retries (%s)", request.url, attempt - 1, why)
            return None
        delay = self.backoff.delay(attempt, retry_after)
        self.limiter.pause(court, delay)
        self._inc("gate/retry/scheduled")
        logger.info("Retry %d of %s in %.1f s (%s); %s paused", attempt, request.url, delay, why, court)
        status = response.status if response is not None else None
        retry = retry_of(request, status=status, size=len(response.body) if response is not None else 0, reason=why)
        retry.meta[META_RETRIES] = attempt
        return retry

    def _count_transient(self, court: str, why: str) -> bool:
        """Count one 5xx/timeout/reset in a row for ``court``; True once that blocks it.

        Retries interleave over a court's requests, so counting requests that used up
        their retries would let a dead court take (1 + max_retries) tries of nearly every
        case first. As many failures in a row as ``threshold`` requests' worth of tries
        block the court for the night instead; a short burst does not.
        """
        failures = self._transient.get(court, 0) + 1
        self._transient[court] = failures
        limit = self.breaker.policy.threshold * (1 + self.backoff.max_retries)
        if failures < limit or self.breaker.is_blocked(court):
            return self.breaker.is_blocked(court)
        self.block_court(court, f"{failures} failed tries in a row, last: {why}")
        return True

    def _strike(self, court: str, why: str) -> None:
        if self.breaker.record_failure(court, why):
            self._tripped(court)

    def _tripped(self, court: str) -> None:
        self._inc("gate/breaker/tripped")
        self.stats.set_value(f"gate/breaker/tripped/{court}", 1)
        logger.warning("Court %s blocked for the rest of the night: %s", court, self.breaker.blocked()[court])

    def _keep_for_next_night(self, request: Request) -> Request:
        self._inc("gate/refused/window")
        self._close_for_the_night()
        if request.meta.get(META_AUTH):
            # A login or logout is downloaded directly (engine.download_async), not from the
            # queue: a request handed back would be downloaded again at once, forever.
            raise WindowClosed(f"not sent, the harvest window is closed: {request.url}")
        kept = request.replace(dont_filter=True)
        kept.headers.pop(b"Cookie", None)  # a kept request may be saved (JOBDIR): never with the token
        return kept

    def _close_for_the_night(self) -> None:
        if self.closing:
            return
        self.closing = True
        now = self.clock.now()
        logger.info(
            "Harvest window closed at %s: requests in flight finish, the rest stay queued; %s",
            format_both(now), self.window.describe(now),
        )
        engine = self.crawler.engine
        engine.pause()  # stop pulling from the scheduler at once
        deferred_from_coro(engine.close_spider_async(reason="window_closed"))

    def _count_wait(self, waited: float) -> None:
        if waited > 0:
            self._inc("gate/delayed")
            self.stats.inc_value("gate/delay_seconds", waited)

    def _inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)


class GateGuard:
    """Fails the crawl loudly when the gate or the safety settings were removed or changed."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        check_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> GateGuard:
        guard = cls(crawler)
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        return guard

    def spider_opened(self, spider: Any) -> None:
        if self.crawler.get_downloader_middleware(GateMiddleware) is None:
            logger.critical("The gate middleware is not active: closing the spider before any request")
            raise CloseSpider("gate_missing")


class _CourtLoad(DownloaderInterface):
    """Slot = court; load = the court's requests waiting in the gate or in flight."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        check_settings(crawler.settings)
        gate = crawler.get_downloader_middleware(GateMiddleware)
        if gate is None:
            raise GateBypassError("CourtFairPriorityQueue needs the gate middleware")
        self._limiter = gate.limiter

    def get_slot_key(self, request: Request) -> str:
        court = request.meta.get(META_COURT)
        return court.strip().lower() if isinstance(court, str) and court.strip() else super().get_slot_key(request)

    def _active_downloads(self, slot: str) -> int:
        return self._limiter.load(slot)


class CourtFairPriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's downloader-aware queue, keyed by court and weighed by the gate's load.

    Requests waiting inside the gate are invisible to Scrapy's slots; counting
    them keeps a slow court from filling ``CONCURRENT_REQUESTS`` with waiters.
    """

    def __init__(self, crawler: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        self._downloader_interface = _CourtLoad(crawler)


def document_receipt(request: Request, response: Response, receipt: dict | None) -> dict | None:
    """The receipt to book for a document request.

    A download confirmation page shows the price of a document not bought yet:
    nothing is billed for it. A PDF carries no receipt: it bills what its
    confirmation page said, which the spider hands over in the request's meta.
    """
    if receipt is not None and looks_like_confirmation_page(response.body):
        return None
    priced = request.meta.get(META_DOCUMENT_RECEIPT)
    if receipt is None and priced and response.status == 200 and response.body[:5] == b"%PDF-":
        return dict(priced)
    return receipt


def _check_gate_is_last(settings: Any) -> None:
    order = settings.get_component_priority_dict_with_base("DOWNLOADER_MIDDLEWARES")
    enabled = {path: o for path, o in order.items() if o is not None}
    gate_order = next((o for p, o in enabled.items() if _path(p) == GATE_PATH), None)
    later = [_path(p) for p, o in enabled.items() if gate_order is not None and o > gate_order]
    if later:
        raise GateBypassError(f"the gate must be the last downloader middleware; after it: {', '.join(later)}")


def check_settings(settings: Any) -> None:
    """GateBypassError when any setting removes or weakens the gate, however it was set.

    Called by the gate itself, its guard extension, its queue and the spiders' base
    class: removing one of them (``-s EXTENSIONS={}``) leaves the others to refuse.
    """
    problems = _settings_problems(settings)
    if problems:
        raise GateBypassError("refusing to crawl: " + "; ".join(problems))


_GATE_OBJECTS = {S_WINDOW: WindowSpec, S_LIMITER: RateLimiter, S_BUDGET: Budget, S_CLOCK: Clock,
                 S_BACKOFF: BackoffPolicy, S_BREAKER: CircuitBreaker, S_OVERRIDE: WindowOverride,
                 S_DESTINATIONS: Destinations}  # fmt: skip


def _settings_problems(settings: Any) -> list[str]:
    problems = []
    for name in FORBIDDEN_SETTINGS:
        if settings.get(name) not in (None, ""):
            problems.append(f"{name} is not a setting (the only window override is harvester run --ignore-window REASON)")
    for name, kind in _GATE_OBJECTS.items():
        value = settings.get(name)
        if value not in (None, "") and not isinstance(value, kind):
            problems.append(f"{name} must be a {kind.__name__} built by harvester.run.settings.scrapy_settings, "
                            f"not {type(value).__name__} {str(value)[:40]!r}")  # fmt: skip
    if settings.getbool("REDIRECT_ENABLED") or settings.getbool("METAREFRESH_ENABLED"):
        problems.append("REDIRECT_ENABLED and METAREFRESH_ENABLED must be off (a page must not send the harvest elsewhere)")
    if settings.get("DOWNLOADER_CLIENTCONTEXTFACTORY", "SENTINEL") not in ("SENTINEL", None):
        problems.append("DOWNLOADER_CLIENTCONTEXTFACTORY must be Scrapy's own (the TLS policy depends on it)")
    https = {**(settings.getdict("DOWNLOAD_HANDLERS_BASE")), **(settings.getdict("DOWNLOAD_HANDLERS"))}.get("https")
    if _path(https) not in ("scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
                            "scrapy.core.downloader.handlers.http.HTTPDownloadHandler",
                            "harvester.gate.tls.CABundleDownloadHandler"):  # fmt: skip
        problems.append(f"DOWNLOAD_HANDLERS https must be Scrapy's HTTP/1.1 handler or the harvester's CA-bundle one, not {https!r}")
    middlewares = settings.get_component_priority_dict_with_base("DOWNLOADER_MIDDLEWARES")
    if not any(_path(p) == GATE_PATH and o is not None for p, o in middlewares.items()):
        problems.append(f"{GATE_PATH} is not enabled in DOWNLOADER_MIDDLEWARES")
    else:
        order = next(o for p, o in middlewares.items() if _path(p) == GATE_PATH and o is not None)
        later = [_path(p) for p, o in middlewares.items() if o is not None and o > order]
        if later:
            problems.append(f"the gate must be the last downloader middleware; after it: {', '.join(later)}")
    extensions = settings.get_component_priority_dict_with_base("EXTENSIONS")
    if not any(_path(p) == GUARD_PATH and o is not None for p, o in extensions.items()):
        problems.append(f"{GUARD_PATH} is not enabled in EXTENSIONS")
    if _path(settings.get("SCHEDULER_PRIORITY_QUEUE")) != QUEUE_PATH:
        problems.append(f"SCHEDULER_PRIORITY_QUEUE must be {QUEUE_PATH}")
    if not settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"):
        problems.append("DOWNLOAD_VERIFY_CERTIFICATES is off")
    if settings.get("DOWNLOAD_TLS_MIN_VERSION") not in ("TLSv1.2", "TLSv1.3"):
        problems.append("DOWNLOAD_TLS_MIN_VERSION must be TLSv1.2 or TLSv1.3")
    for switch in ("REMOTE_CONTROL_ENABLED", "TELNETCONSOLE_ENABLED", "RETRY_ENABLED", "AUTOTHROTTLE_ENABLED"):
        if settings.getbool(switch):
            problems.append(f"{switch} must be off")
    return problems


def _path(component: Any) -> str:
    if isinstance(component, str):
        return component
    return f"{getattr(component, '__module__', '')}.{getattr(component, '__qualname__', '')}"
