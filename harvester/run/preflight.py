"""Before a run touches anything: can the PACER-wide endpoints be reached at all?

It runs once the run is admitted (credentials, refusal record, window: see
:mod:`harvester.run.assembly`), so a run that may not start opens no connection.

Every court is its own host and may be down for the night (the gate retries it and
blocks it), but without the login service and the court lookup there is no run. When
one of them cannot be reached the run does not start: no lock, no database, no run
row, one line naming the ``[endpoints]`` key. A host name that does not resolve is a
configuration mistake (exit code 2); a host that resolves but refuses or does not
answer is down or blocked (exit code 1): the configuration may well be right.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from harvester.errors import EXIT_FAILED, ConfigError, HarvesterError
from harvester.run.harvest import Endpoints

# The endpoints a run cannot do without, by config key.
REQUIRED = ("login_url", "court_lookup_url", "clock_url")


class EndpointUnreachable(HarvesterError):
    """A PACER-wide endpoint resolves but does not accept connections."""

    exit_code = EXIT_FAILED


def check_endpoints(endpoints: Endpoints, *, attempts: int = 3, pause: float = 2.0, timeout: float = 10.0) -> None:
    """Raise ConfigError or EndpointUnreachable naming the key of the first endpoint that cannot be reached.

    A refused or timed-out connection is tried ``attempts`` times, ``pause`` seconds
    apart: a blip at the start of the night should not cost the night.
    """
    for key in REQUIRED:
        url = getattr(endpoints, key)
        if url:
            _check(key, url, attempts, pause, timeout)


def _check(key: str, url: str, attempts: int, pause: float, timeout: float) -> None:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigError(f"endpoints.{key}: bad port in {url}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"endpoints.{key}: not an http(s) URL: {url}")
    for attempt in range(1, attempts + 1):
        try:
            socket.create_connection((parts.hostname, port), timeout=timeout).close()
            return
        except socket.gaierror:
            raise ConfigError(f"endpoints.{key}: host {parts.hostname} not found (DNS) in {url}") from None
        except OSError as exc:
            if attempt == attempts:
                why = exc.strerror or type(exc).__name__
                raise EndpointUnreachable(f"endpoints.{key}: cannot connect to {parts.hostname}:{port} ({why}) "
                                          f"after {attempts} tries; not starting the run") from None  # fmt: skip
            time.sleep(pause)
