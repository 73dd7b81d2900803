"""A 127.0.0.1 server in front of the Google Cloud stand-in that changes chosen answers.

It answers every request as the stand-in does (the stand-in's own routing, in process) and
rewrites the replies of the actions a test names: a body that is empty, not JSON, cut
short, of another JSON type, missing a documented field, or a page token that repeats. The
real google-cloud-storage / google-cloud-kms clients and the Org Policy session talk HTTP to
it, so every answer goes through the SDK's own parsing before the adapter sees it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.providers.gcp.sandbox import GcpSandbox
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

Change = Callable[[Reply], Reply]
When = Callable[[RecordedRequest], bool]


def body(raw: bytes) -> Change:
    """Replace the whole body (status 200 kept)."""
    return lambda reply: Reply(200, raw, reply.content_type, dict(reply.headers))


def truncated(reply: Reply) -> Reply:
    return Reply(200, reply.body[: len(reply.body) // 2], reply.content_type, dict(reply.headers))


def status(code: int) -> Change:
    def change(reply: Reply) -> Reply:
        error = {"error": {"code": code, "message": f"proxy {code}", "status": "UNAVAILABLE",
                           "errors": [{"reason": "backendError", "message": "proxy"}]}}
        return Reply(code, json.dumps(error).encode(), "application/json", dict(reply.headers))
    return change


def edit(fn: Callable[[Any], Any]) -> Change:
    """Edit the parsed JSON body; ``fn`` mutates it in place or returns a replacement."""
    def change(reply: Reply) -> Reply:
        document = json.loads(reply.body)
        result = fn(document)
        document = document if result is None else result
        return Reply(200, json.dumps(document).encode(), reply.content_type,
                     dict(reply.headers))
    return change


def in_item(name: str, fn: Callable[[dict[str, Any]], Any], key: str = "items") -> Change:
    """Edit the listed item called ``name`` (a bucket name, or a KMS name's last part)."""
    def apply(document: dict[str, Any]) -> None:
        for item in document.get(key) or ():
            if item.get("name") == name or str(item.get("name", "")).endswith("/" + name):
                fn(item)
    return edit(apply)


@dataclass
class _Rule:
    action: str
    change: Change
    when: When | None
    nth: int | None  # rewrite only the nth matching answer (1-based); None: every one
    seen: int = 0


class AnswerProxy:
    """Serves ``box``'s answers, rewritten where a rule says so; records what it served."""

    def __init__(self, box: GcpSandbox) -> None:
        self.box = box
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._server = RecordingServer(self._handle)
        self._server.start()

    def on(self, action: str, change: Change, *, when: When | None = None,
           nth: int | None = None) -> AnswerProxy:
        self._rules.append(_Rule(action, change, when, nth))
        return self

    def _handle(self, request: RecordedRequest) -> Reply:
        reply = self.box._handle(request)
        action = reply.headers.get("x-recorded-action", "")
        with self._lock:
            for rule in self._rules:
                if rule.action != action or (rule.when and not rule.when(request)):
                    continue
                rule.seen += 1
                if rule.nth is None or rule.nth == rule.seen:
                    reply = rule.change(reply)
        return reply

    def scan_options(self) -> dict[str, Any]:
        options = self.box.scan_options()
        return {**options, **{k: self.url for k in options if k.endswith("_endpoint")}}

    @property
    def url(self) -> str:
        return self._server.url

    def requests(self) -> list[RecordedRequest]:
        return self._server.requests()

    def count(self, action: str) -> int:
        return sum(1 for r in self.requests() if r.action == action)

    def stop(self) -> None:
        self._server.stop()
