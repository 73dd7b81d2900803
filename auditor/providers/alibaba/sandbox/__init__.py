"""Alibaba Cloud stand-in: OSS, KMS, ECS, NAS, RDS, Resource Manager and STS servers, all read-only
and recording; accounts told apart by the AccessKey a request is signed with
(``_directory``).

Seeded from the ``alibaba:`` section of an estate description (see estate.yaml and
``_estate`` for every field). The real alibabacloud-oss-v2 client reaches the OSS server
path-style (V4-signed with the bucket's region, which the stand-in checks like the real
regional endpoints do); alibabacloud-kms20160120 reaches the KMS server, and the generic
alibabacloud-tea-openapi client the ECS, NAS and RDS servers, with
``Config(endpoint="127.0.0.1:PORT", protocol="http")``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.providers.alibaba.sandbox import _directory, _ecs, _kms, _nas, _oss, _rds
from auditor.providers.alibaba.sandbox._directory import Directory, build_directory
from auditor.providers.alibaba.sandbox._estate import Estate, EstateError, build
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply, check_deniable

ACCESS_KEY_ID = "LTAI5tSandboxFakeKey00001"
ACCESS_KEY_SECRET = "sandbox-fake-secret-not-a-credential"
# The AccessKey id in an ACS3 (KMS, ECS, STS) or OSS V4 Authorization header.
SIGNED_BY = re.compile(r"Credential=([^/,\s]+)")

__all__ = ["ACCESS_KEY_ID", "AlibabaSandbox", "EstateError", "load_demo_section"]


def load_demo_section() -> dict[str, Any]:
    """The ``alibaba:`` section of the shipped demo estate."""
    from auditor.sandbox.estate import load_estate

    return load_estate()["alibaba"]


class AlibabaSandbox:
    """OSS + KMS + ECS + NAS + RDS stand-ins on 127.0.0.1, one port each."""

    provider = "alibaba"
    estate_file = Path(__file__).with_name("estate.yaml")  # its demo-estate section
    # The adapter's operation names (service:Action); the stand-ins' faults key on the Action.
    deniable = ("oss:GetBucketPolicy", "oss:GetBucketVersioning", "oss:GetBucketLogging",
                "oss:GetBucketEncryption", "oss:GetBucketReplication", "kms:DescribeKey",
                "kms:GetKeyPolicy", "ecs:DescribeDisks", "ecs:DescribeSnapshots",
                "ecs:DescribeImages", "ecs:DescribeImageSharePermission",
                "nas:DescribeFileSystems", "nas:DescribeSmbAcl", "rds:DescribeDBInstances",
                "rds:DescribeDBInstanceNetInfo", "rds:DescribeDBInstanceIPArrayList",
                "rds:DescribeDBInstanceSSL", "rds:DescribeParameters", "rds:DescribePGHbaConfig",
                "rds:DescribeDBInstanceEncryptionKey", "rds:DescribeDBInstanceTDE",
                "rds:DescribeBackupPolicy")

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
        # ECS, NAS and RDS likewise: their read actions, nothing else.
        self._ecs = RecordingServer(self._handle_ecs, allowed_methods=frozenset({"POST"}))
        self._nas = RecordingServer(self._handle_nas, allowed_methods=frozenset({"POST"}))
        self._rds = RecordingServer(self._handle_rds, allowed_methods=frozenset({"POST"}))
        # Multi-account scans: the Resource Directory's member list and STS (AssumeRole).
        self._rm = RecordingServer(self._handle_rm, allowed_methods=frozenset({"POST"}))
        self._sts = RecordingServer(self._handle_sts, allowed_methods=frozenset({"POST"}))
        self._directory: Directory | None = None
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

    def _account_of(self, request: RecordedRequest) -> tuple[Estate, str]:
        """The estate of the account the request is signed for, and the key it accepts: a
        directory member's for a key AssumeRole issued (or the member's own), else the
        management account's (which refuses a key it does not know)."""
        found = SIGNED_BY.search(request.headers.get("authorization", ""))
        key_id = found.group(1) if found else (request.query.get("AccessKeyId") or [""])[0]
        member = self._directory.owner_of(key_id) if self._directory and key_id else None
        return (member.estate, key_id) if member is not None else (self._estate, ACCESS_KEY_ID)

    def _handle_oss(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _oss.handle(*self._with_account(request)))

    def _handle_kms(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _kms.handle(*self._with_account(request)))

    def _handle_ecs(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _ecs.handle(*self._with_account(request)))

    def _handle_nas(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _nas.handle(*self._with_account(request)))

    def _handle_rds(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _rds.handle(*self._with_account(request)))

    def _with_account(self, request: RecordedRequest) -> tuple[Estate, RecordedRequest, str]:
        estate, key = self._account_of(request)
        return estate, request, key

    def _handle_rm(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _directory.handle_resourcemanager(
            self._directory, self._estate, request, ACCESS_KEY_ID))

    def _handle_sts(self, request: RecordedRequest) -> Reply:
        return self._measured(lambda: _directory.handle_sts(
            self._directory, self._estate, request, ACCESS_KEY_ID))

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

    def rpc_url(self, service: str) -> str:
        """The URL of the NAS or RDS stand-in."""
        return {"nas": self._nas, "rds": self._rds}[service].url

    @property
    def sts_url(self) -> str:
        return self._sts.url

    @property
    def resourcemanager_url(self) -> str:
        return self._rm.url

    @property
    def directory(self) -> Directory | None:
        return self._directory

    def _servers(self) -> tuple[RecordingServer, ...]:
        return (self._oss, self._kms, self._ecs, self._nas, self._rds, self._rm, self._sts)

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
        self._directory = build_directory((section or {}).get("directory"))

    def deny(self, operation: str) -> None:
        check_deniable(self, operation)
        self._denied.append(operation)

    @property
    def estate(self) -> Estate:
        return self._estate

    def scan_options(self) -> dict[str, Any]:
        return {"region": self._estate.regions(), "oss_endpoint": self.oss_url,
                "alibaba_kms_endpoint": self.kms_url, "alibaba_ecs_endpoint": self.ecs_url,
                "alibaba_nas_endpoint": self.rpc_url("nas"),
                "alibaba_rds_endpoint": self.rpc_url("rds"),
                "alibaba_sts_endpoint": self.sts_url,
                "alibaba_resourcemanager_endpoint": self.resourcemanager_url}

    def environment(self) -> dict[str, str]:
        return {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
                "AUDITOR_OSS_ENDPOINT": self.oss_url,
                "AUDITOR_ALIBABA_KMS_ENDPOINT": self.kms_url,
                "AUDITOR_ALIBABA_ECS_ENDPOINT": self.ecs_url,
                "AUDITOR_ALIBABA_NAS_ENDPOINT": self.rpc_url("nas"),
                "AUDITOR_ALIBABA_RDS_ENDPOINT": self.rpc_url("rds"),
                "AUDITOR_ALIBABA_STS_ENDPOINT": self.sts_url,
                "AUDITOR_ALIBABA_RESOURCEMANAGER_ENDPOINT": self.resourcemanager_url}

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
