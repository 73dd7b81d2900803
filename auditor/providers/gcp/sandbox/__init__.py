"""Google Cloud stand-in: one small HTTP server for the Cloud Storage JSON API, Cloud KMS REST,
the Org Policy API v2 (getEffectivePolicy), Resource Manager v3 (projects.search,
folders.list), Compute Engine v1 (disks, snapshots, images), Cloud SQL Admin v1 and Filestore
v1 (instances.list).

Seeded from the ``gcp:`` section of an estate description (see ``estate.yaml`` for the
demo estate and every field it understands). The real google-cloud-storage client reaches
it through ``STORAGE_EMULATOR_HOST`` / ``api_endpoint`` and google-cloud-kms through its
REST transport with ``ClientOptions(api_endpoint=...)``; the adapter's Org Policy reads go
to ``AUDITOR_GCP_ORGPOLICY_ENDPOINT``, its project listings to
``AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT``. It answers reads only and records every request.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from auditor.providers.gcp.sandbox._estate import Estate, EstateError, build
from auditor.providers.gcp.sandbox._routes import handle
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply, check_deniable

__all__ = ["EstateError", "GcpSandbox", "load_demo_section"]


def load_demo_section() -> dict[str, Any]:
    """The ``gcp:`` section of the shipped demo estate."""
    from auditor.sandbox.estate import load_estate

    return load_estate()["gcp"]


class GcpSandbox:
    """Cloud Storage + Cloud KMS + Org Policy stand-in on 127.0.0.1 (one port serves all)."""

    provider = "gcp"
    estate_file = Path(__file__).with_name("estate.yaml")  # its demo-estate section
    # The adapter's operation names; the stand-in's fault actions spell them service.method.
    deniable = ("storage:buckets.getIamPolicy", "storage:bucketAccessControls.list",
                "storage:defaultObjectAccessControls.list", "cloudkms:cryptoKeys.get",
                "cloudkms:cryptoKeys.getIamPolicy", "orgpolicy:policies.getEffectivePolicy",
                "cloudresourcemanager:projects.search", "cloudresourcemanager:folders.list",
                "compute:disks.aggregatedList", "compute:snapshots.list", "compute:images.list",
                "compute:snapshots.getIamPolicy", "compute:images.getIamPolicy",
                "sqladmin:instances.list", "file:instances.list")

    def __init__(self, page_size: int | None = None, latency: float = 0.0) -> None:
        # page_size caps every list page (buckets, key rings, keys) to exercise paging;
        # latency (seconds per answer) makes concurrency visible in peak_in_flight.
        self._page_size = page_size
        self._latency = latency
        self._server = RecordingServer(self._handle)
        self._estate = Estate()
        self._started = False
        self._denied: list[str] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0

    def _handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)
        try:
            if self._latency:
                time.sleep(self._latency)
            return handle(self._estate, request)
        finally:
            with self._lock:
                self._in_flight -= 1

    @property
    def peak_in_flight(self) -> int:
        """Most requests answered at once since the last reset."""
        return self._peak

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        if not self._started:
            self._server.start()
            self._started = True

    def seed(self, estate: dict[str, Any]) -> None:
        """Seed from the ``gcp:`` section (a whole estate document with a gcp key works too)."""
        section = estate.get("gcp", estate) if isinstance(estate, dict) else estate
        built = build(section, self.url)
        if self._page_size is not None:
            built.page_size = self._page_size
        for operation in self._denied:  # 403 PERMISSION_DENIED, as IAM answers a missing role
            built.faults.add_everywhere(operation.replace(":", ".", 1), 403)
        self._estate = built

    def deny(self, operation: str) -> None:
        check_deniable(self, operation)
        self._denied.append(operation)

    def projects(self) -> list[str]:
        """The estate's own projects (an organization's extra projects are found only by a
        Resource Manager search)."""
        return [p.id for p in self._estate.projects.values() if p.listed]

    def scan_options(self) -> dict[str, Any]:
        """The options of a scan of the estate's own projects (no listing endpoint: such a
        scan makes no Resource Manager call; see ``listing_options``)."""
        return {"project": self.projects(), "gcs_endpoint": self.url,
                "gcp_kms_endpoint": self.url, "gcp_orgpolicy_endpoint": self.url,
                "gcp_compute_endpoint": self.url, "gcp_sqladmin_endpoint": self.url,
                "gcp_filestore_endpoint": self.url}

    def listing_options(self) -> dict[str, Any]:
        """Every endpoint, the Resource Manager one included, and no project: add a scope
        option (all_projects, organization_id, folder) for a multi-project scan."""
        options = {k: v for k, v in self.scan_options().items() if k != "project"}
        return {**options, "gcp_resourcemanager_endpoint": self.url}

    def environment(self) -> dict[str, str]:
        env = {"STORAGE_EMULATOR_HOST": self.url, "AUDITOR_GCP_KMS_ENDPOINT": self.url,
               "AUDITOR_GCP_ORGPOLICY_ENDPOINT": self.url,
               "AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT": self.url,
               "AUDITOR_GCP_COMPUTE_ENDPOINT": self.url,
               "AUDITOR_GCP_SQLADMIN_ENDPOINT": self.url,
               "AUDITOR_GCP_FILESTORE_ENDPOINT": self.url}
        if self.projects():
            env["GOOGLE_CLOUD_PROJECT"] = self.projects()[0]
        return env

    def requests(self) -> list[RecordedRequest]:
        return self._server.requests()

    def reset_requests(self) -> None:
        self._server.reset_requests()
        with self._lock:
            self._peak = self._in_flight

    def stop(self) -> None:
        if self._started:
            self._server.stop()
            self._started = False
