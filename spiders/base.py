"""What every harvest spider shares: the run's Harvest, request building, audit items."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from harvester.cmecf import HttpCall
from harvester.errors import LoginFailed
from harvester.gate.attempts import earlier_attempts
from harvester.gate.middleware import META_CHARGE, META_HOLD, META_RECEIPT, check_settings
from harvester.run.harvest import Harvest, harvest_from_settings
from harvester.run.items import Attempts, RequestAudit
from harvester.run.session import META_LOGIN

# Reasons of the gate's refusals: the request was not sent (nothing to audit but earlier tries).
NOT_SENT = {"window", "budget", "breaker", "contract", "stopping", "destination", "store"}


class HarvestSpider(scrapy.Spider):
    """Base spider: requests carry the gate's contract (court, cost estimate).

    Every harvest spider checks the crawl's settings itself before it exists (the same
    check as the gate and its guard): removing the guard extension, the gate or its
    queue with ``-s`` leaves this check, so no single setting lets a spider run ungated.
    """

    harvest: Harvest

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> HarvestSpider:
        check_settings(crawler.settings)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.harvest = harvest_from_settings(crawler.settings)
        return spider

    def request(
        self, call: HttpCall, court: str, callback: Callable, *, cost: int = 0, login: bool = False,
        cb_kwargs: dict[str, Any] | None = None,
    ) -> scrapy.Request:  # fmt: skip
        """A Scrapy request for ``call``; every status reaches the callback so it is audited."""
        return scrapy.Request(
            call.url, method=call.method, body=call.body or None, headers=call.headers or None,
            callback=callback, errback=self.failed, cb_kwargs=cb_kwargs or {}, dont_filter=True,
            meta={"court": court, "cost_estimate_pages": cost, META_LOGIN: login, "handle_httpstatus_all": True},
        )  # fmt: skip

    def audit(self, response: Response, outcome: str = "ok", reason: str | None = None) -> RequestAudit:
        """An audit-log item for one response (the pipeline stores it in ``requests``)."""
        if outcome != "ok":
            self.crawler.stats.inc_value("harvest/failed")
            self.logger.warning("%s: %s (%s)", response.url, outcome, reason)
        return RequestAudit(
            url=response.url, court=response.meta.get("court"),
            method=response.request.method if response.request else "GET", status=response.status,
            size=len(response.body), receipt=response.meta.get(META_RECEIPT), outcome=outcome, reason=reason,
            attempts=earlier_attempts(response.request), estimated_pages=response.meta.get("cost_estimate_pages"),
            charge=response.meta.get(META_CHARGE), in_flight=response.meta.get(META_HOLD),
        )  # fmt: skip

    def failed(self, failure: Failure) -> RequestAudit | Attempts | None:
        """Errback: a request that got no response (network, TLS) or that the gate refused."""
        request = failure.request  # type: ignore[attr-defined]
        reason = getattr(failure.value, "reason", None)
        if reason in NOT_SENT or isinstance(failure.value, LoginFailed):
            if isinstance(failure.value, LoginFailed):
                self._login_failed(failure.value)
            else:
                self.logger.info("Not sent (%s): %s", reason, request.url)
            # Not sent this time: counted in the gate's stats; earlier tries that were sent are audited.
            attempts = earlier_attempts(request)
            return Attempts(court=request.meta.get("court"), attempts=attempts) if attempts else None
        self.crawler.stats.inc_value("harvest/failed")
        self.logger.warning("Failed %s: %s", request.url, failure.value)
        return RequestAudit(
            url=request.url, court=request.meta.get("court"), method=request.method,
            status=None, size=0, receipt=None, outcome="error", reason=str(failure.value)[:500],
            attempts=earlier_attempts(request), estimated_pages=request.meta.get("cost_estimate_pages"),
        )  # fmt: skip

    def _login_failed(self, error: LoginFailed) -> None:
        """Stop the crawl once, saying why once (every waiting request fails the same way)."""
        if getattr(self, "_closing", False):
            return
        self._closing = True
        self.logger.error("%s", error)
        if self.crawler.engine.spider is not None:
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="login_failed"))
