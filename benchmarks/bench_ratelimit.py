"""Rate-limit precision of the gate in a real Scrapy crawl against a local HTTPS server.

Two scenarios, 1,000 requests each at a limit of R requests per second:

- ``global``: ten courts that could each do R/5 per second, so the global limit R binds;
- ``per-court``: one court limited to R per second (the global limit 2R above it).

For each, prints the achieved rate as a fraction of R (target >= 95%) and the
worst excess over the limit in any 10-second span (target <= 1 request), both
as the gate sent the requests and as the server received them. The crawl runs
in a child process (a Twisted reactor per process); the server runs here, so
its arrival times are not skewed by the crawl's own work.

usage: bench_ratelimit.py [--rate R] [--requests N]
"""

from __future__ import annotations

import argparse
import http.server
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPAN = 10.0


def child(spec_path: str) -> None:
    """Run one crawl; print the monotonic time at which each request left the gate."""
    import scrapy  # noqa: PLC0415
    from scrapy import signals  # noqa: PLC0415
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415

    from harvester.run.settings import scrapy_settings  # noqa: PLC0415

    spec = json.loads(Path(spec_path).read_text())
    sent: list[float] = []

    class BenchSpider(scrapy.Spider):
        name = "bench_ratelimit"

        @classmethod
        def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
            spider = super().from_crawler(crawler, *args, **kwargs)
            # A bound method: the signal dispatcher only keeps weak references.
            crawler.signals.connect(spider.reached_downloader, signal=signals.request_reached_downloader)
            return spider

        def reached_downloader(self, request: Any, spider: Any) -> None:
            sent.append(time.monotonic())

        async def start(self):
            for i in range(spec["requests"]):
                court = spec["courts"][i % len(spec["courts"])]
                yield scrapy.Request(f"{spec['base_url']}/{court}/{i}", meta={"court": court, "cost_estimate_pages": 0}, dont_filter=True)

        def parse(self, response: Any) -> None:
            pass

    config = {"rate": spec["rate"], "endpoints": {"ca_bundle": spec["ca_bundle"]}, "log": {"level": "WARNING"}}
    settings = scrapy_settings(config, spent_before=lambda _now: 0.0, window_override="benchmark against a local server")
    process = CrawlerProcess(settings)
    process.crawl(BenchSpider)
    process.start()
    print("BENCH-SENT " + json.dumps(sent))


def achieved_rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def worst_span_excess(times: list[float], limit_per_second: float) -> float:
    """Most requests in any half-open 10 s span, minus what the limit allows in it."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - SPAN:
            j += 1
        best = max(best, i - j + 1)
    return best - limit_per_second * SPAN


class Server:
    """A threaded HTTPS server with the sandbox's certificate; records arrival times."""

    def __init__(self, workdir: Path) -> None:
        from harvester.sandbox.tls import server_context  # noqa: PLC0415

        arrivals = self.arrivals = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls

            def do_GET(self) -> None:  # noqa: N802
                arrivals.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = server_context("normal", workdir).wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def run_scenario(name: str, rate: float, n: int, courts: list[str], limits: dict, workdir: Path) -> None:
    server = Server(workdir)
    try:
        spec = {"requests": n, "courts": courts, "rate": limits, "base_url": server.base_url,
                "ca_bundle": str(workdir / "ca.pem")}  # fmt: skip
        spec_path = workdir / f"{name}.json"
        spec_path.write_text(json.dumps(spec))
        started = time.monotonic()
        done = subprocess.run([sys.executable, __file__, "--child", str(spec_path)], capture_output=True, text=True, timeout=900)
        elapsed = time.monotonic() - started
        line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH-SENT ")), None)
        if line is None:
            raise SystemExit(f"crawl failed:\n{done.stderr[-4000:]}")
        sent = json.loads(line.removeprefix("BENCH-SENT "))
        arrived = list(server.arrivals)
    finally:
        server.close()
    print(f"[{name}] R = {rate:g}/s, {len(sent)} requests sent, {len(arrived)} received, crawl process {elapsed:.1f} s")
    for label, times in (("sent by the gate", sent), ("received by server", arrived)):
        ratio = achieved_rate(times) / rate
        excess = worst_span_excess(times, rate)
        verdict = "ok" if ratio >= 0.95 and excess <= 1 else "MISSED"
        print(f"  {label:>18}: achieved/R = {ratio:.3f}  worst 10 s span excess = {excess:+.0f} request(s)  [{verdict}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rate, n = args.rate, args.requests
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        run_scenario("global", rate, n, [f"c{i}" for i in range(10)],
                     {"per_court_per_second": rate / 5, "global_per_second": rate}, workdir)  # fmt: skip
        run_scenario("per-court", rate, n, ["cand"], {"per_court_per_second": rate, "global_per_second": 2 * rate}, workdir)


if __name__ == "__main__":
    main()
