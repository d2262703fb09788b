"""Backoff with jitter for transient failures, and a per-court circuit breaker.

Scrapy's RetryMiddleware retries at once and ignores ``Retry-After``; the gate
disables it and uses :class:`BackoffPolicy` instead: after a 5xx, a 408/429, a
timeout or a dropped connection the *court* is paused for an exponentially
growing, jittered delay (at least what ``Retry-After`` asks, within a cap) and
the request is retried, at most ``max_retries`` times.

A court that answers with 403s or login pages again and again is not going to
get better tonight, and hammering it is what gets accounts suspended. After
``threshold`` such answers in a row the :class:`CircuitBreaker` blocks the court
for the rest of the run (the night) and records why; other courts continue. A
TLS refusal blocks the court at once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from harvester.config import default
from harvester.errors import ConfigError
from harvester.shared import SharedInSettings

RETRY_HTTP_CODES = frozenset({500, 502, 503, 504, 522, 524, 408, 429})


@dataclass(frozen=True)
class BackoffPolicy:
    """Retry delays: ``base * 2**(try-1)`` seconds, jittered by +-``jitter``, capped at ``max_seconds``."""

    max_retries: int = default("rate", "max_retries")
    base_seconds: float = default("rate", "backoff_seconds")
    max_seconds: float = 600.0
    jitter: float = 0.5
    retry_http_codes: frozenset[int] = RETRY_HTTP_CODES

    def __post_init__(self) -> None:
        if not math.isfinite(self.base_seconds) or not math.isfinite(self.max_seconds):
            raise ConfigError("backoff: delays must be finite numbers of seconds")
        if self.max_retries < 0 or self.base_seconds <= 0 or self.max_seconds < self.base_seconds:
            raise ConfigError("backoff: max_retries >= 0 and 0 < base_seconds <= max_seconds are required")
        if not 0 <= self.jitter < 1:
            raise ConfigError("backoff: jitter must be in [0, 1)")

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> BackoffPolicy:
        """Build from the ``[rate]`` table (keys max_retries, backoff_seconds)."""
        return cls(max_retries=int(section.get("max_retries", cls.max_retries)),
                   base_seconds=float(section.get("backoff_seconds", cls.base_seconds)))

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        exponential = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        jittered = exponential * (1 + (rng or random).uniform(-self.jitter, self.jitter))
        if retry_after is not None:
            # The server's word is a floor; the cap still protects the night.
            jittered = max(jittered, retry_after)
        return min(self.max_seconds, jittered)


def parse_retry_after(value: bytes | str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # HTTP-dates are GMT by definition
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class BreakerPolicy:
    """How many 403s or login pages in a row block a court for the night."""

    threshold: int = default("rate", "breaker_threshold")

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ConfigError("breaker threshold must be at least 1")

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> BreakerPolicy:
        """Build from the ``[rate]`` table (key breaker_threshold)."""
        return cls(threshold=int(section.get("breaker_threshold", cls.threshold)))


@dataclass
class CircuitBreaker(SharedInSettings):
    """Counts consecutive bad answers per court; blocks a court once it reaches the threshold."""

    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    _strikes: dict[str, int] = field(default_factory=dict)
    _blocked: dict[str, str] = field(default_factory=dict)

    def is_blocked(self, court: str) -> bool:
        return court in self._blocked

    def blocked(self) -> dict[str, str]:
        """Courts blocked this run, with the reason each was blocked."""
        return dict(self._blocked)

    def record_success(self, court: str) -> None:
        self._strikes.pop(court, None)

    def record_failure(self, court: str, reason: str) -> bool:
        """Count one bad answer; return True when this one blocks the court."""
        if court in self._blocked:
            return False
        strikes = self._strikes.get(court, 0) + 1
        self._strikes[court] = strikes
        if strikes >= self.policy.threshold:
            self._blocked[court] = f"{strikes} in a row, last: {reason}"
            return True
        return False

    def block(self, court: str, reason: str) -> bool:
        """Block ``court`` now (e.g. after a TLS refusal); return True if it was not blocked yet."""
        if court in self._blocked:
            return False
        self._blocked[court] = reason
        return True
