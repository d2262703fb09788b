"""Run one real Scrapy crawl through the gate, in its own process, and print what happened.

``python tests/gate_crawl.py SPEC.json`` -- a fresh process per crawl, because a
Twisted reactor cannot be restarted in one process. The spec names the requests
(url, court, cost pages), the clock (a FakeClock start instant, or the system
clock), the config sections and extra settings. The output (one JSON object on
stdout) has the crawl's stats, the virtual send time of every request (read
from the gate's clock when the request reached the downloader), the responses
and the errors the spider's errback saw.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from harvester.gate.clock import FakeClock, SystemClock
from harvester.run.settings import scrapy_settings

KEYS = ("court", "cost_estimate_pages")


class GateTestSpider(scrapy.Spider):
    name = "gate_test"

    def __init__(self, spec: dict[str, Any], out: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec, self.out = spec, out

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GateTestSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.reached_downloader, signal=signals.request_reached_downloader)
        return spider

    def reached_downloader(self, request: Any, spider: Any) -> None:
        clock = self.crawler.settings.get("GATE_CLOCK")
        self.out["sent"].append([request.meta.get("gate_sent_at"), clock.now().isoformat(), request.url, request.meta.get("court")])

    async def start(self):
        if self.spec.get("no_start_requests"):
            return
        for item in self.spec["requests"]:
            meta = {k: item[k] for k in KEYS if k in item}
            yield scrapy.Request(item["url"], meta=meta, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: Any) -> None:
        self.out["responses"].append([response.url, response.status])

    def failed(self, failure: Any) -> None:
        self.out["errors"].append([failure.request.url, type(failure.value).__name__, str(failure.value)])


def run(spec: dict[str, Any]) -> dict[str, Any]:
    clock = FakeClock(datetime.fromisoformat(spec["start"])) if spec.get("start") else SystemClock()
    settings = scrapy_settings(
        spec.get("config"),
        clock=clock,
        spent_before=lambda _now: float(spec.get("spent_before", 0.0)),
        window_override=spec.get("window_override"),
        jobdir=spec.get("jobdir"),
        extra={"LOG_LEVEL": "INFO", **spec.get("settings", {})},
    )
    out: dict[str, Any] = {"sent": [], "responses": [], "errors": [], "stats": {}}
    if spec.get("spider_settings"):
        GateTestSpider.custom_settings = spec["spider_settings"]
    process = CrawlerProcess(settings, install_root_handler=True)
    crawlers: list[Any] = []

    def crawl_next(_result: Any = None) -> None:
        # One crawler after the other from the same settings, as a run does with its spiders.
        if len(crawlers) == int(spec.get("crawls", 1)):
            from twisted.internet import reactor  # noqa: PLC0415

            reactor.callLater(0, reactor.stop)
            return
        crawlers.append(process.create_crawler(GateTestSpider))
        deferred = process.crawl(crawlers[-1], spec=spec, out=out)
        deferred.addErrback(lambda failure: out.__setitem__("crawl_error", f"{type(failure.value).__name__}: {failure.value}"))
        deferred.addBoth(crawl_next)

    crawl_next()
    process.start(stop_after_crawl=False)
    out["all_stats"] = [_gate_stats(crawler) for crawler in crawlers]
    out["stats"] = out["all_stats"][-1]
    budget = settings["GATE_BUDGET"]
    out["charges"] = [[c.court, c.pages, c.cents, c.source] for c in budget.charges]
    out["clock_end"] = clock.now().isoformat()
    return out


def _gate_stats(crawler: Any) -> dict[str, Any]:
    stats = crawler.stats.get_stats() if getattr(crawler, "_stats", None) is not None else {}
    return {k: v for k, v in stats.items() if k.startswith(("gate/", "finish_reason", "scheduler/"))}


def crawl_in_subprocess(spec: dict[str, Any], workdir: Path, env: dict[str, str] | None = None, timeout: float = 240) -> dict[str, Any]:
    """Run :func:`run` in a fresh Python process; return its result (or raise with its output)."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    spec_path = workdir / f"spec-{len(list(workdir.glob('spec-*.json')))}.json"
    spec_path.write_text(json.dumps(spec))
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), full_env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, __file__, str(spec_path)], capture_output=True, text=True, env=full_env, timeout=timeout)
    for line in done.stdout.splitlines():
        if line.startswith("GATE-CRAWL-RESULT "):
            result = json.loads(line.removeprefix("GATE-CRAWL-RESULT "))
            result["log"] = done.stderr
            return result
    raise AssertionError(f"crawl process failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-6000:]}")


if __name__ == "__main__":
    result = run(json.loads(Path(sys.argv[1]).read_text()))
    print("GATE-CRAWL-RESULT " + json.dumps(result, default=str))
