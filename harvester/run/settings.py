"""Every Scrapy setting of the harvest, in one place.

:func:`scrapy_settings` is the only way the harvest builds its Scrapy settings,
so the gate and the safety switches are always there:

- the gate (:class:`harvester.gate.middleware.GateMiddleware`) as the last
  downloader middleware, its guard extension and its court-fair scheduler queue;
- verified TLS >= 1.2 (:mod:`harvester.gate.tls`), with the configured CA bundle;
- the remote-control server and the telnet console off (the process holds
  PACER credentials);
- AutoThrottle and Scrapy's RetryMiddleware off: the gate's rate limits and
  backoff replace them; ``DOWNLOAD_DELAY`` 0, since the gate spaces requests;
- redirects and meta refreshes off (a hostile page must not send the harvest, or its
  session cookie, anywhere): the gate refuses any request that still came from one;
- the run's destinations (the ``[endpoints]`` hosts) for the gate's host check, and,
  when a ``HARVEST`` is given, its database writer (paid requests stop while it cannot
  write) and its ledger (each paid request is recorded in flight before it leaves);
- one download slot per court (``request.meta["download_slot"] = court``, set
  by the gate) with the per-court concurrency, listed in ``DOWNLOAD_SLOTS``;
- a polite ``USER_AGENT`` and the configured ``LOG_LEVEL``.

``config`` is the lead's :class:`harvester.config.Config` (sections ``window``,
``rate``, ``budget``, ``endpoints``, ``log``) or None for the defaults.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from harvester import __version__
from harvester.gate.breaker import BackoffPolicy, BreakerPolicy, CircuitBreaker
from harvester.gate.budget import Budget, BudgetCaps, Charge
from harvester.gate.clock import Clock, SystemClock
from harvester.gate.destinations import Destinations
from harvester.gate.middleware import (
    GATE_ORDER,
    GATE_PATH,
    GUARD_PATH,
    QUEUE_PATH,
    S_BACKOFF,
    S_BREAKER,
    S_BUDGET,
    S_CLOCK,
    S_DESTINATIONS,
    S_LEDGER,
    S_LIMITER,
    S_OVERRIDE,
    S_STORE,
    S_WINDOW,
    WindowOverride,
)
from harvester.gate.ratelimit import RateLimiter, RateLimits
from harvester.gate.tls import tls_settings
from harvester.gate.window import WindowSpec

logger = logging.getLogger(__name__)

SCRAPER_BACKLOG_BYTES = 256 * 1024
USER_AGENT = f"pacer-harvester/{__version__} (nightly docket harvest, 18:00-06:00 Central, rate-limited)"


def scrapy_settings(
    config: Any = None,
    *,
    clock: Clock | None = None,
    budget: Budget | None = None,
    spent_before: Callable[[Any], float] | None = None,
    on_charge: Callable[[Charge], None] | None = None,
    courts: Iterable[str] = (),
    window_override: str | None = None,
    jobdir: str | None = None,
    concurrent_requests: int = 16,
    user_agent: str = USER_AGENT,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The harvest's Scrapy settings.

    ``budget`` (or ``spent_before``: dollars spent by earlier runs in the quarter
    containing an instant, and ``on_charge``: called with every booked Charge)
    wires the fee budget to the database. The budget, the rate limiter and the
    circuit breaker are objects in the settings: every crawler made from these
    settings (one run's spiders, one after the other) shares them. ``window_override`` is a per-run reason
    to ignore the harvest window (blank reasons and options taken as reasons are refused);
    it is logged as a warning, counted, and recorded in the run's row of ``runs``.
    ``extra`` may add settings but not weaken the gate (the guard checks).
    """
    section = _sections(config)
    limits = RateLimits.from_config(section("rate"))
    clock = clock or SystemClock()
    if budget is None:
        if spent_before is None:
            logger.warning("No record of this quarter's earlier spending was given: counting it as $0.00")
        budget = Budget(BudgetCaps.from_config(section("budget")), spent_before or (lambda _now: 0.0), on_charge)
    override = WindowOverride(window_override) if window_override is not None else None
    if override is not None:
        logger.warning("This run will ignore the harvest window: %s", override.reason)
    harvest = (extra or {}).get("HARVEST")
    ca_bundle = section("endpoints").get("ca_bundle") or None
    settings: dict[str, Any] = {
        # The gate and what it reads.
        "DOWNLOADER_MIDDLEWARES": {
            GATE_PATH: GATE_ORDER,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
        },
        "REDIRECT_ENABLED": False,
        "METAREFRESH_ENABLED": False,
        "EXTENSIONS": {GUARD_PATH: 0, "scrapy.extensions.throttle.AutoThrottle": None},
        "SCHEDULER_PRIORITY_QUEUE": QUEUE_PATH,
        S_WINDOW: WindowSpec.from_config(section("window")),
        S_LIMITER: RateLimiter(limits, clock),
        S_BUDGET: budget,
        S_CLOCK: clock,
        S_BACKOFF: BackoffPolicy.from_config(section("rate")),
        S_BREAKER: CircuitBreaker(BreakerPolicy.from_config(section("rate"))),
        S_OVERRIDE: override,
        S_DESTINATIONS: Destinations.from_endpoints(section("endpoints")),
        S_STORE: getattr(harvest, "writer", None),
        S_LEDGER: _ledger_of(harvest),
        # Scrapy's own throttles, retries and slots: the gate decides instead.
        "AUTOTHROTTLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS": concurrent_requests,
        # Backpressure: while this many bytes of answers wait for their callback and the
        # database (a researcher's lock, a slow disk), nothing new is fetched. PACER bills
        # by the byte (4,320 a page), so this caps what a crash there can lose: ~$6.
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": SCRAPER_BACKLOG_BYTES,
        "CONCURRENT_REQUESTS_PER_DOMAIN": limits.per_court_concurrency,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_SLOTS": {
            court: {"concurrency": limits.per_court_concurrency, "delay": 0, "jitter": 0} for court in courts
        },
        "DOWNLOAD_TIMEOUT": float(section("rate").get("timeout_seconds", 120)),
        # Safety switches: nothing may drive a process that holds credentials.
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        **tls_settings(ca_bundle),
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": user_agent,
        "LOG_LEVEL": str(section("log").get("level", "INFO")).upper(),
    }
    if jobdir:
        settings["JOBDIR"] = jobdir
    for key, value in (extra or {}).items():
        settings[key] = _merge(settings.get(key), value)
    return settings


def _ledger_of(harvest: Any) -> Any:
    if harvest is None or getattr(harvest, "writer", None) is None:
        return None
    from harvester.store.ledger import RunLedger

    return RunLedger(harvest)


def _sections(config: Any) -> Callable[[str], Mapping[str, Any]]:
    """``config[section]`` as a mapping over the configuration's defaults (one set of defaults)."""
    from harvester.config import defaults

    base = defaults()

    def section(name: str) -> Mapping[str, Any]:
        if config is None:
            return base.get(name, {})
        try:
            return {**base.get(name, {}), **config[name]}
        except (KeyError, TypeError):
            return base.get(name, {})

    return section


def _merge(current: Any, value: Any) -> Any:
    if isinstance(current, dict) and isinstance(value, Mapping):
        return {**current, **value}
    return value
