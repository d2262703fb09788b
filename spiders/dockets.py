"""District and bankruptcy dockets of the watched cases that are new or changed.

The first time a case is seen: the whole docket with parties. Afterwards: only what
was entered since the last harvest (``date_range_type=Entered``), so PACER bills only
the new part. A docket number is first resolved with ``possible_case_numbers.pl``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

from harvester import cmecf
from harvester.errors import ParseError
from harvester.parsers import case_numbers, parse_page
from harvester.parsers.receipt import parse_receipt
from harvester.run.harvest import DocketTask
from harvester.run.items import DocketItem, RequestAudit, WatchItem

from .base import HarvestSpider

_HTML_END = re.compile(rb"(?i)</html\s*>")


def cut_short(body: bytes) -> bool:
    """Whether a report served live lost its end (a cut connection, a broken proxy).

    A whole report has its transaction receipt at the foot, or at least its closing
    ``</html>``; a page with neither was cut short. The parser reads what it gets, so
    half a docket would otherwise be stored as if it were the whole one.
    """
    return parse_receipt(body) is None and not _HTML_END.search(body[-512:])


class DocketsSpider(HarvestSpider):
    name = "dockets"
    appellate = False

    async def start(self) -> AsyncIterator[Any]:
        # Plan first, completely: planning reads the database the pipeline is about to write.
        for task in list(self.harvest.docket_tasks(appellate=self.appellate)):
            yield self.first_request(task)

    def first_request(self, task: DocketTask) -> Any:
        if task.pacer_case_id is None:
            call = cmecf.possible_case_numbers(self.harvest.endpoints.base(task.court), task.docket_number or "")
            return self.request(call, task.court, self.parse_case_numbers, login=True, cb_kwargs={"task": task})
        return self.docket_request(task)

    def docket_request(self, task: DocketTask) -> Any:
        call = cmecf.docket_report(
            self.harvest.endpoints.base(task.court), task.court, task.pacer_case_id or "",
            entered_since=task.since, numbered_from=task.numbered_from, parties=task.parties,
        )  # fmt: skip
        return self.request(call, task.court, self.parse_docket, cost=task.cost_estimate_pages, login=True,
                            cb_kwargs={"task": task})  # fmt: skip

    def parse_case_numbers(self, response: Any, task: DocketTask) -> Iterator[Any]:
        try:
            answer = case_numbers.parse(response.body, task.court)
        except ParseError as exc:
            yield self.audit(response, "failed", f"possible_case_numbers: {exc}")
            return
        if answer["outcome"] != "found" or not answer["pacer_case_id"]:
            why = answer.get("message") or ("no unambiguous match" if answer["outcome"] == "found" else answer["outcome"])
            yield self.audit(response, "failed", f"{task.docket_number}: {why}")
            return
        yield self.audit(response)
        yield WatchItem(court=task.court, pacer_case_id=answer["pacer_case_id"], docket_number=task.docket_number,
                        source="config")
        if self.harvest.claim(task.court, answer["pacer_case_id"]):  # not also listed by its case id
            yield self.docket_request(replace(task, pacer_case_id=answer["pacer_case_id"]))

    def parse_docket(self, response: Any, task: DocketTask) -> Iterator[RequestAudit | DocketItem]:
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        try:
            record = parse_page(response.body, court_id=task.court)
        except ParseError as exc:
            yield self.audit(response, getattr(exc, "kind", None) or "failed", str(exc))
            return
        if record.get("kind") not in ("docket", "appellate_docket"):
            yield self.audit(response, "failed", f"expected a docket, got a {record.get('kind')} page")
            return
        if cut_short(response.body):
            yield self.audit(response, "truncated", "the report stops before its transaction receipt and </html>")
            return
        if task.pacer_case_id is None:  # reports are asked for by case id: the planner always knows it here
            yield self.audit(response, "failed", f"{task.docket_number}: a docket report without a case id")
            return
        yield self.audit(response)
        yield DocketItem(court=task.court, pacer_case_id=task.pacer_case_id, record=record, body=response.body,
                         url=response.url, incremental=task.incremental, parties=task.parties)
