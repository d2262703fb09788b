"""The free Written Opinions report of each watched district and bankruptcy court.

Asked for the days since the last report read (that day again, since a day's
report grows until it ends), or ``[documents] opinion_days`` back the first time.
The opinions become documents linked to their cases (new cases are created from
the report); the documents spider then fetches their PDFs, free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

from harvester import cmecf_documents
from harvester.errors import ParseError
from harvester.gate.window import to_central
from harvester.parsers import free_opinion_report
from harvester.parsers.court import is_appellate
from harvester.run.document_items import OpinionsItem
from harvester.store import documents

from .base import HarvestSpider


class OpinionsSpider(HarvestSpider):
    name = "opinions"

    async def start(self) -> AsyncIterator[Any]:
        settings = self.harvest.config["documents"]
        if not settings["opinions"]:
            return
        today = to_central(self.harvest.clock.now()).date()
        for court in self.harvest.courts:
            if is_appellate(court):
                continue
            since = documents.last_opinion_day(self.harvest.db, court) or today - timedelta(days=settings["opinion_days"])
            call = cmecf_documents.written_opinions(self.harvest.endpoints.base(court), since, today)
            yield self.request(call, court, self.parse_report, login=True,
                               cb_kwargs={"court": court, "filed_from": since, "filed_to": today})  # fmt: skip

    def parse_report(self, response: Any, court: str, filed_from: date, filed_to: date) -> Iterator[Any]:
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        try:
            report = free_opinion_report.parse(response.body, court_id=court)
        except ParseError as exc:
            yield self.audit(response, "failed", f"Written Opinions report: {exc}")
            return
        yield self.audit(response)
        yield OpinionsItem(court=court, filed_from=filed_from, filed_to=filed_to, report=report)
