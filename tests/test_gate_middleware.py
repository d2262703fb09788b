"""The gate in real Scrapy crawls against a local TLS server, on a FakeClock.

Each crawl runs in its own process (tests/gate_crawl.py): a Twisted reactor
cannot be restarted. The server counts what really arrived; the crawl reports
its stats and each request's virtual send time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from gate_crawl import crawl_in_subprocess
from gate_servers import LocalServer, sandbox_server
from scrapy.exceptions import CloseSpider

from harvester.gate.middleware import GateGuard
from harvester.sandbox.pages import receipt

COURTS = ["cand", "nysd", "ilnd"]


def night_request(server: LocalServer, court: str, n: int, cost: int = 0) -> dict:
    return {"url": f"{server.base_url}/{court}/{n}", "court": court, "cost_estimate_pages": cost}


def spec(tmp_path: Path, start: str, requests: list[dict], **extra) -> dict:
    base = {"start": start, "config": {"endpoints": {"ca_bundle": str(tmp_path / "ca.pem")}}, "requests": requests}
    return {**base, **extra}


@pytest.fixture()
def server(tmp_path: Path):
    made = sandbox_server("normal", tmp_path)
    yield made
    made.close()


def sent_times(result: dict) -> dict[str, list[float]]:
    by_court: dict[str, list[float]] = defaultdict(list)
    for virtual, _wall, _url, court in result["sent"]:
        by_court[court].append(virtual)
    return by_court


def gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:], strict=False)]  # n - 1 gaps


def test_window_closes_the_night_and_keeps_the_rest_for_the_next(server: LocalServer, tmp_path: Path) -> None:
    # 20 s before 06:00 CDT, default limits (1 request / 3 s per court, 1 / s overall).
    requests = [night_request(server, court, n) for n in range(10) for court in COURTS]
    jobdir = str(tmp_path / "job")
    first = crawl_in_subprocess(spec(tmp_path, "2026-07-15T05:59:40-05:00", requests, jobdir=jobdir), tmp_path)
    assert first["stats"]["finish_reason"] == "window_closed"
    # Sends at 0, 1, ..., 9 s: the 11th would be at 05:59:50, in the wind-down before the close.
    assert len(server.hits) == 10
    assert first["stats"]["gate/sent"] == 10
    assert first["stats"]["gate/refused/window"] >= 1
    for _virtual, wall, _url, _court in first["sent"]:
        assert datetime.fromisoformat(wall) < datetime.fromisoformat("2026-07-15T05:59:50-05:00")
    # The limits held at the moment of sending.
    by_court = sent_times(first)
    assert min(gaps([t for times in by_court.values() for t in times])) >= 1.0 - 1e-6
    for times in by_court.values():
        assert min(gaps(times)) >= 3.0 - 1e-6
    assert first["stats"]["gate/delayed"] >= 7

    # The next night, the 20 requests left in JOBDIR go out, and nothing else.
    sent_first = set(server.paths())
    second = crawl_in_subprocess(
        spec(tmp_path, "2026-07-15T18:00:00-05:00", requests, jobdir=jobdir, no_start_requests=True), tmp_path
    )
    assert second["stats"]["finish_reason"] == "finished"
    later = server.paths()[10:]
    assert len(later) == 20
    assert set(later) | sent_first == {f"/{r['url'].split('/', 3)[3]}" for r in requests}
    assert not set(later) & sent_first


def test_outside_the_window_nothing_reaches_the_server(server: LocalServer, tmp_path: Path) -> None:
    requests = [night_request(server, court, n) for n in range(3) for court in COURTS]
    result = crawl_in_subprocess(spec(tmp_path, "2026-03-08T12:00:00-05:00", requests), tmp_path)
    assert server.hits == []
    assert result["stats"]["finish_reason"] == "window_closed"
    assert "gate/sent" not in result["stats"]
    assert "Harvest window closed; it opens Sun 2026-03-08 18:00 CDT" in result["log"]


def test_a_logged_override_ignores_the_window(server: LocalServer, tmp_path: Path) -> None:
    requests = [night_request(server, "cand", n) for n in range(2)]
    result = crawl_in_subprocess(
        spec(tmp_path, "2026-03-08T12:00:00-05:00", requests, window_override="manual test fetch"), tmp_path
    )
    assert len(server.hits) == 2
    assert result["stats"]["gate/window_override"] == 1
    assert "Harvest window check OVERRIDDEN for this run: manual test fetch" in result["log"]


def paid_route(path: str) -> tuple[int, dict[str, str], bytes]:
    now = datetime(2026, 7, 15, 22, 0)
    body = "<html><body>docket " + path + receipt(now, "tester", "", "Docket Report", "1:26-cv-1", 2, "0.20") + "</body></html>"
    return 200, {"Content-Type": "text/html"}, body.encode()


def test_budget_refusals_are_counted_and_receipts_booked(tmp_path: Path) -> None:
    server = sandbox_server("normal", tmp_path, paid_route)
    try:
        requests = [night_request(server, "cand", n, cost=2) for n in range(5)]
        requests += [night_request(server, "nysd", n, cost=0) for n in range(2)]  # free pages always pass
        config = {"endpoints": {"ca_bundle": str(tmp_path / "ca.pem")}, "budget": {"run_dollars": 0.5}}
        result = crawl_in_subprocess({**spec(tmp_path, "2026-07-15T22:00:00-05:00", requests), "config": config}, tmp_path)
    finally:
        server.close()
    # A request holds its estimate only once it is about to leave, so how many $0.20 cand
    # pages fit beside the "free" nysd pages (whose receipts say $0.20 each) depends on
    # which receipts were booked first: one or two, never more than $0.50 allows.
    sent = Counter(p.split("/")[1] for p in server.paths())
    assert sent["nysd"] == 2 and sent["cand"] in (1, 2), sent
    assert result["stats"]["gate/refused/budget"] == 5 - sent["cand"]
    assert [kind for _url, kind, _msg in result["errors"]] == ["BudgetRefused"] * (5 - sent["cand"])
    assert "would exceed the run cap of $0.50" in result["errors"][0][2]
    # Free pages came back with a receipt too: the receipt, not the estimate, is the truth.
    assert sorted(result["charges"]) == [["cand", 2, 20, "receipt"]] * sent["cand"] + [["nysd", 2, 20, "receipt"]] * 2
    assert result["stats"]["gate/budget/run_dollars"] == round(0.2 * (sent["cand"] + 2), 2)


def test_requests_without_court_or_estimate_are_refused(server: LocalServer, tmp_path: Path) -> None:
    requests = [
        {"url": f"{server.base_url}/nocourt"},
        {"url": f"{server.base_url}/nocost", "court": "cand"},
        {"url": f"{server.base_url}/badcost", "court": "cand", "cost_estimate_pages": "3"},
        night_request(server, "cand", 1),
    ]
    result = crawl_in_subprocess(spec(tmp_path, "2026-07-15T22:00:00-05:00", requests), tmp_path)
    assert server.paths() == ["/cand/1"]
    assert result["stats"]["gate/refused/contract"] == 3
    kinds = {url.rsplit("/", 1)[1]: (kind, msg) for url, kind, msg in result["errors"]}
    assert kinds["nocourt"][0] == "GateContractError" and 'meta["court"]' in kinds["nocourt"][1]
    assert "cost_estimate_pages" in kinds["nocost"][1]


def flaky_route() -> tuple:
    seen: Counter = Counter()
    lock = threading.Lock()

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        with lock:
            seen[path] += 1
            count = seen[path]
        court = path.split("/")[1]
        if court == "forbidden":
            return 403, {}, b"Forbidden"
        if court == "login":
            return 200, {}, b"<html><b>CM/ECF Filer or PACER Login</b><input type=password name=pw></html>"
        if court == "flaky" and count <= 2:
            return 503, {"Retry-After": "7"}, b"busy"
        return 200, {}, b"<html>fine</html>"

    return route, seen


def test_backoff_retries_and_the_breaker_blocks_a_court_for_the_night(tmp_path: Path) -> None:
    route, seen = flaky_route()
    server = sandbox_server("normal", tmp_path, route)
    try:
        requests = [night_request(server, court, n) for court in ("forbidden", "login") for n in range(5)]
        requests += [night_request(server, "flaky", 0), night_request(server, "fine", 0)]
        result = crawl_in_subprocess(spec(tmp_path, "2026-07-15T22:00:00-05:00", requests), tmp_path)
    finally:
        server.close()
    per_court = Counter(p.split("/")[1] for p in server.paths())
    assert per_court == {"forbidden": 3, "login": 3, "flaky": 3, "fine": 1}
    stats = result["stats"]
    assert stats["gate/breaker/tripped"] == 2
    assert stats["gate/breaker/tripped/forbidden"] == 1 and stats["gate/breaker/tripped/login"] == 1
    assert stats["gate/refused/breaker"] == 4
    assert "forbidden: 3 in a row, last: HTTP 403" in stats["gate/breaker/blocked"]
    assert stats["gate/retry/scheduled"] == 2
    flaky = sorted(t for t, _w, url, _c in result["sent"] if "/flaky/" in url)
    assert len(flaky) == 3 and all(g >= 7.0 for g in gaps(flaky))  # Retry-After honoured
    assert [status for url, status in result["responses"] if "/flaky/" in url] == [200]


def test_limits_and_blocked_courts_carry_over_to_the_next_spider_of_the_run(tmp_path: Path) -> None:
    route, _seen = flaky_route()
    server = sandbox_server("normal", tmp_path, route)
    try:
        requests = [night_request(server, "forbidden", n) for n in range(3)] + [night_request(server, "fine", n) for n in range(2)]
        result = crawl_in_subprocess({**spec(tmp_path, "2026-07-15T22:00:00-05:00", requests), "crawls": 2}, tmp_path)
    finally:
        server.close()
    first, second = result["all_stats"]
    assert first["gate/breaker/tripped"] == 1
    assert second["gate/refused/breaker"] == 3  # still blocked in the second spider
    assert Counter(p.split("/")[1] for p in server.paths()) == {"forbidden": 3, "fine": 4}
    fine = sorted(t for t, _w, url, _c in result["sent"] if "/fine/" in url)
    assert min(gaps(fine)) >= 3.0 - 1e-6  # the court's spacing holds across the two crawlers


@pytest.mark.parametrize(
    ("spider_settings", "problem"),
    [
        ({"DOWNLOADER_MIDDLEWARES": {"harvester.gate.middleware.GateMiddleware": None}}, "is not enabled"),
        ({"DOWNLOAD_VERIFY_CERTIFICATES": False}, "DOWNLOAD_VERIFY_CERTIFICATES is off"),
        ({"TELNETCONSOLE_ENABLED": True}, "TELNETCONSOLE_ENABLED must be off"),
        (
            {"DOWNLOADER_MIDDLEWARES": {
                "harvester.gate.middleware.GateMiddleware": 990, "scrapy.downloadermiddlewares.stats.DownloaderStats": 999,
            }},
            "must be the last downloader middleware; after it: scrapy.downloadermiddlewares.stats.DownloaderStats",
        ),
    ],
)
def test_a_spider_cannot_remove_or_weaken_the_gate(server: LocalServer, tmp_path: Path, spider_settings: dict, problem: str) -> None:
    result = crawl_in_subprocess(
        spec(tmp_path, "2026-07-15T22:00:00-05:00", [night_request(server, "cand", 1)], spider_settings=spider_settings),
        tmp_path,
    )
    assert "GateBypassError" in result["crawl_error"] and problem in result["crawl_error"]
    assert server.hits == []


def test_guard_closes_the_spider_when_no_gate_instance_is_running() -> None:
    guard = GateGuard.__new__(GateGuard)
    guard.crawler = SimpleNamespace(get_downloader_middleware=lambda cls: None)
    with pytest.raises(CloseSpider) as closed:
        guard.spider_opened(spider=None)
    assert closed.value.reason == "gate_missing"


def test_a_slow_court_does_not_stall_the_others(tmp_path: Path) -> None:
    # Three downloader places, the slow court's requests listed first: without the
    # court-fair queue its waiters would take every place while it answers slowly.
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/slow/"):
            time.sleep(2.0)
        return 200, {}, b"ok"

    server = sandbox_server("normal", tmp_path, route)
    try:
        requests = [night_request(server, "slow", n) for n in range(4)]
        requests += [night_request(server, court, n) for n in range(8) for court in ("fa", "fb", "fc")]
        config = {"endpoints": {"ca_bundle": str(tmp_path / "ca.pem")}, "rate": {"per_court_per_second": 20, "global_per_second": 50}}
        result = crawl_in_subprocess(
            {"start": "2026-07-15T22:00:00-05:00", "config": config, "requests": requests, "settings": {"CONCURRENT_REQUESTS": 3}},
            tmp_path,
        )
    finally:
        server.close()
    order = [url.split("/")[3] for url, _status in result["responses"]]
    assert len(order) == 28
    # Every fast response arrives before the slow court's second one.
    second_slow = [i for i, court in enumerate(order) if court == "slow"][1]
    assert all(i < second_slow for i, court in enumerate(order) if court != "slow")
