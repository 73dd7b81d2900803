"""The sandbox contract and a small recording, read-only HTTP server for stand-ins."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    action: str = ""  # the provider operation name, when the stand-in knows it


class Sandbox(Protocol):
    """A provider's local stand-in, seeded from the estate description."""

    provider: str
    # Its demo-estate file (one top-level key, the provider), shipped in its package.
    estate_file: Path

    def start(self) -> None: ...

    # Operations deny() supports, named as the adapter names them (its facts' source and its
    # exposure profile); the first is the one the conformance suite denies.
    deniable: tuple[str, ...]

    def seed(self, estate: dict[str, Any]) -> None:
        """Seed from this provider's section of the estate description."""
        ...

    def deny(self, operation: str) -> None:
        """From the next seed() on, answer every ``operation`` call as access denied, the way
        the provider does; ValueError for an operation outside ``deniable``."""
        ...

    def scan_options(self) -> dict[str, Any]:
        """Adapter options (endpoints, regions, project) that point a scan here."""
        ...

    def environment(self) -> dict[str, str]:
        """Environment variables (fake credentials, endpoint overrides) for a CLI user."""
        ...

    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last reset (seeding excluded)."""
        ...

    def reset_requests(self) -> None: ...

    def stop(self) -> None: ...


def check_deniable(sandbox: Sandbox, operation: str) -> None:
    """ValueError unless the stand-in can deny ``operation`` (never a silent no-op)."""
    if operation not in sandbox.deniable:
        raise ValueError(f"the {sandbox.provider} stand-in cannot deny {operation!r}; it can "
                         f"deny {', '.join(sandbox.deniable)}")


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class RecordingServer:
    """A threaded HTTP server on 127.0.0.1 that records every request.

    ``handle(request) -> Reply`` does the routing. Methods outside
    ``allowed_methods`` get 405, so the audited stand-in cannot be written to.
    """

    allowed_methods: frozenset[str] = READ_METHODS
    # Simulated network round trip per request (benchmarks set it; the stand-ins are local).
    latency_s: float = 0.0

    def __init__(self, handle: Any, allowed_methods: frozenset[str] | None = None) -> None:
        self._handle = handle
        if allowed_methods is not None:
            self.allowed_methods = allowed_methods
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus
            # the client's delayed ACK stall every keep-alive response by ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                if server.latency_s:
                    time.sleep(server.latency_s)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()}, body)
                if self.command not in server.allowed_methods:
                    reply = Reply(405, b'{"error": "method not allowed: read-only stand-in"}')
                else:
                    reply = server._handle(request)
                    action = reply.headers.pop("x-recorded-action", "")
                    if action:
                        request = RecordedRequest(request.method, request.path, request.query,
                                                  request.headers, request.body, action)
                server._record(request)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="sandbox-http")
        self._thread.start()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
