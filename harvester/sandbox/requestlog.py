"""The sandbox's request log: one JSON object per request, and a reader for it.

Tests and benchmarks read it to prove what a harvester did: how fast it asked
(real ``time``), when in the sandbox night (``sandbox_time``), as which account,
and what it spent (``billable_pages``, ``cost``). Secrets never reach it: form
and JSON fields that carry a password, one-time code or token are masked, and
neither cookies nor headers are logged.

Record fields: ``time`` (real, UTC ISO 8601), ``sandbox_time`` (Chicago ISO
8601), ``account`` (login id or null), ``court``, ``endpoint``, ``method``,
``path`` (no query string), ``params`` (query and form fields, masked),
``content_type``, ``status``, ``bytes`` (body bytes sent), ``billable_pages``,
``cost`` (dollars), ``entries`` (docket entries in a report, else null),
``case`` (pacer_case_id or case number, else null), ``faults`` (injected
fault kinds), ``connection`` (per-server connection number: keep-alive reuse
shows as repeats), ``duration_ms``; login and logout records add
``login_result`` (the ``loginResult`` code answered).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Iterable

MASK = "***"
SECRET_FIELDS = frozenset(
    {"password", "key", "otpcode", "twofactorcode", "nextgencso", "pacersession", "token", "secret"}
)
LOG_NAME = "requests.jsonl"


def mask_params(params: dict) -> dict:
    """A copy of ``params`` with every secret-bearing field masked."""
    return {k: (MASK if k.lower() in SECRET_FIELDS else v) for k, v in params.items()}


class RequestLogWriter:
    """Appends records to the JSON Lines file; each line is flushed at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: dict) -> None:
        """Append one record (its params must already be masked)."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if not self._file.closed:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        """Close the file; later writes are dropped."""
        with self._lock:
            self._file.close()


class RequestLog:
    """Reads a sandbox request log (``state_dir/requests.jsonl``).

    Filters are keyword arguments matched for equality against record fields,
    e.g. ``log.records(endpoint="DktRpt", court="cand")``.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.path = path / LOG_NAME if path.is_dir() else path

    def records(self, **match) -> list[dict]:
        """All records (in order) whose fields equal the given values."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return [r for r in rows if all(r.get(k) == v for k, v in match.items())]

    def total_cost(self, **match) -> float:
        """Dollars billed for the matching requests."""
        return round(sum(r.get("cost") or 0.0 for r in self.records(**match)), 2)

    def total_pages(self, **match) -> int:
        """Billable pages of the matching requests."""
        return sum(r.get("billable_pages") or 0 for r in self.records(**match))

    def max_rate(self, window: float = 1.0, **match) -> float:
        """Highest number of matching requests in any ``window`` real seconds, per second."""
        times = sorted(_parse(r["time"]).timestamp() for r in self.records(**match))
        return max_in_window(times, window) / window

    def sandbox_span(self, **match) -> tuple[datetime, datetime] | None:
        """First and last sandbox times of the matching requests, or None."""
        rows = self.records(**match)
        if not rows:
            return None
        times = [_parse(r["sandbox_time"]) for r in rows]
        return min(times), max(times)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def max_in_window(times: Iterable[float], window: float) -> int:
    """The most of the sorted instants ``times`` that fall within any ``window`` seconds."""
    times = list(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
