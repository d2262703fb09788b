"""The fast layer: spider callbacks and the store pipeline on recorded responses, in process.

Real court pages (the sandbox's bundled copies: one copy in the repo) are wrapped in
Scrapy responses and handed to the spiders' callbacks; the typed items they yield go
through :class:`~harvester.run.pipelines.StorePipeline` into a real database. No
network, no reactor, no subprocess.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from harvester import config as config_module
from harvester.central import CENTRAL
from harvester.gate.clock import FakeClock
from harvester.run.harvest import DocketTask, Endpoints, Harvest
from harvester.run.items import CourtsItem, DocketItem, FeedNightItem, RequestAudit, RssItem
from harvester.run.pipelines import StorePipeline
from harvester.run.settings import scrapy_settings
from harvester.store import ledger
from harvester.store.connection import open_db
from harvester.store.writer import DatabaseWriter
from spiders.courts import CourtsSpider
from spiders.dockets import DocketsSpider
from spiders.rss import RssSpider

DATA = Path(__file__).resolve().parents[1] / "harvester" / "sandbox" / "data"
PAGE = DATA / "pages" / "district" / "almd.html"


@pytest.fixture
def harvest(tmp_path):
    config = config_module.from_dict({"watch": {"courts": ["almd"]}, "database": {"path": str(tmp_path / "pacer.db")}})
    db = open_db(tmp_path / "pacer.db")
    clock = FakeClock(CENTRAL.localize(datetime(2026, 3, 3, 19, 0)))
    run_id = ledger.start_run(db, now=clock.now(), mode="sandbox")
    writer = DatabaseWriter(tmp_path / "pacer.db", 5)
    yield Harvest(config, db, Endpoints.from_config(config), ["almd"], writer, clock, run_id, False)
    writer.close()
    db.close()


def crawler_for(spider_cls, harvest: Harvest):
    # The run's real settings: a harvest spider refuses to start without the gate.
    settings = scrapy_settings(harvest.config, clock=harvest.clock, spent_before=lambda _at: 0.0)
    crawler = get_crawler(spider_cls, {**settings, "HARVEST": harvest, "HARVEST_ORIGIN": "sandbox"})
    crawler.spider = spider_cls.from_crawler(crawler)
    return crawler


def recorded(url: str, body: bytes, court: str, cls=HtmlResponse, status: int = 200) -> TextResponse:
    request = Request(url, meta={"court": court, "cost_estimate_pages": 3, "receipt": None})
    return cls(url, body=body, request=request, status=status, encoding="latin-1")


def store(crawler, items) -> list[dict]:
    pipeline = StorePipeline.from_crawler(crawler)
    return [asyncio.run(pipeline.process_item(item)) for item in items]


def task(case_id: str = "51990") -> DocketTask:
    return DocketTask("almd", case_id, None, None, True, 3, "new")


def test_a_docket_report_becomes_typed_items_and_a_stored_case(harvest):
    crawler = crawler_for(DocketsSpider, harvest)
    items = list(crawler.spider.parse_docket(recorded("https://ecf.almd/cgi-bin/DktRpt.pl", PAGE.read_bytes(), "almd"),
                                             task()))  # fmt: skip
    assert [type(i) for i in items] == [RequestAudit, DocketItem]
    audit, docket = items
    assert audit.outcome == "ok" and audit.court == "almd" and audit.estimated_pages == 3
    reference = json.loads(PAGE.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(docket.record["docket_entries"]) == len(reference["docket_entries"]) > 0
    assert store(crawler, items) == [{"item": "request"}, {"item": "docket"}]
    row = harvest.db.execute("SELECT origin, entry_count FROM cases WHERE pacer_case_id = '51990'").fetchone()
    assert row == ("sandbox", len(reference["docket_entries"]))  # stamped with the run's origin
    assert crawler.stats.get_value("harvest/entries_added") == len(reference["docket_entries"])


def test_a_report_cut_short_is_audited_not_stored(harvest):
    crawler = crawler_for(DocketsSpider, harvest)
    body = PAGE.read_bytes()
    cut = body[: len(body) // 2]  # a connection cut half way: no receipt, no </html>
    items = list(crawler.spider.parse_docket(recorded("https://ecf.almd/cgi-bin/DktRpt.pl", cut, "almd"), task()))
    assert [(type(i), i.outcome) for i in items] == [(RequestAudit, "truncated")]


def test_a_login_page_is_not_a_docket(harvest):
    crawler = crawler_for(DocketsSpider, harvest)
    body = (DATA / "please_log_in.html").read_bytes()
    items = list(crawler.spider.parse_docket(recorded("https://ecf.almd/cgi-bin/DktRpt.pl", body, "almd"), task()))
    assert len(items) == 1 and isinstance(items[0], RequestAudit) and items[0].outcome != "ok"
    store(crawler, items)
    assert harvest.db.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert harvest.db.execute("SELECT outcome FROM requests").fetchall() == [(items[0].outcome,)]


def test_a_feed_becomes_an_rss_item_and_is_stored(harvest):
    crawler = crawler_for(RssSpider, harvest)
    body = (DATA / "rss" / "almd.xml").read_bytes()
    items = list(crawler.spider.parse_feed(recorded("https://ecf.almd/cgi-bin/rss_outside.pl", body, "almd",
                                                    cls=TextResponse), "almd"))  # fmt: skip
    assert [type(i) for i in items] == [RequestAudit, RssItem, FeedNightItem]  # what the feed was tonight, too
    assert items[1].feed["dockets"] and items[1].follow is False
    assert items[2].court == "almd" and items[2].fields["kind"] in ("all", "partial")
    store(crawler, items)
    assert harvest.db.execute("SELECT count(*) FROM rss_items").fetchone()[0] > 0
    assert harvest.db.execute("SELECT court_id, night FROM feed_nights").fetchall() == [("almd", "2026-03-03")]


def test_a_court_without_a_feed_gets_a_none_night(harvest):
    crawler = crawler_for(RssSpider, harvest)
    harvest.db.execute("INSERT INTO courts (court_id, pacer_code, rss_url) VALUES ('almd', 'ALMDC', NULL)")
    harvest.db.conn.commit()
    items = harvest.no_feed_items()
    assert [type(i) for i in items] == [FeedNightItem]
    store(crawler, items)
    assert harvest.db.execute("SELECT court_id, kind, outcome FROM feed_nights").fetchall() == [("almd", "none", "none")]


def test_the_court_lookup_becomes_a_courts_item(harvest):
    crawler = crawler_for(CourtsSpider, harvest)
    body = (DATA / "court_lookup" / "data.json").read_bytes()
    items = list(crawler.spider.parse_lookup(recorded("https://pacer/lookup.json", body, "pacer-lookup",
                                                      cls=TextResponse)))  # fmt: skip
    assert [type(i) for i in items] == [RequestAudit, CourtsItem]
    store(crawler, items)
    assert harvest.db.execute("SELECT count(*) FROM courts WHERE pacer_code IS NOT NULL").fetchone()[0] > 200


def test_the_pipeline_takes_typed_items_only(harvest):
    crawler = crawler_for(DocketsSpider, harvest)
    with pytest.raises(TypeError, match="not a harvest item"):
        store(crawler, [{"item": "docket", "court": "almd"}])
