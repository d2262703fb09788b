"""The sandbox's HTTP/1.1 server over TLS: asyncio streams, keep-alive, no threads.

One event loop serves every connection; request handling is short synchronous
work (rendering a docket is about a millisecond), so this beats a thread per
connection on a small machine. Connection-level faults (reset, hang,
truncated transfer) are carried out here; everything else is the app's.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import ssl
import struct
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Awaitable, Callable
from urllib.parse import unquote

log = logging.getLogger(__name__)

KEEPALIVE_IDLE = 120.0  # seconds an idle keep-alive connection stays open
MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str  # percent-decoded, without the query string
    query: str  # raw query string
    headers: dict[str, str]  # lower-case names
    body: bytes
    connection: int
    received: float = field(default_factory=time.monotonic)

    def cookies(self) -> dict[str, str]:
        """Cookies sent with the request."""
        out: dict[str, str] = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                out[name] = value
        return out


@dataclass
class Response:
    """What to send back, and how (``action``: None, "reset", "hang" or "truncate")."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html"
    headers: list[tuple[str, str]] = field(default_factory=list)
    action: str | None = None
    action_seconds: float = 0.0
    action_fraction: float = 0.5
    log: dict | None = None  # request-log record; the server adds status, bytes, duration


Handler = Callable[[Request], Awaitable[Response]]
LogSink = Callable[[dict], None]


def _head_bytes(response: Response, keep_alive: bool) -> bytes:
    reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
        "Server: sandbox-cmecf",
    ]
    lines += [f"{k}: {v}" for k, v in response.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    text = head.decode("latin-1")
    request_line, *header_lines = text.split("\r\n")
    method, target, version = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method.upper(), target, version, headers


class HTTPServer:
    """Serves ``handler`` on host:port with TLS ``context``; call :meth:`serve` in a loop."""

    def __init__(self, handler: Handler, context: ssl.SSLContext, host: str, port: int, log_sink: LogSink) -> None:
        self.handler, self.context, self.host, self.port = handler, context, host, port
        self.log_sink = log_sink
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._ids = itertools.count(1)

    async def start(self) -> int:
        """Start listening; return the bound port."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_tls_errors)
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, ssl=self.context, limit=MAX_HEAD, backlog=512,
            ssl_handshake_timeout=30,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop accepting, drop open connections (hung ones included)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # always set: asyncio.start_server runs each connection as a task
            self._tasks.add(task)
        conn_id = next(self._ids)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while await self._one_request(reader, writer, conn_id):
                pass
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # Server shutdown: end quietly (re-raising makes asyncio log the
            # cancellation of every open connection as an error).
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int) -> bool:
        """Serve one request; return whether the connection stays open."""
        try:
            async with asyncio.timeout(KEEPALIVE_IDLE):
                head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return False
        try:
            method, target, version, headers = _parse_head(head)
        except ValueError:
            await self._send(writer, Response(400, b"Bad Request", "text/plain"), False)
            return False
        if headers.get("transfer-encoding", "").lower() == "chunked":
            await self._send(writer, Response(411, b"Length Required", "text/plain"), False)
            return False
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            await self._send(writer, Response(413, b"Request Entity Too Large", "text/plain"), False)
            return False
        if length and headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before a large body
        body = await reader.readexactly(length) if length else b""
        path, _, query = target.partition("?")
        request = Request(method, unquote(path), query, headers, body, conn_id)
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        try:
            response = await self.handler(request)
        except Exception:  # a sandbox bug must not look like a network fault
            log.exception("sandbox handler failed for %s %s", method, path)
            response = Response(500, b"Internal Server Error", "text/plain")
        return await self._respond(writer, request, response, keep_alive)

    async def _respond(self, writer, request: Request, response: Response, keep_alive: bool) -> bool:
        # The log line is written before the answer goes out, so a client that
        # has its answer can already read the record of it.
        if response.action == "reset":
            self._log(request, response, 0)
            _reset(writer)
            return False
        if response.action == "hang":
            self._log(request, response, 0)
            await asyncio.sleep(response.action_seconds)
            writer.transport.abort()
            return False
        if response.action == "truncate":
            sent = int(len(response.body) * response.action_fraction)
            self._log(request, response, sent)
            writer.write(_head_bytes(response, False) + response.body[:sent])
            await writer.drain()
            writer.transport.abort()
            return False
        self._log(request, response, len(response.body))
        await self._send(writer, response, keep_alive)
        return keep_alive

    async def _send(self, writer: asyncio.StreamWriter, response: Response, keep_alive: bool) -> None:
        writer.write(_head_bytes(response, keep_alive) + response.body)
        await writer.drain()

    def _log(self, request: Request, response: Response, sent: int) -> None:
        if response.log is None:
            return
        record = response.log
        record["status"] = response.status if response.action not in ("reset", "hang") else None
        record["bytes"] = sent
        record["connection"] = request.connection
        record["duration_ms"] = round((time.monotonic() - request.received) * 1000.0, 2)
        self.log_sink(record)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of an orderly shutdown."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _quiet_tls_errors(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    # Clients that refuse our certificate or protocol (the point of the TLS test
    # modes) make failed handshakes; they are not server errors.
    exc = context.get("exception")
    if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
        log.debug("TLS/connection error: %s", exc)
        return
    loop.default_exception_handler(context)
