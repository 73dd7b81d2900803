"""Alibaba Cloud stand-in: an OSS, a KMS and an ECS server, all read-only and recording.

Seeded from the ``alibaba:`` section of an estate description (see estate.yaml and
``_estate`` for every field). The real alibabacloud-oss-v2 client reaches the OSS server
path-style (V4-signed with the bucket's region, which the stand-in checks like the real
regional endpoints do); alibabacloud-kms20160120 reaches the KMS server, and the generic
alibabacloud-tea-openapi client the ECS server, with
``Config(endpoint="127.0.0.1:PORT", protocol="http")``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.providers.alibaba.sandbox import _ecs, _kms, _oss
from auditor.providers.alibaba.sandbox._estate import Estate, EstateError, build
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply, check_deniable

ACCESS_KEY_ID = "LTAI5tSandboxFakeKey00001"
ACCESS_KEY_SECRET = "sandbox-fake-secret-not-a-credential"

__all__ = ["ACCESS_KEY_ID", "AlibabaSandbox", "EstateError", "load_demo_section"]


def load_demo_section() -> dict[str, Any]:
    """The ``alibaba:`` section of the shipped demo estate."""
    from auditor.sandbox.estate import load_estate

    return load_estate()["alibaba"]


class AlibabaSandbox:
    """OSS + KMS + ECS stand-ins on 127.0.0.1, one port each."""

    provider = "alibaba"
    estate_file = Path(__file__).with_name("estate.yaml")  # its demo-estate section
    # The adapter's operation names (service:Action); the stand-ins' faults key on the Action.
    deniable = ("oss:GetBucketPolicy", "oss:GetBucketVersioning", "oss:GetBucketLogging",
                "oss:GetBucketEncryption", "oss:GetBucketReplication", "kms:DescribeKey",
                "kms:GetKeyPolicy")

    def __init__(self, latency: float = 0.0) -> None:
        # latency (seconds per request) makes overlapping requests observable.
        self.latency = latency
        self._gauge = threading.Lock()
        self._in_flight = 0
        self._peak = 0
        self._estate = Estate()
        self._oss = RecordingServer(self._handle_oss)
        # KMS is RPC over POST; the handler serves read actions only and 405s the rest.
        self._kms = RecordingServer(self._handle_kms, allowed_methods=frozenset({"POST"}))
        # ECS likewise: two default-disk-encryption reads, nothing else.
        self._ecs = RecordingServer(self._handle_ecs, allowed_methods=frozenset({"POST"}))
        self._started = False
        self._denied: list[str] = []

    def _measured(self, handle: Callable[[], Reply]) -> Reply:
        with self._gauge:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            return handle()
        finally:
            with self._gauge:
                self._in_flight -= 1

    def _handle_oss(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _oss.handle(self._estate, request, ACCESS_KEY_ID))

    def _handle_kms(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _kms.handle(self._estate, request, ACCESS_KEY_ID))

    def _handle_ecs(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _ecs.handle(self._estate, request, ACCESS_KEY_ID))

    @property
    def peak_in_flight(self) -> int:
        """Most requests handled at once since the last reset_requests()."""
        return self._peak

    @property
    def oss_url(self) -> str:
        return self._oss.url

    @property
    def kms_url(self) -> str:
        return self._kms.url

    @property
    def ecs_url(self) -> str:
        return self._ecs.url

    def _servers(self) -> tuple[RecordingServer, ...]:
        return (self._oss, self._kms, self._ecs)

    def start(self) -> None:
        if not self._started:
            for server in self._servers():
                server.start()
            self._started = True

    def seed(self, estate: dict[str, Any]) -> None:
        """Seed from the ``alibaba:`` section (a whole estate document works too)."""
        section = estate.get("alibaba", estate) if isinstance(estate, dict) else estate
        built = build(section)
        for operation in self._denied:  # 403 AccessDenied, as RAM answers a missing permission
            built.faults.add_everywhere(operation.split(":", 1)[1], 403)
        self._estate = built

    def deny(self, operation: str) -> None:
        check_deniable(self, operation)
        self._denied.append(operation)

    @property
    def estate(self) -> Estate:
        return self._estate

    def scan_options(self) -> dict[str, Any]:
        return {"region": self._estate.regions(), "oss_endpoint": self.oss_url,
                "alibaba_kms_endpoint": self.kms_url, "alibaba_ecs_endpoint": self.ecs_url}

    def environment(self) -> dict[str, str]:
        return {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
                "AUDITOR_OSS_ENDPOINT": self.oss_url,
                "AUDITOR_ALIBABA_KMS_ENDPOINT": self.kms_url,
                "AUDITOR_ALIBABA_ECS_ENDPOINT": self.ecs_url}

    def requests(self) -> list[RecordedRequest]:
        return [r for server in self._servers() for r in server.requests()]

    def reset_requests(self) -> None:
        for server in self._servers():
            server.reset_requests()
        with self._gauge:
            self._peak = 0

    def stop(self) -> None:
        if self._started:
            for server in self._servers():
                server.stop()
            self._started = False
