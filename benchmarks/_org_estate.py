"""The organization of the org-scale benchmark: N small Google Cloud projects under one
organization, served by the project's own GCP stand-in with a simulated round trip.

Each project is small and alike: ``buckets`` buckets (one with a customer-managed key, one
with a public grant, every third versioned) and one key ring with one rotated key. The
projects sit directly under the organization, outside the stand-in's default project list,
so only a Resource Manager search finds them (``--gcp-all-projects``), as in a real
organization. The round trip is the stand-in's own ``latency`` knob: a sleep in its request
handler before each answer (threads: sleeping costs no core).
"""

from __future__ import annotations

from typing import Any

from auditor.providers.gcp.sandbox import GcpSandbox

ORG_ID = "700100200300"


def project_id(i: int) -> str:
    return f"bench-org-p{i:05d}"


def project_spec(i: int, buckets: int) -> dict[str, Any]:
    pid = project_id(i)
    spec: dict[str, Any] = {
        "id": pid, "number": str(800000000000 + i), "parent": "organization",
        "display_name": f"Bench project {i}",
        "key_rings": [{"name": "storage", "location": "us",
                       "keys": [{"name": "data-cmek", "protection": "SOFTWARE",
                                 "rotation_days": 90}]}],
        "buckets": []}
    for b in range(buckets):
        bucket: dict[str, Any] = {"name": f"{pid}-b{b}", "location": "US-CENTRAL1",
                                  "labels": {"env": "bench"}, "versioning": b % 3 == 0}
        if b == 0:
            bucket["kms_key"] = "us/storage/data-cmek"
        if b == 1:
            bucket["iam"] = [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]
        spec["buckets"].append(bucket)
    return spec


def org_section(accounts: int, buckets: int) -> dict[str, Any]:
    """The ``gcp:`` estate section: an organization of ``accounts`` projects."""
    return {"organization": {"id": ORG_ID, "display_name": "bench.example",
                             "projects": [project_spec(i, buckets) for i in range(accounts)]},
            "projects": []}


def start_org(accounts: int, buckets: int, rtt_ms: float) -> GcpSandbox:
    """A started, seeded stand-in (the caller stops it)."""
    box = GcpSandbox(latency=rtt_ms / 1000)
    box.start()
    box.seed(org_section(accounts, buckets))
    box.reset_requests()
    return box


def scan_environment(box: GcpSandbox) -> dict[str, str]:
    """Endpoint overrides of every GCP service the scan reads, and no default project (the
    scope is the organization's search)."""
    env = dict(box.environment())
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    return env
