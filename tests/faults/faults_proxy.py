"""A fault-injecting reverse proxy on 127.0.0.1, in front of one stand-in.

The SDKs are aimed at the proxy through the adapters' own endpoint options; it forwards every
request unchanged (the Host header included, so signatures still verify at the stand-in) and,
for the ONE operation its plan selects, answers with the plan's fault instead. It recognises
the operation from the request (method, path, query, X-Amz-Target, Action, x-acs-action)
with the classifier it is given, and records every request it saw.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                        "te", "trailer", "upgrade", "content-length"})


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    target: str  # path and query
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


Classifier = Callable[[Seen], str]  # -> the operation as the adapter names it, or ""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()  # e.g. rest-json's x-amzn-ErrorType


@dataclass
class Plan:
    """What a proxy does to the selected operation; shared by the proxies of one slot.

    ``fault`` is one of: None (forward everything), "answer" (``answer`` instead of the
    stand-in's), "answer_once" (``answer`` once per distinct request, then forward),
    "slow" (sleep ``delay`` seconds, then forward), "truncate" (the stand-in's answer cut in
    half, framed as whole), "body" (status 200 with ``answer.body``), "reset" (TCP RST).
    """

    operation: str = ""
    fault: str | None = None
    answer: Answer | None = None
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: list[tuple[str, Seen]] = field(default_factory=list)
    _answered: set[tuple[str, str, bytes]] = field(default_factory=set)

    def reset(self, operation: str = "", fault: str | None = None,
              answer: Answer | None = None, delay: float = 0.0) -> None:
        with self.lock:
            self.operation, self.fault, self.answer, self.delay = operation, fault, answer, delay
            self.seen = []
            self._answered = set()

    def record(self, operation: str, seen: Seen) -> str | None:
        """The fault to apply to this request (None: forward it)."""
        with self.lock:
            self.seen.append((operation, seen))
            if self.fault is None or operation != self.operation:
                return None
            if self.fault == "answer_once":
                key = (seen.method, seen.target, seen.body)
                if key in self._answered:
                    return None
                self._answered.add(key)
                return "answer"
            return self.fault

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(op for op, _ in self.seen)


class FaultProxy:
    """One listening port forwarding to ``upstream`` under a (shared) :class:`Plan`."""

    def __init__(self, upstream: str, classify: Classifier, plan: Plan) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.classify = classify
        self.plan = plan
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "proxy not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k: v for k, v in self.headers.items()},
                            body)
                try:
                    proxy._answer(self, seen)
                except (TimeoutError, BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up first (slow fault)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # a sleeping (slow) handler never holds up stop()
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                         name="fault-proxy").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        fault = self.plan.record(self.classify(seen), seen)
        answer = self.plan.answer
        if fault == "reset":
            _reset(handler)
            return
        if fault == "answer" and answer is not None:
            _send(handler, answer.status, answer.body,
                  {"Content-Type": answer.content_type, **dict(answer.headers)})
            return
        if fault == "body" and answer is not None:
            _send(handler, 200, answer.body, {"Content-Type": answer.content_type})
            return
        if fault == "slow":
            time.sleep(self.plan.delay)
        status, headers, body = self._forward(seen)
        if fault == "truncate":
            body = body[: len(body) // 2]
        _send(handler, status, body, headers)

    def _forward(self, seen: Seen) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in seen.headers.items() if k.lower() not in HOP_BY_HOP}
            if seen.body or seen.method in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(seen.body))
            conn.request(seen.method, seen.target, body=seen.body or None, headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            kept = {k: v for k, v in reply.getheaders() if k.lower() not in HOP_BY_HOP}
            return reply.status, kept, body
        finally:
            conn.close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that reset or dropped a kept-alive connection (the reset and slow faults
        # do this on purpose) is not an error of the proxy.
        return


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes,
          headers: dict[str, str]) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        if key.lower() not in ("server", "date"):
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    handler.wfile.flush()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST and no answer at all."""
    handler.close_connection = True
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class RefusedPort:
    """A 127.0.0.1 port bound but never listening: every connection to it is refused."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        self._sock.close()
