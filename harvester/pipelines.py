"""The one item pipeline: every spider item is written to the harvest database.

Items are plain dicts with an ``"item"`` key: ``request`` (audit log), ``courts``,
``rss``, ``watch`` and ``docket``. Writes run on the harvest's writer thread, one
transaction per item, so a crash never leaves half a docket.
"""

from __future__ import annotations

import logging
from typing import Any

from . import ledger, store
from .harvest import harvest_from_settings
from .parsers.receipt import parse_receipt

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.harvest = harvest_from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        kind = item["item"]
        handler = getattr(self, f"_{kind}")
        await self.harvest.writer.run(handler, item)
        self.crawler.stats.inc_value(f"harvest/items/{kind}")
        return {"item": kind}  # keep bodies out of Scrapy's logs and memory

    def _request(self, db: Any, item: dict[str, Any]) -> None:
        body = item["body"]
        receipt = parse_receipt(body) if body and item["status"] == 200 else None
        ledger.record_request(
            db, url=item["url"], run_id=self.harvest.run_id, court_id=item["court"], method=item["method"],
            status=item["status"], size_bytes=item["size"], receipt=receipt, outcome=item["outcome"],
            reason=item["reason"], at=self.harvest.clock.now(),
        )  # fmt: skip

    def _courts(self, db: Any, item: dict[str, Any]) -> None:
        stored = store.store_courts(db, [c for c in item["courts"] if c.get("court_id")],
                                    fetched_at=self.harvest.clock.now())
        logger.info("Court lookup: %d courts stored", stored)

    def _rss(self, db: Any, item: dict[str, Any]) -> None:
        result = store.store_rss(db, item["court"], item["feed"], raw=item["body"], url=item["url"],
                                 run_id=self.harvest.run_id, fetched_at=self.harvest.clock.now())  # fmt: skip
        followed = 0
        if item["follow"]:
            for docket in item["feed"].get("dockets") or []:
                case_id = docket.get("pacer_case_id")
                if case_id and store.watch_case(db, item["court"], case_id, docket_number=docket.get("docket_number"),
                                                source="rss", added_at=self.harvest.clock.now()):  # fmt: skip
                    followed += 1
        logger.info("RSS %s: %d new items, %d cases flagged, %d newly followed",
                    item["court"], result.items_added, result.cases_flagged, followed)

    def _watch(self, db: Any, item: dict[str, Any]) -> None:
        store.watch_case(db, item["court"], item["pacer_case_id"], docket_number=item["docket_number"],
                         source=item["source"])  # fmt: skip

    def _docket(self, db: Any, item: dict[str, Any]) -> None:
        result = store.store_docket(
            db, item["court"], item["pacer_case_id"], item["record"], raw=item["body"], url=item["url"],
            run_id=self.harvest.run_id, incremental=item["incremental"], fetched_at=self.harvest.clock.now(),
        )  # fmt: skip
        self.crawler.stats.inc_value("harvest/entries_added", result.entries_added)
        self.crawler.stats.inc_value("harvest/dockets_stored")
