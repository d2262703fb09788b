"""Documents: free opinions, and what the ``[documents]`` rule selects, bought safely.

For each document, in order:

1. the entry's attachment page (free), when the entry has attachments and its
   menu was never read: page counts are known before anything is bought;
2. the download confirmation page (free): sealed and restricted documents are
   recognised here, without paying; otherwise the document is priced
   (:func:`harvester.documents.price_document`) and checked against the rule's
   limits (pages, per case, the documents' run cap);
3. a ``planned`` row is committed BEFORE the request is sent, and a document
   that was ever planned is never asked for again (see
   :mod:`harvester.store.documents`);
4. the PDF, through the gate with the price as its cost estimate (held against
   the budget); the confirmation page's receipt is booked when it arrives,
   together with the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from scrapy import signals
from twisted.python.failure import Failure

from harvester import cmecf_documents
from harvester.documents import DocumentRule, Price, access_refused, price_document
from harvester.errors import LoginFailed, ParseError
from harvester.gate.middleware import META_DOCUMENT_RECEIPT
from harvester.parsers import attachment_page, confirmation_page
from harvester.parsers.court import is_appellate
from harvester.run.document_items import (
    DocumentAccessItem,
    DocumentItem,
    DocumentLostItem,
    DocumentNoteItem,
    DocumentReleaseItem,
)  # fmt: skip
from harvester.store import documents

from .base import NOT_SENT, HarvestSpider
from .opinions import OpinionsSpider

META_KEY = "document_key"


@dataclass(frozen=True)
class Doc:
    """One document the spider is after."""

    court: str
    pacer_doc_id: str
    pacer_case_id: str | None
    document_number: str | None
    attachment_number: int | None
    pacer_seq_no: str | None
    description: str | None
    page_count: int | None
    transcript: bool
    free: bool = False

    def fields(self) -> dict[str, Any]:
        """What the documents table keeps about it."""
        out = {k: v for k, v in asdict(self).items() if k not in ("court", "pacer_doc_id", "free")}
        out["transcript"] = int(self.transcript)
        return out


class DocumentsSpider(HarvestSpider):
    name = "documents"

    async def start(self) -> AsyncIterator[Any]:
        settings = self.harvest.config["documents"]
        self.rule = DocumentRule.from_config(settings)
        self.folder = settings["folder"]
        self.planned_cents = 0
        self.unsent: set[tuple[str, str]] = set()
        self.crawler.signals.connect(self._reached_downloader, signal=signals.request_reached_downloader)
        abandoned = await self.harvest.writer.run(documents.abandon_planned, self.harvest.run_id)
        if abandoned:
            self.logger.warning("%d document(s) planned by a run that did not finish them (killed?) are marked "
                                "uncertain: they may have been billed, so they are not bought again", abandoned)  # fmt: skip
        documents.remove_partial_files(self.folder)
        courts = [c for c in self.harvest.courts if not is_appellate(c)]
        db = self.harvest.db
        self.per_case = documents.bought_per_case(db)
        for row in documents.free_opinions_to_fetch(db, courts):
            yield self._confirmation(_doc_of_row(row, free=True))
        if not self.rule.active:
            return
        for entry in documents.entries_with_documents(db, courts):
            for request in self._entry_requests(entry):
                yield request

    # ------------------------------------------------------------ what to ask for
    def _entry_requests(self, entry: dict[str, Any]) -> Iterator[Any]:
        selected = self.rule.selects_entry(entry["description"])
        parts = any(self.rule.selects_attachment(selected, a.get("description")) for a in entry["attachments"])
        if not selected and not parts:
            return
        if entry["attachments"] and not entry["menu_fetched_at"]:
            call = cmecf_documents.attachment_page(self.harvest.endpoints.base(entry["court_id"]), entry["pacer_doc_id"])
            yield self.request(call, entry["court_id"], self.parse_menu, login=True, cb_kwargs={"entry": entry})
            return
        yield from self._priced_requests(entry, selected)

    def _priced_requests(self, entry: dict[str, Any], selected: bool) -> Iterator[Any]:
        court = entry["court_id"]
        rows = documents.documents_of_entry(self.harvest.db, court, entry["pacer_case_id"], entry["document_number"])
        known = {r["pacer_doc_id"]: r for r in rows}
        wanted: list[Doc] = []
        if selected:
            main = known.get(entry["pacer_doc_id"], {})
            wanted.append(Doc(court, entry["pacer_doc_id"], entry["pacer_case_id"], entry["document_number"], 0,
                              entry["pacer_seq_no"], entry["description"], main.get("page_count"),
                              documents.may_be_transcript(entry["description"])))  # fmt: skip
        parts = [r for r in rows if (r["attachment_number"] or 0) > 0] or entry["attachments"]
        for part in parts:
            if part.get("pacer_doc_id") and self.rule.selects_attachment(selected, part.get("description")):
                wanted.append(Doc(court, part["pacer_doc_id"], entry["pacer_case_id"], entry["document_number"],
                                  part.get("attachment_number"), part.get("pacer_seq_no") or entry["pacer_seq_no"],
                                  part.get("description"), part.get("page_count"),
                                  documents.may_be_transcript(part.get("description"), entry["description"])))  # fmt: skip
        for doc in wanted:
            state = (known.get(doc.pacer_doc_id) or {}).get("state")
            if state not in (None, documents.KNOWN):
                continue  # bought, planned, uncertain, sealed or restricted: never asked for again
            if (known.get(doc.pacer_doc_id) or {}).get("source") == "free_opinion":
                continue  # fetched free, as an opinion
            why_not = self._limit_reached(doc)
            if why_not:  # known before asking: no confirmation page is fetched for nothing
                self._skip(doc, why_not)
                continue
            yield self._confirmation(doc)

    def _confirmation(self, doc: Doc) -> Any:
        call = cmecf_documents.confirmation_page(self.harvest.endpoints.base(doc.court), doc.pacer_doc_id)
        return self.request(call, doc.court, self.parse_confirmation, login=True, cb_kwargs={"doc": doc})

    # ------------------------------------------------------------ answers
    async def parse_menu(self, response: Any, entry: dict[str, Any]) -> AsyncIterator[Any]:
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        refused = access_refused(response.body)
        if refused:  # the main document is sealed or restricted: CM/ECF shows no menu
            yield self.audit(response)
            yield DocumentAccessItem(court=entry["court_id"], pacer_doc_id=entry["pacer_doc_id"], state=refused,
                                     fields={"pacer_case_id": entry["pacer_case_id"], "attachment_number": 0,
                                             "document_number": entry["document_number"],
                                             "description": entry["description"]})  # fmt: skip
            return
        try:
            menu = attachment_page.parse(response.body, court_id=entry["court_id"])
        except ParseError as exc:
            yield self.audit(response, "failed", f"attachment page: {exc}")
            return
        yield self.audit(response)
        await self.harvest.writer.run(documents.record_menu, entry["court_id"], entry, menu, self.harvest.clock.now())
        for request in self._priced_requests(entry, self.rule.selects_entry(entry["description"])):
            yield request

    async def parse_confirmation(self, response: Any, doc: Doc) -> AsyncIterator[Any]:
        if response.status != 200:
            yield self.audit(response, "failed", f"HTTP {response.status}")
            return
        refused = access_refused(response.body)
        if refused:
            yield self.audit(response)
            yield DocumentAccessItem(court=doc.court, pacer_doc_id=doc.pacer_doc_id, state=refused, fields=doc.fields())
            return
        try:
            confirmation = confirmation_page.parse(response.body, court_id=doc.court)
        except ParseError as exc:
            yield self.audit(response, "failed", f"confirmation page: {exc}")
            return
        price = price_document(doc.page_count, confirmation, transcript=doc.transcript)
        why_not = self._why_not(doc, price, confirmation)
        if why_not or price is None:
            yield self.audit(response)
            self._skip(doc, why_not or "cannot be priced")
            pages = confirmation.get("billable_pages")
            if isinstance(pages, int) and not self.rule.allows_pages(pages):
                # Remembered, so later nights skip it without asking CM/ECF again.
                yield DocumentNoteItem(court=doc.court, pacer_doc_id=doc.pacer_doc_id,
                                       fields={**doc.fields(), "page_count": max(pages, doc.page_count or 0)})  # fmt: skip
            return
        request = await self._plan(doc, price, confirmation)
        yield self.audit(response)
        if request is not None:
            yield request

    def _limit_reached(self, doc: Doc) -> str | None:
        if not self.rule.allows_pages(doc.page_count):
            return f"{doc.page_count} pages, more than max_pages ({self.rule.max_pages})"
        if self.rule.per_case and self.per_case.get((doc.court, doc.pacer_case_id), 0) >= self.rule.per_case:
            return f"the per-case limit of {self.rule.per_case} documents is reached"
        if self.planned_cents >= self.rule.run_cents:
            return f"documents.run_dollars (${self.rule.run_cents / 100:.2f}) is spent"
        return None

    def _why_not(self, doc: Doc, price: Price | None, confirmation: dict[str, Any]) -> str | None:
        if price is None:
            return "no page count on its attachment page or its confirmation page"
        if doc.free and not price.free:
            return f"listed as a free opinion, but its confirmation page asks ${price.dollars:.2f}"
        if price.free:
            return None
        pages = max(n for n in (doc.page_count, confirmation.get("billable_pages"), 0) if isinstance(n, int))
        if not self.rule.allows_pages(pages):
            return f"{pages} pages, more than max_pages ({self.rule.max_pages})"
        if self.rule.per_case and self.per_case.get((doc.court, doc.pacer_case_id), 0) >= self.rule.per_case:
            return f"the per-case limit of {self.rule.per_case} documents is reached"
        if self.planned_cents + price.cents > self.rule.run_cents:
            return (f"${price.dollars:.2f} would take the documents of this run past "
                    f"documents.run_dollars (${self.rule.run_cents / 100:.2f})")  # fmt: skip
        return None

    async def _plan(self, doc: Doc, price: Price, confirmation: dict[str, Any]) -> Any:
        """Commit the planned row, then return the PDF request (None when it was planned before)."""
        key = (doc.court, doc.pacer_case_id)
        # Counted before the await: other confirmations are being answered meanwhile.
        self.planned_cents += price.cents
        if not price.free:
            self.per_case[key] = self.per_case.get(key, 0) + 1
        planned = await self.harvest.writer.run(
            documents.plan, doc.court, doc.pacer_doc_id, price=price.dollars, pages=price.pages,
            run_id=self.harvest.run_id, now=self.harvest.clock.now(), **doc.fields(),
        )  # fmt: skip
        if not planned:
            self.planned_cents -= price.cents
            if not price.free:
                self.per_case[key] -= 1
            self._skip(doc, "already planned or bought")
            return None
        self.unsent.add((doc.court, doc.pacer_doc_id))
        call = cmecf_documents.document_pdf(self.harvest.endpoints.base(doc.court), doc.pacer_doc_id,
                                            doc.pacer_case_id, doc.pacer_seq_no)  # fmt: skip
        request = self.request(call, doc.court, self.parse_pdf, cost=price.pages, login=True,
                               cb_kwargs={"doc": doc, "price": price}).replace(errback=self.pdf_failed)  # fmt: skip
        request.meta[META_DOCUMENT_RECEIPT] = _booking(confirmation, price)
        request.meta[META_KEY] = (doc.court, doc.pacer_doc_id)
        return request

    def parse_pdf(self, response: Any, doc: Doc, price: Price) -> Iterator[Any]:
        self.unsent.discard((doc.court, doc.pacer_doc_id))
        if response.status == 200 and response.body[:5] == b"%PDF-":
            source = "bought" if price.cents else ("free_opinion" if doc.free else "free_look")
            yield DocumentItem(court=doc.court, pacer_doc_id=doc.pacer_doc_id, body=response.body, source=source,
                               audit=self.audit(response), fields=doc.fields())  # fmt: skip
            return
        refused = access_refused(response.body)
        if refused and not response.meta.get("receipt"):
            yield self.audit(response)
            yield DocumentAccessItem(court=doc.court, pacer_doc_id=doc.pacer_doc_id, state=refused)
            return
        yield self.audit(response, "failed", f"no PDF (HTTP {response.status})")
        yield DocumentLostItem(court=doc.court, pacer_doc_id=doc.pacer_doc_id, reason=f"HTTP {response.status}, not a PDF")

    def pdf_failed(self, failure: Failure) -> list[Any]:
        """A PDF request that got no answer: released when it was never sent, uncertain when it was."""
        request = failure.request  # type: ignore[attr-defined]
        court, pacer_doc_id = request.meta[META_KEY]
        self.unsent.discard((court, pacer_doc_id))
        not_sent = getattr(failure.value, "reason", None) in NOT_SENT or isinstance(failure.value, LoginFailed)
        kind = DocumentReleaseItem if not_sent else DocumentLostItem
        items: list[Any] = [kind(court=court, pacer_doc_id=pacer_doc_id, reason=str(failure.value)[:200])]
        audit = self.failed(failure)
        return items + ([audit] if audit else [])

    def _reached_downloader(self, request: Any, spider: Any) -> None:
        # Past the gate (the last downloader middleware): from here on it counts as sent.
        key = request.meta.get(META_KEY)
        if key is not None:
            self.unsent.discard(key)

    def closed(self, reason: str) -> None:
        """Planned documents whose request never left (window closed, run stopped): buyable next time."""
        unsent: set[tuple[str, str]] = getattr(self, "unsent", set())  # empty when the spider closed before it started
        for court, pacer_doc_id in sorted(unsent):
            documents.release(self.harvest.db, court, pacer_doc_id)
        if unsent:
            self.logger.info("%d planned document(s) not sent (%s): left for the next run", len(unsent), reason)

    def _skip(self, doc: Doc, why: str) -> None:
        self.crawler.stats.inc_value("harvest/documents/skipped")
        self.logger.info("Not buying %s %s: %s", doc.court, doc.pacer_doc_id, why)


def _booking(confirmation: dict[str, Any], price: Price) -> dict[str, Any]:
    """The receipt booked with the PDF: the confirmation page's own figures, else the price."""
    if price.free:
        return price.as_receipt()
    try:
        cost = float(str(confirmation.get("cost")).replace("$", "").replace(",", ""))
    except ValueError:
        return price.as_receipt()
    return {"billable_pages": confirmation.get("billable_pages"), "cost": cost}


def _doc_of_row(row: dict[str, Any], *, free: bool) -> Doc:
    return Doc(row["court_id"], row["pacer_doc_id"], row["pacer_case_id"], row["document_number"],
               row["attachment_number"], row["pacer_seq_no"], row["description"], row["page_count"],
               bool(row["transcript"]), free=free)  # fmt: skip


# The run's crawl sequence adds these after the dockets (harvester.run.crawl).
DOCUMENT_SPIDERS = (OpinionsSpider, DocumentsSpider)
