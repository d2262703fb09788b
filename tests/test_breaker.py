"""Backoff delays, Retry-After, and the per-court circuit breaker."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from harvester.errors import ConfigError
from harvester.gate.breaker import (
    BackoffPolicy,
    BreakerPolicy,
    CircuitBreaker,
    parse_retry_after,
)

NOW = datetime(2026, 3, 8, 3, 0, tzinfo=timezone.utc)


def test_backoff_grows_exponentially_within_its_jitter_and_cap() -> None:
    policy = BackoffPolicy(base_seconds=5, max_seconds=600, jitter=0.5)
    rng = random.Random(7)
    for attempt in range(1, 12):
        nominal = min(600, 5 * 2 ** (attempt - 1))
        for _ in range(200):
            delay = policy.delay(attempt, rng=rng)
            assert nominal * 0.5 <= delay <= min(600, nominal * 1.5)


def test_backoff_is_jittered() -> None:
    policy = BackoffPolicy()
    rng = random.Random(1)
    assert len({round(policy.delay(2, rng=rng), 6) for _ in range(50)}) > 40


def test_retry_after_is_a_floor_but_the_cap_still_holds() -> None:
    policy = BackoffPolicy(base_seconds=5, max_seconds=600, jitter=0)
    assert policy.delay(1, retry_after=120) == 120
    assert policy.delay(3, retry_after=2) == 20
    assert policy.delay(1, retry_after=86400) == 600


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"120", 120.0),
        ("0", 0.0),
        (b"Sun, 08 Mar 2026 03:02:00 GMT", 120.0),
        (b"Sun, 08 Mar 2026 02:00:00 GMT", 0.0),  # in the past
        (b"soon", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: bytes | str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_breaker_blocks_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(BreakerPolicy(threshold=3))
    assert not breaker.record_failure("cand", "HTTP 403")
    assert not breaker.record_failure("cand", "HTTP 403")
    breaker.record_success("cand")  # a good answer resets the count
    assert not breaker.record_failure("cand", "login page")
    assert not breaker.record_failure("cand", "HTTP 403")
    assert not breaker.is_blocked("cand")
    assert breaker.record_failure("cand", "login page")  # the third in a row
    assert breaker.is_blocked("cand")
    assert breaker.blocked() == {"cand": "3 in a row, last: login page"}
    assert not breaker.record_failure("cand", "HTTP 403")  # already blocked: no second trip


def test_breaker_is_per_court() -> None:
    breaker = CircuitBreaker(BreakerPolicy(threshold=2))
    breaker.record_failure("cand", "HTTP 403")
    breaker.record_failure("nysd", "HTTP 403")
    assert breaker.record_failure("cand", "HTTP 403")
    assert breaker.is_blocked("cand") and not breaker.is_blocked("nysd")


def test_immediate_block_records_its_reason() -> None:
    breaker = CircuitBreaker()
    assert breaker.block("cand", "TLS refused")
    assert not breaker.block("cand", "again")
    assert breaker.blocked() == {"cand": "TLS refused"}


def test_bad_policies_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        BreakerPolicy(threshold=0)
    with pytest.raises(ConfigError):
        BackoffPolicy(jitter=1.5)
    with pytest.raises(ConfigError):
        BackoffPolicy(base_seconds=10, max_seconds=5)


def test_from_config_reads_the_rate_table() -> None:
    assert BackoffPolicy.from_config({"max_retries": 5}).max_retries == 5
    assert BreakerPolicy.from_config({"breaker_threshold": 4}).threshold == 4
    assert BackoffPolicy.from_config({}).max_retries == 3
