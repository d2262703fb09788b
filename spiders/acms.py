"""Courts of appeals' cases in ACMS (2nd and 9th Circuits, Veterans Claims): docket JSON and document lists.

ACMS has no "entered since" filter: a case is fetched whole, when it is new or
due for its refresh (``watch.refresh_days``; CM/ECF feeds do not list ACMS cases),
and billed by ACMS's byte counts. Document lists (``acms.documents``) are fetched
only for entries whose list is not stored yet. A case ACMS does not know, of a
dual-system court, is handed to TransportRoom (the appellate spider runs next).
A layout the harvester does not know fails loudly, naming the court, and the
answer is archived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from harvester import acms
from harvester.acms import ACMS, CMECF, AcmsLayoutError
from harvester.errors import ParseError
from harvester.parsers import parse_page
from harvester.run.acms_routing import acms_courts
from harvester.run.acms_session import META_ACMS, AcmsSessions
from harvester.run.harvest import DocketTask
from harvester.run.items import AcmsDocumentsItem, AcmsRouteItem, AcmsUnrecognisedItem, DocketItem, RequestAudit
from harvester.store import acms as acms_store
from harvester.store import cases

from .base import HarvestSpider


class AcmsSpider(HarvestSpider):
    name = "acms"

    @property
    def sessions(self) -> AcmsSessions:
        return AcmsSessions.of(self.crawler)

    async def start(self) -> AsyncIterator[Any]:
        for task in list(self.harvest.docket_tasks(appellate=True, system=ACMS)):
            yield self.docket_request(task)

    def docket_request(self, task: DocketTask) -> Any:
        number = _number(task)
        state = cases.case_state(self.harvest.db, task.court, task.pacer_case_id or number)
        cost = acms.docket_estimate(state.report_size_bytes if state else None)
        request = self.request(acms.docket(self.sessions.base(task.court), number), task.court, self.parse_docket,
                               cost=cost, cb_kwargs={"task": task})  # fmt: skip
        request.meta[META_ACMS] = "docket"
        return request

    def parse_docket(self, response: Any, task: DocketTask) -> Iterator[Any]:
        key = task.pacer_case_id or task.docket_number or ""
        if response.status == 404:
            yield from self._not_in_acms(response, task, key)
            return
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        try:
            acms.check_docket(response.body, task.court)
            record = parse_page(response.body, court_id=task.court)
            if record.get("kind") != "acms_docket":
                raise AcmsLayoutError(f"{task.court}: expected an ACMS docket, got a {record.get('kind')} page")
        except (AcmsLayoutError, ParseError) as exc:
            yield from self._layout_changed(response, task.court, key, exc)
            return
        yield self.audit(response)
        yield AcmsRouteItem(task.court, _number(task), ACMS, acms_case_id=record["pacer_case_id"])
        yield DocketItem(court=task.court, pacer_case_id=key, record={**record, "acms_case_id": record["pacer_case_id"]},
                         body=response.body, url=response.url, incremental=False)  # fmt: skip
        if self.harvest.config["acms"]["documents"]:
            yield from self._document_requests(json.loads(response.body), task, key)

    def _document_requests(self, doc: dict, task: DocketTask, key: str) -> Iterator[Any]:
        listed = acms_store.listed_entries(self.harvest.db, task.court, key)
        for entry in doc["docketInfo"].get("docketEntries") or []:
            entry_id = entry.get("docketEntryId")
            if not entry_id or entry_id in listed or not entry.get("documentCount"):
                continue  # stored already, or nothing to list: never bought twice
            call = acms.document_list(self.sessions.api_base(task.court), entry_id,
                                      restricted=bool(entry.get("restrictedPartyFilingDocketEntry")))  # fmt: skip
            request = self.request(call, task.court, self.parse_documents, cost=0,
                                   cb_kwargs={"key": key, "case": doc["caseDetails"], "entry": entry})  # fmt: skip
            request.meta[META_ACMS] = "documents"
            yield request

    def parse_documents(
        self, response: Any, key: str, case: dict, entry: dict
    ) -> Iterator[RequestAudit | AcmsDocumentsItem | AcmsUnrecognisedItem]:
        court = response.meta["court"]
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        body = response.body
        try:
            documents = json.loads(body)
            if not isinstance(documents, list):
                raise AcmsLayoutError(f"{court}: ACMS document list is not a JSON list; the layout changed")
            # The entry and its case travel with the list, so the archived answer parses on its own.
            body = json.dumps({"caseDetails": case, "docketEntry": entry, "docketEntryDocuments": documents}).encode()
            record = parse_page(body, court_id=court)
        except (ValueError, AcmsLayoutError, ParseError) as exc:
            yield from self._layout_changed(response, court, key, exc, body)
            return
        yield self.audit(response)
        yield AcmsDocumentsItem(court=court, case_key=key, record=record, body=body, url=response.url)

    def _not_in_acms(self, response: Any, task: DocketTask, key: str) -> Iterator[RequestAudit | AcmsRouteItem]:
        rule = acms_courts(self.harvest).get(task.court)
        if rule is None or not rule.dual:
            yield self.audit(response, "failed", f"{task.court} {key}: ACMS does not know this case")
            return
        self.logger.info("%s %s is not in ACMS: an older case, fetched from TransportRoom", task.court, _number(task))
        audit = self.audit(response)
        audit.outcome, audit.reason = "not_in_acms", "ACMS does not know the case; it stays in CM/ECF"
        yield audit
        yield AcmsRouteItem(task.court, _number(task), CMECF)
        self.harvest.release(task)  # not fetched: TransportRoom's planner takes the case (one case, one fetch)

    def _layout_changed(
        self, response: Any, court: str, key: str, error: Exception, body: bytes | None = None
    ) -> Iterator[RequestAudit | AcmsUnrecognisedItem]:
        """Fail loudly, naming the court; keep the answer for study; stop asking this court tonight."""
        message = str(error) if str(error).startswith(court) else f"{court}: {error}"
        self.logger.error(
            "ACMS layout or protocol changed at %s (case %s): %s; the answer is archived", court, key, message
        )
        self.crawler.stats.inc_value("acms/layout_changed")
        yield self.audit(response, "layout_changed", message[:500])
        yield AcmsUnrecognisedItem(court=court, case_key=key, body=body or response.body, url=response.url)
        from harvester.gate.middleware import GateMiddleware

        gate = self.crawler.get_downloader_middleware(GateMiddleware)
        if gate is not None:
            gate.block_court(court, f"ACMS layout changed: {message[:200]}")


def _number(task: DocketTask) -> str:
    """The docket number ACMS is asked for (and routing remembers): appellate cases are keyed by it."""
    return task.docket_number or task.pacer_case_id or ""
