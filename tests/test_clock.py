"""The injectable clock: fake, remote (sandbox) and the factory's refusal of real hosts."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
from gate_servers import LocalServer, sandbox_server

from harvester.errors import ConfigError, HarvesterError
from harvester.gate.clock import (
    FakeClock,
    RemoteClock,
    SystemClock,
    is_sandbox_host,
    make_clock,
)
from harvester.gate.tls import ssl_context

START = datetime.fromisoformat("2026-03-07T19:00:00-06:00")


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock(START)
    assert clock.now() == START and clock.monotonic() == 0
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.set(START + timedelta(hours=2))
    assert clock.monotonic() == 7200
    with pytest.raises(ValueError, match="forward"):
        clock.set(START)
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 3, 7, 19, 0))


def test_fake_clock_sleep_advances_virtual_time_and_yields() -> None:
    clock = FakeClock(START)
    order: list[str] = []

    async def sleeper() -> None:
        await clock.sleep_until(5.0)
        order.append(f"woke at {clock.monotonic()}")

    async def other() -> None:
        order.append("other ran")

    async def main() -> None:
        await asyncio.gather(sleeper(), other())

    asyncio.run(main())
    assert order == ["other ran", "woke at 5.0"]
    assert clock.sleeps == [5.0]
    assert clock.now() == START + timedelta(seconds=5)


def clock_server(times: list[str]) -> LocalServer:
    """An HTTP server answering the sandbox clock JSON, one time per request (last one repeats)."""

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        now = times.pop(0) if len(times) > 1 else times[0]
        return 200, {"Content-Type": "application/json"}, json.dumps({"now": now, "timezone": "America/Chicago"}).encode()

    return LocalServer(None, route)


def test_remote_clock_reads_once_then_advances_locally() -> None:
    server = clock_server(["2026-03-07T19:00:00-06:00"])
    try:
        clock = RemoteClock(server.base_url + "/sandbox/clock")
        first = clock.now()
        assert abs(first - START) < timedelta(seconds=2)
        assert first.tzinfo is not None
        second = clock.now()
        assert second >= first
        assert len(server.hits) == 1  # no request per reading
    finally:
        server.close()


def test_remote_clock_resyncs_to_a_sandbox_jump() -> None:
    server = clock_server(["2026-03-07T19:00:00-06:00", "2026-03-08T05:59:00-05:00"])
    try:
        clock = RemoteClock(server.base_url + "/sandbox/clock", resync_seconds=0)
        assert clock.now().isoformat().startswith("2026-03-08T10:59")  # UTC of 05:59 CDT
        assert len(server.hits) == 2
    finally:
        server.close()


def test_remote_clock_over_verified_tls(tmp_path) -> None:
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b'{"now": "2026-03-07T19:00:00-06:00", "timezone": "America/Chicago"}'

    server = sandbox_server("normal", tmp_path, route)
    try:
        clock = RemoteClock(server.base_url + "/sandbox/clock", ssl_context=ssl_context(str(tmp_path / "ca.pem")))
        assert abs(clock.now() - START) < timedelta(seconds=2)
        with pytest.raises(HarvesterError, match="cannot read the sandbox clock"):
            RemoteClock(server.base_url + "/sandbox/clock", ssl_context=ssl_context(None))  # system store: untrusted
    finally:
        server.close()


@pytest.mark.parametrize("body", [b"not json", b'{"time": "x"}', b'{"now": "2026-03-07T19:00:00"}'])
def test_remote_clock_bad_answers_are_clear_errors(body: bytes) -> None:
    server = LocalServer(None, lambda path: (200, {}, body))
    try:
        with pytest.raises((HarvesterError, ValueError), match="sandbox clock|aware"):
            RemoteClock(server.base_url + "/clock")
    finally:
        server.close()


@pytest.mark.parametrize(
    ("host", "sandbox"),
    [
        ("127.0.0.1", True), ("127.5.6.7", True), ("::1", True), ("[::1]", True), ("localhost", True),
        ("ecf.cand.sandbox.test", True), ("court.localhost", True),
        ("ecf.cand.uscourts.gov", False), ("pacer.login.uscourts.gov", False),
        ("127.0.0.1.example.com", False), ("10.0.0.1", False),
    ],
)  # fmt: skip
def test_sandbox_hosts(host: str, sandbox: bool) -> None:
    assert is_sandbox_host(host) is sandbox


def test_factory_uses_the_real_clock_without_a_remote_url() -> None:
    assert isinstance(make_clock(["https://ecf.cand.uscourts.gov"]), SystemClock)


def test_factory_refuses_a_remote_clock_against_real_pacer_hosts() -> None:
    with pytest.raises(ConfigError, match="ecf.cand.uscourts.gov"):
        make_clock(
            ["http://127.0.0.1:8443/cand", "https://ecf.cand.uscourts.gov"],
            remote_url="http://127.0.0.1:8443/sandbox/clock",
        )
    with pytest.raises(ConfigError, match="time.example.org"):
        make_clock(["http://127.0.0.1:8443"], remote_url="https://time.example.org/clock")


def test_factory_allows_the_sandbox_clock_for_a_sandbox_harvest() -> None:
    server = clock_server(["2026-03-07T19:00:00-06:00"])
    try:
        clock = make_clock([server.base_url + "/cand", "https://ecf.{court}.sandbox.test"], remote_url=server.base_url + "/clock")
        assert isinstance(clock, RemoteClock)
        assert abs(clock.now() - START.astimezone(timezone.utc)) < timedelta(seconds=2)
    finally:
        server.close()
