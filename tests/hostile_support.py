"""A hostile PACER for tests: a TLS reverse proxy in front of the sandbox that rewrites answers.

:class:`HostileProxy` listens on 127.0.0.1 with a certificate from the sandbox's CA,
forwards every request to the sandbox and hands each answer to ``mutate(exchange)``,
which may rewrite status, headers and body (inject a meta refresh, echo the password,
cut the receipt...). :class:`Trap` is a plain-HTTP server that records every request
(and its Cookie header) that should never arrive. Both listen on loopback only.
"""

from __future__ import annotations

import http.client
import http.server
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harvester.sandbox import Sandbox
from harvester.sandbox.tls import server_context

HOP_HEADERS = {"host", "content-length", "accept-encoding", "connection", "transfer-encoding", "content-encoding"}


@dataclass
class Exchange:
    """One proxied request and the sandbox's answer, as ``mutate`` sees and changes it."""

    method: str
    path: str
    request_body: bytes
    status: int
    headers: dict[str, str]
    body: bytes


class _Server:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], context: ssl.SSLContext | None) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if context is not None:
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Trap:
    """Plain HTTP on loopback: every request that arrives here is a leak."""

    hits: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                owner.hits.append({"path": self.path, "cookie": self.headers.get("Cookie")})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = _record  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(Handler, None)
        self.url = f"http://127.0.0.1:{self._server.port}"

    def close(self) -> None:
        self._server.close()


class HostileProxy:
    """https://127.0.0.1:PORT that answers like the sandbox, rewritten by ``mutate``."""

    def __init__(self, sandbox: Sandbox, mutate: Callable[[Exchange], None]) -> None:
        self.sandbox, self.mutate = sandbox, mutate
        upstream = urlsplit(sandbox.base_url)
        client = ssl.create_default_context(cafile=sandbox.config["ca_bundle"])
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                conn = http.client.HTTPSConnection(upstream.hostname, upstream.port, context=client, timeout=60)
                conn.request(self.command, self.path, body=body or None, headers=headers)
                reply = conn.getresponse()
                exchange = Exchange(self.command, self.path, body, reply.status,
                                    {k: v for k, v in reply.getheaders() if k.lower() not in HOP_HEADERS},
                                    reply.read())  # fmt: skip
                conn.close()
                owner.mutate(exchange)
                self.send_response(exchange.status)
                for name, value in exchange.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(exchange.body)))
                self.end_headers()
                self.wfile.write(exchange.body)

            do_GET = do_POST = _forward  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(Handler, server_context("normal", Path(sandbox.config["state_dir"])))
        self.base_url = f"https://127.0.0.1:{self._server.port}"

    def endpoints(self) -> dict[str, str]:
        """``[endpoints]`` pointing the harvest at the proxy (the sandbox's own clock still rules)."""
        config = self.sandbox.config
        swap = lambda url: url.replace(self.sandbox.base_url, self.base_url)  # noqa: E731
        return {
            "login_url": swap(config["login_url"]), "logout_url": swap(config["logout_url"]),
            "court_lookup_url": swap(config["court_lookup_url"]), "court_url": swap(config["court_url_template"]),
            "ca_bundle": config["ca_bundle"], "clock_url": config["clock_url"],
        }  # fmt: skip

    def close(self) -> None:
        self._server.close()
