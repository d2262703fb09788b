"""Answers that were retried travel with the retry, so the audit log shows every request.

The gate retries 5xx answers, timeouts and resets; the session middleware retries
"please log in" pages. The retried answer reaches no spider callback, so each retry
carries the attempts before it in ``request.meta`` and the spider's audit item (or
its errback) hands them to the pipeline, which logs one ``requests`` row each with
outcome ``retried``.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request

META_ATTEMPTS = "harvest_attempts"


def retry_of(request: Request, *, status: int | None, size: int, reason: str) -> Request:
    """A copy of ``request`` to send again, remembering the attempt that failed and why."""
    retry = request.replace(dont_filter=True)
    retry.headers.pop(b"Cookie", None)  # the session adds the token again when it is sent
    attempt = {"url": request.url, "method": request.method, "status": status, "size": size, "reason": reason}
    retry.meta[META_ATTEMPTS] = [*earlier_attempts(request), attempt]
    return retry


def earlier_attempts(request: Request | None) -> list[dict[str, Any]]:
    """The retried attempts before ``request`` (oldest first)."""
    if request is None:
        return []
    return list(request.meta.get(META_ATTEMPTS) or [])
