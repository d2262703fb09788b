"""The document items and their pipeline handlers (mixed into :class:`harvester.run.pipelines.StorePipeline`).

Items (dataclasses, registered in the pipeline's ``KINDS`` through :data:`DOCUMENT_KINDS`):
:class:`OpinionsItem` (a Written Opinions report), :class:`DocumentMenuItem` (an
attachment page), :class:`DocumentAccessItem` (sealed or restricted, nothing billed),
:class:`DocumentNoteItem` (what a confirmation page said of a document not bought),
:class:`DocumentItem` (a PDF with its request's audit record), :class:`DocumentReleaseItem`
(planned but never sent) and :class:`DocumentLostItem` (sent, but no PDF came back:
maybe billed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from harvester.run.items import RequestAudit
from harvester.store import documents

logger = logging.getLogger(__name__)


@dataclass
class OpinionsItem:
    """One court's parsed Written Opinions report for ``filed_from`` .. ``filed_to``."""

    court: str
    filed_from: date
    filed_to: date
    report: dict[str, Any]


@dataclass
class DocumentMenuItem:
    """An entry's parsed attachment page (page counts and sizes of its documents)."""

    court: str
    entry: dict[str, Any]
    menu: dict[str, Any]


@dataclass
class DocumentAccessItem:
    """A document CM/ECF refused without billing: ``state`` is sealed or restricted."""

    court: str
    pacer_doc_id: str
    state: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class DocumentNoteItem:
    """What is now known of a document that was not bought (e.g. its page count)."""

    court: str
    pacer_doc_id: str
    fields: dict[str, Any]


@dataclass
class DocumentItem:
    """A downloaded PDF, with the audit record of its request (booked with the file)."""

    court: str
    pacer_doc_id: str
    body: bytes
    source: str  # bought, free_opinion or free_look
    audit: RequestAudit
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class DocumentReleaseItem:
    """A planned document whose request was never sent: buyable again."""

    court: str
    pacer_doc_id: str
    reason: str


@dataclass
class DocumentLostItem:
    """A document asked for without a PDF coming back: maybe billed, so never bought again automatically."""

    court: str
    pacer_doc_id: str
    reason: str


# Each document item type's name in stats and messages; its handler is ``_<name>``.
DOCUMENT_KINDS: dict[type, str] = {
    OpinionsItem: "opinions", DocumentMenuItem: "document_menu", DocumentAccessItem: "document_access",
    DocumentNoteItem: "document_note", DocumentItem: "document", DocumentReleaseItem: "document_release",
    DocumentLostItem: "document_lost",
}  # fmt: skip


DocumentItemType = (OpinionsItem | DocumentMenuItem | DocumentAccessItem | DocumentNoteItem | DocumentItem
                    | DocumentReleaseItem | DocumentLostItem)  # fmt: skip


class DocumentItems:
    """Needs the pipeline's ``harvest``, ``crawler``, ``origin`` and ``_request`` (the audit-log writer)."""

    harvest: Any
    crawler: Any
    _request: Any  # StorePipeline's audit-log writer
    origin: str

    def _opinions(self, db: Any, item: OpinionsItem) -> None:
        from harvester.run.pipelines import stamp_origin  # the pipeline imports this module

        mismatch = documents.store_opinion_report(db, item.court, item.filed_from, item.filed_to, item.report,
                                                  run_id=self.harvest.run_id, now=self.harvest.clock.now())  # fmt: skip
        stamp_origin(db, self.origin)  # cases the report named for the first time
        rows = len(item.report.get("dockets") or [])
        if mismatch:
            self.crawler.stats.inc_value("harvest/opinions/total_mismatch")
            logger.warning("Written Opinions report of %s (%s to %s) says %s opinions but lists %d (recorded in "
                           "opinion_reports)", item.court, item.filed_from, item.filed_to,
                           item.report.get("reported_total"), rows)  # fmt: skip
        logger.info("Written Opinions report of %s: %d opinions", item.court, rows)

    def _document_menu(self, db: Any, item: DocumentMenuItem) -> None:
        documents.record_menu(db, item.court, item.entry, item.menu, self.harvest.clock.now())

    def _document_access(self, db: Any, item: DocumentAccessItem) -> None:
        documents.mark(db, item.court, item.pacer_doc_id, item.state, **item.fields)
        logger.info("Document %s of %s is %s: not bought, nothing billed", item.pacer_doc_id, item.court,
                    item.state)  # fmt: skip

    def _document_note(self, db: Any, item: DocumentNoteItem) -> None:
        documents.note_document(db, item.court, item.pacer_doc_id, **item.fields)

    def _document_release(self, db: Any, item: DocumentReleaseItem) -> None:
        documents.release(db, item.court, item.pacer_doc_id)

    def _document_lost(self, db: Any, item: DocumentLostItem) -> None:
        documents.mark(db, item.court, item.pacer_doc_id, documents.UNCERTAIN)
        logger.warning("Document %s of %s was asked for but no PDF came back (%s): marked uncertain, not bought "
                       "again automatically", item.pacer_doc_id, item.court, item.reason)  # fmt: skip

    def _document(self, db: Any, item: DocumentItem) -> None:
        cost, pages = _booked(item.audit)
        documents.store_bought(
            db, self.harvest.config["documents"]["folder"], item.court, item.pacer_doc_id, item.body,
            source=item.source, cost=cost, pages=pages, run_id=self.harvest.run_id, now=self.harvest.clock.now(),
            book=lambda: self._request(db, item.audit), **item.fields,
        )  # fmt: skip
        self.crawler.stats.inc_value(f"harvest/documents/{item.source}")


def _booked(audit: RequestAudit) -> tuple[float | None, int | None]:
    """Dollars and pages the ledger books for the PDF: the gate's charge, else the receipt."""
    if audit.charge is not None:
        return audit.charge["cents"] / 100, audit.charge["pages"]
    receipt = audit.receipt or {}
    return receipt.get("cost"), receipt.get("billable_pages")
