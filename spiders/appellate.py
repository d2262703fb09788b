"""Courts of appeals: the same as ``dockets``, through TransportRoom (CaseSummary.jsp).

Appellate cases are addressed by docket number, which also serves as their case key
(:func:`harvester.run.harvest.case_key`).
"""

from __future__ import annotations

from typing import Any

from harvester import cmecf
from harvester.run.harvest import DocketTask

from .dockets import DocketsSpider


class AppellateSpider(DocketsSpider):
    name = "appellate"
    appellate = True

    def first_request(self, task: DocketTask) -> Any:
        return self.docket_request(task)

    def docket_request(self, task: DocketTask) -> Any:
        number = task.docket_number or task.pacer_case_id or ""
        call = cmecf.appellate_docket(self.harvest.endpoints.base(task.court), task.court, number, since=task.since,
                                      parties=task.parties)  # fmt: skip
        return self.request(call, task.court, self.parse_docket, cost=task.cost_estimate_pages, login=True,
                            cb_kwargs={"task": task})  # fmt: skip

