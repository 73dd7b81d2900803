"""A deliberately slow 127.0.0.1 endpoint: requests that match stall (as a hung service does),
the rest are forwarded to an upstream stand-in, or stall too when there is none."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

STALL_SECONDS = 120.0  # longer than any bound the tool puts on a call: only an interrupt ends it


class SlowEndpoint:
    """``stalls(method, path)`` decides which requests hang; ``upstream`` answers the others."""

    def __init__(self, upstream: str | None = None,
                 stalls: Callable[[str, str], bool] = lambda method, path: True) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.stalls = stalls
        self.stalled = 0
        self.answered = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if endpoint.upstream is None or endpoint.stalls(self.command, self.path):
                    with endpoint._lock:
                        endpoint.stalled += 1
                    endpoint._release.wait(STALL_SECONDS)
                    self.close_connection = True
                    return
                status, headers, answer = endpoint._forward(self.command, self.path,
                                                            dict(self.headers), body)
                with endpoint._lock:
                    endpoint.answered += 1
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _forward(self, method: str, path: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.upstream is not None
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def __enter__(self) -> SlowEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for_stalls(self, count: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stalled >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"only {self.stalled} request(s) stalled in {timeout:.0f}s "
                             f"({self.answered} answered)")


def start_interruptible(args: list[str], env: dict[str, str], cwd: str) -> subprocess.Popen[str]:
    """The command as a user's shell starts it: SIGINT delivered as Ctrl-C (a background job
    of a non-interactive shell would inherit SIGINT ignored)."""
    return subprocess.Popen(args, env={**os.environ, "NO_COLOR": "1", **env}, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def interrupt(proc: subprocess.Popen[str], limit: float = 30.0) -> tuple[float, str, str]:
    """Send SIGINT; (seconds until it exited, stdout, stderr)."""
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return limit, out, err
    return time.monotonic() - started, out, err
