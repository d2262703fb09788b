"""Where a request may go: https to the run's own hosts; plain http only to loopback.

The gate asks :class:`Destinations` about every request before anything else, so a
hostile page cannot send the harvest (or its session cookie) anywhere else: not to a
host the configuration does not name, not over plain HTTP to a real host, and not
through a redirect (Scrapy's redirect and meta-refresh middlewares are off; a request
that still claims to come from a redirect is refused).

The run's hosts are those of ``[endpoints]``: the login, logout and lookup URLs, and
``court_url`` with ``{court}`` standing for any CM/ECF court id; and the ACMS sites
of the courts of appeals (``acms_url``, ``acms_api_url``; left empty against
PACER's own courts, PACER's own ACMS hosts, as :mod:`harvester.run.acms_routing`
reads them). Loopback hosts
(127.0.0.0/8, ::1, ``localhost``) cannot leave the machine: they are the sandbox.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harvester.shared import SharedInSettings

COURT_LABEL = r"[a-z0-9]{2,12}"


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``: addresses that never leave this machine."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, eq=False)
class Destinations(SharedInSettings):
    """The hosts a run may talk to, and why a URL is refused."""

    hosts: frozenset[str]
    court_hosts: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_endpoints(cls, endpoints: Mapping[str, Any]) -> Destinations:
        """From an ``[endpoints]`` table (missing keys take the configuration's defaults)."""
        from harvester.config import default

        def url(key: str) -> str:
            return str(endpoints.get(key) or default("endpoints", key) or "")

        hosts = {_host(url(k)) for k in ("login_url", "logout_url", "court_lookup_url", "clock_url") if url(k)}
        patterns = []
        for court_url in (url("court_url"), *_acms_templates(url)):
            if "{court}" in court_url:
                template = (urlsplit(court_url.replace("{court}", "COURTID")).hostname or "").lower()
                patterns.append(re.compile("^" + re.escape(template).replace("courtid", COURT_LABEL) + "$"))
            elif court_url:
                hosts.add(_host(court_url))
        return cls(frozenset(h for h in hosts if h), tuple(patterns))

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be requested, or None when it may."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            return f"no host in {url!r}"
        loopback = is_loopback_host(host)
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            return f"only https may leave this machine, not {parts.scheme or 'a relative'}:// ({host})"
        if loopback or host in self.hosts or any(pattern.match(host) for pattern in self.court_hosts):
            return None
        return f"{host} is not one of the run's PACER hosts (see [endpoints])"


def _acms_templates(url: Callable[[str], str]) -> list[str]:
    """The ACMS site and API templates of these endpoints (none when they have no ACMS)."""
    from harvester.config import ACMS_API_URL, ACMS_URL, PACER_COURT_URL

    if url("acms_url"):
        return [url("acms_url"), url("acms_api_url")]
    return [ACMS_URL, ACMS_API_URL] if url("court_url") == PACER_COURT_URL else []


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
