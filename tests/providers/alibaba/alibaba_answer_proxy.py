"""A fault-injecting proxy in front of the Alibaba stand-in: every request goes through to
the stand-in; the 200 answer of one chosen operation gets another body (built from the
stand-in's own, documented, answer). The real SDKs talk HTTP to it, unchanged.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Callable
from urllib.error import HTTPError
from urllib.parse import urlencode
from xml.etree import ElementTree

from auditor.providers.alibaba.sandbox._oss import SUBRESOURCES
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

OSS_NAMESPACE = "http://doc.oss-cn-hangzhou.aliyuncs.com"
HOP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})
Rewrite = Callable[[bytes], bytes]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only


def operation_of(request: RecordedRequest) -> str:
    """The adapter's name for the operation a request is (oss:..., kms:..., ecs:...)."""
    action = request.headers.get("x-acs-action")
    if action:
        service = "ecs" if action.startswith("DescribeDisk") else "kms"
        return f"{service}:{action}"
    if not [p for p in request.path.split("/") if p]:  # the service root
        return "oss:GetPublicAccessBlock" if "publicAccessBlock" in request.query \
            else "oss:ListBuckets"
    known = [SUBRESOURCES[q] for q in request.query if q in SUBRESOURCES]
    return f"oss:{known[0]}" if known else "oss:Unknown"


class AnswerProxy:
    """Forwards to ``upstream``; rewrites the 200 body of ``operation`` with ``rewrite``."""

    def __init__(self, upstream: str, operation: str = "", rewrite: Rewrite | None = None,
                 content_type: str | None = None) -> None:
        self.upstream = upstream
        self.operation = operation
        self.rewrite = rewrite
        self.content_type = content_type
        self.rewritten = 0
        self._lock = threading.Lock()
        self.server = RecordingServer(self._handle, allowed_methods=frozenset({"GET", "POST"}))

    def __enter__(self) -> AnswerProxy:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def _handle(self, request: RecordedRequest) -> Reply:
        query = urlencode(request.query, doseq=True)
        forwarded = urllib.request.Request(
            self.upstream + request.path + (f"?{query}" if query else ""),
            data=request.body or None, method=request.method,
            headers={k: v for k, v in request.headers.items() if k not in HOP_HEADERS})
        try:
            with _OPENER.open(forwarded, timeout=10) as answer:
                status, body, headers = answer.status, answer.read(), answer.headers
        except HTTPError as exc:
            status, body, headers = exc.code, exc.read(), exc.headers
        operation = operation_of(request)
        content_type = headers.get("Content-Type", "application/xml")
        if status == 200 and operation == self.operation and self.rewrite is not None:
            body = self.rewrite(body)
            content_type = self.content_type or content_type
            with self._lock:
                self.rewritten += 1
        return Reply(status, body, content_type,
                     {"x-oss-request-id": headers.get("x-oss-request-id", "0" * 24),
                      "x-recorded-action": operation})


# --- rewrites of a documented XML answer ----------------------------------------------

def _tree(body: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(body)


def _dump(root: ElementTree.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root)


def namespaced(namespace: str = OSS_NAMESPACE) -> Rewrite:
    """Every element in ``namespace``, declared on the root as the OSS references show."""
    def rewrite(body: bytes) -> bytes:
        text = body.decode()
        return re.sub(r"<([A-Za-z]+)", rf'<\1 xmlns="{namespace}"', text, count=1).encode()
    return rewrite


def empty(_: bytes) -> bytes:
    return b""


def truncated(body: bytes) -> bytes:
    return body[: len(body) * 2 // 3]


def wrong_root(body: bytes) -> bytes:
    root = _tree(body)
    root.tag = "Unexpected" + root.tag
    return _dump(root)


def billion_laughs(body: bytes) -> bytes:
    """The documented answer behind an entity-expansion DTD, the root's text an entity."""
    root = _tree(body)
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10))
    inner = ElementTree.tostring(root).decode()
    inner = re.sub(r">", ">&lol9;", inner, count=1)
    return f'<?xml version="1.0"?><!DOCTYPE {root.tag} [{entities}]>{inner}'.encode()


def without(tag: str) -> Rewrite:
    """The answer with every element named ``tag`` removed."""
    def rewrite(body: bytes) -> bytes:
        root = _tree(body)
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == tag:
                    parent.remove(child)
        return _dump(root)
    return rewrite


def with_text(tag: str, text: str) -> Rewrite:
    """The answer with the text of every element named ``tag`` replaced."""
    def rewrite(body: bytes) -> bytes:
        root = _tree(body)
        for elem in root.iter():
            if elem.tag == tag:
                elem.text = text
        return _dump(root)
    return rewrite


def fixed(body: bytes) -> Rewrite:
    return lambda _: body
