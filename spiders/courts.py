"""The CM/ECF court lookup (free, no login) into the ``courts`` table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from harvester.cmecf import HttpCall
from harvester.errors import ParseError
from harvester.parsers import court_lookup
from harvester.run.items import CourtsItem, RequestAudit

from .base import HarvestSpider


class CourtsSpider(HarvestSpider):
    name = "courts"

    async def start(self) -> AsyncIterator[Any]:
        yield self.request(HttpCall("GET", self.harvest.endpoints.court_lookup_url), "pacer-lookup", self.parse_lookup)

    def parse_lookup(self, response: Any) -> Iterator[RequestAudit | CourtsItem]:
        try:
            courts = court_lookup.parse(response.body)["courts"]
        except ParseError as exc:
            yield self.audit(response, "failed", f"court lookup: {exc}")
            return
        yield self.audit(response)
        yield CourtsItem(courts=courts)
