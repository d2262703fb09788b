"""Each watched court's RSS feed (free, no login): which cases changed since last night."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from harvester import cmecf
from harvester.errors import ParseError
from harvester.parsers import rss
from harvester.parsers.rss_scope import feed_scope
from harvester.run.harvest import case_key
from harvester.run.items import Attempts, FeedNightItem, RequestAudit, RssItem

from .base import HarvestSpider


class RssSpider(HarvestSpider):
    name = "rss"

    async def start(self) -> AsyncIterator[Any]:
        for item in self.harvest.no_feed_items():
            yield item
        for court in self.harvest.rss_courts():
            call = cmecf.rss_feed(self.harvest.endpoints.base(court), court)
            request = self.request(call, court, self.parse_feed, cb_kwargs={"court": court})
            yield request.replace(errback=self.feed_failed)

    def feed_failed(self, failure: Any) -> Iterator[RequestAudit | Attempts | FeedNightItem]:
        """No answer at all: audited as usual, and the court has no readable feed tonight."""
        audit = self.failed(failure)
        if audit is not None:
            yield audit
        court = failure.request.meta.get("court")
        yield self.harvest.feed_item(court, None, None, None, f"no response: {type(failure.value).__name__}")

    def parse_feed(self, response: Any, court: str) -> Iterator[RequestAudit | RssItem | FeedNightItem]:
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            yield self.harvest.feed_item(court, response.status, None, None)
            return
        try:
            feed = rss.parse(response.body, court)
            scope = feed_scope(response.body)
        except ParseError as exc:
            yield self.audit(response, "failed", f"RSS feed: {exc}")
            yield self.harvest.feed_item(court, response.status, None, None, f"unreadable: {exc}")
            return
        for docket in feed["dockets"]:  # appellate feeds name cases by docket number only
            docket["pacer_case_id"] = case_key(court, docket.get("pacer_case_id"), docket.get("docket_number"))
        yield self.audit(response)
        yield RssItem(court=court, feed=feed, body=response.body, url=response.url, follow=self.harvest.follow_rss)
        yield self.harvest.feed_item(court, response.status, feed, scope)
