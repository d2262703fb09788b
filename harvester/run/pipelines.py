"""The one item pipeline: every spider item is written to the harvest database.

Items are the dataclasses of :mod:`harvester.run.items`, one writer per type:
``RequestAudit`` (audit log, with the retried attempts before it), ``Attempts``
(retried attempts of a request that was then not sent), ``CourtsItem``, ``RssItem``,
``WatchItem``, ``DocketItem``, ``FeedNightItem``, ACMS's ``AcmsRouteItem``,
``AcmsDocumentsItem`` and ``AcmsUnrecognisedItem``, and the document items of
:mod:`harvester.run.document_items` (``DOCUMENT_KINDS``). Every case a run stores is stamped with the run's
origin (``HARVEST_ORIGIN``: sandbox or pacer). Writes run on the
harvest's writer thread, one transaction per item, so a crash never leaves half a
docket. When the database refuses a write (locked longer than
``database.lock_wait_seconds``, disk full) the spider is closed with reason
``store_failed``: fetching what cannot be stored would only pay for it twice.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from harvester.run.document_items import DOCUMENT_KINDS, DocumentItems, DocumentItemType
from harvester.run.harvest import harvest_from_settings
from harvester.run.items import (
    AcmsDocumentsItem,
    AcmsRouteItem,
    AcmsUnrecognisedItem,
    Attempts,
    CourtsItem,
    DocketItem,
    FeedNightItem,
    Item,
    RequestAudit,
    RssItem,
    WatchItem,
)  # fmt: skip
from harvester.store import acms, cases, courts, dockets, ledger, rss
from harvester.store.connection import DatabaseLocked

logger = logging.getLogger(__name__)

# The reason a spider is closed with when the database refuses writes, and the stat saying why.
STORE_FAILED = "store_failed"
STORE_ERROR = "harvest/store_error"
# Each item type's name in stats and messages.
KINDS: dict[type, str] = {RequestAudit: "request", Attempts: "attempts", CourtsItem: "courts", RssItem: "rss",
                          WatchItem: "watch", DocketItem: "docket", FeedNightItem: "feed",
                          AcmsRouteItem: "acms_route", AcmsDocumentsItem: "acms_documents",
                          AcmsUnrecognisedItem: "acms_unrecognised", **DOCUMENT_KINDS}  # fmt: skip


class StorePipeline(DocumentItems):
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.harvest = harvest_from_settings(crawler.settings)
        self.store_error: str | None = None
        self.origin: str = crawler.settings.get("HARVEST_ORIGIN") or "pacer"

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Item | DocumentItemType) -> dict[str, Any]:
        kind = KINDS.get(type(item))
        if kind is None:
            raise TypeError(f"not a harvest item: {type(item).__name__}")
        # What is returned (or raised) reaches Scrapy's log: never the item, whose body
        # is a whole page with the account's receipt on it.
        if self.store_error is not None:
            self.crawler.stats.inc_value("harvest/items_not_stored")
            return {"item": kind, "stored": False}
        try:
            written = await self.harvest.writer.run(self._write, getattr(self, f"_{kind}"), item)
        except (DatabaseLocked, sqlite3.Error) as exc:
            self._stop(f"{type(exc).__name__}: {exc}" if isinstance(exc, sqlite3.Error) else str(exc))
            return {"item": kind, "stored": False}
        except Exception as exc:  # a record the store refuses: this item is lost, the others are not
            where = getattr(item, "url", None) or getattr(item, "court", None)
            logger.error("Could not store a %s item from %s: %s: %s", kind, where,
                         type(exc).__name__, exc)  # fmt: skip
            self.crawler.stats.inc_value("harvest/failed")
            return {"item": kind, "stored": False}
        if not written:
            self.crawler.stats.inc_value("harvest/items_not_stored")
            return {"item": kind, "stored": False}
        self.crawler.stats.inc_value(f"harvest/items/{kind}")
        return {"item": kind}

    def _write(self, db: Any, handler: Any, item: Item | DocumentItemType) -> bool:
        # On the writer thread: items queued behind a refused write do not wait out the lock again.
        if self.store_error is not None:
            return False
        handler(db, item)
        return True

    def _stop(self, error: str) -> None:
        """The database refuses writes (locked past the bound, disk full...): stop fetching what cannot be kept."""
        if self.store_error is not None:
            return
        self.store_error = error
        logger.error("Stopping the harvest: the database refused a write: %s", error)
        self.crawler.stats.set_value(STORE_ERROR, error)
        self.crawler.stats.inc_value("harvest/items_not_stored")
        if self.crawler.engine is not None and self.crawler.engine.spider is not None:
            asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=STORE_FAILED))

    def _attempts(self, db: Any, item: Attempts) -> None:
        self._record_attempts(db, item.court, item.attempts)

    def _record_attempts(self, db: Any, court: str | None, attempts: list[dict[str, Any]]) -> None:
        for attempt in attempts:
            ledger.record_request(
                db, url=attempt["url"], run_id=self.harvest.run_id, court_id=court, method=attempt["method"],
                status=attempt["status"], size_bytes=attempt["size"], outcome="retried", reason=attempt["reason"],
                at=self.harvest.clock.now(),
            )  # fmt: skip

    def _request(self, db: Any, item: RequestAudit) -> None:
        self._record_attempts(db, item.court, item.attempts)
        receipt = item.receipt if item.status == 200 else None
        ledger.record_request(
            db, url=item.url, run_id=self.harvest.run_id, court_id=item.court, method=item.method,
            status=item.status, size_bytes=item.size, receipt=receipt, outcome=item.outcome,
            reason=item.reason, at=self.harvest.clock.now(), estimated_pages=item.estimated_pages,
            charge=item.charge, in_flight_id=item.in_flight,
        )  # fmt: skip

    def _courts(self, db: Any, item: CourtsItem) -> None:
        stored = courts.store_courts(db, [c for c in item.courts if c.get("court_id")],
                                     fetched_at=self.harvest.clock.now())  # fmt: skip
        logger.info("Court lookup: %d courts stored", stored)

    def _rss(self, db: Any, item: RssItem) -> None:
        result = rss.store_rss(db, item.court, item.feed, raw=item.body, url=item.url,
                               run_id=self.harvest.run_id, fetched_at=self.harvest.clock.now())  # fmt: skip
        followed = 0
        if item.follow:
            for docket in item.feed.get("dockets") or []:
                case_id = docket.get("pacer_case_id")
                if case_id and cases.watch_case(db, item.court, case_id, docket_number=docket.get("docket_number"),
                                                source="rss", added_at=self.harvest.clock.now()):  # fmt: skip
                    followed += 1
        logger.info("RSS %s: %d new items, %d cases flagged, %d newly followed",
                    item.court, result.items_added, result.cases_flagged, followed)  # fmt: skip

    def _feed(self, db: Any, item: FeedNightItem) -> None:
        rss.record_feed_night(db, item.court, item.night, **item.fields)

    def _watch(self, db: Any, item: WatchItem) -> None:
        cases.watch_case(db, item.court, item.pacer_case_id, docket_number=item.docket_number, source=item.source)

    def _acms_route(self, db: Any, item: AcmsRouteItem) -> None:
        acms.record_route(db, item.court, item.docket_number, item.system, acms_case_id=item.acms_case_id,
                          at=self.harvest.clock.now())  # fmt: skip

    def _acms_documents(self, db: Any, item: AcmsDocumentsItem) -> None:
        acms.store_document_list(db, item.court, item.case_key, item.record, raw=item.body, url=item.url,
                                 run_id=self.harvest.run_id, fetched_at=self.harvest.clock.now())  # fmt: skip

    def _acms_unrecognised(self, db: Any, item: AcmsUnrecognisedItem) -> None:
        acms.archive_unrecognised(db, item.court, item.case_key, raw=item.body, url=item.url,
                                  run_id=self.harvest.run_id, fetched_at=self.harvest.clock.now())  # fmt: skip

    def _docket(self, db: Any, item: DocketItem) -> None:
        result = dockets.store_docket(
            db, item.court, item.pacer_case_id, item.record, raw=item.body, url=item.url,
            run_id=self.harvest.run_id, incremental=item.incremental, fetched_at=self.harvest.clock.now(),
            with_parties=item.parties,
        )  # fmt: skip
        stamp_origin(db, self.origin)
        self.crawler.stats.inc_value("harvest/entries_added", result.entries_added)
        self.crawler.stats.inc_value("harvest/dockets_stored")


def stamp_origin(db: Any, origin: str) -> None:
    """Cases just added get the origin of the run that stored them (sandbox or pacer)."""
    with db.conn:
        db.conn.execute("UPDATE cases SET origin = ? WHERE origin IS NULL", [origin])
