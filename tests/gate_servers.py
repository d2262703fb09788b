"""Small local HTTPS servers for the gate and TLS tests: stdlib http.server in a thread.

The certificates come from the sandbox's own TLS modes
(:func:`harvester.sandbox.tls.server_context`), so the tests exercise the same
normal / untrusted / wrong-host / TLS 1.1-only servers the sandbox offers.
Every request is recorded (path, arrival time, negotiated TLS version).
"""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harvester.sandbox.tls import server_context

# path -> (status, headers, body); the default answers 200 "ok".
Route = Callable[[str], tuple[int, dict[str, str], bytes]]


def ok_route(path: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html"}, b"<html><body>ok</body></html>"


@dataclass
class Hit:
    path: str
    at: float
    tls_version: str | None


@dataclass
class LocalServer:
    """A threaded HTTPS (or HTTP) server on 127.0.0.1 that records every request."""

    context: ssl.SSLContext | None
    route: Route = ok_route
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                version = self.connection.version() if isinstance(self.connection, ssl.SSLSocket) else None
                owner.hits.append(Hit(self.path, time.monotonic(), version))
                status, headers, body = owner.route(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.context is not None:
            self._server.socket = self.context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def sandbox_server(mode: str, state_dir: Path, route: Route = ok_route,
                   max_version: ssl.TLSVersion | None = None,
                   min_version: ssl.TLSVersion | None = None) -> LocalServer:
    """A server with one of the sandbox's TLS modes; its CA is ``state_dir/ca.pem``."""
    context = server_context(mode, state_dir)
    if max_version is not None:
        context.maximum_version = max_version
    if min_version is not None:
        context.minimum_version = min_version
    return LocalServer(context, route)
