"""Pipeline handlers of the document items (mixed into :class:`harvester.run.pipelines.StorePipeline`).

Items: ``opinions`` (a Written Opinions report), ``document_menu`` (an attachment
page), ``document_access`` (sealed or restricted, nothing billed), ``document_note``
(what a confirmation page said of a document not bought), ``document``
(a PDF with its request's audit record), ``document_release`` (planned but never
sent) and ``document_lost`` (sent, but no PDF came back: maybe billed).
"""

from __future__ import annotations

import logging
from typing import Any

from harvester.store import documents

logger = logging.getLogger(__name__)


class DocumentItems:
    """Needs the pipeline's ``harvest``, ``crawler`` and ``_request`` (the audit-log writer)."""

    harvest: Any
    crawler: Any

    def _opinions(self, db: Any, item: dict[str, Any]) -> None:
        report = item["report"]
        mismatch = documents.store_opinion_report(db, item["court"], item["filed_from"], item["filed_to"], report,
                                                  run_id=self.harvest.run_id, now=self.harvest.clock.now())  # fmt: skip
        rows = len(report.get("dockets") or [])
        if mismatch:
            self.crawler.stats.inc_value("harvest/opinions/total_mismatch")
            logger.warning("Written Opinions report of %s (%s to %s) says %s opinions but lists %d (recorded in "
                           "opinion_reports)", item["court"], item["filed_from"], item["filed_to"],
                           report.get("reported_total"), rows)  # fmt: skip
        logger.info("Written Opinions report of %s: %d opinions", item["court"], rows)

    def _document_menu(self, db: Any, item: dict[str, Any]) -> None:
        documents.record_menu(db, item["court"], item["entry"], item["menu"], self.harvest.clock.now())

    def _document_access(self, db: Any, item: dict[str, Any]) -> None:
        documents.mark(db, item["court"], item["pacer_doc_id"], item["state"], **item.get("fields", {}))
        logger.info("Document %s of %s is %s: not bought, nothing billed", item["pacer_doc_id"], item["court"],
                    item["state"])  # fmt: skip

    def _document_note(self, db: Any, item: dict[str, Any]) -> None:
        documents.note_document(db, item["court"], item["pacer_doc_id"], **item["fields"])

    def _document_release(self, db: Any, item: dict[str, Any]) -> None:
        documents.release(db, item["court"], item["pacer_doc_id"])

    def _document_lost(self, db: Any, item: dict[str, Any]) -> None:
        documents.mark(db, item["court"], item["pacer_doc_id"], documents.UNCERTAIN)
        logger.warning("Document %s of %s was asked for but no PDF came back (%s): marked uncertain, not bought "
                       "again automatically", item["pacer_doc_id"], item["court"], item["reason"])  # fmt: skip

    def _document(self, db: Any, item: dict[str, Any]) -> None:
        receipt = item["audit"].get("receipt") or {}
        documents.store_bought(
            db, self.harvest.config["documents"]["folder"], item["court"], item["pacer_doc_id"], item["body"],
            source=item["source"], cost=receipt.get("cost"), pages=receipt.get("billable_pages"),
            run_id=self.harvest.run_id, now=self.harvest.clock.now(), book=lambda: self._request(db, item["audit"]),
            **item.get("fields", {}),
        )  # fmt: skip
        self.crawler.stats.inc_value(f"harvest/documents/{item['source']}")
